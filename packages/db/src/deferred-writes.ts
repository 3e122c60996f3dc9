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

interface Buffer {
  flush(tx: PoolClient): Promise<void>;
}

interface ScopeState extends TransactionScope {
  buffers: Map<string, Buffer>;
}

const scopes = new WeakMap<object, ScopeState>();

export function openScope(client: PoolClient): void {
  scopes.set(client, { memo: new Map(), buffers: new Map() });
}

/** Runs the deferred writes in the order their tables were first written to. */
export async function flushScope(client: PoolClient): Promise<void> {
  const scope = scopes.get(client);
  if (!scope) return;
  for (const buffer of scope.buffers.values()) await buffer.flush(client);
  scope.buffers.clear();
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

  async flush(tx: PoolClient): Promise<void> {
    const all = [...this.rows.values()];
    this.rows.clear();
    const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / this.columns.length));
    for (let start = 0; start < all.length; start += perStatement) {
      const rows = all.slice(start, start + perStatement);
      await tx.query(insertSql(this.table, this.columns, rows.length, this.suffix), rows.flat());
    }
  }
}

function insertSql(table: string, columns: readonly string[], rowCount: number, suffix: string): string {
  const tuples: string[] = [];
  for (let r = 0; r < rowCount; r += 1) {
    const base = r * columns.length;
    tuples.push(`(${columns.map((_, c) => `$${base + c + 1}`).join(', ')})`);
  }
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}${suffix}`;
}
