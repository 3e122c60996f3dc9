import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { MessageContract, PayloadOf } from '@shop/contracts';

/**
 * What travels in every message body. `correlationId` ties all messages of one business process
 * together (here: the order id); `causationId` names the message that caused this one.
 */
export interface Envelope<T = unknown> {
  id: string;
  type: string;
  version: number;
  occurredAt: string;
  correlationId: string;
  causationId: string | null;
  data: T;
}

export const envelopeSchema = z.object({
  id: z.uuid(),
  type: z.string().min(1),
  version: z.number().int().positive(),
  occurredAt: z.iso.datetime({ offset: true }),
  correlationId: z.string().min(1),
  causationId: z.string().min(1).nullable(),
  data: z.unknown(),
});

export interface MessageMeta {
  correlationId: string;
  causationId?: string | null;
  /** Fixed ids make a resend of the same logical message deduplicate at the consumer's inbox. */
  id?: string;
}

/** Builds an envelope, validating `data` against the contract so a bad message never leaves. */
export function createEnvelope<C extends MessageContract>(contract: C, data: PayloadOf<C>, meta: MessageMeta): Envelope<PayloadOf<C>> {
  return {
    id: meta.id ?? randomUUID(),
    type: contract.type,
    version: contract.version,
    occurredAt: new Date().toISOString(),
    correlationId: meta.correlationId,
    causationId: meta.causationId ?? null,
    data: contract.schema.parse(data) as PayloadOf<C>,
  };
}
