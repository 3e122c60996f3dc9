import { dirname } from 'node:path';
import type { Express } from 'express';
import type { OpenApiDocument } from './openapi';

/** swagger-ui-dist's files, from this package's own dependencies (no CDN). */
const SWAGGER_UI_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));
const SWAGGER_UI_FILES = ['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png'];

/**
 * Starts Swagger UI on the page. A file of its own rather than an inline script: helmet's content
 * security policy (`script-src 'self'`) runs same-origin script files only.
 */
const INITIALIZER = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;

const escapeHtml = (text: string) =>
  text.replace(/[&<>"]/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[char] ?? char);

const page = (title: string) => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>${escapeHtml(title)}</title>
    <link rel="stylesheet" href="/docs/swagger-ui.css">
    <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/swagger-ui-bundle.js"></script>
    <script src="/docs/initializer.js"></script>
  </body>
</html>
`;

/**
 * Serves the service's OpenAPI document at `GET /openapi.json` and a reference page of it at
 * `GET /docs` (Swagger UI, every file from this service).
 */
export function serveApiDocs(app: Express, document: OpenApiDocument): void {
  const json = JSON.stringify(document);
  const html = page(document.info.title);
  app.get('/openapi.json', (_req, res) => {
    res.type('json').send(json);
  });
  app.get('/docs', (_req, res) => {
    res.type('html').send(html);
  });
  app.get('/docs/initializer.js', (_req, res) => {
    res.type('js').send(INITIALIZER);
  });
  for (const file of SWAGGER_UI_FILES) {
    app.get(`/docs/${file}`, (_req, res) => {
      res.sendFile(file, { root: SWAGGER_UI_DIR, maxAge: '1h' });
    });
  }
}
