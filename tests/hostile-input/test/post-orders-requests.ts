import { request as httpRequest, Agent, type OutgoingHttpHeaders } from 'node:http';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';

/** One generated POST /orders: the bytes of its body and its headers, as sent on the wire. */
export interface FuzzRequest {
  headers: Record<string, string | string[]>;
  /** Undefined: no body at all. */
  body: Buffer | undefined;
  /** Sent with `Transfer-Encoding: chunked` instead of a Content-Length. */
  chunked: boolean;
}

export interface FuzzResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/** Sends the request as it is, with no client-side validation of the body (fetch would refuse some of it). */
export function send(baseUrl: string, fuzz: FuzzRequest): Promise<FuzzResponse> {
  const url = new URL('/orders', baseUrl);
  const headers: OutgoingHttpHeaders = { ...fuzz.headers };
  if (fuzz.chunked) headers['transfer-encoding'] = 'chunked';
  else headers['content-length'] = String(fuzz.body?.length ?? 0);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (fuzz.body && fuzz.body.length > 0) req.write(fuzz.body);
    req.end();
  });
}

export function closeAgent(): void {
  agent.destroy();
}

/** JSON text placed into a body as it is: numbers JSON.stringify never writes, deep nesting, raw escapes. */
class RawJson {
  constructor(readonly text: string) {}
  toString(): string {
    return `RawJson(${this.text.length > 60 ? `${this.text.slice(0, 60)}…` : this.text})`;
  }
}

/** JSON text of a generated value; own keys such as `__proto__` are written like any other. */
export function jsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) {
    const elements: string[] = [];
    for (let i = 0; i < value.length; i += 1) elements.push(jsonText(value[i]));
    return `[${elements.join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .map((key) => `${JSON.stringify(key)}:${jsonText((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A valid body, the same every time: mutations below make it hostile. */
function validOrder(): Record<string, unknown> {
  return {
    customerId: 'fuzz-customer',
    email: 'fuzz@example.com',
    items: [
      { sku: 'SKU-MUG', quantity: 2 },
      { sku: 'SKU-TEA', quantity: 1 },
    ],
    shippingAddress: { name: 'Ada Lovelace', line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
    paymentMethod: 'tok_visa',
  };
}

/** The fields of a valid order, so the schema's field names can be told from made-up ones. */
export const ORDER_FIELDS: ReadonlySet<string> = new Set(Object.keys(validOrder()));

/** Characters that text handling trips over: NUL and other controls, lone surrogates, BOM, separators, invisible ones. */
const awkwardChar = fc.constantFrom(
  '\u0000',
  '\u0001',
  '\u0008',
  '\u001b',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\ud800',
  '\udbff',
  '\udc00',
  '\udfff',
  '\ufeff',
  '\ufffd',
  '\uffff',
  '\u200b',
  '\u200e',
  '\u202e',
  '\u2028',
  '\u2029',
  '\u{10ffff}',
  '\u{1f600}',
  'e\u0301',
  '\n',
  '\t',
  '"',
  '\\',
);

/** Text of every kind: any code point (lone surrogates included), graphemes, controls, valid text with one awkward character, huge. */
const hostileText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }),
  fc.string({ unit: awkwardChar, minLength: 1, maxLength: 5 }),
  fc
    .tuple(fc.string({ unit: 'grapheme-ascii', maxLength: 12 }), awkwardChar, fc.string({ unit: 'grapheme-ascii', maxLength: 12 }))
    .map(([before, char, after]) => `${before || 'x'}${char}${after}`),
  fc.constantFrom('', ' ', '   ', 'null', 'undefined', 'NaN', '-0', 'Infinity', '1e309', '0x10', 'true', '[]', '{}', 'DE', 'de'),
  fc.integer({ min: 100, max: 70_000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 1, max: 20_000 }).map((n) => '\u{1f600}'.repeat(n)),
);

const nested = (depth: number, open: string, close: string) => new RawJson(`${open.repeat(depth)}${close.repeat(depth)}`);

/** Any value a field could be given instead of the right one. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileText },
  fc.integer(),
  fc.integer({ min: -5, max: 200 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc
    .constantFrom(
      '1e309',
      '-1e309',
      '-0',
      '1.0',
      '2e0',
      '1E2',
      '1e-400',
      '123456789012345678901234567890',
      '0.1e1',
      '"\\ud800"',
      '"\\udc00x"',
      '"a\\u0000b"',
      '"\\u0000"',
      '"\\uFEFF"',
      '"\\/"',
      '{}',
      '[]',
    )
    .map((text) => new RawJson(text)),
  fc.integer({ min: 1, max: 30_000 }).map((depth) => nested(depth, '[', ']')),
  fc.integer({ min: 1, max: 10_000 }).map((depth) => new RawJson(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`)),
  fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  fc.array(fc.record({ sku: hostileText, quantity: fc.integer({ min: -2, max: 102 }) }), { maxLength: 60 }),
);

const extraKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', 'customerId ', 'Email', 'id', 'status'),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

type Path = Array<string | number>;
const stringPaths: Path[] = [
  ['customerId'],
  ['email'],
  ['paymentMethod'],
  ['items', 0, 'sku'],
  ['items', 1, 'sku'],
  ['shippingAddress', 'name'],
  ['shippingAddress', 'line1'],
  ['shippingAddress', 'city'],
  ['shippingAddress', 'postalCode'],
  ['shippingAddress', 'country'],
];
const anyPaths: Path[] = [...stringPaths, ['items'], ['items', 0], ['items', 0, 'quantity'], ['items', 1, 'quantity'], ['shippingAddress']];
const objectPaths: Path[] = [[], ['items', 0], ['shippingAddress']];

type Mutation =
  { kind: 'set'; path: Path; value: unknown } | { kind: 'delete'; path: Path } | { kind: 'extra'; path: Path; key: string; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('set' as const), path: fc.constantFrom(...stringPaths), value: hostileText }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('set' as const), path: fc.constantFrom(...anyPaths), value: hostileValue }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), path: fc.constantFrom(...anyPaths) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('extra' as const),
      path: fc.constantFrom(...objectPaths),
      key: extraKey,
      value: hostileValue,
    }),
  },
);

/** A copy of a generated value, so that mutating the order never changes a value fast-check keeps for shrinking. */
function copy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copy);
  if (value === null || typeof value !== 'object' || value instanceof RawJson) return value;
  const copied: Record<string, unknown> = {};
  for (const key of Object.keys(value)) define(copied, key, copy((value as Record<string, unknown>)[key]));
  return copied;
}

/** An own, enumerable property even for `__proto__`, so it is written into the JSON text. */
function define(target: object, key: string | number, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function apply(order: Record<string, unknown>, change: Mutation): void {
  const parentPath = change.kind === 'extra' ? change.path : change.path.slice(0, -1);
  let parent: unknown = order;
  for (const step of parentPath) {
    parent = parent !== null && typeof parent === 'object' ? (parent as Record<string | number, unknown>)[step] : undefined;
  }
  // Keys of an array other than its indexes are not JSON: such a change has nothing to change.
  if (parent === null || typeof parent !== 'object' || parent instanceof RawJson) return;
  const key = change.kind === 'extra' ? change.key : change.path.at(-1)!;
  if (Array.isArray(parent) && typeof key !== 'number') return;
  if (change.kind === 'delete') delete (parent as Record<string | number, unknown>)[key];
  else define(parent, key, copy(change.value));
}

/** A valid order changed field by field; the whole body replaced by something else now and then. */
export const mutatedOrder: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }).map((changes) => {
      const order = validOrder();
      for (const change of changes) apply(order, change);
      return order;
    }),
  },
  { weight: 1, arbitrary: hostileValue },
  { weight: 1, arbitrary: fc.constant(validOrder()).map((order) => [order]) },
);

/** JSON text of a valid order with one key written twice, the second time hostile. */
const duplicateKeys = fc.tuple(fc.constantFrom(...ORDER_FIELDS), hostileValue, fc.boolean()).map(([field, value, first]) => {
  const text = jsonText(validOrder());
  const duplicate = `${JSON.stringify(field)}:${jsonText(value)}`;
  return first ? `{${duplicate},${text.slice(1)}` : `${text.slice(0, -1)},${duplicate}}`;
});

/** Bytes that are not UTF-8: a lone continuation byte, overlong forms, encoded surrogates, 0xFF, a cut sequence. */
const invalidUtf8 = fc.constantFrom<number[]>(
  [0x80],
  [0xbf],
  [0xc0, 0xaf],
  [0xc3, 0x28],
  [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xff],
  [0xfe, 0xff],
  [0xe2, 0x82],
  [0x00],
);

const withBytes = (text: string, at: number, bytes: number[]) => {
  const buffer = Buffer.from(text, 'utf8');
  const index = Math.min(at, buffer.length);
  return Buffer.concat([buffer.subarray(0, index), Buffer.from(bytes), buffer.subarray(index)]);
};

/** Whole bodies as bytes: duplicate keys, truncation, BOM, invalid UTF-8, other encodings, JSON of any shape, noise. */
export const rawBody: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 3, arbitrary: duplicateKeys.map((text) => Buffer.from(text, 'utf8')) },
  {
    weight: 2,
    arbitrary: fc.nat().map((n) => {
      const text = jsonText(validOrder());
      return Buffer.from(text.slice(0, n % text.length), 'utf8');
    }),
  },
  { weight: 1, arbitrary: fc.constant(Buffer.from(`\ufeff${jsonText(validOrder())}`, 'utf8')) },
  {
    weight: 3,
    arbitrary: fc.tuple(fc.nat(), invalidUtf8).map(([at, bytes]) => {
      const text = jsonText(validOrder());
      return withBytes(text, at % text.length, bytes);
    }),
  },
  {
    weight: 3,
    // Invalid bytes inside a string value, where the JSON around them stays well formed.
    arbitrary: fc.tuple(fc.constantFrom(...stringPaths), invalidUtf8).map(([path, bytes]) => {
      const order = validOrder();
      apply(order, { kind: 'set', path, value: 'MARK' });
      const text = jsonText(order);
      const at = Buffer.byteLength(text.slice(0, text.indexOf('MARK')), 'utf8');
      const buffer = Buffer.from(text.replace('MARK', 'A'), 'utf8');
      return Buffer.concat([buffer.subarray(0, at + 1), Buffer.from(bytes), buffer.subarray(at + 1)]);
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom<BufferEncoding>('utf16le', 'latin1', 'ucs2').map((e) => Buffer.from(jsonText(validOrder()), e)) },
  { weight: 2, arbitrary: mutatedOrder.map((value) => Buffer.from(jsonText(value), 'utf8')) },
  { weight: 1, arbitrary: fc.json({ maxDepth: 4 }).map((text) => Buffer.from(text, 'utf8')) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('', ' ', 'null', 'true', '0', '"x"', '[]', '{}', '{', '}', '{"a":1,}', "{'a':1}", '{"a":1}//', 'NaN', '\u0000')
      .map((text) => Buffer.from(text, 'utf8')),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map((text) => Buffer.from(text, 'utf8')) },
);

/** Header text the HTTP client can put on the wire: tab, visible ASCII, space and obs-text (0x80-0xFF). */
const headerChar = fc.oneof(
  fc.constantFrom('\t', ' '),
  fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)),
);
const headerText = (maxLength: number) => fc.string({ unit: headerChar, maxLength });

/** Idempotency-Key of every shape HTTP allows: empty, blank, short, obs-text, UUIDs, too long, repeated. */
export const idempotencyKey: fc.Arbitrary<string | string[] | undefined> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  fc.constantFrom('', ' ', '\t', 'a', 'A', '0', 'null', '\u00e9t\u00e9', '\u00ff\u0080'),
  fc.uuid(),
  headerText(40),
  headerText(260),
  fc.integer({ min: 190, max: 8_000 }).map((n) => 'k'.repeat(n)),
  fc.array(fc.uuid(), { minLength: 2, maxLength: 3 }),
);

const contentType = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json;charset=UTF-8',
    'APPLICATION/JSON',
    'application/json; charset="utf-8"',
    'application/json; charset=latin1',
    'application/json; charset=iso-8859-1',
    'application/json; charset=utf-16',
    'application/json; charset=utf-16le',
    'application/json; charset=utf-16be',
    'application/json; charset=utf-32',
    'application/json; charset=utf-7',
    'application/json; charset=bogus',
    'application/json; charset=',
    'application/json; charset',
    'application/json;;',
    'application/json; charset=utf-8; charset=latin1',
    'application/json, text/plain',
    'application/vnd.api+json',
    'application/*',
    '*/*',
    'text/json',
    'text/plain',
    'text/plain; charset=utf-8',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/octet-stream',
    '',
  ),
  headerText(60),
);

const contentEncoding = fc.constantFrom(
  'gzip',
  'x-gzip',
  'deflate',
  'br',
  'identity',
  'GZIP',
  'compress',
  'gzip, identity',
  'gzip, gzip',
  '',
  'bogus',
);

const compress = (encoding: string, body: Buffer): Buffer => {
  const name = encoding.toLowerCase();
  if (name === 'gzip' || name === 'x-gzip') return gzipSync(body);
  if (name === 'deflate') return deflateSync(body);
  if (name === 'br') return brotliCompressSync(body);
  return body;
};

/** The order as JSON with the usual headers; an Idempotency-Key now and then. */
export const jsonRequest = (body: fc.Arbitrary<Buffer>): fc.Arbitrary<FuzzRequest> =>
  fc.record({ body, key: idempotencyKey }).map(({ body: bytes, key }) => ({
    headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { 'idempotency-key': key }) },
    body: bytes,
    chunked: false,
  }));

/** Header sets of every kind around a valid, mutated or raw body. */
export const headerSetRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    body: fc.oneof(
      { weight: 3, arbitrary: fc.constant(validOrder()).map((order) => Buffer.from(jsonText(order), 'utf8')) },
      { weight: 1, arbitrary: mutatedOrder.map((value) => Buffer.from(jsonText(value), 'utf8')) },
      { weight: 1, arbitrary: rawBody },
      { weight: 1, arbitrary: fc.constant(undefined) },
    ),
    type: fc.option(contentType, { nil: undefined }),
    extraTypes: fc.array(contentType, { maxLength: 2 }),
    encoding: fc.option(contentEncoding, { nil: undefined }),
    compressed: fc.boolean(),
    charsetEncoded: fc.constantFrom<BufferEncoding | undefined>(undefined, 'utf16le', 'latin1'),
    key: idempotencyKey,
    chunked: fc.boolean(),
  })
  .map(({ body, type, extraTypes, encoding, compressed, charsetEncoded, key, chunked }) => {
    let bytes = body;
    if (bytes && charsetEncoded) bytes = Buffer.from(bytes.toString('utf8'), charsetEncoded);
    if (bytes && encoding !== undefined && compressed) bytes = compress(encoding, bytes);
    const headers: Record<string, string | string[]> = {};
    if (type !== undefined) headers['content-type'] = extraTypes.length > 0 ? [type, ...extraTypes] : type;
    if (encoding !== undefined) headers['content-encoding'] = encoding;
    if (key !== undefined) headers['idempotency-key'] = key;
    return { headers, body: bytes, chunked };
  });

/** JSON text with everything outside printable ASCII as a \\u escape, so invisible characters show. */
const escaped = (value: unknown): string =>
  JSON.stringify(value).replace(/[^\x20-\x7e]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** What a counterexample prints: headers and the body as text (bytes that are not UTF-8 as latin1), cut short. */
function describeRequest(fuzz: FuzzRequest): string {
  const utf8 = fuzz.body?.toString('utf8');
  const text =
    fuzz.body && utf8 !== undefined && Buffer.from(utf8, 'utf8').equals(fuzz.body) ? utf8 : `(latin1) ${fuzz.body?.toString('latin1')}`;
  const body = fuzz.body === undefined ? '(none)' : escaped(text.length > 600 ? `${text.slice(0, 300)}…${text.slice(-300)}` : text);
  const headers = escaped(
    Object.fromEntries(
      Object.entries(fuzz.headers).map(([name, value]) => [
        name,
        typeof value === 'string' && value.length > 80 ? `${value.slice(0, 80)}…(${value.length})` : value,
      ]),
    ),
  );
  return `${headers} ${fuzz.chunked ? 'chunked' : 'content-length'} body(${fuzz.body?.length ?? 0} bytes)=${body}`;
}

/** Requests that print readably in a counterexample. */
export const printable = (requests: fc.Arbitrary<FuzzRequest>): fc.Arbitrary<FuzzRequest> =>
  requests.map((fuzz) => Object.assign(fuzz, { [fc.toStringMethod]: () => describeRequest(fuzz) }));
