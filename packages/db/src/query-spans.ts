import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import type pg from 'pg';

const tracer = trace.getTracer('@shop/db');
const untraced = Symbol('untracedQuery');

type QueryFunction = (...args: unknown[]) => unknown;
type TracedClient = pg.ClientBase & { [untraced]?: QueryFunction };

/**
 * A CLIENT span per statement, made here instead of by @opentelemetry/instrumentation-pg (decision
 * 0011): only when the caller's span is being recorded, so a request or message that is not
 * sampled, and the relay's and watchers' polling outside any trace, pay one context lookup and
 * nothing else. Statements run with `untracedQuery` (BEGIN, COMMIT) never get a span.
 */
export function traceQueries(client: pg.ClientBase): void {
  const traced = client as TracedClient;
  if (traced[untraced]) return;
  const query = client.query.bind(client) as QueryFunction;
  traced[untraced] = query;
  const connection = client as unknown as { database?: string; host?: string; port?: number };
  (client as { query: QueryFunction }).query = (...args: unknown[]) => {
    const parent = trace.getSpan(context.active());
    if (!parent?.isRecording()) return query(...args);
    const text = queryText(args[0]);
    if (text === undefined) return query(...args); // a Submittable (cursor, stream): not ours to time
    const span = startQuerySpan(text, connection);
    const callbackAt = args.findIndex((arg) => typeof arg === 'function');
    if (callbackAt >= 0) {
      const callback = args[callbackAt] as (error: unknown, result: unknown) => void;
      args[callbackAt] = (error: unknown, result: unknown) => {
        endQuerySpan(span, error);
        callback(error, result);
      };
      return query(...args);
    }
    return (query(...args) as Promise<unknown>).then(
      (result) => {
        endQuerySpan(span, undefined);
        return result;
      },
      (error: unknown) => {
        endQuerySpan(span, error);
        throw error;
      },
    );
  };
}

/** Runs a statement without a span: BEGIN, COMMIT and ROLLBACK say nothing the statements between them do not. */
export function untracedQuery(client: pg.ClientBase, text: string): Promise<unknown> {
  const query = (client as TracedClient)[untraced];
  return (query ? query(text) : client.query(text)) as Promise<unknown>;
}

function queryText(first: unknown): string | undefined {
  if (typeof first === 'string') return first;
  if (first && typeof first === 'object' && typeof (first as { submit?: unknown }).submit !== 'function') {
    const text = (first as { text?: unknown }).text;
    return typeof text === 'string' ? text : undefined;
  }
  return undefined;
}

const firstWord = /^\s*([A-Za-z]+)/;
const firstWrite = /\b(INSERT|UPDATE|DELETE|SELECT)\b/i;
const target = /\b(?:from|into|update|join)\s+("?[A-Za-z_][\w.]*"?)/i;

function startQuerySpan(text: string, connection: { database?: string; host?: string; port?: number }): Span {
  // `WITH w0 AS (INSERT ...)`, as deferred writes are flushed, is named after what it does.
  let operation = firstWord.exec(text)?.[1]?.toUpperCase();
  if (operation === 'WITH') operation = firstWrite.exec(text)?.[1]?.toUpperCase() ?? operation;
  const collection = target.exec(text)?.[1]?.replaceAll('"', '');
  const attributes: Attributes = {
    'db.system.name': 'postgresql',
    'db.namespace': connection.database,
    'db.query.text': text,
    'db.operation.name': operation,
    'db.collection.name': collection,
    'server.address': connection.host,
    'server.port': connection.port,
  };
  const name = [operation, collection].filter(Boolean).join(' ') || 'postgresql';
  return tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes });
}

function endQuerySpan(span: Span, error: unknown): void {
  if (error !== undefined && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') span.setAttributes({ 'db.response.status_code': code, 'error.type': code });
    else span.setAttribute('error.type', error instanceof Error ? error.name : 'error');
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  }
  span.end();
}
