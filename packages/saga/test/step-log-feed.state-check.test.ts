import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createPool, ensureDatabase, migrate, type Pool } from '@shop/db';
import { createLogger } from '@shop/logger';
import { createTestInfrastructure, eventually, type TestInfrastructure } from '@shop/testing';
import { sagaMigrations, StepLogFeed, type LoggedStep } from '../src/index';

/** The live page's feed of the saga step log, against the real database. */
describe('step log feed', () => {
  let infra: TestInfrastructure;
  let pool: Pool;
  const logger = createLogger({ service: 'step-log-feed-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });

  before(async () => {
    infra = await createTestInfrastructure('step-log-feed');
    const url = infra.databaseUrl('step-log-feed');
    await ensureDatabase(url);
    pool = createPool(url);
    await migrate(pool, sagaMigrations);
  });

  after(async () => {
    await pool?.end();
    await infra?.cleanup();
  });

  async function newSaga(): Promise<string> {
    const id = randomUUID();
    await pool.query(`INSERT INTO saga_instances (id, saga_type, state, step_index, data) VALUES ($1, 'test', 'RUNNING', 0, '{}')`, [id]);
    return id;
  }

  const nothing = async () => undefined;

  const insertStep = (db: Pick<Pool, 'query'>, sagaId: string, step: string) =>
    db.query(`INSERT INTO saga_step_log (saga_id, step, action, outcome) VALUES ($1, $2, 'invoke', 'started')`, [sagaId, step]);

  test('when rows were committed before the first listener came, then it gets only the rows committed after', async () => {
    const saga = await newSaga();
    await insertStep(pool, saga, 'before');
    const feed = new StepLogFeed(pool, logger, { readAlongside: nothing, pollIntervalMs: 20 });
    const seen: LoggedStep[] = [];
    const stop = await feed.subscribe((steps) => seen.push(...steps));
    try {
      await insertStep(pool, saga, 'after');
      await eventually(() => seen.length > 0 || undefined, { timeoutMs: 5_000, what: 'the row committed after subscribing' });
      assert.deepEqual(
        seen.map((step) => [step.sagaId, step.step, step.action, step.outcome]),
        [[saga, 'after', 'invoke', 'started']],
      );
    } finally {
      stop();
    }
  });

  test('when a row with a lower id commits after a higher one was read, then it is still delivered, once', async () => {
    const saga = await newSaga();
    const feed = new StepLogFeed(pool, logger, { readAlongside: nothing, pollIntervalMs: 20 });
    const seen: LoggedStep[] = [];
    const stop = await feed.subscribe((steps) => seen.push(...steps));
    const slow = await pool.connect();
    try {
      // The slow transaction takes its id first and commits last.
      await slow.query('BEGIN');
      await insertStep(slow, saga, 'slow');
      await insertStep(pool, saga, 'fast');
      await eventually(() => seen.some((step) => step.step === 'fast') || undefined, { timeoutMs: 5_000, what: 'the fast row' });
      assert.equal(seen.length, 1, 'the slow row is not committed yet');
      await slow.query('COMMIT');
      await eventually(() => seen.some((step) => step.step === 'slow') || undefined, { timeoutMs: 5_000, what: 'the slow row' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(
        seen.map((step) => step.step),
        ['fast', 'slow'],
      );
      assert.ok(seen[1]!.id < seen[0]!.id, 'the late row has the lower id');
    } finally {
      slow.release();
      stop();
    }
  });

  test('when a client says where it was, then missed() gives the rows after it up to the feed position', async () => {
    const saga = await newSaga();
    const feed = new StepLogFeed(pool, logger, { readAlongside: nothing, pollIntervalMs: 20 });
    const seen: LoggedStep[] = [];
    const stop = await feed.subscribe((steps) => seen.push(...steps));
    try {
      await insertStep(pool, saga, 'one');
      await insertStep(pool, saga, 'two');
      await eventually(() => seen.length === 2 || undefined, { timeoutMs: 5_000, what: 'both rows' });
      const missed = await feed.missed(seen[0]!.id - 1, 100);
      assert.deepEqual(
        missed?.steps.map((step) => step.step),
        ['one', 'two'],
      );
      assert.equal(await feed.missed(seen[1]!.id, 100), undefined);
    } finally {
      stop();
    }
  });

  test('when a step row and a state change commit together while a batch is read, then the batch sees both or neither', async () => {
    const saga = await newSaga();
    const stateOf = async (db: Pick<Pool, 'query'>) =>
      (await db.query<{ state: string }>('SELECT state FROM saga_instances WHERE id = $1', [saga])).rows[0]!.state;
    let commitDuringRead = true;
    // The other writer commits its row and its state between the feed's read of the rows and its
    // read of the states: read in two snapshots, the batch would show COMPENSATED without the row.
    const feed = new StepLogFeed(pool, logger, {
      pollIntervalMs: 20,
      readAlongside: async (db, steps) => {
        if (commitDuringRead) {
          commitDuringRead = false;
          const writer = await pool.connect();
          try {
            await writer.query('BEGIN');
            await insertStep(writer, saga, 'compensation');
            await writer.query(`UPDATE saga_instances SET state = 'COMPENSATED' WHERE id = $1`, [saga]);
            await writer.query('COMMIT');
          } finally {
            writer.release();
          }
        }
        return { steps: steps.map((step) => step.step), state: await stateOf(db) };
      },
    });
    const batches: Array<{ steps: string[]; state: string }> = [];
    const stop = await feed.subscribe((_, alongside) => batches.push(alongside));
    try {
      await insertStep(pool, saga, 'first');
      await eventually(() => batches.some((batch) => batch.steps.includes('compensation')) || undefined, {
        timeoutMs: 5_000,
        what: 'the batch with the compensation row',
      });
      assert.deepEqual(batches, [
        { steps: ['first'], state: 'RUNNING' },
        { steps: ['compensation'], state: 'COMPENSATED' },
      ]);
    } finally {
      stop();
    }
  });
});
