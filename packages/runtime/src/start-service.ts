import { redactUrl, type BaseServiceConfig } from '@shop/config';
import { createPool, ensureDatabase, migrate, type Migration, type Pool } from '@shop/db';
import { createApp, listen, type Express } from '@shop/http';
import { createLogger, type Logger } from '@shop/logger';
import { shutdownTelemetry } from '@shop/telemetry';
import {
  Broker,
  checkExchanges,
  InboxConsumer,
  messagingMigrations,
  Outbox,
  UnitOfWork,
  type ConsumerOptions,
  type FaultSettings,
} from '@shop/messaging';

/**
 * A database that is restarting or full of connections at start-up is waited for (60 s, with
 * backoff) rather than being a reason to exit: a service restarted during an incident should not
 * need a second restart.
 */
async function untilDatabaseAnswers<T>(logger: Logger, work: () => Promise<T>, giveUpAfterMs = 60_000): Promise<T> {
  const deadline = Date.now() + giveUpAfterMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (!isTransient(error) || Date.now() > deadline) throw error;
      logger.warn({ err: error, attempt }, 'database not usable yet; retrying');
      await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 200 * 2 ** attempt)));
    }
  }
}

// Connection refused or reset, starting up or shutting down (57P01, 57P03), too many clients
// (53300): worth waiting for. A wrong password or database name is not.
const TRANSIENT = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P03', '53300']);
function isTransient(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return (code !== undefined && TRANSIENT.has(code)) || /timeout|terminated/i.test(String((error as Error).message));
}

/** What a service gets to build its entry points with. */
export interface Infrastructure<C extends BaseServiceConfig = BaseServiceConfig> {
  config: C;
  logger: Logger;
  pool: Pool;
  broker: Broker;
  outbox: Outbox;
  /** Runs work in a transaction whose enqueued messages leave as soon as it commits. */
  unitOfWork: UnitOfWork;
}

/** Something that runs beside the consumers, like the saga's deadline watcher. */
export interface BackgroundTask {
  start(): void;
  stop(): Promise<void>;
}

export interface ServiceParts {
  consumers?: Array<Omit<ConsumerOptions, 'retryDelaysMs'> & { retryDelaysMs?: number[] }>;
  routes?: (app: Express) => void;
  background?: BackgroundTask[];
}

export interface ServiceDefinition<C extends BaseServiceConfig> {
  name: string;
  config: C;
  migrations: readonly Migration[];
  logger?: Logger;
  /**
   * The service's demo switches (`<SERVICE>_FAILURE_RATE`, `<SERVICE>_ADDED_LATENCY_MS`), applied
   * by each of its consumers to every message it takes, unless the consumer sets its own.
   */
  faults?: FaultSettings;
  setup(infrastructure: Infrastructure<C>): ServiceParts | Promise<ServiceParts>;
}

export interface RunningService<C extends BaseServiceConfig = BaseServiceConfig> extends Infrastructure<C> {
  url: string;
  port: number;
  consumers: InboxConsumer[];
  /** Graceful stop: no new deliveries, in-flight ones finish, outbox flushed, connections closed. */
  stop(): Promise<void>;
}

/**
 * Starts a service the same way in production, under `npm run stack` and in tests: its own
 * database (created and migrated), a broker connection that recovers by itself, the outbox relay,
 * the consumers and the HTTP server. HTTP comes up even while RabbitMQ is down; `/readyz` says so.
 */
export async function startService<C extends BaseServiceConfig>(definition: ServiceDefinition<C>): Promise<RunningService<C>> {
  const { name, config } = definition;
  const logger = definition.logger ?? createLogger({ service: name, level: config.LOG_LEVEL });

  const pool = createPool(config.DATABASE_URL, {
    applicationName: name,
    max: config.DATABASE_POOL_MAX,
    preparedStatements: { max: config.DATABASE_PREPARED_STATEMENTS },
  });
  const applied = await untilDatabaseAnswers(logger, async () => {
    await ensureDatabase(config.DATABASE_URL);
    return migrate(pool, [...messagingMigrations, ...definition.migrations]);
  });
  if (applied.length > 0) logger.info({ applied }, 'database migrated');

  const broker = new Broker({ url: config.RABBITMQ_URL, logger, connectionName: name, prefetch: config.RABBITMQ_PREFETCH });
  broker.addTopology(checkExchanges);
  const outbox = new Outbox({ pool, broker, logger });
  const unitOfWork = new UnitOfWork({ pool, outbox });
  const infrastructure: Infrastructure<C> = { config, logger, pool, broker, outbox, unitOfWork };
  const parts = await definition.setup(infrastructure);

  const consumers = (parts.consumers ?? []).map(
    (options) =>
      new InboxConsumer(
        { broker, unitOfWork, outbox, logger },
        {
          ...options,
          retryDelaysMs: options.retryDelaysMs ?? config.RETRY_DELAYS_MS,
          batchSize: options.batchSize ?? config.MESSAGE_BATCH_SIZE,
          batchLingerMs: options.batchLingerMs ?? config.MESSAGE_BATCH_LINGER_MS,
          faults: options.faults ?? definition.faults,
        },
      ),
  );
  const app = createApp({
    logger,
    readiness: [
      { name: 'rabbitmq', check: () => broker.isConnected },
      { name: 'postgres', check: () => pool.query('SELECT 1').then(() => true) },
    ],
    routes: parts.routes,
  });
  const server = await listen(app, config.PORT, config.HOST);
  broker.start();
  outbox.start();
  for (const task of parts.background ?? []) task.start();
  logger.info(
    { port: server.port, rabbitmq: redactUrl(config.RABBITMQ_URL), database: redactUrl(config.DATABASE_URL) },
    `${name} service started`,
  );

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info('stopping');
      await broker.stopConsuming();
      await Promise.all(consumers.map((consumer) => consumer.drain()));
      await Promise.all((parts.background ?? []).map((task) => task.stop()));
      await server.close();
      await outbox.stop();
      await broker.close();
      await pool.end();
      await shutdownTelemetry();
      logger.info('stopped');
      logger.flush();
    })());

  return { ...infrastructure, url: server.url, port: server.port, consumers, stop };
}
