import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { SERVICE_NAMES, SERVICE_NODE_ARGS } from '@shop/catalog';

const root = path.resolve(__dirname, '..', '..', '..', '..');

test('the Dockerfile and every service start script run node with the same arguments as the native stack', () => {
  const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(path.join(root, 'Dockerfile'), 'utf8'))?.[1];
  assert.ok(cmd, 'the Dockerfile has an exec-form CMD');
  assert.deepEqual(JSON.parse(cmd) as string[], ['node', ...SERVICE_NODE_ARGS, 'dist/src/main.js']);
  for (const name of SERVICE_NAMES) {
    const manifest = JSON.parse(readFileSync(path.join(root, 'services', name, 'package.json'), 'utf8')) as { scripts: { start: string } };
    assert.equal(manifest.scripts.start, ['node', ...SERVICE_NODE_ARGS, 'dist/src/main.js'].join(' '), `services/${name} start script`);
  }
});
