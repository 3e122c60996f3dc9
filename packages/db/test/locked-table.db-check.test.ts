import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createPool, dropDatabase, ensureDatabase, lockedTable, withTransaction, type Pool } from '../src/index';

interface Item {
  sku: string;
  state: string;
  count: number;
}

/** A repository's locked table against a real PostgreSQL, in a scratch database of the test's own. */
describe('locked table', () => {
  const server = process.env.POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const url = `${server.replace(/\/[^/]*$/, '')}/shop_test_locked_${randomUUID().slice(0, 8)}`;
  let pool: Pool;
  const statements: { sql: string; values: unknown }[] = [];

  const items = lockedTable<Item, Item>({
    table: 'item',
    key: 'sku',
    keyType: 'text',
    keyOf: (item) => item.sku,
    fromRecord: (row) => ({ ...row }),
    inserted: {
      columns: [
        ['sku', 'text'],
        ['state', 'text'],
        ['count', 'integer'],
      ],
      values: (item) => [item.sku, item.state, item.count],
    },
    updated: {
      columns: [
        ['sku', 'text'],
        ['count', 'integer'],
      ],
      values: (item) => [item.sku, item.count],
    },
  });

  before(async () => {
    await ensureDatabase(url);
    // Records the statements each transaction sends, below the pool's own wrapper (statement spans).
    const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
    (pg.Client.prototype as unknown as { query: unknown }).query = function (this: pg.Client, ...args: unknown[]) {
      statements.push({ sql: typeof args[0] === 'string' ? args[0] : '(config)', values: args[1] });
      return query.apply(this, args);
    };
    pool = createPool(url);
    await pool.query('CREATE TABLE item (sku text PRIMARY KEY, state text NOT NULL, count int NOT NULL)');
  });

  after(async () => {
    await pool?.end();
    await dropDatabase(url);
  });

  const sku = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;
  const seed = async (...skus: string[]) => {
    for (const s of skus) await pool.query(`INSERT INTO item VALUES ($1, 'NEW', 1)`, [s]);
  };
  const verbs = () => statements.map((s) => s.sql.split(' ')[0]);

  test('when a batch locks its keys, then they are locked in one statement in key order and found later from memory without a query', async () => {
    const [a, b, c] = [sku('a'), sku('b'), sku('c')];
    await seed(a, c);
    statements.length = 0;
    await withTransaction(pool, async (tx) => {
      const found = await items.lockMany(tx, [c, b, a, c]);
      assert.deepEqual([...found.keys()].sort(), [a, c], 'only the rows that exist');
      const before = statements.length;
      assert.equal((await items.find(tx, c, { forUpdate: true }))?.state, 'NEW');
      assert.equal(await items.find(tx, b, { forUpdate: true }), undefined, 'locked, no row: known without asking');
      assert.equal(statements.length, before, 'no query for a locked key');
    });
    assert.deepEqual(verbs(), ['BEGIN', 'SELECT', 'COMMIT']);
    const lock = statements[1]!;
    assert.match(lock.sql, /ORDER BY sku FOR UPDATE$/);
    assert.deepEqual(lock.values, [[a, b, c]], 'each key once, sorted');
  });

  test('when a row is inserted in a transaction, then a later find sees it and it is written at the commit, with the other writes', async () => {
    const [a, b] = [sku('a'), sku('b')];
    await seed(a);
    statements.length = 0;
    await withTransaction(pool, async (tx) => {
      await items.lockMany(tx, [a, b]);
      await items.insert(tx, { sku: b, state: 'NEW', count: 5 });
      assert.equal((await pool.query('SELECT 1 FROM item WHERE sku = $1', [b])).rowCount, 0, 'not written yet');
      const found = await items.find(tx, b, { forUpdate: true });
      assert.deepEqual(found, { sku: b, state: 'NEW', count: 5 });
      const locked = (await items.lockMany(tx, [a])).get(a)!;
      locked.count += 1;
      await items.updateLater(tx, locked);
    });
    assert.deepEqual(verbs(), ['BEGIN', 'SELECT', 'SELECT', 'WITH', 'COMMIT'], 'lock, the check, then both writes in one statement');
    const { rows } = await pool.query('SELECT sku, count FROM item WHERE sku = ANY($1::text[]) ORDER BY sku', [[a, b]]);
    assert.deepEqual(rows, [
      { sku: a, count: 2 },
      { sku: b, count: 5 },
    ]);
  });

  test('when a row inserted earlier in the transaction is updated at once, then the update sees it and so does memory', async () => {
    const a = sku('a');
    await withTransaction(pool, async (tx) => {
      await items.lockMany(tx, [a]);
      await items.insert(tx, { sku: a, state: 'NEW', count: 1 });
      await items.updateNow(tx, a, `state = 'DONE'`, (item) => {
        item.state = 'DONE';
      });
      assert.equal((await items.find(tx, a))?.state, 'DONE');
    });
    assert.deepEqual((await pool.query('SELECT state FROM item WHERE sku = $1', [a])).rows, [{ state: 'DONE' }]);
  });

  test('when there is no transaction scope (a plain pool), then nothing is remembered and writes happen at once', async () => {
    const a = sku('a');
    await items.insert(pool, { sku: a, state: 'NOW', count: 1 });
    assert.equal((await items.find(pool, a))?.state, 'NOW');
    assert.equal((await items.lockMany(pool, [a])).get(a)?.count, 1);
  });
});
