export { createTestInfrastructure, type TestInfrastructure } from './test-infrastructure';
export { SmtpSink, parseEmail, type ReceivedEmail } from './smtp-sink';
export { eventually } from './eventually';
export { TestBrokerClient, buildEnvelope, type Envelope as WireEnvelope } from './test-client';
export { serviceTestEnv } from './service-env';
export { OtlpReceiver, type ReceivedSpan } from './otlp-receiver';
export { closedPort, freePortRange, startStack, tail, within, type RunningStack } from './stack-process';
export { startTestStack, type TestStack } from './test-stack';
export { buildOrder } from './order-fixtures';
