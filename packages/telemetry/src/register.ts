// `node --require @shop/telemetry/register dist/src/main.js`: tracing starts before anything else loads.
import { startTelemetry } from './start-telemetry';

startTelemetry();
