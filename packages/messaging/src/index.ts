export { Broker, type BrokerOptions, type OutgoingMessage, type TopologySetup } from './broker';
export { InboxConsumer, on, type ConsumerOptions, type HandlerContext, type MessageHandler, type PrepareBatch } from './consumer';
export { createEnvelope, envelopeSchema, type Envelope, type MessageMeta } from './envelope';
export { PermanentError } from './errors';
export { Headers, QueueNames } from './headers';
export { messagingMigrations } from './migrations';
export { Outbox, type OutboxOptions, type PublishedListener, type PublishedMessage } from './outbox';
export { captureContext, extractContext, type TraceCarrier } from './telemetry';
export { declareExchanges } from './topology';
