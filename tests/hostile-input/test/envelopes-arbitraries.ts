import fc from 'fast-check';
import type { MessageContract } from '@shop/contracts';

/** One generated delivery: what is published, where, and what its dead-letter reason must say. */
export interface HostileDelivery {
  /** The input class, for the report of a failure. */
  kind: string;
  body: Buffer;
  properties: Record<string, unknown>;
  /** Published to a topic exchange with a routing key bound to the queue; undefined: the default exchange, to the queue. */
  topic?: { exchange: string; routingKey: string };
  /** The `x-shop-error` header the parked message must carry. */
  reason: RegExp;
}

const ORDER_ID = '3b0f6a1e-8c4d-4f2a-9b7e-2d5c8a1f0e93';

/** A payload valid for each consumed contract: what the generators break one leaf of. */
const validPayloads: Record<string, unknown> = {
  'inventory.reserve-stock': { orderId: ORDER_ID, items: [{ sku: 'SKU-MUG', quantity: 2 }] },
  'inventory.release-stock': { orderId: ORDER_ID },
  'payment.charge': { orderId: ORDER_ID, amountCents: 2400, currency: 'EUR', paymentMethod: 'tok_visa' },
  'payment.refund': { orderId: ORDER_ID },
  'warehouse.create-shipment': {
    orderId: ORDER_ID,
    address: { name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
    items: [{ sku: 'SKU-MUG', quantity: 2 }],
  },
  'warehouse.cancel-shipment': { orderId: ORDER_ID },
  'inventory.stock-reserved': { orderId: ORDER_ID, lines: [{ sku: 'SKU-MUG', quantity: 2, name: 'Enamel mug', unitPriceCents: 1200 }] },
  'inventory.stock-reservation-rejected': { orderId: ORDER_ID, reason: 'unknown-sku', detail: 'SKU-NOPE' },
  'inventory.stock-released': { orderId: ORDER_ID, released: true },
  'payment.charged': { orderId: ORDER_ID, paymentId: 'ch_1', amountCents: 2400 },
  'payment.rejected': { orderId: ORDER_ID, reason: 'declined', detail: 'card_declined' },
  'payment.refunded': { orderId: ORDER_ID, refundedCents: 2400 },
  'warehouse.shipment-created': { orderId: ORDER_ID, shipmentId: 'sh_1' },
  'warehouse.shipment-rejected': { orderId: ORDER_ID, reason: 'unserved-country', detail: 'AQ' },
  'warehouse.shipment-cancelled': { orderId: ORDER_ID, cancelled: true },
  'order.confirmed': {
    orderId: ORDER_ID,
    customerId: 'customer-1',
    email: 'buyer@example.com',
    lines: [{ sku: 'SKU-MUG', quantity: 2, name: 'Enamel mug', unitPriceCents: 1200 }],
    totalCents: 2400,
    currency: 'EUR',
  },
  'order.cancelled': { orderId: ORDER_ID, customerId: 'customer-1', email: 'buyer@example.com', reason: 'payment declined' },
};

/** A valid payload of the contract with a fresh order id, checked against the contract. */
export function validPayload(contract: MessageContract, orderId: string): Record<string, unknown> {
  const sample = validPayloads[contract.type];
  if (sample === undefined) throw new Error(`envelopes-arbitraries.ts has no valid payload for ${contract.type}: add one`);
  const payload = { ...structuredClone(sample as Record<string, unknown>), orderId };
  contract.schema.parse(payload);
  return payload;
}

/** Values no contract field expects where they are put: wrong types, odd strings, numbers out of range. */
const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 101, 1e9, 1e21, -(2 ** 63), Number.MAX_VALUE, 2 ** 53 + 2),
  fc.double(),
  fc.integer(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', '\u001b[2J', '\u202eevil', '\ud800', 'ǅ\u0301', '👩‍💻', 'x'.repeat(300), "'; DROP TABLE products; --"),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
);

const uuidLike = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isoDateTimeLike = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$/i;

/** Values each envelope field must refuse (those a lenient reading could accept are left out). */
const badEnvelopeField: Record<string, fc.Arbitrary<unknown>> = {
  id: oddValue.filter((value) => !(typeof value === 'string' && uuidLike.test(value))),
  type: fc.oneof(
    fc.constant(''),
    oddValue.filter((value) => typeof value !== 'string'),
  ),
  version: fc.oneof(fc.constantFrom(0, -1, 1.5, '1', null, true, [1], { major: 1 }, -(2 ** 31)), fc.double({ noNaN: true, max: 0 })),
  occurredAt: fc.oneof(
    fc.constantFrom(
      '',
      'yesterday',
      '2024-01-01',
      '2024-01-01T00:00:00',
      '2024-13-45T25:61:00Z',
      '1700000000000',
      'Tue, 01 Jan 2024 00:00:00 GMT',
    ),
    oddValue.filter((value) => !(typeof value === 'string' && isoDateTimeLike.test(value))),
  ),
  correlationId: fc.oneof(
    fc.constant(''),
    oddValue.filter((value) => typeof value !== 'string'),
  ),
  causationId: fc.oneof(
    fc.constant(''),
    oddValue.filter((value) => typeof value !== 'string' && value !== null),
  ),
};

const envelopeOf = (contract: MessageContract, id: string, data: unknown): Record<string, unknown> => ({
  id,
  type: contract.type,
  version: contract.version,
  occurredAt: new Date().toISOString(),
  correlationId: `fuzz-${id}`,
  causationId: null,
  data,
});

/** Every path to a value inside a payload: object keys and array indexes, nested ones too. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return [prefix, ...value.flatMap((item, index) => pathsOf(item, [...prefix, index]))];
  if (value !== null && typeof value === 'object') {
    return [prefix, ...Object.entries(value).flatMap(([key, item]) => pathsOf(item, [...prefix, key]))];
  }
  return [prefix];
}

/** The payload with the value at `path` replaced (or, with `remove`, the key deleted). */
function withValueAt(payload: unknown, path: (string | number)[], value: unknown, remove: boolean): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(payload) as Record<string | number, unknown>;
  let parent = copy;
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (remove && !Array.isArray(parent)) delete parent[last];
  else parent[last] = value;
  return copy;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');

function isJson(body: Buffer): boolean {
  try {
    JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
    return true;
  } catch {
    return false;
  }
}

/** Byte sequences that are not UTF-8: a stray continuation byte, an overlong NUL, a surrogate, a truncated sequence, 0xFF. */
const invalidUtf8 = fc.constantFrom(
  Buffer.from([0x80]),
  Buffer.from([0xc0, 0x80]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xe2, 0x82]),
  Buffer.from([0xff]),
  Buffer.from([0xf4, 0x90, 0x80, 0x80]),
);

const shortString = fc.string({ unit: 'grapheme', maxLength: 30 });

/** AMQP properties and headers a foreign or hostile publisher could set. */
const oddProperties: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    messageId: fc.oneof(fc.uuid(), fc.constantFrom('', 'm'.repeat(255)), shortString),
    type: fc.oneof(fc.constantFrom('inventory.reserve-stock', 'order.confirmed', ''), shortString),
    correlationId: shortString,
    contentType: fc.constantFrom('text/plain', 'application/octet-stream', 'application/json; charset=latin1', ''),
    contentEncoding: fc.constantFrom('gzip', 'identity', 'x-unknown'),
    deliveryMode: fc.constantFrom(1, 2),
    priority: fc.integer({ min: 0, max: 9 }),
    headers: fc.record(
      {
        'x-shop-attempt': fc.constantFrom(-1, 0, 1, 2, 3, 1e9, 2 ** 31 - 1, -(2 ** 31), 1.5, 'abc', '3', '', true, null, 1e15),
        'x-shop-original-routing-key': fc.oneof(
          fc.constantFrom('inventory.reserve-stock', 'payment.charge', 'order.confirmed', 'payment.charged', '#', '', 'amq.gen-forged'),
          shortString,
          fc.integer(),
        ),
        'x-shop-original-exchange': fc.constantFrom('shop.events', 'shop.commands', '', 'amq.topic', 'no-such-exchange'),
        'x-shop-error': shortString,
        'x-shop-consumer': fc.constantFrom('order.saga-replies', 'inventory.commands', ''),
        'x-death': fc.oneof(shortString, fc.integer(), fc.array(shortString, { maxLength: 2 })),
        // Values written with an explicit AMQP type, which amqplib hands the consumer as plain
        // numbers or objects: doubles beyond what it would encode as an int64, a timestamp at
        // the top of the uint64 range, a table with a '!' key. (RabbitMQ refuses NaN and infinities.)
        'x-typed': fc.constantFrom<unknown>(
          { '!': 'double', value: -1e19 },
          { '!': 'double', value: -Number.MAX_VALUE },
          { '!': 'double', value: 2 ** 51 + 0.5 },
          { '!': 'timestamp', value: 18446744073709551615n },
          { '!': 'long', value: -9223372036854775808n },
          { '!': 'object', value: { '!': 'no-such-type', value: 1 } },
          [{ '!': 'double', value: -1e300 }],
        ),
        traceparent: fc.oneof(fc.constant('00-zzzz-zzzz-01'), shortString, fc.integer()),
        // Values amqplib can encode in a header (no integers beyond 64 bits, no NaN or infinities).
        // amqplib sends a fraction as a double only below 2^50 in magnitude; above, it takes the
        // number for an int64 and throws, so larger fractions are not something a publisher can send.
        'x-fuzz': fc.oneof(
          shortString,
          fc.integer(),
          fc
            .double({ noDefaultInfinity: true, noNaN: true, min: -(2 ** 50), max: 2 ** 50 })
            .filter((value) => !Number.isInteger(value) && Math.abs(value) < 2 ** 50),
          fc.array(shortString, { maxLength: 3 }),
          // No '!' key: amqplib's publish reads it as a type name (x-typed sends such a table on purpose).
          fc.dictionary(
            fc.string({ maxLength: 8 }).filter((key) => key !== '!'),
            fc.oneof(shortString, fc.integer(), fc.boolean()),
            { maxKeys: 3 },
          ),
        ),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);

/**
 * Hostile deliveries for a queue that consumes `contracts`: none of them is a valid message for
 * the queue, and each names the reason it must be parked with. `otherTypes` are types other
 * queues consume, unknown here.
 */
export function hostileDelivery(contracts: readonly MessageContract[], otherTypes: readonly string[]): fc.Arbitrary<HostileDelivery> {
  const contract = fc.constantFrom(...contracts);
  const known = new Set(contracts.map((c) => c.type));

  const notJson = fc
    .oneof(
      fc.string({ unit: 'binary', maxLength: 200 }).map((text) => Buffer.from(text, 'utf8')),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
      fc
        .constantFrom('', 'null,', "{'id': 1}", 'NaN', '{"id":', '<xml/>', '\ufeff{}', '{"a":1}x', '[1,]', 'undefined')
        .map((text) => Buffer.from(text)),
      fc.tuple(contract, fc.uuid(), fc.nat()).map(([c, id, cut]) => {
        const whole = json(envelopeOf(c, id, validPayload(c, id)));
        return whole.subarray(0, cut % whole.length);
      }),
    )
    .filter((body) => !isJson(body))
    .map((body) => ({ kind: 'not JSON', body, reason: /^unparseable body: / }));

  const notUtf8 = fc
    .tuple(contract, fc.uuid(), invalidUtf8, fc.constantFrom('correlationId', 'causationId'))
    .map(([c, id, bytes, field]) => {
      const marker = `MARK${id}`;
      const body = json({ ...envelopeOf(c, id, validPayload(c, id)), [field]: `fuzz-${marker}` });
      const at = body.indexOf(marker);
      return {
        kind: `otherwise valid ${c.type} with invalid UTF-8 in ${field}`,
        body: Buffer.concat([body.subarray(0, at), bytes, body.subarray(at + marker.length)]),
        reason: /^unparseable body: /,
      };
    });

  const notAnEnvelope = fc
    .oneof(fc.jsonValue({ maxDepth: 3 }), fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 })))
    .filter((value) => value === null || typeof value !== 'object' || Array.isArray(value) || !('id' in value && 'type' in value))
    .map((value) => ({ kind: 'JSON that is no envelope', body: json(value), reason: /^malformed envelope: / }));

  const badField = fc
    .tuple(contract, fc.uuid(), fc.constantFrom(...Object.keys(badEnvelopeField)), fc.boolean())
    .chain(([c, id, field, remove]) =>
      (remove ? fc.constant(undefined) : badEnvelopeField[field]!).map((value) => {
        const envelope = envelopeOf(c, id, validPayload(c, id));
        if (remove) delete envelope[field];
        else envelope[field] = value;
        return {
          kind: `envelope field ${field} ${remove ? 'missing' : `= ${JSON.stringify(value)}`}`,
          body: json(envelope),
          reason: new RegExp(`^malformed envelope: (.*; )?${field}: `),
        };
      }),
    );

  const unknownType = fc
    .tuple(
      contract,
      fc.uuid(),
      fc.oneof(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
        otherTypes.length > 0 ? fc.constantFrom(...otherTypes) : fc.constant('nobody.consumes-this'),
        contract.map((c) => c.type.toUpperCase()),
        contract.map((c) => `${c.type} `),
        contract.map((c) => `${c.type}\u200b`),
        contract.map((c) => `${c.type}.v2`),
      ),
    )
    .filter(([, , type]) => !known.has(type))
    .map(([c, id, type]) => ({
      kind: `unknown type ${JSON.stringify(type)}`,
      body: json({ ...envelopeOf(c, id, validPayload(c, id)), type }),
      reason: /^unknown message type /,
    }));

  const futureVersion = fc.tuple(contract, fc.uuid(), fc.integer({ min: 1, max: 2 ** 31 - 1 })).map(([c, id, ahead]) => {
    const version = Math.min(c.version + ahead, Number.MAX_SAFE_INTEGER);
    return {
      kind: `${c.type} version ${version}`,
      body: json({ ...envelopeOf(c, id, validPayload(c, id)), version }),
      reason: new RegExp(`^unsupported version ${version} of ${escape(c.type)}$`),
    };
  });

  const payloadViolation = fc
    .tuple(contract, fc.uuid(), fc.nat(), oddValue, fc.boolean(), fc.dictionary(fc.string({ maxLength: 10 }), oddValue, { maxKeys: 2 }))
    .map(([c, id, pick, value, remove, extra]) => {
      const valid = validPayload(c, id);
      const paths = pathsOf(valid);
      const path = paths[pick % paths.length]!;
      const broken = withValueAt(valid, path, value, remove);
      // Keys a contract does not name are stripped, not refused: added beside a real violation.
      const data = broken !== null && typeof broken === 'object' && !Array.isArray(broken) ? { ...extra, ...broken } : broken;
      return { c, id, path, data, remove, value };
    })
    .filter(({ c, data }) => !c.schema.safeParse(data).success)
    .map(({ c, id, path, data, remove, value }) => ({
      kind: `${c.type} with ${path.join('.') || '(data)'} ${remove ? 'missing' : `= ${JSON.stringify(value)}`}`,
      body: json(envelopeOf(c, id, data)),
      reason: new RegExp(`^schema violation in ${escape(c.type)}: `),
    }));

  const deep = fc
    .tuple(contract, fc.uuid(), fc.integer({ min: 1_000, max: 100_000 }), fc.constantFrom('body', 'unclosed', 'orderId'))
    .map(([c, id, depth, where]) => {
      const nested = '['.repeat(depth) + ']'.repeat(depth);
      if (where === 'body') return { kind: `arrays nested ${depth} deep`, body: Buffer.from(nested), reason: /^malformed envelope: / };
      if (where === 'unclosed')
        return { kind: `${depth} unclosed arrays`, body: Buffer.from('['.repeat(depth)), reason: /^unparseable body: / };
      const envelope = JSON.stringify(envelopeOf(c, id, validPayload(c, id))).replace(`"orderId":"${id}"`, `"orderId":${nested}`);
      return {
        kind: `${c.type} with orderId nested ${depth} deep`,
        body: Buffer.from(envelope),
        reason: new RegExp(`^schema violation in ${escape(c.type)}: orderId`),
      };
    });

  const huge = fc.tuple(contract, fc.uuid(), fc.integer({ min: 100_000, max: 1_000_000 }), fc.boolean()).map(([c, id, size, asJson]) =>
    asJson
      ? {
          kind: `${c.type} with a ${size}-character orderId`,
          body: json(envelopeOf(c, id, { ...validPayload(c, id), orderId: 'x'.repeat(size) })),
          reason: new RegExp(`^schema violation in ${escape(c.type)}: orderId`),
        }
      : { kind: `${size} bytes of not JSON`, body: Buffer.alloc(size, 0x7b), reason: /^unparseable body: / },
  );

  return fc
    .tuple(
      fc.oneof(
        { arbitrary: notJson, weight: 3 },
        { arbitrary: notUtf8, weight: 2 },
        { arbitrary: notAnEnvelope, weight: 2 },
        { arbitrary: badField, weight: 4 },
        { arbitrary: unknownType, weight: 2 },
        { arbitrary: futureVersion, weight: 1 },
        { arbitrary: payloadViolation, weight: 5 },
        { arbitrary: deep, weight: 1 },
        { arbitrary: huge, weight: 1 },
      ),
      oddProperties,
      fc.option(contract, { freq: 2 }),
    )
    .map(([delivery, properties, topicContract]) => ({
      ...delivery,
      properties,
      // Through the topic exchange only what the test's listener on it can read (JSON, not huge).
      topic:
        topicContract && isJson(delivery.body) && delivery.body.length < 100_000
          ? { exchange: topicContract.exchange, routingKey: topicContract.routingKey }
          : undefined,
    }));
}
