export { shutdownTelemetry } from './start-telemetry';
export { inSpan, startSpan, type SpanStart } from './spans';
export { Buckets, getMeter, secondsSince, TallyCounter } from './metrics';
