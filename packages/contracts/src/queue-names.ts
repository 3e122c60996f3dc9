/**
 * The names of a consumer's own broker objects, all derived from its work queue's name: the
 * retry queues (one per delay), the dead-letter queue, and the direct exchange that routes into
 * them. The services declare them (@shop/messaging); the broker permissions of each service
 * (@shop/catalog's access model) grant it exactly these names.
 */
export const QueueNames = {
  deadLetter: (queue: string) => `${queue}.dead-letter`,
  retry: (queue: string, delayMs: number) => `${queue}.retry.${delayMs}ms`,
  /**
   * The queue's own direct exchange. A delivery is parked by publishing it here with the retry or
   * dead-letter queue's name as routing key, and an expired retry comes back through it to the
   * work queue; so no service needs the default exchange, which reaches every queue of the vhost.
   */
  park: (queue: string) => `${queue}.park`,
};
