import { context } from '@opentelemetry/api';
import pg from 'pg';
import type { Pool, PoolClient } from './client-types';
import { closeScope, openScope, runCommitted, runDeferred, takeDeferred } from './deferred-writes';
import { DEFAULT_PREPARED_STATEMENT_LIMITS, prepareRepeatedStatements, type PreparedStatementLimits } from './prepared-statements';
import { traceQueries, untracedQuery } from './query-spans';
import { beginOnFirstStatement, TransactionStart } from './transaction-start';

export type { Pool, PoolClient, Queryable } from './client-types';

// Postgres NUMERIC arrives as a string by default; the shop keeps money in integer cents, and
// BIGINT counts are safe as numbers at this scale.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export interface PoolOptions {
  max?: number;
  /** Fail a checkout instead of waiting forever when the database is gone. */
  connectionTimeoutMillis?: number;
  statementTimeoutMillis?: number;
  applicationName?: string;
  /** Which repeated statements run prepared; `{ max: 0 }` turns it off. */
  preparedStatements?: Partial<PreparedStatementLimits>;
}

export function createPool(url: string, options: PoolOptions = {}): Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
    statement_timeout: options.statementTimeoutMillis ?? 15_000,
    idleTimeoutMillis: 30_000,
    application_name: options.applicationName,
  });
  // An idle client losing its connection (database restart) must not crash the process; the pool
  // discards it and the next checkout reconnects.
  pool.on('error', () => undefined);
  const prepared = { ...DEFAULT_PREPARED_STATEMENT_LIMITS, ...options.preparedStatements };
  pool.on('connect', (client) => {
    prepareRepeatedStatements(client, prepared);
    traceQueries(client); // a span shows the statement as the caller wrote it, and not the BEGIN sent before it
    beginOnFirstStatement(client);
  });
  // pool.query hands its callback to connect(); when no client is idle, that callback runs when
  // another caller releases one, in that caller's context. Bound, a query's span has its own
  // caller as parent.
  const connect = pool.connect.bind(pool) as (callback?: (...args: unknown[]) => void) => unknown;
  (pool as { connect: unknown }).connect = (callback?: (...args: unknown[]) => void) =>
    callback ? connect(context.bind(context.active(), callback)) : connect();
  return pool;
}

/**
 * Runs `work` in one transaction: COMMIT when it resolves, ROLLBACK when it throws. Writes `work`
 * deferred (deferInsert, deferUpdate) go to the database just before the COMMIT.
 *
 * BEGIN is sent with the first statement `work` sends, not before. A transaction whose work sent
 * none sends its deferred writes (always one statement) alone, without BEGIN and COMMIT:
 * PostgreSQL runs a statement sent outside a transaction block as a transaction of its own, all of
 * it or nothing. One round trip instead of three, each of them a wake-up of this process and of a
 * database backend (docs/performance.md, "The synchronous path"). Work that throws before
 * sending anything costs no round trip at all.
 */
export async function withTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A checked-out client whose connection drops (database restart) emits 'error'; without a
  // listener that kills the process. The query in progress rejects anyway, which is what we act on.
  const onError = () => {
    broken = true;
  };
  client.on('error', onError);
  let broken = false;
  const start = new TransactionStart(client);
  try {
    if (!start.waits) await start.now();
    openScope(client);
    const result = await work(client);
    const deferred = takeDeferred(client);
    if (start.sent) {
      await start.now();
      await runDeferred(client, deferred);
      await untracedQuery(client, 'COMMIT');
    } else {
      start.settle();
      await runDeferred(client, deferred);
    }
    runCommitted(client);
    return result;
  } catch (error) {
    if (start.sent) {
      try {
        await untracedQuery(client, 'ROLLBACK');
      } catch {
        broken = true; // the connection itself is gone: do not return it to the pool
      }
    }
    throw error;
  } finally {
    start.settle();
    closeScope(client);
    client.off('error', onError);
    client.release(broken);
  }
}
