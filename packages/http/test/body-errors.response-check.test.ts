import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLogger } from '@shop/logger';
import { createApp, listen, type RunningServer } from '../src/index';

/** A body the parser cannot read is a 4xx whose message starts with what to fix; the handler never runs. */
let server: RunningServer;
let handled = 0;

before(async () => {
  const app = createApp({
    logger: createLogger({ service: 'test', level: 'silent' }),
    readiness: [],
    routes: (routes) => {
      routes.post('/things', (_req, res) => {
        handled += 1;
        res.status(201).json({});
      });
    },
  });
  server = await listen(app, 0);
});

after(async () => {
  await server?.close();
});

const cases: Array<[string, Record<string, string>, number, string, RegExp]> = [
  ['a plain body labelled gzip', { 'content-encoding': 'gzip' }, 400, 'invalid_content_encoding', /^content-encoding: /],
  ['an encoding nobody reads', { 'content-encoding': 'x-rot13' }, 415, 'unsupported_media_type', /^content-encoding: /],
  ['a latin1 charset', { 'content-type': 'application/json; charset=latin1' }, 415, 'unsupported_media_type', /^content-type: /],
  ['truncated JSON', {}, 400, 'invalid_json', /^body: /],
];

for (const [what, headers, status, code, message] of cases) {
  test(`when the body is ${what}, then it answers ${status} ${code} naming what to fix`, async () => {
    const before = handled;
    const response = await fetch(`${server.url}/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: what === 'truncated JSON' ? '{"a": ' : '{"a": 1}',
    });
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(response.status, status, JSON.stringify(body));
    assert.equal(body.error.code, code);
    assert.match(body.error.message, message);
    assert.equal(handled, before, 'the handler did not run');
  });
}
