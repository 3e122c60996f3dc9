import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { postJson } from '../src/fixed-rate';

/** The load generator's POST against a real HTTP server on a free port: answers, errors, latency from when due. */
describe('postJson', () => {
  const received: Array<{ body: string; contentType: string | undefined }> = [];
  let server: http.Server;
  let url = '';

  before(async () => {
    server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ body: Buffer.concat(chunks).toString('utf8'), contentType: request.headers['content-type'] });
        const status = request.url === '/bad' ? 400 : 202;
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(status === 202 ? { orderId: 'order-1' } : { error: { message: 'items is required' } }));
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test('when the server accepts, then the answer carries its status and JSON, and the body went out as JSON', async () => {
    const due = performance.now() - 50;
    const answer = await postJson(`${url}/orders`, { customerId: 'c-1' }, due);
    assert.equal(answer.status, 202);
    assert.deepEqual(answer.json, { orderId: 'order-1' });
    assert.equal(answer.error, undefined);
    assert.ok(answer.latencyMs >= 50, `latency ${answer.latencyMs} ms counts from when the request was due`);
    assert.deepEqual(received.at(-1), { body: '{"customerId":"c-1"}', contentType: 'application/json' });
  });

  test('when the server answers 4xx, then the error names the status', async () => {
    const answer = await postJson(`${url}/bad`, {}, performance.now());
    assert.equal(answer.status, 400);
    assert.equal(answer.error, 'http 400');
    assert.deepEqual(answer.json, { error: { message: 'items is required' } });
  });

  test('when nothing listens, then it reports the connection refused instead of throwing', async () => {
    const closed = http.createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const { port } = closed.address() as AddressInfo;
    closed.close();
    await once(closed, 'close');
    const answer = await postJson(`http://127.0.0.1:${port}/orders`, {}, performance.now());
    assert.equal(answer.status, 0);
    assert.equal(answer.error, 'connection refused');
  });
});
