/** The project's own AMQP headers. x-death is not used: RabbitMQ 4 ignores it on re-published messages. */
export const Headers = {
  attempt: 'x-shop-attempt',
  error: 'x-shop-error',
  failedAt: 'x-shop-failed-at',
  consumer: 'x-shop-consumer',
  originalExchange: 'x-shop-original-exchange',
  originalRoutingKey: 'x-shop-original-routing-key',
} as const;
