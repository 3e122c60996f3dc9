import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createPool, dropDatabase, ensureDatabase, migrate, type Pool } from '@shop/db';
import { messagingMigrations } from '../src/migrations';
import { TAKE_BATCH_SQL } from '../src/outbox';
import { explain, planNodes, sequentialScansOf } from './query-plan';

/**
 * The relay's batch statement against a real PostgreSQL whose outbox has been through many
 * orders: every published row leaves a dead row until a vacuum, and without statistics (autovacuum
 * off, as on this project's machines) the planner guesses from the table's size alone.
 */
describe('outbox relay statement', () => {
  const server = process.env.POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const url = `${server.replace(/\/[^/]*$/, '')}/shop_test_relay_${randomUUID().slice(0, 8)}`;
  let pool: Pool;

  before(async () => {
    await ensureDatabase(url);
    pool = createPool(url, { max: 1 });
    await migrate(pool, messagingMigrations);
    const insert = `INSERT INTO outbox (message_id, exchange, routing_key, message_type, correlation_id, mandatory, body, headers)
      SELECT gen_random_uuid(), 'shop.inventory', 'inventory.reserve-stock', 'inventory.reserve-stock', gen_random_uuid()::text, true, repeat('x', 400), '{}'
        FROM generate_series(1, $1::int)`;
    await pool.query(insert, [5_000]);
    await pool.query('DELETE FROM outbox');
    await pool.query(insert, [10]);
  });

  after(async () => {
    await pool?.end();
    await dropDatabase(url);
  });

  test('when the outbox holds many dead rows, then a batch is found through the primary key, not by reading the whole table', async () => {
    const plan = await explain(pool, TAKE_BATCH_SQL, [500]);
    const scans = planNodes(plan).filter((node) => node['Relation Name'] === 'outbox' && node['Node Type'] !== 'ModifyTable');
    assert.ok(scans.length > 0, 'the plan reads the outbox');
    assert.deepEqual(
      sequentialScansOf(plan, 'outbox'),
      [],
      `every read of the outbox uses its index; the plan was ${JSON.stringify(plan)}`,
    );
  });

  test('when the batch runs, then it takes the oldest rows and leaves the rest', async () => {
    const { rows: all } = await pool.query<{ seq: number }>('SELECT seq FROM outbox ORDER BY seq');
    await pool.query('BEGIN');
    try {
      const { rows } = await pool.query<{ seq: number }>(TAKE_BATCH_SQL, [4]);
      assert.deepEqual(
        rows.map((row) => row.seq).sort((a, b) => a - b),
        all.slice(0, 4).map((row) => row.seq),
      );
      const { rows: left } = await pool.query<{ seq: number }>('SELECT seq FROM outbox ORDER BY seq');
      assert.deepEqual(left, all.slice(4));
    } finally {
      await pool.query('ROLLBACK');
    }
  });
});
