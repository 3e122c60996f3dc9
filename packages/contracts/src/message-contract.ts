import { z } from 'zod';

/** The three topic exchanges. Commands go to one participant, replies back to the orchestrator, events to anyone. */
export const Exchanges = {
  commands: 'shop.commands',
  replies: 'shop.replies',
  events: 'shop.events',
} as const;

export type MessageKind = 'command' | 'reply' | 'event';

/**
 * One message type: its name (also its routing key), its schema version, the exchange it travels
 * on and the schema that gives both the TypeScript type and the runtime validator.
 */
export interface MessageContract<Type extends string = string, Schema extends z.ZodType = z.ZodType> {
  readonly type: Type;
  readonly version: number;
  readonly kind: MessageKind;
  readonly exchange: string;
  readonly routingKey: string;
  readonly schema: Schema;
}

export type PayloadOf<C extends MessageContract> = z.infer<C['schema']>;

const exchangeOf: Record<MessageKind, string> = {
  command: Exchanges.commands,
  reply: Exchanges.replies,
  event: Exchanges.events,
};

function define(kind: MessageKind) {
  return <Type extends string, Schema extends z.ZodType>(type: Type, schema: Schema, version = 1): MessageContract<Type, Schema> => ({
    type,
    version,
    kind,
    exchange: exchangeOf[kind],
    routingKey: type,
    schema,
  });
}

export const command = define('command');
export const reply = define('reply');
export const event = define('event');
