import type { PoolClient, Queryable } from './client-types';

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

/** A column a deferred write sets: its name and its SQL type, the type of the array its values are sent in. */
export type Column = readonly [name: string, sqlType: string];

/** One table's rows, as one array per column, and the SQL that writes them with parameters numbered from a given one on. */
interface Write {
  values: unknown[][];
  sql(firstParameter: number): string;
}

/** Renders a write's statement, its parameters (one per column) numbered after `firstParameter`. */
type Render = (firstParameter: number) => string;

interface ScopeState extends TransactionScope {
  buffers: Map<string, RowBuffer>;
  /** Run once the transaction committed; dropped if it rolls back. */
  committed: Array<() => void>;
}

const scopes = new WeakMap<object, ScopeState>();

export function openScope(client: PoolClient): void {
  scopes.set(client, { memo: new Map(), buffers: new Map(), committed: [] });
}

/**
 * Runs `effect` once the transaction `db` is running has committed, and never if it rolls back:
 * for what must count only what happened, such as a metric of the transitions a transaction made
 * (a batch that rolls back and is handled again message by message must not count twice).
 * Outside a transaction run by `withTransaction` it runs at once.
 */
export function afterCommit(db: Queryable, effect: () => void): void {
  const scope = scopes.get(db);
  if (scope) scope.committed.push(effect);
  else effect();
}

/** After the COMMIT: the effects registered with afterCommit, in order; one that throws does not stop the others. */
export function runCommitted(client: PoolClient): void {
  const scope = scopes.get(client);
  if (!scope) return;
  for (const effect of scope.committed.splice(0)) {
    try {
      effect();
    } catch {
      // An after-commit effect (a measurement) must not turn a committed transaction into a failure.
    }
  }
}

/**
 * Takes the deferred writes out of the scope as the one statement that will run them: every
 * table's rows in one insert or update, and all of those in one statement (data-modifying WITH
 * clauses), so a transaction's deferred writes cost one round trip. Undefined when there are none.
 */
export function takeDeferred(client: PoolClient): DeferredStatement | undefined {
  const scope = scopes.get(client);
  if (!scope) return undefined;
  const writes = [...scope.buffers.values()].map((buffer) => buffer.take());
  scope.buffers.clear();
  return writes.length > 0 ? writes : undefined;
}

/** The deferred writes of a transaction, as `takeDeferred` plans them: one statement. */
export type DeferredStatement = readonly Write[];

/**
 * One statement for many writes: `WITH w0 AS (INSERT ...), w1 AS (UPDATE ...) INSERT ...`. Each
 * write sends an array per column, so the text depends on which tables are written, never on how
 * many rows: a connection prepares it once (decision 0012) however the batches vary in size.
 */
export async function runDeferred(client: PoolClient, writes: DeferredStatement | undefined): Promise<void> {
  if (!writes) return;
  const values: unknown[] = [];
  const parts = writes.map((write) => {
    const sql = write.sql(values.length);
    values.push(...write.values);
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

/**
 * Runs the writes deferred so far at once, for a statement that must see them: an UPDATE of a row
 * a handler earlier in the same batch inserted (the flush at the commit puts every write in one
 * statement, whose parts do not see each other's rows). Nothing to do outside a scope.
 */
export async function flushDeferred(db: Queryable): Promise<void> {
  if (scopes.has(db)) await runDeferred(db as PoolClient, takeDeferred(db as PoolClient));
}

/**
 * A map that lives as long as the transaction, under `name`: what a batch's prepare step found or
 * did, for the handlers that run after it in the same transaction. Undefined outside a
 * transaction run by `withTransaction`.
 */
export function transactionMemory<V>(db: Queryable, name: string): Map<string, V> | undefined {
  const memo = scopes.get(db)?.memo;
  if (!memo) return undefined;
  let values = memo.get(name) as Map<string, V> | undefined;
  if (!values) memo.set(name, (values = new Map()));
  return values;
}

/**
 * The rows of `table` this transaction holds locked, by key: what a batch's prepare step locked in
 * one statement (`null` for a key it found no row for), kept up to date by the handlers' deferred
 * writes, so the second message about a key in the batch sees what the first one did. Undefined
 * outside a transaction run by `withTransaction`.
 */
export function lockedRows<R>(db: Queryable, table: string): Map<string, R | null> | undefined {
  return transactionMemory<R | null>(db, `locked:${table}`);
}

/**
 * Inserts a row when the transaction commits, together with every other row deferred for the same
 * table. `columns` gives each column's SQL type (the rows leave as one array per column).
 */
export async function deferInsert(db: Queryable, table: string, columns: readonly Column[], row: readonly unknown[]): Promise<void> {
  const render: Render = (first) => `INSERT INTO ${table} (${namesOf(columns)}) SELECT * FROM ${unnestSql(columns, first)}`;
  await defer(db, `insert:${table}:${namesOf(columns)}`, render, columns.length, null, row);
}

/**
 * Updates a row, found by the first of `columns`, when the transaction commits: the columns are
 * set from the row's values (typed by the SQL types given), then `alsoSet`, where the row is `t` (e.g. `n = t.n + 1`,
 * `updated_at = now()`). Staging the same key twice keeps the last version.
 */
export async function deferUpdate(
  db: Queryable,
  table: string,
  columns: readonly Column[],
  alsoSet: string,
  row: readonly unknown[],
): Promise<void> {
  const [key, ...rest] = columns;
  if (!key) throw new Error(`${table}: no key column`);
  // The join alone lets a generic plan (the rows' count unknown) hash the arrays and scan the
  // table; the key's own condition makes it find the rows by its index, whatever the plan.
  const render: Render = (first) => {
    const set = [...rest.map(([name]) => `${name} = v.${name}`), ...(alsoSet ? [alsoSet] : [])].join(', ');
    return (
      `UPDATE ${table} AS t SET ${set} FROM ${unnestSql(columns, first)} AS v (${namesOf(columns)}) ` +
      `WHERE t.${key[0]} = v.${key[0]} AND t.${key[0]} = ANY($${first + 1}::${key[1]}[])`
    );
  };
  await defer(db, `update:${table}:${namesOf(columns)}`, render, columns.length, row[0], row);
}

/** Buffers the row in the transaction's scope, or writes it at once where there is none. */
async function defer(db: Queryable, key: string, render: Render, width: number, rowKey: unknown, row: readonly unknown[]): Promise<void> {
  if (row.length !== width) throw new Error(`${key}: ${row.length} values for ${width} columns`);
  // An array would become a second dimension of its column's array, which unnest flattens into rows.
  if (row.some((value) => Array.isArray(value))) throw new Error(`${key}: an array value (JSON.stringify it for a jsonb column)`);
  const scope = scopes.get(db);
  if (!scope) {
    await db.query(
      render(0),
      row.map((value) => [value]),
    );
    return;
  }
  let buffer = scope.buffers.get(key);
  if (!buffer) {
    buffer = new RowBuffer(render, width);
    scope.buffers.set(key, buffer);
  }
  buffer.add(rowKey, row);
}

class RowBuffer {
  private readonly rows = new Map<unknown, readonly unknown[]>();
  constructor(
    private readonly render: Render,
    private readonly width: number,
  ) {}

  add(key: unknown, row: readonly unknown[]): void {
    if (key === null)
      this.rows.set(Symbol(), row); // no key: every row stays
    else {
      this.rows.delete(key); // a re-staged row moves to the end, after what it may depend on
      this.rows.set(key, row);
    }
  }

  /** The buffered rows as one array per column, in the order they were staged; empties the buffer. */
  take(): Write {
    const values = Array.from({ length: this.width }, (): unknown[] => []);
    for (const row of this.rows.values()) row.forEach((value, column) => values[column]!.push(value));
    this.rows.clear();
    return { values, sql: this.render };
  }
}

const namesOf = (columns: readonly Column[]) => columns.map(([name]) => name).join(', ');

/** `unnest($1::uuid[], $2::text[])`: the rows, one array parameter per column, as a set of rows. */
function unnestSql(columns: readonly Column[], firstParameter: number): string {
  return `unnest(${columns.map(([, type], c) => `$${firstParameter + c + 1}::${type}[]`).join(', ')})`;
}
