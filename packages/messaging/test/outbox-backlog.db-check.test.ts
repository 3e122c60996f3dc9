import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createPool, dropDatabase, ensureDatabase, migrate, type Pool } from '@shop/db';
import { createLogger } from '@shop/logger';
import { Broker } from '../src/broker';
import { messagingMigrations } from '../src/migrations';
import { BACKLOG_SQL, Outbox } from '../src/outbox';
import { explain, planNodes, sequentialScansOf } from './query-plan';

/**
 * The outbox's backlog as the metrics read it, against a real PostgreSQL: counted while small,
 * estimated from the sequence numbers while large, and never by reading every waiting row. The
 * relay is not started (the broker is never connected), so the rows stay where they are put.
 */
describe('outbox backlog', () => {
  const server = process.env.POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const url = `${server.replace(/\/[^/]*$/, '')}/shop_test_backlog_${randomUUID().slice(0, 8)}`;
  const logger = createLogger({ service: 'outbox-backlog-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const broker = new Broker({ url: 'amqp://127.0.0.1:1/never-connected', logger, connectionName: 'outbox-backlog-test', prefetch: 1 });
  let pool: Pool;
  const outbox = (backlogCountedUpTo?: number) => new Outbox({ pool, broker, logger, backlogCountedUpTo });

  /** Writes `count` waiting rows, the first `ageSeconds` old, the others just now; returns their sequence numbers. */
  async function waiting(count: number, ageSeconds = 0): Promise<number[]> {
    const { rows } = await pool.query<{ seq: string }>(
      `INSERT INTO outbox (message_id, exchange, routing_key, message_type, correlation_id, mandatory, body, headers, created_at)
       SELECT gen_random_uuid(), 'shop.inventory', 'inventory.reserve-stock', 'inventory.reserve-stock', gen_random_uuid()::text, true, '{}', '{}',
              CASE WHEN n = 1 THEN now() - make_interval(secs => $2::int) ELSE now() END
         FROM generate_series(1, $1::int) AS n
       RETURNING seq`,
      [count, ageSeconds],
    );
    return rows.map((row) => Number(row.seq));
  }

  before(async () => {
    await ensureDatabase(url);
    pool = createPool(url, { max: 2 });
    await migrate(pool, messagingMigrations);
  });

  beforeEach(async () => {
    await pool.query('DELETE FROM outbox');
  });

  after(async () => {
    await pool?.end();
    await dropDatabase(url);
  });

  test('when the outbox is empty, then nothing waits and the oldest is 0 s old', async () => {
    assert.deepEqual(await outbox().backlog(), { pending: 0, oldestAgeSeconds: 0 });
  });

  test('when fewer rows wait than it counts, then each is counted exactly, whatever gaps the sequence has, and the oldest is the first row', async () => {
    const seqs = await waiting(4, 60);
    await pool.query('DELETE FROM outbox WHERE seq = $1', [seqs[2]]);
    const backlog = await outbox(5).backlog();
    assert.equal(backlog.pending, 3);
    assert.ok(backlog.oldestAgeSeconds >= 60 && backlog.oldestAgeSeconds < 70, `the oldest row's age: ${backlog.oldestAgeSeconds} s`);
  });

  test('when the sequence numbers of the waiting rows span more than it counts, then the span is the count: an upper bound', async () => {
    const seqs = await waiting(12);
    await pool.query('DELETE FROM outbox WHERE seq = ANY ($1)', [[seqs[4], seqs[7]]]);
    assert.equal((await outbox(5).backlog()).pending, 12, 'from the first to the last waiting row, the two taken out of turn included');
    assert.equal((await outbox(20).backlog()).pending, 10, 'counted one by one when their numbers span fewer than it counts');
  });

  test('when many rows wait, then reading the backlog reads no more of them than it counts', async () => {
    await waiting(3_000);
    await pool.query('ANALYZE outbox');
    const counted = 1_000;
    assert.equal((await outbox(counted).backlog()).pending, 3_000);
    const plan = await explain(pool, BACKLOG_SQL, [counted], ['ANALYZE']);
    const scans = planNodes(plan).filter((node) => node['Relation Name'] === 'outbox');
    assert.ok(scans.length >= 3, 'the statement reads the outbox for the count, the span and the oldest row');
    for (const scan of scans) {
      assert.ok((scan['Actual Rows'] ?? Infinity) <= counted, `a ${scan['Node Type']} returned ${scan['Actual Rows']} rows`);
    }
  });

  test('when the relay has drained a large backlog and no vacuum has run, then reading the backlog does not read the dead rows', async () => {
    await waiting(20_000);
    await pool.query('DELETE FROM outbox'); // what the relay's batches leave: dead rows until a vacuum
    await waiting(5);
    const { rows: size } = await pool.query<{ pages: string }>(
      `SELECT pg_relation_size('outbox') / current_setting('block_size')::int AS pages`,
    );
    const pages = Number(size[0]!.pages);
    assert.ok(pages > 200, `the outbox holds ${pages} pages of dead rows`);
    await outbox().backlog(); // the first read through the key marks its dead entries
    assert.equal((await outbox().backlog()).pending, 5);
    const plan = await explain(pool, BACKLOG_SQL, [10_000], ['ANALYZE', 'BUFFERS']);
    assert.deepEqual(sequentialScansOf(plan, 'outbox'), [], 'no part of it reads the table page by page');
    const buffers = (plan['Shared Hit Blocks'] ?? 0) + (plan['Shared Read Blocks'] ?? 0);
    assert.ok(buffers < pages / 4, `the read touched ${buffers} blocks; the table has ${pages} pages`);
  });
});
