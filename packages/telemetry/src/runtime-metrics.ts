import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';

/**
 * How often the event loop delay is sampled, in ms: a timer of this period whose lateness is the
 * delay. The package's 10 ms wakes an idle service 100 times a second, and on this machine that
 * alone was about 5 ms of CPU a second per service, 2.5% of a core for the five, most of what
 * metrics cost at a low rate (docs/performance.md, "Metrics cost"). At 20 ms it costs about half;
 * a stall of 20 ms or more is still always seen, and the dashboards' p99 over a 5 s scrape still
 * has 250 samples.
 */
const EVENT_LOOP_DELAY_RESOLUTION_MS = 20;

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
