import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { service as orderService } from '@shop/order-service';
import { createTestInfrastructure, serviceTestEnv, type TestInfrastructure } from '@shop/testing';
import {
  closeAgent,
  headerSetRequest,
  jsonRequest,
  jsonText,
  mutatedOrder,
  ORDER_FIELDS,
  printable,
  rawBody,
  send,
  type FuzzRequest,
  type FuzzResponse,
} from './post-orders-requests';

type Service = Awaited<ReturnType<typeof orderService.start>>;

/** FUZZ_SEED replays a run (fast-check prints the seed and path of a failure). */
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const RUNS = { bodies: 4_500, raw: 2_500, headers: 3_000 };
const MIN_REQUESTS = 10_000;

/** The headers a 4xx may name, as the messages spell them. */
const HEADER_FIELDS = ['content-type', 'content-encoding', 'content-length', 'idempotency-key'];

interface ErrorBody {
  error: { code: string; message: string; details?: { fields?: Array<{ field: string; message: string }> } };
}

/** The body as the service parsed it, for the bodies this can read: plain UTF-8 JSON. */
function sentBody(fuzz: FuzzRequest): { value: unknown } | undefined {
  if (!fuzz.body || fuzz.headers['content-encoding'] !== undefined) return undefined;
  try {
    return { value: JSON.parse(fuzz.body.toString('utf8').replace(/^\ufeff/, '')) as unknown };
  } catch {
    return undefined;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const hasKey = (value: unknown, key: string) => isObject(value) && Object.prototype.hasOwnProperty.call(value, key);

/** An unknown field is named by its path: a key of the body, of `shippingAddress` or of an item, that the body carries. */
function carriesUnknownKey(body: unknown, field: string): boolean {
  if (hasKey(body, field)) return true;
  if (!isObject(body)) return false;
  const address = /^shippingAddress\.(.*)$/s.exec(field);
  if (address && hasKey(body.shippingAddress, address[1]!)) return true;
  const item = /^items\.(\d+)\.(.*)$/s.exec(field);
  return !!item && Array.isArray(body.items) && hasKey(body.items[Number(item[1])], item[2]!);
}

/**
 * A 4xx names the field when its message starts with `<field>: `:
 * - validation_failed: `invalid body: <path>: …` or `invalid Idempotency-Key: Idempotency-Key: …`, the
 *   first of `details.fields`, each of which is `body` (the body is not an object), a path into the
 *   order's own fields, or, as an `unknown field`, the path of a key the body carries;
 * - every other code: a header it is about, or `body` for the body as a whole (not JSON, too large).
 */
function assertNamesTheField(fuzz: FuzzRequest, response: FuzzResponse, body: ErrorBody): void {
  const { code, message, details } = body.error;
  assert.equal(typeof code, 'string', 'error.code');
  assert.equal(typeof message, 'string', 'error.message');
  if (code === 'validation_failed') {
    assert.equal(response.status, 400);
    const fields = details?.fields ?? [];
    assert.ok(fields.length > 0, 'details.fields lists the offending fields');
    const where = /^invalid (body|Idempotency-Key): /.exec(message)?.[1];
    assert.ok(where, `message names what was invalid: ${message}`);
    assert.equal(message, `invalid ${where}: ${fields[0]!.field}: ${fields[0]!.message}`);
    const sent = where === 'body' ? sentBody(fuzz) : undefined;
    for (const { field, message: problem } of fields) {
      assert.equal(typeof problem, 'string');
      if (where === 'Idempotency-Key') {
        assert.equal(field, 'Idempotency-Key');
        continue;
      }
      if (problem === 'unknown field') {
        if (sent) assert.ok(carriesUnknownKey(sent.value, field), `the unknown field ${JSON.stringify(field)} is one the body carries`);
      } else if (field === 'body') assert.ok(!sent || !isObject(sent.value), `'body' is named only for a body that is not an object`);
      else assert.ok(ORDER_FIELDS.has(field.split('.')[0]!), `${JSON.stringify(field)} is a path into the order's fields`);
    }
    return;
  }
  const named = /^([^:]+): /.exec(message)?.[1];
  assert.ok(named, `message starts with the field it is about: ${message}`);
  const expected: Record<string, string[]> = {
    invalid_json: ['body'],
    body_too_large: ['body'],
    unsupported_media_type: ['content-type', 'content-encoding'],
    invalid_content_encoding: ['content-encoding'],
    idempotency_key_reused: ['idempotency-key'],
  };
  const allowed = expected[code] ?? ['body', ...HEADER_FIELDS];
  assert.ok(allowed.includes(named.toLowerCase()), `${code}: message names ${allowed.join(' or ')}: ${message}`);
}

describe('POST /orders, fuzzed: zero 5xx, every 4xx a JSON error naming the field, no row for a rejected request', () => {
  let infra: TestInfrastructure;
  let service: Service;
  let requests = 0;
  const statuses = new Map<number, number>();

  before(async () => {
    infra = await createTestInfrastructure('fuzzorders');
    // Sagas stay at their first step, so only POST /orders changes the service's rows.
    service = await orderService.startWith(await serviceTestEnv(infra, 'order', { SAGA_STEP_TIMEOUT_MS: '3600000' }));
  });
  after(async () => {
    closeAgent();
    await service?.stop();
    await infra?.cleanup();
  });

  /** The order service's rows: orders (idempotency keys with them), sagas, their step log, and outbox inserts ever tried. */
  const rows = async () =>
    (
      await service.pool.query<{ orders: number; sagas: number; steps: number; outbox: string }>(
        `SELECT (SELECT count(*) FROM orders)::int AS orders,
                (SELECT count(*) FROM saga_instances)::int AS sagas,
                (SELECT count(*) FROM saga_step_log)::int AS steps,
                (SELECT last_value::text || is_called::text FROM outbox_seq_seq) AS outbox`,
      )
    ).rows[0]!;

  /** Sends one request and checks its answer and what it stored. Requests go one at a time, so the counts are exact. */
  const check = async (fuzz: FuzzRequest) => {
    const before = await rows();
    const response = await send(service.url, fuzz);
    requests += 1;
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    const stored = await rows();
    const said = `${response.status} ${response.text.slice(0, 500)}`;
    assert.ok(response.status < 500, `no 5xx: ${said}`);
    assert.match(String(response.headers['content-type']), /^application\/json/, `a JSON answer: ${said}`);
    const body = JSON.parse(response.text) as Record<string, unknown>;
    if (response.status >= 400) {
      assertNamesTheField(fuzz, response, body as unknown as ErrorBody);
      assert.deepEqual(stored, before, `a rejected request stores nothing: ${said}`);
      return;
    }
    assert.equal(response.status, 202, said);
    assert.match(String(body.orderId), /^[0-9a-f-]{36}$/);
    assert.equal(body.status, 'PENDING');
    const replayed = response.headers['idempotent-replayed'] === 'true';
    const added = replayed ? 0 : 1;
    assert.equal(stored.orders, before.orders + added, `orders stored: ${said}`);
    assert.equal(stored.sagas, before.sagas + added, `sagas started: ${said}`);
  };

  const options = (numRuns: number) => ({ numRuns, ...(seed === undefined ? {} : { seed }) });

  test('orders changed field by field: wrong types, text of every kind, huge and deep values, extra and prototype keys', async () => {
    await fc.assert(
      fc.asyncProperty(printable(jsonRequest(mutatedOrder.map((value) => Buffer.from(jsonText(value), 'utf8')))), check),
      options(RUNS.bodies),
    );
  });

  test('raw bodies: duplicate keys, truncated JSON, a BOM, invalid UTF-8, other encodings, noise', async () => {
    await fc.assert(fc.asyncProperty(printable(jsonRequest(rawBody)), check), options(RUNS.raw));
  });

  test('header sets: content types and charsets, content encodings, chunked bodies, Idempotency-Keys of every shape', async () => {
    await fc.assert(fc.asyncProperty(printable(headerSetRequest), check), options(RUNS.headers));
  });

  test(`at least ${MIN_REQUESTS} requests were sent`, (t) => {
    t.diagnostic(`${requests} requests, by status: ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`);
    assert.ok(requests >= MIN_REQUESTS, `${requests} requests`);
  });
});
