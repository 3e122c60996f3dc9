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
  async find(db: Queryable, orderId: string): Promise<SentEmail | undefined> {
    const { rows } = await db.query<EmailRow>('SELECT * FROM emails WHERE order_id = $1', [orderId]);
    return rows[0] && toSentEmail(rows[0]);
  },

  /**
   * Inserts the order's email row unless it has one; undefined if it had. The row (its unique key)
   * also serialises two transactions about the same order: the second waits for the first to end.
   */
  async claim(tx: Queryable, email: Omit<SentEmail, 'sentAt'>): Promise<SentEmail | undefined> {
    const { rows } = await tx.query<EmailRow>(
      `INSERT INTO emails (order_id, kind, recipient, subject, message_id) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (order_id) DO NOTHING RETURNING *`,
      [email.orderId, email.kind, email.recipient, email.subject, email.messageId],
    );
    return rows[0] && toSentEmail(rows[0]);
  },
};
