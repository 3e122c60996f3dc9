import type { PoolClient, Queryable } from './pool';

/**
 * Writes a transaction saves for its end, so that many messages handled in one transaction cost
 * one multi-row statement per table instead of one statement per row. Each round trip to the
 * database is a context switch on both sides; on a small machine shared with the broker that,
 * not the SQL, is what limits throughput (docs/performance.md).
 *
 * Only transactions run by `withTransaction` have a scope; anywhere else a deferred write simply
 * happens at once, so code that calls these helpers works with any client.
 */
export interface TransactionScope {
  /** Per-transaction memory for repositories (rows already locked, staged changes). */
  readonly memo: Map<string, unknown>;
}

/** One multi-row insert's worth of rows. */
interface Insert {
  table: string;
  columns: readonly string[];
  suffix: string;
  values: unknown[];
}

interface Buffer {
  /** The buffered rows as inserts of at most MAX_PARAMETERS values each; empties the buffer. */
  take(): Insert[];
}

interface ScopeState extends TransactionScope {
  buffers: Map<string, Buffer>;
}

const scopes = new WeakMap<object, ScopeState>();

export function openScope(client: PoolClient): void {
  scopes.set(client, { memo: new Map(), buffers: new Map() });
}

/**
 * Runs the deferred writes, as few statements as possible: every table's rows in one multi-row
 * insert, and all the inserts in one statement (data-modifying WITH clauses), so a transaction's
 * deferred writes cost one round trip.
 */
export async function flushScope(client: PoolClient): Promise<void> {
  const scope = scopes.get(client);
  if (!scope) return;
  const inserts = [...scope.buffers.values()].flatMap((buffer) => buffer.take());
  scope.buffers.clear();
  let statement: Insert[] = [];
  let parameters = 0;
  for (const insert of inserts) {
    if (statement.length > 0 && parameters + insert.values.length > MAX_PARAMETERS) {
      await runTogether(client, statement);
      statement = [];
      parameters = 0;
    }
    statement.push(insert);
    parameters += insert.values.length;
  }
  if (statement.length > 0) await runTogether(client, statement);
}

/** One statement for many inserts: `WITH w0 AS (INSERT ...), w1 AS (INSERT ...) INSERT ...`. */
async function runTogether(client: PoolClient, inserts: Insert[]): Promise<void> {
  const values: unknown[] = [];
  const parts = inserts.map((insert) => {
    const sql = insertSql(insert.table, insert.columns, insert.values.length / insert.columns.length, insert.suffix, values.length);
    values.push(...insert.values);
    return sql;
  });
  const last = parts.pop()!;
  const sql = parts.length === 0 ? last : `WITH ${parts.map((part, i) => `w${i} AS (${part})`).join(', ')} ${last}`;
  await client.query(sql, values);
}

export function closeScope(client: PoolClient): void {
  scopes.delete(client);
}

/** The scope of the transaction `db` is running, if it is one run by `withTransaction`. */
export function scopeOf(db: Queryable): TransactionScope | undefined {
  return scopes.get(db);
}

/** Inserts a row when the transaction commits, together with every other row deferred for the same table. */
export async function deferInsert(db: Queryable, table: string, columns: readonly string[], row: readonly unknown[]): Promise<void> {
  const scope = scopes.get(db);
  if (!scope) {
    await db.query(insertSql(table, columns, 1, ''), [...row]);
    return;
  }
  const key = `insert:${table}:${columns.join(',')}`;
  let buffer = scope.buffers.get(key) as RowBuffer | undefined;
  if (!buffer) {
    buffer = new RowBuffer(table, columns, '');
    scope.buffers.set(key, buffer);
  }
  buffer.add(null, row);
}

/**
 * Inserts or updates a row (by `conflictColumn`) when the transaction commits; staging the same key
 * twice keeps the last version, since one statement may not touch a row twice.
 */
export async function deferUpsert(
  db: Queryable,
  table: string,
  columns: readonly string[],
  conflictColumn: string,
  updateSet: string,
  row: readonly unknown[],
): Promise<void> {
  const onConflict = ` ON CONFLICT (${conflictColumn}) DO UPDATE SET ${updateSet}`;
  const scope = scopes.get(db);
  if (!scope) {
    await db.query(insertSql(table, columns, 1, onConflict), [...row]);
    return;
  }
  const key = `upsert:${table}:${columns.join(',')}`;
  let buffer = scope.buffers.get(key) as RowBuffer | undefined;
  if (!buffer) {
    buffer = new RowBuffer(table, columns, onConflict);
    scope.buffers.set(key, buffer);
  }
  buffer.add(row[columns.indexOf(conflictColumn)], row);
}

/** Parameters per statement stay well under PostgreSQL's limit of 65,535. */
const MAX_PARAMETERS = 30_000;

class RowBuffer implements Buffer {
  private readonly rows = new Map<unknown, readonly unknown[]>();
  private anonymous = 0;

  constructor(
    private readonly table: string,
    private readonly columns: readonly string[],
    private readonly suffix: string,
  ) {}

  add(key: unknown, row: readonly unknown[]): void {
    if (row.length !== this.columns.length) throw new Error(`${this.table}: ${row.length} values for ${this.columns.length} columns`);
    if (key === null) this.rows.set(Symbol(String((this.anonymous += 1))), row);
    else {
      this.rows.delete(key); // a re-staged row moves to the end, after what it may depend on
      this.rows.set(key, row);
    }
  }

  take(): Insert[] {
    const all = [...this.rows.values()];
    this.rows.clear();
    const perInsert = Math.max(1, Math.floor(MAX_PARAMETERS / this.columns.length));
    const inserts: Insert[] = [];
    for (let start = 0; start < all.length; start += perInsert) {
      inserts.push({ table: this.table, columns: this.columns, suffix: this.suffix, values: all.slice(start, start + perInsert).flat() });
    }
    return inserts;
  }
}

function insertSql(table: string, columns: readonly string[], rowCount: number, suffix: string, firstParameter = 0): string {
  const tuples: string[] = [];
  for (let r = 0; r < rowCount; r += 1) {
    const base = firstParameter + r * columns.length;
    tuples.push(`(${columns.map((_, c) => `$${base + c + 1}`).join(', ')})`);
  }
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}${suffix}`;
}
