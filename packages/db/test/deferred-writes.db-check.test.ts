import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createPool, deferInsert, deferUpdate, dropDatabase, ensureDatabase, withTransaction, type Pool } from '../src/index';

/** Deferred writes against a real PostgreSQL, in a scratch database of the test's own. */
describe('deferred writes', () => {
  const server = process.env.POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const url = `${server.replace(/\/[^/]*$/, '')}/shop_test_deferred_${randomUUID().slice(0, 8)}`;
  let pool: Pool;
  const statements: string[] = [];

  before(async () => {
    await ensureDatabase(url);
    // Counts the statements each transaction sends, to see the writes leave together: below the
    // pool's own wrapper (statement spans), which BEGIN and COMMIT bypass.
    const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
    (pg.Client.prototype as unknown as { query: unknown }).query = function (this: pg.Client, ...args: unknown[]) {
      statements.push(typeof args[0] === 'string' ? args[0] : '(config)');
      return query.apply(this, args);
    };
    pool = createPool(url);
    await pool.query(`
      CREATE TABLE parent (id uuid PRIMARY KEY, state text NOT NULL, version int NOT NULL);
      CREATE TABLE child (seq bigserial PRIMARY KEY, parent_id uuid NOT NULL REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED, note text NOT NULL);
    `);
  });

  after(async () => {
    await pool?.end();
    await dropDatabase(url);
  });

  const PARENT = [
    ['id', 'uuid'],
    ['state', 'text'],
    ['version', 'integer'],
  ] as const;
  const CHILD = [
    ['parent_id', 'uuid'],
    ['note', 'text'],
  ] as const;
  const insertParent = (db: Parameters<typeof deferInsert>[0], id: string, state: string, version: number) =>
    deferInsert(db, 'parent', PARENT, [id, state, version]);

  test('when a transaction defers writes to several tables, then they reach the database in one statement before the commit, in the order written', async () => {
    const id = randomUUID();
    statements.length = 0;
    await withTransaction(pool, async (tx) => {
      await deferInsert(tx, 'child', CHILD, [id, 'first']);
      await insertParent(tx, id, 'DONE', 2); // after a child that refers to it: the reference is checked at the commit
      await deferInsert(tx, 'child', CHILD, [id, 'second']);
      const { rows } = await tx.query('SELECT 1 FROM parent WHERE id = $1', [id]);
      assert.equal(rows.length, 0, 'nothing written before the commit');
    });
    assert.deepEqual(
      statements.map((s) => s.split(' ')[0]),
      ['BEGIN', 'SELECT', 'WITH', 'COMMIT'],
    );
    const parent = await pool.query('SELECT state, version FROM parent WHERE id = $1', [id]);
    assert.deepEqual(parent.rows, [{ state: 'DONE', version: 2 }]);
    const children = await pool.query('SELECT note FROM child WHERE parent_id = $1 ORDER BY seq', [id]);
    assert.deepEqual(
      children.rows.map((r) => r.note),
      ['first', 'second'],
    );
  });

  test('when the transaction fails, then none of its deferred writes happen', async () => {
    const id = randomUUID();
    statements.length = 0;
    await assert.rejects(
      withTransaction(pool, async (tx) => {
        await insertParent(tx, id, 'NEW', 1);
        throw new Error('rule broken');
      }),
      /rule broken/,
    );
    assert.deepEqual(statements, [], 'work that failed before sending a statement cost no round trip, not even BEGIN');
    // The deferred writes that broke a constraint make their one statement fail as a whole.
    await assert.rejects(
      withTransaction(pool, async (tx) => {
        await insertParent(tx, id, 'NEW', 1);
        await deferInsert(tx, 'child', CHILD, [randomUUID(), 'orphan']);
      }),
      /foreign key/,
    );
    assert.equal((await pool.query('SELECT 1 FROM parent WHERE id = $1', [id])).rowCount, 0);
  });

  test('when a transaction sends no statement of its own and its deferred writes fit in one, then that statement goes alone, without BEGIN and COMMIT', async () => {
    const id = randomUUID();
    statements.length = 0;
    const returned = await withTransaction(pool, async (tx) => {
      await insertParent(tx, id, 'PLACED', 1);
      await deferInsert(tx, 'child', CHILD, [id, 'only']);
      return 'placed';
    });
    assert.equal(returned, 'placed');
    assert.deepEqual(
      statements.map((s) => s.split(' ')[0]),
      ['WITH'],
    );
    assert.equal((await pool.query('SELECT 1 FROM child WHERE parent_id = $1', [id])).rowCount, 1);
  });

  test('when a transaction defers many rows, then they leave in one statement whose text does not depend on how many there are', async () => {
    const write = async (rows: number) => {
      const id = randomUUID();
      statements.length = 0;
      await withTransaction(pool, async (tx) => {
        await insertParent(tx, id, 'NEW', 1);
        for (let i = 0; i < rows; i += 1) await deferInsert(tx, 'child', CHILD, [id, `n${i}`]);
      });
      const sent = [...statements];
      const { rows: counted } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM child WHERE parent_id = $1', [id]);
      assert.equal(counted[0]?.n, rows);
      return sent;
    };
    const many = await write(100_000); // more values than PostgreSQL allows parameters (65,535)
    assert.equal(many.length, 1, 'one statement, sent alone');
    assert.deepEqual(await write(3), many, 'the same text for 3 rows as for 100,000: a connection prepares it once');
  });

  test('when the work sent a statement and the deferred writes fail, then the work is rolled back with them', async () => {
    const id = randomUUID();
    await assert.rejects(
      withTransaction(pool, async (tx) => {
        await tx.query('INSERT INTO parent (id, state, version) VALUES ($1, $2, $3)', [id, 'NOW', 1]);
        await deferInsert(tx, 'child', CHILD, [id, 'kept?']);
        await deferInsert(tx, 'child', CHILD, [randomUUID(), 'orphan']);
      }),
      /foreign key/,
    );
    assert.equal((await pool.query('SELECT 1 FROM parent WHERE id = $1', [id])).rowCount, 0);
    assert.equal((await pool.query('SELECT 1 FROM child WHERE parent_id = $1', [id])).rowCount, 0);
  });

  test('when values need quoting inside an array (quotes, commas, braces, backslashes, NULL as text, JSON), then they arrive as given', async () => {
    const id = randomUUID();
    const notes = ['a "quoted", {braced} note', 'back\\slash', 'NULL', '', 'ünïcødé ✓', '{"json": [1, 2]}'];
    await withTransaction(pool, async (tx) => {
      await insertParent(tx, id, 'NEW', 1);
      for (const note of notes) await deferInsert(tx, 'child', CHILD, [id, note]);
    });
    const { rows } = await pool.query<{ note: string }>('SELECT note FROM child WHERE parent_id = $1 ORDER BY seq', [id]);
    assert.deepEqual(
      rows.map((r) => r.note),
      notes,
    );
  });

  test('when rows are updated at the commit, then each gets its last staged values and the rest of its row is kept', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await withTransaction(pool, async (tx) => {
      await insertParent(tx, a, 'NEW', 1);
      await insertParent(tx, b, 'NEW', 1);
    });
    const finish = (db: Parameters<typeof deferUpdate>[0], id: string, state: string) =>
      deferUpdate(
        db,
        'parent',
        [
          ['id', 'uuid'],
          ['state', 'text'],
        ],
        'version = t.version + 1',
        [id, state],
      );
    statements.length = 0;
    await withTransaction(pool, async (tx) => {
      await finish(tx, a, 'HALF');
      await finish(tx, b, 'DONE');
      await finish(tx, a, 'DONE'); // staged twice: the last wins, and the row is updated once
    });
    assert.deepEqual(
      statements.map((s) => s.split(' ')[0]),
      ['UPDATE'],
      'one statement, sent alone: a transaction of its own',
    );
    const { rows } = await pool.query('SELECT id, state, version FROM parent WHERE id = ANY($1::uuid[]) ORDER BY state', [[a, b]]);
    assert.deepEqual(
      rows.map((r) => [r.state, r.version]),
      [
        ['DONE', 2],
        ['DONE', 2],
      ],
    );
  });

  test('when a value is a JavaScript array, then the write is refused before anything is sent', async () => {
    statements.length = 0;
    await assert.rejects(
      withTransaction(pool, async (tx) => {
        await deferInsert(tx, 'child', CHILD, [randomUUID(), ['a', 'b']]);
      }),
      /an array value/,
    );
    assert.deepEqual(statements, []);
  });

  test('when a deferred update runs with a generic plan (its rows unknown), then it finds the rows by their key, not by scanning the table', async () => {
    const id = randomUUID();
    await insertParent(pool, id, 'NEW', 1);
    statements.length = 0;
    await withTransaction(pool, async (tx) => {
      await deferUpdate(
        tx,
        'parent',
        [
          ['id', 'uuid'],
          ['state', 'text'],
        ],
        '',
        [id, 'DONE'],
      );
    });
    const update = statements.find((s) => s.startsWith('UPDATE'));
    assert.ok(update, statements.join('; '));
    const client = await pool.connect();
    try {
      await client.query('SET plan_cache_mode = force_generic_plan');
      await client.query(`PREPARE generic AS ${update}`);
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE generic('{${id}}', '{DONE}')`);
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      assert.doesNotMatch(plan, /Seq Scan on parent/, plan);
      assert.match(plan, /Index Cond: \(id = ANY/, plan);
    } finally {
      await client.query('DEALLOCATE generic; RESET plan_cache_mode');
      client.release();
    }
  });

  test('when there is no transaction scope (a plain pool or client), then a deferred write happens at once', async () => {
    const id = randomUUID();
    await insertParent(pool, id, 'NOW', 1);
    assert.equal((await pool.query('SELECT 1 FROM parent WHERE id = $1', [id])).rowCount, 1);
  });
});
