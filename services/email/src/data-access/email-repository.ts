import { orderId } from '@shop/contracts';
import type { Queryable } from '@shop/db';
import { z } from 'zod';

const emailKind = z.enum(['confirmation', 'cancellation']);
export type EmailKind = z.output<typeof emailKind>;

/** The email one order's customer was sent, as the operator endpoint shows it; the type below is made from it. */
export const sentEmailSchema = z
  .object({
    orderId,
    kind: emailKind,
    recipient: z.string(),
    subject: z.string(),
    messageId: z.string().meta({ description: 'The Message-ID header it was sent with.' }),
    sentAt: z.iso.datetime(),
  })
  .meta({ id: 'SentEmail' });
export type SentEmail = z.output<typeof sentEmailSchema>;

interface EmailRow {
  order_id: string;
  kind: EmailKind;
  recipient: string;
  subject: string;
  message_id: string;
  sent_at: Date;
}

const toSentEmail = (row: EmailRow): SentEmail => ({
  orderId: row.order_id,
  kind: row.kind,
  recipient: row.recipient,
  subject: row.subject,
  messageId: row.message_id,
  sentAt: row.sent_at.toISOString(),
});

export const emailRepository = {
  async find(db: Queryable, orderId: string): Promise<SentEmail | undefined> {
    const { rows } = await db.query<EmailRow>('SELECT * FROM emails WHERE order_id = $1', [orderId]);
    return rows[0] && toSentEmail(rows[0]);
  },

  /** The emails of these orders that were already sent (committed rows). */
  async findMany(db: Queryable, orderIds: readonly string[]): Promise<SentEmail[]> {
    const { rows } = await db.query<EmailRow>('SELECT * FROM emails WHERE order_id = ANY($1::uuid[])', [orderIds]);
    return rows.map(toSentEmail);
  },

  /**
   * Inserts each order's email row unless the order has one, in one statement, and returns those
   * it inserted. The rows (their unique key) also serialise transactions about the same order: a
   * second one waits for the first to end. Claimed in order id order, so two batches that share
   * orders wait for each other instead of deadlocking.
   */
  async claimMany(tx: Queryable, emails: ReadonlyArray<Omit<SentEmail, 'sentAt'>>): Promise<SentEmail[]> {
    const sorted = [...emails].sort((a, b) => (a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0));
    const { rows } = await tx.query<EmailRow>(
      `INSERT INTO emails (order_id, kind, recipient, subject, message_id)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[])
       ON CONFLICT (order_id) DO NOTHING RETURNING *`,
      [
        sorted.map((email) => email.orderId),
        sorted.map((email) => email.kind),
        sorted.map((email) => email.recipient),
        sorted.map((email) => email.subject),
        sorted.map((email) => email.messageId),
      ],
    );
    return rows.map(toSentEmail);
  },

  /** Gives claims back (their emails could not be sent), so a later attempt can claim them again. */
  async release(tx: Queryable, orderIds: readonly string[]): Promise<void> {
    await tx.query('DELETE FROM emails WHERE order_id = ANY($1::uuid[])', [orderIds]);
  },
};
