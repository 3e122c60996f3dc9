import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLogger } from '@shop/logger';
import { AppError, createApp, listen, type RunningServer } from '../src/index';

/** Every answer carries the standard security headers, errors and unknown routes included. */
let server: RunningServer;

before(async () => {
  const app = createApp({
    logger: createLogger({ service: 'test', level: 'silent' }),
    readiness: [],
    routes: (routes) => {
      routes.get('/things', (_req, res) => {
        res.json({ things: [] });
      });
      routes.get('/broken', () => {
        throw new AppError(503, 'unavailable', 'try later');
      });
    },
  });
  server = await listen(app, 0);
});

after(async () => {
  await server?.close();
});

for (const path of ['/things', '/broken', '/nowhere', '/healthz']) {
  test(`when GET ${path} is answered, then it carries the security headers and no X-Powered-By`, async () => {
    const response = await fetch(`${server.url}${path}`);
    await response.body?.cancel();
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('x-frame-options'), 'SAMEORIGIN');
    assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.doesNotMatch(
      response.headers.get('content-security-policy') ?? '',
      /upgrade-insecure-requests/,
      'plain HTTP pages keep working',
    );
    assert.match(response.headers.get('strict-transport-security') ?? '', /max-age=\d+/);
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(response.headers.get('x-powered-by'), null);
  });
}
