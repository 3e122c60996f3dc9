import type { ConsumeMessage } from 'amqplib';
import { envelopeSchema, type Envelope } from './envelope';
import { Headers } from './headers';
import type { MessageHandler } from './message-handler';

/** What the consumer needs of a delivery that passed validation. */
export interface ValidMessage {
  message: Envelope;
  handler: MessageHandler;
  /** The routing key it was published with, also after a trip through a retry queue. */
  routingKey: string;
}

/**
 * JSON travels as UTF-8: a body that is not UTF-8 fails to decode instead of having its bad bytes
 * replaced with U+FFFD (which would make an otherwise valid envelope pass). A byte order mark is
 * kept, so JSON.parse refuses it as before.
 */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Checks a delivery's body against the envelope and the contract of its type. A failure names
 * the reason, which the dead-letter queue keeps beside the message.
 */
export function validateDelivery(
  delivery: ConsumeMessage,
  handlers: ReadonlyMap<string, MessageHandler>,
): ValidMessage | { reason: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(delivery.content));
  } catch (error) {
    return { reason: `unparseable body: ${describeError(error)}` };
  }
  const envelope = envelopeSchema.safeParse(parsed);
  if (!envelope.success) return { reason: `malformed envelope: ${summarize(envelope.error.issues)}` };
  const handler = handlers.get(envelope.data.type);
  if (!handler) return { reason: `unknown message type ${JSON.stringify(envelope.data.type)}` };
  if (envelope.data.version > handler.contract.version) {
    return { reason: `unsupported version ${envelope.data.version} of ${handler.contract.type}` };
  }
  const data = handler.contract.schema.safeParse(envelope.data.data);
  if (!data.success) return { reason: `schema violation in ${handler.contract.type}: ${summarize(data.error.issues)}` };
  const routingKey = String(delivery.properties.headers?.[Headers.originalRoutingKey] ?? delivery.fields.routingKey);
  return { message: { ...envelope.data, data: data.data }, handler, routingKey };
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function summarize(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}
