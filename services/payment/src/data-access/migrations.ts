import type { Migration } from '@shop/db';

export const paymentMigrations: Migration[] = [
  {
    id: '0001-payments-and-provider-ledger',
    sql: `
      -- One row per order: what its charge command did, so a repeat gets the same answer. A
      -- CANCELLED row with no charge is the marker a refund leaves when it overtakes the charge.
      CREATE TABLE payments (
        order_id       uuid PRIMARY KEY,
        status         text NOT NULL CHECK (status IN ('CHARGED', 'DECLINED', 'REFUNDED', 'CANCELLED')),
        amount_cents   integer CHECK (amount_cents >= 0),
        currency       text,
        payment_method text,
        charge_id      text,
        decline_reason text,
        refunded_cents integer NOT NULL DEFAULT 0 CHECK (refunded_cents >= 0),
        refund_id      text,
        refunded_at    timestamptz,
        created_at     timestamptz NOT NULL DEFAULT now(),
        updated_at     timestamptz NOT NULL DEFAULT now(),
        CHECK (status NOT IN ('CHARGED', 'REFUNDED') OR (charge_id IS NOT NULL AND amount_cents IS NOT NULL))
      );
      -- The simulated provider's own books, standing for the remote system's: written outside
      -- the business transaction, so a charge survives our rollback as a real one would.
      CREATE TABLE provider_ledger (
        idempotency_key text PRIMARY KEY,
        charge_id       text NOT NULL UNIQUE,
        status          text NOT NULL CHECK (status IN ('succeeded', 'declined')),
        decline_code    text,
        decline_message text,
        amount_cents    integer NOT NULL,
        currency        text NOT NULL,
        payment_method  text NOT NULL,
        refunded_cents  integer NOT NULL DEFAULT 0 CHECK (refunded_cents <= amount_cents),
        refund_id       text,
        created_at      timestamptz NOT NULL DEFAULT now(),
        refunded_at     timestamptz
      );
    `,
  },
  {
    id: '0002-charge-intents',
    sql: `
      -- The provider is a remote system now (tools/payment-provider), with books of its own.
      DROP TABLE provider_ledger;
      -- PENDING: the charge is about to be asked for, or was, and its answer is not recorded yet.
      -- charge_started_at: when the last call for it began; a call older than the provider
      -- client's longest call has been given up on, so the provider's books tell the whole story.
      ALTER TABLE payments DROP CONSTRAINT payments_status_check;
      ALTER TABLE payments ADD CONSTRAINT payments_status_check
        CHECK (status IN ('PENDING', 'CHARGED', 'DECLINED', 'REFUNDED', 'CANCELLED'));
      ALTER TABLE payments ADD COLUMN charge_started_at timestamptz;
    `,
  },
];
