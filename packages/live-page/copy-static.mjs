// The build's last step: the page's HTML and CSS go next to the browser modules tsc emitted, so
// dist/public is the one directory the order service serves at /live/.
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
for (const file of ['index.html', 'live-page.css']) {
  copyFileSync(path.join(here, 'src', 'page', file), path.join(here, 'dist', 'public', file));
}
