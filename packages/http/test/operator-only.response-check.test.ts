import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '@shop/logger';
import { createApp, listen, operatorOnly, type RunningServer } from '../src/index';

/** An operator endpoint answers only a request with the operator token, and is off without one. */
const TOKEN = 'operator-only-test-token-0123456789';

async function serve(token: string | undefined): Promise<RunningServer> {
  const app = createApp({
    logger: createLogger({ service: 'test', level: 'silent' }),
    readiness: [],
    routes: (routes) => {
      routes.get('/things', operatorOnly(token), (_req, res) => {
        res.json({ things: [] });
      });
      routes.get('/open', (_req, res) => {
        res.json({ open: true });
      });
    },
  });
  return listen(app, 0);
}

async function get(server: RunningServer, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${path}`, { headers });
  return { response, body: (await response.json()) as { error?: { code: string; message: string } } };
}

describe('when OPERATOR_TOKEN is not set', () => {
  let server: RunningServer;
  before(async () => {
    server = await serve(undefined);
  });
  after(async () => {
    await server?.close();
  });

  test('when an operator endpoint is asked for, token or not, then it answers 404 saying to set OPERATOR_TOKEN', async () => {
    const attempts: Array<Record<string, string>> = [{}, { authorization: `Bearer ${TOKEN}` }];
    for (const headers of attempts) {
      const { response, body } = await get(server, '/things', headers);
      assert.equal(response.status, 404);
      assert.equal(body.error?.code, 'not_found');
      assert.match(body.error?.message ?? '', /operator endpoints are off; set OPERATOR_TOKEN to turn them on/);
      assert.equal(response.headers.get('www-authenticate'), null);
    }
  });

  test('when another endpoint is asked for, then it answers as before', async () => {
    assert.equal((await get(server, '/open')).response.status, 200);
    assert.equal((await get(server, '/healthz')).response.status, 200);
  });
});

describe('when OPERATOR_TOKEN is set', () => {
  let server: RunningServer;
  before(async () => {
    server = await serve(TOKEN);
  });
  after(async () => {
    await server?.close();
  });

  const refused: Array<[string, Record<string, string>]> = [
    ['no Authorization header', {}],
    ['a wrong token of the same length', { authorization: `Bearer ${TOKEN.replace(/.$/, 'X')}` }],
    ['a token of a different length', { authorization: `Bearer ${TOKEN}X` }],
    ['a prefix of the token', { authorization: `Bearer ${TOKEN.slice(0, 16)}` }],
    ['the token in another scheme', { authorization: `Basic ${TOKEN}` }],
    ['the scheme without a token', { authorization: 'Bearer' }],
  ];
  for (const [what, headers] of refused) {
    test(`when a request carries ${what}, then it answers 401 naming the Authorization header, with WWW-Authenticate: Bearer`, async () => {
      const { response, body } = await get(server, '/things', headers);
      assert.equal(response.status, 401);
      assert.equal(response.headers.get('www-authenticate'), 'Bearer');
      assert.equal(body.error?.code, 'unauthorized');
      assert.match(body.error?.message ?? '', /^authorization: /);
      assert.doesNotMatch(JSON.stringify(body), new RegExp(TOKEN));
    });
  }

  test('when a request carries the token, then the endpoint answers', async () => {
    for (const scheme of ['Bearer', 'bearer']) {
      const { response, body } = await get(server, '/things', { authorization: `${scheme} ${TOKEN}` });
      assert.equal(response.status, 200);
      assert.deepEqual(body, { things: [] });
    }
  });

  test('when another endpoint is asked for without a token, then it answers as before', async () => {
    assert.equal((await get(server, '/open')).response.status, 200);
    assert.equal((await get(server, '/readyz')).response.status, 200);
  });
});
