import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SERVICE_NAMES, type ServiceName } from '@shop/catalog';
import { buildOrder, eventually, operatorHeaders } from '@shop/testing';
import { ConformanceChecker, type Answer, type OpenApiDocument } from './openapi-conformance';
import { startShop, type ShopUnderContract } from './shop-under-contract';

interface Request {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

const json = (body: unknown, headers: Record<string, string> = {}): Request => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});
const operator: Request = { headers: operatorHeaders() };

/**
 * The real services, started as in production against the real RabbitMQ and PostgreSQL, asked for
 * each answer their OpenAPI documents describe; every answer is checked against the document the
 * service itself serves at /openapi.json.
 */
describe("the services' answers conform to their OpenAPI documents", () => {
  let shop: ShopUnderContract;
  const checkers = {} as Record<ServiceName, ConformanceChecker>;

  before(async () => {
    shop = await startShop('contract');
    for (const name of SERVICE_NAMES) {
      const response = await fetch(`${shop.urls[name]}/openapi.json`);
      assert.equal(response.status, 200, `the ${name} service serves no /openapi.json: see docs/api.md`);
      checkers[name] = new ConformanceChecker((await response.json()) as OpenApiDocument);
    }
  });
  after(async () => {
    await shop?.stop();
  });

  /** Sends the request, asserts the status, and asserts the answer conforms to the service's document. */
  async function send(service: ServiceName, path: string, status: number, request: Request = {}): Promise<Answer> {
    const response = await fetch(`${shop.urls[service]}${path}`, {
      method: request.method ?? 'GET',
      headers: request.headers,
      body: request.body,
    });
    // A stream stays open: its status and headers are the answer.
    const streaming = response.headers.get('content-type')?.startsWith('text/event-stream') ?? false;
    const text = streaming ? '' : await response.text();
    if (streaming) await response.body?.cancel();
    const isJson = response.headers.get('content-type')?.startsWith('application/json') ?? false;
    const answer: Answer = {
      method: request.method ?? 'GET',
      path: new URL(path, 'http://service').pathname,
      status: response.status,
      headers: response.headers,
      body: isJson ? (JSON.parse(text) as unknown) : text,
    };
    assert.equal(answer.status, status, `${service}: ${answer.method} ${path} answered ${answer.status}: ${text.slice(0, 300)}`);
    assert.deepEqual(checkers[service].problems(answer), [], `${service}: ${answer.method} ${path}`);
    return answer;
  }

  const order = buildOrder();
  const idempotencyKey = `contract-${randomUUID()}`;
  let orderId: string;

  test('when an order is placed, then the 202, its Location and its replay conform, and so does the order while PENDING', async () => {
    const placed = await send('order', '/orders', 202, json(order, { 'idempotency-key': idempotencyKey }));
    orderId = (placed.body as { orderId: string }).orderId;
    assert.equal(placed.headers.get('location'), `/orders/${orderId}`);

    const replayed = await send('order', '/orders', 202, json(order, { 'idempotency-key': idempotencyKey }));
    assert.equal(replayed.headers.get('idempotent-replayed'), 'true');
    await send('order', `/orders/${orderId}`, 200);
  });

  test('when the same Idempotency-Key comes with another body, then the 409 conforms', async () => {
    await send('order', '/orders', 409, json(buildOrder(), { 'idempotency-key': idempotencyKey }));
  });

  test('when a field, the JSON, an id or a query is invalid, then each 400 conforms', async () => {
    const badField = await send('order', '/orders', 400, json(buildOrder({ items: [{ sku: 'SKU-MUG', quantity: 0 }] })));
    assert.equal((badField.body as { error: { code: string } }).error.code, 'validation_failed');
    await send('order', '/orders', 400, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"customerId":' });
    await send('order', '/orders/not-an-order-id', 400);
    await send('order', '/orders?limit=0', 400, operator);
    await send('inventory', `/stock/${'S'.repeat(65)}`, 400, operator);
    await send('inventory', '/reservations/not-an-order-id', 400, operator);
    await send('payment', '/payments', 400, operator);
    await send('warehouse', '/shipments?orderId=42', 400, operator);
    await send('email', '/emails', 400, operator);
  });

  test('when the body is text/plain, then the 415 conforms', async () => {
    await send('order', '/orders', 415, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'an order, please' });
  });

  test('when the body is over the limit, then the 413 conforms', async () => {
    await send('order', '/orders', 413, json(buildOrder({ customerId: 'c'.repeat(70_000) })));
  });

  test('when what is asked for does not exist, then each 404 conforms', async () => {
    const unknown = randomUUID();
    await send('order', `/orders/${unknown}`, 404);
    await send('inventory', '/stock/SKU-UNICORN', 404, operator);
    await send('inventory', `/reservations/${unknown}`, 404, operator);
    await send('payment', `/payments?orderId=${unknown}`, 404, operator);
    await send('warehouse', `/shipments?orderId=${unknown}`, 404, operator);
    await send('email', `/emails?orderId=${unknown}`, 404, operator);
  });

  test('when an operator endpoint is asked without the token or with another one, then the 401 conforms', async () => {
    await send('order', '/orders', 401);
    await send('inventory', '/stock', 401, { headers: operatorHeaders('not-the-operator-token') });
    await send('inventory', '/stock/SKU-MUG', 401);
    await send('inventory', `/reservations/${randomUUID()}`, 401);
    await send('payment', `/payments?orderId=${randomUUID()}`, 401);
    await send('warehouse', `/shipments?orderId=${randomUUID()}`, 401);
    await send('email', `/emails?orderId=${randomUUID()}`, 401);
  });

  test('when the order has gone all the way, then the order, the list and every operator GET with the token conform', async () => {
    assert.ok(orderId, 'the order of the first test was placed');
    // The email is the saga's last trace: once it is sent, every participant holds its part.
    await eventually(
      async () => ((await fetch(`${shop.urls.email}/emails?orderId=${orderId}`, operator)).status === 200 ? true : undefined),
      { timeoutMs: 30_000, what: `the email of order ${orderId}` },
    );
    const view = await send('order', `/orders/${orderId}`, 200);
    assert.equal((view.body as { status: string }).status, 'CONFIRMED');
    await send('order', '/orders?status=CONFIRMED&limit=1', 200, operator);
    await send('order', `/orders?ids=${orderId},${randomUUID()}`, 200, operator);
    await send('inventory', '/stock', 200, operator);
    await send('inventory', '/stock/SKU-MUG', 200, operator);
    await send('inventory', `/reservations/${orderId}`, 200, operator);
    await send('payment', `/payments?orderId=${orderId}`, 200, operator);
    await send('warehouse', `/shipments?orderId=${orderId}`, 200, operator);
    await send('email', `/emails?orderId=${orderId}`, 200, operator);
  });

  test("when the live page's settings and stream are asked for, then the settings, the stream and the refused stream conform", async () => {
    await send('order', '/live/config.json', 200);
    const stream = await send('order', '/live/events', 200, operator);
    assert.match(stream.headers.get('content-type') ?? '', /^text\/event-stream/);
    await send('order', '/live/events', 401);
    await send('order', '/live/events?events=everything', 400, operator);
  });

  test('when each service is asked for its probes and its document, then /healthz, /readyz, /openapi.json and /docs conform', async () => {
    for (const name of SERVICE_NAMES) {
      await send(name, '/healthz', 200);
      await send(name, '/readyz', 200);
      await send(name, '/openapi.json', 200);
      await send(name, '/docs', 200);
    }
  });

  test('when every request above has been sent, then every operation of every document has been answered', () => {
    for (const name of SERVICE_NAMES) {
      const unanswered = checkers[name].operations().filter((operation) => !checkers[name].answered.has(operation));
      assert.deepEqual(unanswered, [], `${name}: operations of the document no test asked for`);
    }
  });
});
