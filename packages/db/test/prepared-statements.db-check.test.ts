import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createPool, dropDatabase, ensureDatabase, withTransaction, type Pool, type PoolOptions } from '../src/index';

/** Repeated statements run as server-side prepared statements, against a real PostgreSQL. */
describe('prepared statements', () => {
  const server = process.env.POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const database = `shop_test_prepared_${randomUUID().slice(0, 8)}`;
  const url = `${server.replace(/\/[^/]*$/, '')}/${database}`;
  const pools: Pool[] = [];

  before(async () => {
    await ensureDatabase(url);
    const setup = createPool(url, { max: 1 });
    await setup.query('CREATE TABLE item (id text PRIMARY KEY, n int NOT NULL)');
    await setup.end();
  });

  after(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
    await dropDatabase(url);
  });

  /** One connection, so every statement and the catalogue query below share a session. */
  const onePool = (options: PoolOptions = {}): Pool => {
    const pool = createPool(url, { ...options, max: 1 });
    pools.push(pool);
    return pool;
  };
  const preparedTexts = async (pool: Pool): Promise<string[]> =>
    (await pool.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements ORDER BY prepare_time')).rows.map(
      (row) => row.statement,
    );

  test('when a statement with parameters runs a fifth time on a connection, then it is prepared, and each run gets its own values', async () => {
    const pool = onePool();
    const text = 'SELECT $1::int + $2::int AS sum';
    const sums: number[] = [];
    const run = async (i: number) => sums.push((await pool.query<{ sum: number }>(text, [i, i])).rows[0]?.sum ?? -1);
    for (let i = 1; i <= 4; i++) await run(i);
    assert.deepEqual(await preparedTexts(pool), [], 'a statement seen four times is not prepared');
    for (let i = 5; i <= 6; i++) await run(i);
    assert.deepEqual(sums, [2, 4, 6, 8, 10, 12]);
    assert.deepEqual(await preparedTexts(pool), [text]);
  });

  test('when statements have no parameters (BEGIN, COMMIT, DDL), then they are never prepared', async () => {
    const pool = onePool({ preparedStatements: { threshold: 2 } });
    for (let i = 0; i < 3; i++) {
      await withTransaction(pool, (tx) => tx.query('SELECT count(*) FROM item'));
    }
    assert.deepEqual(await preparedTexts(pool), []);
  });

  test('when a prepared statement fails, or its transaction rolls back, then the error is the statement error and the statement works afterwards', async () => {
    const pool = onePool({ preparedStatements: { threshold: 2 } });
    const insert = 'INSERT INTO item (id, n) VALUES ($1, $2)';
    const id = randomUUID();
    // A checked-out client: pool.query would discard the connection after an error, and with it its statements.
    const client = await pool.connect();
    try {
      await client.query(insert, [id, 1]);
      await assert.rejects(client.query(insert, [id, 2]), (error: { code?: string }) => error.code === '23505');
      await client.query(insert, [randomUUID(), 3]);
    } finally {
      client.release();
    }
    await assert.rejects(
      withTransaction(pool, async (tx) => {
        await tx.query(insert, [randomUUID(), 4]);
        throw new Error('roll back');
      }),
      /roll back/,
    );
    await pool.query(insert, [randomUUID(), 5]);
    assert.deepEqual(await preparedTexts(pool), [insert]);
    const { rows } = await pool.query<{ n: number }>('SELECT n FROM item ORDER BY n');
    assert.deepEqual(rows, [{ n: 1 }, { n: 3 }, { n: 5 }]);
  });

  test('when the connection holds its most statements, then further texts run unprepared and still answer', async () => {
    const pool = onePool({ preparedStatements: { threshold: 2, max: 2 } });
    const texts = ['SELECT $1::int AS v', 'SELECT $1::int + 1 AS v', 'SELECT $1::int + 2 AS v'];
    const answers: number[] = [];
    for (const text of texts) {
      for (let i = 0; i < 2; i++) answers.push((await pool.query<{ v: number }>(text, [i])).rows[0]?.v ?? -1);
    }
    assert.deepEqual(answers, [0, 1, 1, 2, 2, 3]);
    assert.deepEqual(await preparedTexts(pool), texts.slice(0, 2));
  });

  test('when preparing is turned off, then nothing is prepared', async () => {
    const pool = onePool({ preparedStatements: { max: 0 } });
    for (let i = 0; i < 3; i++) await pool.query('SELECT $1::int AS v', [i]);
    assert.deepEqual(await preparedTexts(pool), []);
  });
});
