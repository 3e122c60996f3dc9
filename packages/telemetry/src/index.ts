export { shutdownTelemetry } from './start-telemetry';
export { inSpan, startSpan, type SpanStart } from './spans';
