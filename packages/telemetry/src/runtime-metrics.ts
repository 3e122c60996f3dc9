import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';

/**
 * How often the event loop delay is sampled, in ms: Node's histogram records the time between the
 * ticks of a timer of this period, so its values include the period (an idle service reports
 * about 50 ms; the runtime dashboard takes it off). The package's 10 ms wakes an idle service 100
 * times a second; alone in a process on this machine that timer took 92-116 ms of CPU in 20 s at
 * 10 ms, 55 at 20 ms and 30 at 50 ms, and in the stack it was most of what metrics cost a second
 * (docs/performance.md, "Metrics cost"). A stall of 50 ms or more is always seen, a shorter one
 * when a sample falls due during it, and a 5 s scrape's p99 still has 100 samples.
 */
const EVENT_LOOP_DELAY_RESOLUTION_MS = 50;

/**
 * The runtime's metrics (event loop delay and utilization, heap by space, active handles) from
 * the OpenTelemetry instrumentation, the delay sampled every EVENT_LOOP_DELAY_RESOLUTION_MS,
 * without its GC collector. That collector observes every
 * garbage collection through a PerformanceObserver, and Node builds an entry object for each one:
 * under load a service collects its young generation hundreds of times a second, and that alone
 * cost about 1% of the order service's CPU (decision 0022). No dashboard, alert or `npm run top`
 * reads `v8js.gc.duration`; the event loop delay shows what long collections do to the service.
 *
 * The instrumentation has no setting for it, so its collector is found and its observer
 * disconnected: `disable()` would not do, it clears the `enabled` flag the collectors share. The
 * test in metrics.unit.test.ts fails if a new version of the package no longer matches.
 */
export function runtimeInstrumentation(): RuntimeNodeInstrumentation {
  const instrumentation = new RuntimeNodeInstrumentation({ monitoringPrecision: EVENT_LOOP_DELAY_RESOLUTION_MS });
  const collectors = (instrumentation as unknown as { _collectors?: unknown[] })._collectors;
  const gc = collectors?.find((collector) => (collector as object).constructor.name === 'GCCollector') as
    { internalDisable?: () => void } | undefined;
  if (typeof gc?.internalDisable !== 'function') {
    throw new Error('@opentelemetry/instrumentation-runtime-node changed: its GC collector was not found to disconnect');
  }
  gc.internalDisable();
  return instrumentation;
}
