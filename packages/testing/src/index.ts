export { createTestInfrastructure, type TestInfrastructure } from './test-infrastructure';
export { SmtpSink, parseEmail, type ReceivedEmail } from './smtp-sink';
export { eventually } from './eventually';
export { TestBrokerClient } from './test-client';
export { serviceTestEnv } from './service-env';
