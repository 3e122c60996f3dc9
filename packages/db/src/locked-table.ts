import type { QueryResultRow } from 'pg';
import type { Queryable } from './client-types';
import { deferInsert, deferUpdate, flushDeferred, lockedRows, type Column } from './deferred-writes';

/** What a repository says about its table; everything else about locking and deferring is the same for all. */
export interface LockedTableOptions<Row, Record extends QueryResultRow> {
  table: string;
  /** The key column and its SQL type (`uuid`, `text`): rows are locked and found by it. */
  key: string;
  keyType: string;
  keyOf: (row: Row) => string;
  /** A row as the repository hands it out, from what `SELECT *` returned. */
  fromRecord: (record: Record) => Row;
  /** The columns a deferred insert writes, with their SQL types, and a row's values for them in that order. */
  inserted?: { columns: readonly Column[]; values: (row: Row) => readonly unknown[] };
  /**
   * The columns a deferred update writes, the key first, with their SQL types, a row's values for
   * them, and SQL the update also sets (e.g. `updated_at = now()`).
   */
  updated?: {
    columns: readonly Column[];
    values: (row: Row) => readonly unknown[];
    alsoSet?: string;
  };
}

/**
 * The rows of one table that a batch locks in one statement and then reads and writes from the
 * transaction's memory (decision 0008): `lockMany` in the batch's prepare step, `find` in the
 * handlers, deferred `insert` and `updateLater` so the batch's writes leave in one statement at
 * the commit, and `updateNow` for an UPDATE that must see a row inserted earlier in the batch.
 * Outside a transaction run by `withTransaction` nothing is remembered and every write is at once.
 */
export interface LockedTable<Row> {
  /**
   * Locks these keys' rows for the rest of the transaction, in one statement, in key order (every
   * transaction takes them in the same order, so two cannot deadlock). Returns the rows found.
   */
  lockMany: (tx: Queryable, keys: readonly string[]) => Promise<Map<string, Row>>;
  /** The row, from the transaction's memory when it holds it locked; else read (and locked, with forUpdate). */
  find: (db: Queryable, key: string, options?: { forUpdate?: boolean }) => Promise<Row | undefined>;
  /** Inserts the row at the commit; the rest of the transaction finds it at once. */
  insert: (db: Queryable, row: Row) => Promise<void>;
  /** Writes the row's `updated` columns at the commit (the last version staged wins); `row` is the locked one, changed. */
  updateLater: (db: Queryable, row: Row) => Promise<void>;
  /**
   * Updates the row at once (`set` is the SQL after SET, `$1` the key), after the writes deferred
   * so far, since the row may have been inserted earlier in the batch; `apply` makes the same
   * change to the row in memory.
   */
  updateNow: (db: Queryable, key: string, set: string, apply: (row: Row) => void) => Promise<void>;
}

export function lockedTable<Row, Record extends QueryResultRow>(options: LockedTableOptions<Row, Record>): LockedTable<Row> {
  const { table, key, keyType, keyOf, fromRecord, inserted, updated } = options;
  /** Rows this transaction holds locked, by key (null: locked, no row), as the batch's handlers left them. */
  const locked = (db: Queryable) => lockedRows<Row>(db, table);

  return {
    async lockMany(tx, keys) {
      const cache = locked(tx) ?? new Map<string, Row | null>();
      const wanted = [...new Set(keys)].filter((k) => !cache.has(k)).sort();
      if (wanted.length > 0) {
        const { rows } = await tx.query<Record>(`SELECT * FROM ${table} WHERE ${key} = ANY($1::${keyType}[]) ORDER BY ${key} FOR UPDATE`, [
          wanted,
        ]);
        for (const k of wanted) cache.set(k, null);
        for (const record of rows) {
          const row = fromRecord(record);
          cache.set(keyOf(row), row);
        }
      }
      const found = new Map<string, Row>();
      for (const k of keys) {
        const row = cache.get(k);
        if (row) found.set(k, row);
      }
      return found;
    },

    async find(db, k, { forUpdate = false } = {}) {
      const known = locked(db)?.get(k);
      if (known !== undefined) return known ?? undefined;
      const { rows } = await db.query<Record>(`SELECT * FROM ${table} WHERE ${key} = $1${forUpdate ? ' FOR UPDATE' : ''}`, [k]);
      const row = rows[0] && fromRecord(rows[0]);
      if (forUpdate) locked(db)?.set(k, row ?? null);
      return row;
    },

    async insert(db, row) {
      if (!inserted) throw new Error(`${table}: no inserted columns`);
      await deferInsert(db, table, inserted.columns, inserted.values(row));
      locked(db)?.set(keyOf(row), row);
    },

    async updateLater(db, row) {
      if (!updated) throw new Error(`${table}: no updated columns`);
      await deferUpdate(db, table, updated.columns, updated.alsoSet ?? '', updated.values(row));
      locked(db)?.set(keyOf(row), row);
    },

    async updateNow(db, k, set, apply) {
      await flushDeferred(db);
      await db.query(`UPDATE ${table} SET ${set} WHERE ${key} = $1`, [k]);
      const row = locked(db)?.get(k);
      if (row) apply(row);
    },
  };
}
