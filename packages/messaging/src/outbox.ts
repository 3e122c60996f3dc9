import { setTimeout as sleep } from 'node:timers/promises';
import type { MessageContract, PayloadOf } from '@shop/contracts';
import { deferInsert, scopeOf, withTransaction, type Column, type Pool, type PoolClient, type Queryable } from '@shop/db';
import type { Logger } from '@shop/logger';
import type { Broker } from './broker';
import { createEnvelope, type Envelope, type MessageMeta } from './envelope';
import type { OutgoingMessage } from './publish-with-confirms';
import { observeOutboxBacklog } from './metrics';
import { traceProducedMessage } from './telemetry';

export interface OutboxOptions {
  pool: Pool;
  broker: Broker;
  logger: Logger;
  /** Rows published per broker round trip; larger batches amortise confirms and commits. */
  batchSize?: number;
  /** How often the relay looks without being woken (rows left by a crash, a failed publish). */
  pollIntervalMs?: number;
  /** Up to what span of waiting sequence numbers the backlog is counted one by one; above it, the span (see `backlog`). */
  backlogCountedUpTo?: number;
}

/** The rows waiting in the outbox, and the age of the oldest in seconds (0 when none). */
export interface OutboxBacklog {
  pending: number;
  oldestAgeSeconds: number;
}

/**
 * The backlog's reading, through the primary key only: the first and last waiting sequence
 * numbers, the rows counted between the first and $1 numbers after it, and the age of the row
 * the relay takes next. A count(*) of the whole table, read at every scrape, took 29 ms at 100,000
 * waiting rows and 400-550 ms at 1,000,000 (a broker outage of hours), every second under `npm run
 * stack`. The count is bounded by the key's range, not by a LIMIT: a LIMIT without statistics
 * (autovacuum off) may be planned as a scan of the table's pages, and once the relay has drained
 * such a backlog those are dead rows until a vacuum, 240 ms of them after 1,000,000. A range whose
 * bounds come from the statement itself is planned on the key whatever the statistics say.
 */
export const BACKLOG_SQL = `SELECT (SELECT count(*) FROM outbox WHERE seq >= bounds.low AND seq < bounds.low + $1)::int AS counted,
  (bounds.high - bounds.low + 1)::float8 AS span,
  COALESCE(EXTRACT(EPOCH FROM now() - (SELECT created_at FROM outbox WHERE seq = bounds.low)), 0)::float8 AS age
  FROM (SELECT min(seq) AS low, max(seq) AS high FROM outbox) AS bounds`;

/** What a listener learns of each message the broker confirmed. */
export interface PublishedMessage {
  messageId: string;
  correlationId: string;
}

export type PublishedListener = (tx: PoolClient, published: PublishedMessage[]) => Promise<void>;

/** Marks, in a transaction's memory, that it enqueued a message. */
const ENQUEUED = 'outbox:enqueued';

const OUTBOX_COLUMNS: readonly Column[] = [
  ['message_id', 'uuid'],
  ['exchange', 'text'],
  ['routing_key', 'text'],
  ['message_type', 'text'],
  ['correlation_id', 'text'],
  ['mandatory', 'boolean'],
  ['body', 'text'],
  ['headers', 'jsonb'],
];

/**
 * The relay's batch: the oldest rows, locked and deleted in one statement. The keys are collected
 * into an array first (an InitPlan), so the delete finds its rows through the primary key. Written
 * as `seq IN (SELECT ...)` it was planned as a hash join over a scan of the whole table, dead rows
 * included: where statistics are missing (autovacuum off) every relay batch read every page the
 * outbox had ever used, 231 pages after 1,600 orders and growing (docs/performance.md, item 13).
 */
export const TAKE_BATCH_SQL = `DELETE FROM outbox WHERE seq = ANY (ARRAY (SELECT seq FROM outbox ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED))
  RETURNING seq, message_id, exchange, routing_key, message_type, correlation_id, mandatory, body, headers, created_at`;

interface OutboxRow {
  seq: number;
  message_id: string;
  exchange: string;
  routing_key: string;
  message_type: string;
  correlation_id: string;
  mandatory: boolean;
  body: string;
  headers: Record<string, unknown>;
  created_at: Date;
}

/**
 * Transactional outbox. `enqueue` writes a message in the caller's transaction, so it exists if
 * and only if the state change that caused it committed; the relay publishes it with publisher
 * confirms and deletes the row only after the broker confirmed it (at-least-once; consumers
 * deduplicate through their inbox). Transactions are run by a UnitOfWork, whose commit wakes the
 * relay when they enqueued.
 */
export class Outbox {
  private wakeUp?: () => void;
  private readonly publishedListeners: Array<PublishedListener> = [];
  private pendingWake = false;
  private running = false;
  private relay?: Promise<void>;
  private stopObserving?: () => void;
  private backlogReading?: OutboxBacklog;
  private readingBacklog = false;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly backlogCountedUpTo: number;

  constructor(private readonly options: OutboxOptions) {
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.backlogCountedUpTo = options.backlogCountedUpTo ?? 10_000;
    // What piled up while the broker was away leaves as soon as it is back.
    options.broker.onConnected(() => this.wake());
  }

  /**
   * Writes a message to the outbox inside `tx` (at its commit, when `tx` is run by withTransaction).
   * The producer span is made here, in the caller's context. The relay is woken when a transaction
   * run by a UnitOfWork commits; whoever commits `tx` any other way calls `wake` afterwards.
   */
  async enqueue<C extends MessageContract>(
    tx: Queryable,
    contract: C,
    data: PayloadOf<C>,
    meta: MessageMeta,
  ): Promise<Envelope<PayloadOf<C>>> {
    const envelope = createEnvelope(contract, data, meta);
    const headers = traceProducedMessage(envelope, contract.exchange, contract.routingKey);
    scopeOf(tx)?.memo.set(ENQUEUED, true);
    // Deferred: many messages handled in one transaction leave in one multi-row insert.
    await deferInsert(tx, 'outbox', OUTBOX_COLUMNS, [
      envelope.id,
      contract.exchange,
      contract.routingKey,
      envelope.type,
      envelope.correlationId,
      // A command or reply nobody can receive yet (its queue not declared) must wait in the
      // outbox, not vanish; an event with no subscriber is fine to drop.
      contract.kind !== 'event',
      JSON.stringify(envelope),
      headers,
    ]);
    return envelope;
  }

  /**
   * Called with the ids of each batch the broker confirmed, in the transaction that deletes their
   * rows, e.g. so a saga's deadline runs from when its command left rather than when it was
   * written, atomically with the row's removal.
   */
  onPublished(listener: PublishedListener): void {
    this.publishedListeners.push(listener);
  }

  /**
   * Whether the transaction `tx` is running enqueued a message, for its runner to wake the relay
   * after the commit. Known only in a transaction run by withTransaction; false elsewhere.
   */
  enqueuedIn(tx: Queryable): boolean {
    return scopeOf(tx)?.memo.has(ENQUEUED) ?? false;
  }

  /** Tells the relay there may be new rows (after a commit). */
  wake(): void {
    this.pendingWake = true;
    this.wakeUp?.();
  }

  /** Starts the relay, and reports the backlog (`shop.outbox.pending`, `shop.outbox.oldest_age`) at each metrics collection. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.relay = this.relayLoop();
    // Each collection reports the reading the previous one started: read only while someone scrapes.
    this.stopObserving = observeOutboxBacklog(() => {
      void this.readBacklog();
      return this.backlogReading;
    });
  }

  /** Stops after publishing what is already committed (bounded by the caller's shutdown timer). */
  async stop(): Promise<void> {
    this.stopObserving?.();
    this.running = false;
    this.wakeUp?.();
    await this.relay;
  }

  /** The rows waiting, each counted: a scan of the whole table, for tests and tools; the metrics read `backlog`. */
  async pendingCount(): Promise<number> {
    const { rows } = await this.options.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox');
    return rows[0]?.n ?? 0;
  }

  /**
   * The rows waiting and the age of the oldest, at a cost that does not grow with the backlog.
   * While their sequence numbers span up to `backlogCountedUpTo` (10,000), the rows are counted;
   * above that, the count is the span. The relay takes rows in that order, so the span has gaps
   * only for the numbers of transactions that rolled back or have not committed yet, and for rows
   * a replica's relay took out of turn: an upper bound, close enough to tell an outage's size. The
   * oldest is the row the relay takes next.
   */
  async backlog(): Promise<OutboxBacklog> {
    const { rows } = await this.options.pool.query<{ counted: number; span: number | null; age: number }>(BACKLOG_SQL, [
      this.backlogCountedUpTo,
    ]);
    const { counted = 0, span = 0, age = 0 } = rows[0] ?? {};
    return {
      pending: span === null || span <= this.backlogCountedUpTo ? counted : span,
      oldestAgeSeconds: Math.max(0, age),
    };
  }

  /**
   * The backlog read into memory for the metrics: a stuck relay shows as a growing age. One read
   * at a time; a failed one leaves no reading, so the series goes stale rather than lie.
   */
  private async readBacklog(): Promise<void> {
    if (this.readingBacklog) return;
    this.readingBacklog = true;
    try {
      this.backlogReading = await this.backlog();
    } catch {
      this.backlogReading = undefined; // the database is away
    } finally {
      this.readingBacklog = false;
    }
  }

  private async relayLoop(): Promise<void> {
    let failures = 0;
    for (;;) {
      const stopping = !this.running;
      this.pendingWake = false;
      if (!this.options.broker.isConnected) {
        // Not a failure: /readyz reports the outage, and the reconnection wakes the relay.
        if (stopping) return;
        await this.waitForWake();
        continue;
      }
      try {
        let published: number;
        do {
          published = await this.publishBatch();
        } while (published === this.batchSize);
        failures = 0;
      } catch (error) {
        failures += 1;
        if (failures === 1 || failures % 20 === 0) {
          this.options.logger.warn({ err: error, failures }, 'outbox relay could not publish; will retry');
        }
        if (stopping) return; // shutting down with the broker gone: rows stay for the next start
        await sleep(Math.min(5_000, 100 * 2 ** Math.min(failures, 6)));
        continue;
      }
      if (stopping) return;
      if (!this.pendingWake) await this.waitForWake();
    }
  }

  private waitForWake(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.pollIntervalMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        done();
      };
    });
  }

  /** Publishes one batch in seq order and deletes it; returns how many rows it published. */
  private async publishBatch(): Promise<number> {
    const { broker, pool } = this.options;
    if (!broker.isConnected) throw new Error('not connected to RabbitMQ');
    return withTransaction(pool, async (tx) => {
      // Taken out and locked in one statement; the transaction stays open until the broker has
      // confirmed, so a failed publish rolls the delete back. SKIP LOCKED lets several replicas
      // relay the same outbox without publishing a row twice.
      const { rows } = await tx.query<OutboxRow>(TAKE_BATCH_SQL, [this.batchSize]);
      if (rows.length === 0) return 0;
      rows.sort((a, b) => a.seq - b.seq);
      const messages: OutgoingMessage[] = rows.map((row) => ({
        exchange: row.exchange,
        routingKey: row.routing_key,
        body: Buffer.from(row.body),
        messageId: row.message_id,
        type: row.message_type,
        correlationId: row.correlation_id,
        headers: row.headers,
        mandatory: row.mandatory,
      }));
      const unroutable = await broker.publish(messages);
      const sent = rows.filter((row) => !unroutable.has(row.message_id));
      if (unroutable.size > 0) {
        const kept = rows.filter((row) => unroutable.has(row.message_id));
        this.options.logger.warn(
          { count: kept.length, routingKeys: [...new Set(kept.map((row) => row.routing_key))] },
          'no queue bound for these messages yet; they stay in the outbox',
        );
        // Put back as they were, same seq, so they keep their place in the order.
        for (const row of kept) {
          await deferInsert(
            tx,
            'outbox',
            [['seq', 'bigint'], ...OUTBOX_COLUMNS, ['created_at', 'timestamptz']],
            [
              row.seq,
              row.message_id,
              row.exchange,
              row.routing_key,
              row.message_type,
              row.correlation_id,
              row.mandatory,
              row.body,
              row.headers,
              row.created_at,
            ],
          );
        }
      }
      if (sent.length > 0) {
        const published = sent.map((row) => ({ messageId: row.message_id, correlationId: row.correlation_id }));
        for (const listener of this.publishedListeners) await listener(tx, published);
      }
      // A batch with unroutable rows counts as short, so the relay waits before trying them again.
      return unroutable.size > 0 ? 0 : rows.length;
    });
  }
}
