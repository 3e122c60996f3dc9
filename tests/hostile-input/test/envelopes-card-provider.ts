import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A card provider that approves every charge and refund, for the payment service of the envelope
 * fuzz: the few routes of the provider API its HTTP client calls (POST /v1/charges, GET
 * /v1/charges, POST /v1/refunds). tests/hostile-input does not depend on @shop/payment-provider.
 */
export async function startApprovingCardProvider(): Promise<{ url: string; stop(): Promise<void> }> {
  let next = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
      const path = (request.url ?? '/').split('?')[0];
      let answer: unknown;
      if (request.method === 'POST' && path === '/v1/charges') {
        answer = { id: `ch_${++next}`, object: 'charge', status: 'succeeded', ...body };
      } else if (request.method === 'GET' && path === '/v1/charges') {
        answer = { object: 'list', data: [] };
      } else if (request.method === 'POST' && path === '/v1/refunds') {
        answer = { id: `re_${++next}`, object: 'refund', status: 'succeeded', ...body };
      } else {
        response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'not_found' } }));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
