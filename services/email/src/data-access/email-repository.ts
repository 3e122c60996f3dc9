import type { Queryable } from '@shop/db';

export type EmailKind = 'confirmation' | 'cancellation';

export interface SentEmail {
  orderId: string;
  kind: EmailKind;
  recipient: string;
  subject: string;
  messageId: string;
  sentAt: string;
}

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
  /**
   * Serialises the handling of one order until the transaction ends. A row lock cannot do it: the
   * row does not exist yet. Without it, two different events for the same order handled at once
   * would both find no row and both send.
   */
  async lockOrder(tx: Queryable, orderId: string): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`email:${orderId}`]);
  },

  async find(db: Queryable, orderId: string): Promise<SentEmail | undefined> {
    const { rows } = await db.query<EmailRow>('SELECT * FROM emails WHERE order_id = $1', [orderId]);
    return rows[0] && toSentEmail(rows[0]);
  },

  async record(tx: Queryable, email: Omit<SentEmail, 'sentAt'>): Promise<SentEmail> {
    const { rows } = await tx.query<EmailRow>(
      `INSERT INTO emails (order_id, kind, recipient, subject, message_id) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [email.orderId, email.kind, email.recipient, email.subject, email.messageId],
    );
    return toSentEmail(rows[0]!);
  },
};
