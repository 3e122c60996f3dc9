import type { MessageContract } from '@shop/contracts';
import { createPool, ensureDatabase, migrate, type Pool } from '@shop/db';
import { createLogger } from '@shop/logger';
import { createTestInfrastructure, TestBrokerClient, type TestInfrastructure } from '@shop/testing';
import {
  Broker,
  checkExchanges,
  InboxConsumer,
  messagingMigrations,
  on,
  Outbox,
  UnitOfWork,
  type ConsumerOptions,
  type HandlerContext,
  type OutsideWork,
  type PrepareBatch,
} from '../src/index';

export interface ConsumerHarness {
  pool: Pool;
  broker: Broker;
  outbox: Outbox;
  /** Runs the consumer's transactions, and the tests' own that send. */
  unitOfWork: UnitOfWork;
  client: TestBrokerClient;
  /** How often the handler was called per order id. */
  calls: Map<string, number>;
  /** Called by the handler after it wrote its effect, so a test can make it fail. */
  behaviour: (orderId: string, call: number, context: HandlerContext<unknown>) => void | Promise<void>;
  close(): Promise<void>;
}

/**
 * One consumer on a queue of the test's own, against the real broker and a database of the test
 * run: its handler records an `effects` row per order id (with the id of its transaction) and
 * then does what the test's `behaviour` says.
 */
export async function startConsumerHarness(
  name: string,
  contract: MessageContract,
  options: Omit<ConsumerOptions, 'handlers'> & { prepare?: PrepareBatch; outside?: OutsideWork },
): Promise<ConsumerHarness> {
  const infra: TestInfrastructure = await createTestInfrastructure(name);
  const url = infra.databaseUrl(name);
  await ensureDatabase(url);
  const pool = createPool(url);
  await migrate(pool, [
    ...messagingMigrations,
    { id: '0001-effects', sql: 'CREATE TABLE effects (order_id uuid PRIMARY KEY, txid bigint NOT NULL DEFAULT txid_current())' },
  ]);
  const logger = createLogger({ service: `${name}-test`, level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const broker = new Broker({ url: infra.rabbitmqUrl, logger, connectionName: `${name}-test`, prefetch: 100, reconnectInitialDelayMs: 50 });
  broker.addTopology(checkExchanges);
  const outbox = new Outbox({ pool, broker, logger, pollIntervalMs: 200 });
  const unitOfWork = new UnitOfWork({ pool, outbox });
  const harness = { pool, broker, outbox, unitOfWork, calls: new Map<string, number>(), behaviour: () => undefined } as Omit<
    ConsumerHarness,
    'client' | 'close'
  >;
  new InboxConsumer(
    { broker, unitOfWork, outbox, logger },
    {
      ...options,
      handlers: [
        on(
          contract,
          async (context) => {
            const { orderId } = context.message.data as { orderId: string };
            const call = (harness.calls.get(orderId) ?? 0) + 1;
            harness.calls.set(orderId, call);
            await context.tx.query('INSERT INTO effects (order_id) VALUES ($1)', [orderId]);
            await harness.behaviour(orderId, call, context);
          },
          { prepare: options.prepare, outside: options.outside },
        ),
      ],
    },
  );
  broker.start();
  outbox.start();
  await broker.waitUntilConnected(10_000);
  const client = await TestBrokerClient.connect(infra.rabbitmqUrl);
  return Object.assign(harness, {
    client,
    async close() {
      await client.close();
      await outbox.stop();
      await broker.close();
      await pool.end();
      await infra.cleanup();
    },
  });
}
