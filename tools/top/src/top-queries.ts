/**
 * Every PromQL query `npm run top` sends, by name. The metric names and labels are the ones in
 * docs/metrics.md. Every metric selector is written with braces; in the RabbitMQ ones `$vhost`
 * stands for the vhost matcher, which `resolveQuery` fills in from TOP_VHOST (or removes).
 *
 * Windows: rates over [15s] or [30s] (Prometheus scrapes every second, so a window holds 15 to
 * 30 samples), quantiles over [30s], the saga duration over [1m] (sagas are fewer and longer).
 */
const POST_ORDERS = 'job="order",http_route="/orders",http_request_method="POST"';

/** The series that counts compensated sagas, by `saga_reason` and `saga_failed_step`. */
const COMPENSATED = 'shop_saga_finished_total{saga_outcome="compensated"}';

export const TOP_QUERIES = {
  // RabbitMQ's own figures per queue, summed over the vhosts selected.
  queueReady: 'sum by (queue) (rabbitmq_detailed_queue_messages_ready{$vhost})',
  queueUnacked: 'sum by (queue) (rabbitmq_detailed_queue_messages_unacked{$vhost})',
  queueConsumers: 'sum by (queue) (rabbitmq_detailed_queue_consumers{$vhost})',
  /** How many queues each vhost has: the header lists the vhosts the figures cover. */
  vhosts: 'count by (vhost) (rabbitmq_detailed_queue_messages_ready{$vhost})',

  // The consumers' side, from the services; messaging_destination_name is the queue's name.
  consumedRate: 'sum by (messaging_destination_name) (rate(messaging_client_consumed_messages_total{}[15s]))',
  processP99: 'histogram_quantile(0.99, sum by (messaging_destination_name, le) (rate(messaging_process_duration_bucket{}[30s])))',
  retryRate: 'sum by (messaging_destination_name) (rate(shop_messaging_retries_total{}[30s]))',

  sagaStarted: 'sum by (saga_name) (shop_saga_started_total{})',
  sagaStartedRate: 'sum by (saga_name) (rate(shop_saga_started_total{}[30s]))',
  sagaFinished: 'sum by (saga_name, saga_outcome) (shop_saga_finished_total{})',
  sagaFinishedRate: 'sum by (saga_name, saga_outcome) (rate(shop_saga_finished_total{}[30s]))',
  /**
   * Compensations in the last 5 minutes by reason: each series' growth since 5 minutes ago, or
   * its whole value when it did not exist then. increase() would miss the first compensation of
   * a reason, which creates its series already at 1. A counter reset (a restart) counts as 0.
   */
  compensatedRecently: `sum by (saga_name, saga_reason) (clamp_min(${COMPENSATED} - ${COMPENSATED} offset 5m, 0) or ${COMPENSATED})`,
  sagaDurationP50: 'histogram_quantile(0.5, sum by (saga_name, le) (rate(shop_saga_duration_bucket{}[1m])))',
  sagaDurationP99: 'histogram_quantile(0.99, sum by (saga_name, le) (rate(shop_saga_duration_bucket{}[1m])))',
  deadlines: 'sum by (saga_name, saga_action) (shop_saga_deadlines_total{})',
  deadlinesRate: 'sum by (saga_name, saga_action) (rate(shop_saga_deadlines_total{}[30s]))',

  ordersRate: `sum(rate(http_server_request_duration_count{${POST_ORDERS}}[15s]))`,
  ordersP99: `histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_bucket{${POST_ORDERS}}[30s])))`,
  /** No 5xx series yet counts as 0; no requests at all gives no answer (or NaN), shown as `-`. */
  orders5xxShare:
    `(sum(rate(http_server_request_duration_count{${POST_ORDERS},http_response_status_code=~"5.."}[30s])) or vector(0))` +
    ` / sum(rate(http_server_request_duration_count{${POST_ORDERS}}[30s]))`,

  // Every replica of a service reads the same outbox table: the largest figure, not the sum.
  outboxPending: 'max by (job) (shop_outbox_pending{})',
  outboxOldestAge: 'max by (job) (shop_outbox_oldest_age{})',

  /** One series per scrape target: 1 when its last scrape succeeded. */
  targets: 'up{}',
} as const;

export type TopQueryName = keyof typeof TOP_QUERIES;

/**
 * Each metric the queries read and the labels they name, for a test that checks them against a
 * running stack. Some labels only appear once something happened: `saga_reason` with the first
 * compensation, `http_response_status_code="5.."` with the first server error.
 */
export const TOP_METRICS: Readonly<Record<string, readonly string[]>> = {
  rabbitmq_detailed_queue_messages_ready: ['vhost', 'queue'],
  rabbitmq_detailed_queue_messages_unacked: ['vhost', 'queue'],
  rabbitmq_detailed_queue_consumers: ['vhost', 'queue'],
  messaging_client_consumed_messages_total: ['messaging_destination_name'],
  messaging_process_duration_bucket: ['messaging_destination_name', 'le'],
  shop_messaging_retries_total: ['messaging_destination_name'],
  shop_saga_started_total: ['saga_name'],
  shop_saga_finished_total: ['saga_name', 'saga_outcome', 'saga_reason'],
  shop_saga_duration_bucket: ['saga_name', 'le'],
  shop_saga_deadlines_total: ['saga_name', 'saga_action'],
  http_server_request_duration_count: ['job', 'http_route', 'http_request_method', 'http_response_status_code'],
  http_server_request_duration_bucket: ['job', 'http_route', 'http_request_method', 'le'],
  shop_outbox_pending: ['job'],
  shop_outbox_oldest_age: ['job'],
  up: ['job'],
};

/** The query with `$vhost` replaced by a matcher on `vhost` (TOP_VHOST), or by nothing. */
export function resolveQuery(promql: string, vhost: string | undefined): string {
  return promql.replaceAll('$vhost', vhost === undefined ? '' : `vhost=${JSON.stringify(vhost)}`);
}
