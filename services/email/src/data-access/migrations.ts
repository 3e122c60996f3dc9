import type { Migration } from '@shop/db';

export const emailMigrations: Migration[] = [
  {
    id: '0001-emails',
    sql: `
      -- At most one email per order: its row is the proof it went out, so a repeat sends nothing.
      CREATE TABLE emails (
        order_id   uuid PRIMARY KEY,
        kind       text NOT NULL CHECK (kind IN ('confirmation', 'cancellation')),
        recipient  text NOT NULL,
        subject    text NOT NULL,
        message_id text NOT NULL,
        sent_at    timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
];
