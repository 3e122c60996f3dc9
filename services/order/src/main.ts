import { queueOf, SERVICE_NAMES } from '@shop/catalog';
import { GroupCommit } from '@shop/db';
import { QueueNames } from '@shop/contracts';
import { defineService, runWhenEntryPoint } from '@shop/runtime';
import { DeadlineWatcher, outboxCommandSender, postgresSagaStore, SagaEngine } from '@shop/saga';
import { orderConfigSchema } from './config';
import { orderMigrations } from './data-access/migrations';
import { orderSaga } from './domain/order-saga';
import { LiveBroadcast } from './entry-points/http/live-broadcast';
import { liveRoutes } from './entry-points/http/live-routes';
import { orderRoutes } from './entry-points/http/order-routes';
import { sagaBacklog } from './entry-points/messaging/saga-backlog';
import { sagaReplyHandlers } from './entry-points/messaging/saga-reply-handlers';

/** Takes orders over HTTP and orchestrates each one's saga across inventory, payment and warehouse. */
export const service = defineService({
  name: 'order',
  configSchema: orderConfigSchema,
  migrations: orderMigrations,
  setup: ({ config, pool, outbox, unitOfWork, logger, broker }) => {
    const store = postgresSagaStore(pool);
    const saga = new SagaEngine(orderSaga, {
      store,
      sender: outboxCommandSender(outbox),
      logger,
      stepTimeoutMs: config.SAGA_STEP_TIMEOUT_MS,
      compensationRetryMaxMs: config.SAGA_COMPENSATION_RETRY_MAX_MS,
      // A step's deadline measures the participant's silence, not the length of a queue
      // (decision 0013): work waiting for the participant, or replies waiting for this service.
      participantBacklog: sagaBacklog(broker, config.RETRY_DELAYS_MS),
    });
    // Orders placed at the same moment share a transaction (decision 0010).
    const placements = new GroupCommit((work) => unitOfWork.run(work), {
      maxSize: config.PLACE_ORDER_GROUP_SIZE,
      concurrency: config.PLACE_ORDER_TRANSACTIONS,
    });
    // The live page's stream: the step log as it is committed, and every work and dead-letter queue's depth.
    const live = new LiveBroadcast({
      pool,
      broker,
      logger,
      queues: SERVICE_NAMES.flatMap((name) => [queueOf(name), QueueNames.deadLetter(queueOf(name))]),
    });
    return {
      // Two batches at once: each locks all its sagas up front in one statement, in id order, and
      // a saga has one reply outstanding, so they do not wait on each other.
      consumers: [{ queue: queueOf('order'), handlers: sagaReplyHandlers(saga), concurrency: 2 }],
      routes: (app) => {
        orderRoutes(
          pool,
          { transaction: (work) => placements.run(work), saga, currency: config.ORDER_CURRENCY },
          { ordersPerMinute: config.ORDER_RATE_LIMIT_PER_MINUTE, operatorToken: config.OPERATOR_TOKEN },
        )(app);
        liveRoutes({
          broadcast: live,
          saga: orderSaga,
          links: { trace: config.LIVE_TRACE_URL, mail: config.LIVE_MAIL_URL, queues: config.LIVE_QUEUES_URL },
          operatorToken: config.OPERATOR_TOKEN,
        })(app);
      },
      background: [
        live,
        new DeadlineWatcher(saga, {
          store,
          transaction: (work) => unitOfWork.run(work),
          logger,
          pollIntervalMs: config.SAGA_DEADLINE_POLL_MS,
        }),
      ],
    };
  },
});

/** The business process, for tests that check a saga ran as it says. */
export { orderSaga };

runWhenEntryPoint(module, service);
