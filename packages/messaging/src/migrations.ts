import type { Migration } from '@shop/db';

/** The outbox and inbox tables; every service that publishes or consumes includes these. */
export const messagingMigrations: Migration[] = [
  {
    id: '0000-messaging-outbox-inbox',
    sql: `
      CREATE TABLE outbox (
        seq            bigserial PRIMARY KEY,
        message_id     uuid NOT NULL UNIQUE,
        exchange       text NOT NULL,
        routing_key    text NOT NULL,
        message_type   text NOT NULL,
        correlation_id text NOT NULL,
        mandatory      boolean NOT NULL,
        body           text NOT NULL,
        headers        jsonb NOT NULL,
        created_at     timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE inbox (
        consumer    text NOT NULL,
        message_id  text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, message_id)
      );
    `,
  },
];
