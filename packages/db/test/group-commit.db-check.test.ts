import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { context, createContextKey } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  createPool,
  deferInsert,
  dropDatabase,
  ensureDatabase,
  GroupCommit,
  withTransaction,
  type Pool,
  type PoolClient,
} from '../src/index';

/** Group commit against a real PostgreSQL, in a scratch database of the test's own. */
describe('group commit', () => {
  const server = process.env.POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const url = `${server.replace(/\/[^/]*$/, '')}/shop_test_group_${randomUUID().slice(0, 8)}`;
  let pool: Pool;
  const contextManager = new AsyncLocalStorageContextManager();

  before(async () => {
    context.setGlobalContextManager(contextManager.enable());
    await ensureDatabase(url);
    pool = createPool(url);
    await pool.query('CREATE TABLE item (id text PRIMARY KEY, note text NOT NULL)');
  });

  after(async () => {
    context.disable();
    await pool?.end();
    await dropDatabase(url);
  });

  const grouped = (maxSize: number, concurrency: number) =>
    new GroupCommit((work) => withTransaction(pool, work), { maxSize, concurrency });

  /** Inserts one row (one at once, one deferred to the commit) and says which transaction it ran in. */
  const insert = (id: string) => async (tx: PoolClient) => {
    await tx.query('INSERT INTO item (id, note) VALUES ($1, $2)', [id, 'now']);
    await deferInsert(
      tx,
      'item',
      [
        ['id', 'text'],
        ['note', 'text'],
      ],
      [`${id}-deferred`, 'at commit'],
    );
    const { rows } = await tx.query<{ txid: string }>('SELECT txid_current()::text AS txid');
    return rows[0]!.txid;
  };

  const stored = async (ids: string[]) => {
    const { rows } = await pool.query<{ id: string }>('SELECT id FROM item WHERE id = ANY($1::text[]) ORDER BY id', [
      ids.flatMap((id) => [id, `${id}-deferred`]),
    ]);
    return rows.map((row) => row.id);
  };

  test('when work arrives while the transaction is busy, then what waited shares the next transaction, and all of it commits', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `a-${String(i).padStart(2, '0')}-${randomUUID()}`);
    const txids = await Promise.all(ids.map((id) => grouped(50, 1).run(insert(id))));
    assert.equal(new Set(txids).size, 20, 'a GroupCommit of its own per call: nothing to group');

    const group = grouped(50, 1);
    const shared = await Promise.all(ids.map((id, i) => group.run(insert(`${id}-${i}`))));
    assert.equal(shared[0] === shared[1], false, 'the first started alone, at once');
    assert.equal(new Set(shared.slice(1)).size, 1, 'the 19 that waited shared one transaction');
    assert.equal((await stored(ids.map((id, i) => `${id}-${i}`))).length, 40);
  });

  test('when more work waits than a group takes, then it is split into groups of at most maxSize', async () => {
    const group = grouped(5, 1);
    const ids = Array.from({ length: 16 }, () => `b-${randomUUID()}`);
    const txids = await Promise.all(ids.map((id) => group.run(insert(id))));
    const sizes = [...txids.reduce((count, txid) => count.set(txid, (count.get(txid) ?? 0) + 1), new Map<string, number>()).values()];
    assert.deepEqual(sizes, [1, 5, 5, 5]);
  });

  test('when one piece of work in a group fails, then only its caller gets the error, and the others commit', async () => {
    const group = grouped(50, 1);
    const existing = `c-existing-${randomUUID()}`;
    await pool.query('INSERT INTO item (id, note) VALUES ($1, $2)', [existing, 'before']);
    const ids = Array.from({ length: 10 }, () => `c-${randomUUID()}`);
    const refused = new Error('refused by the work itself');
    const outcomes = await Promise.allSettled([
      group.run(insert(ids[0]!)), // alone, so the rest wait and form a group
      ...ids.slice(1, 5).map((id) => group.run(insert(id))),
      group.run(async (tx) => {
        await insert(ids[5]!)(tx);
        throw refused; // no statement failed: its rows must go all the same
      }),
      group.run(insert(existing)), // a duplicate key: a failed statement aborts the whole transaction
      ...ids.slice(6).map((id) => group.run(insert(id))),
    ]);
    assert.deepEqual(
      outcomes.map((outcome) => outcome.status),
      [
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'rejected',
        'rejected',
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'fulfilled',
      ],
    );
    assert.equal((outcomes[5] as PromiseRejectedResult).reason, refused);
    assert.match(String((outcomes[6] as PromiseRejectedResult).reason), /duplicate key/);
    const expected = ids
      .filter((_, i) => i !== 5)
      .flatMap((id) => [id, `${id}-deferred`])
      .sort();
    assert.deepEqual(await stored(ids), expected, 'everything but the refused work, once');
  });

  test('when work runs in a group, then it runs in the context of the call that brought it', async () => {
    const group = grouped(50, 1);
    const caller = createContextKey('caller');
    const seen = await Promise.all(
      ['first', 'second', 'third'].map((name) =>
        context.with(context.active().setValue(caller, name), () =>
          group.run(async (tx) => {
            await tx.query('SELECT 1');
            return context.active().getValue(caller);
          }),
        ),
      ),
    );
    assert.deepEqual(seen, ['first', 'second', 'third']);
  });
});
