import type { ServiceResources } from '@shop/load/dist/src/service-resources';
import type { Check } from './bench-check';
import type { BenchEnvironment } from './bench-environment';
import {
  completedPerSecond,
  cpuPerSaga,
  describeCpuPair,
  describeFootprint,
  describeSteps,
  median,
  rotateSettings,
  type ComparisonOptions,
  type ServiceSetting,
  type SettingsComparison,
} from './setting-rounds';

type MetricsSettingName = 'off' | 'on';

/** The issue's target: metrics cost at most 3% of saga throughput. */
const METRICS_TARGET = 0.97;

const SETTINGS: Array<ServiceSetting<MetricsSettingName>> = [
  { name: 'off', label: 'metrics off', env: { OTEL_SDK_DISABLED: 'true' } },
  // The SDK on with no trace exporter: no tracer provider, so no span is recorded; the SDK still
  // installs its context manager and propagators, as it does in any deployment with metrics on.
  {
    name: 'on',
    label: 'metrics on, scraped',
    env: { OTEL_SDK_DISABLED: 'false', OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'prometheus' },
  },
];

interface ScrapeCount {
  scrapes: number;
  failed: number;
  bytes: number;
}

/**
 * Scrapes every URL once per `intervalMs` from this process, as the stack's Prometheus does
 * (scrape_interval 1s, its timeout then the same), and counts the bytes of the bodies. A URL whose
 * previous scrape has not ended yet is skipped that tick and counted as failed.
 */
class MetricsScraper {
  readonly counts: Record<string, ScrapeCount>;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    urls: Record<string, string>,
    private readonly intervalMs = 1_000,
  ) {
    this.counts = Object.fromEntries(Object.keys(urls).map((name) => [name, { scrapes: 0, failed: 0, bytes: 0 }]));
    this.timer = setInterval(() => {
      for (const [name, url] of Object.entries(urls)) this.scrape(name, url);
    }, intervalMs);
  }

  private scrape(name: string, url: string): void {
    const count = this.counts[name]!;
    if (this.inFlight.has(name)) {
      count.failed += 1;
      return;
    }
    const scrape = fetch(url, { signal: AbortSignal.timeout(this.intervalMs) })
      .then(async (response) => {
        const body = await response.arrayBuffer();
        if (!response.ok) throw new Error(`${response.status}`);
        count.scrapes += 1;
        count.bytes += body.byteLength;
      })
      .catch(() => {
        count.failed += 1;
      })
      .finally(() => this.inFlight.delete(name));
    this.inFlight.set(name, scrape);
  }

  async stop(): Promise<Record<string, ScrapeCount>> {
    clearInterval(this.timer);
    await Promise.all(this.inFlight.values());
    return this.counts;
  }
}

/** The counts of several scrapers, or of several services, added up (undefined: none yet). */
const addCounts = (counts: Array<ScrapeCount | undefined>): ScrapeCount =>
  counts.reduce<ScrapeCount>(
    (sum, count) => ({
      scrapes: sum.scrapes + (count?.scrapes ?? 0),
      failed: sum.failed + (count?.failed ?? 0),
      bytes: sum.bytes + (count?.bytes ?? 0),
    }),
    { scrapes: 0, failed: 0, bytes: 0 },
  );

const kbPerScrape = (count: ScrapeCount) => (count.scrapes > 0 ? (count.bytes / count.scrapes / 1e3).toFixed(0) : '-');

const describeScrapes = (count: ScrapeCount) =>
  `${count.scrapes} scrapes, ${(count.bytes / 1e6).toFixed(1)} MB (${kbPerScrape(count)} kB a scrape)${count.failed > 0 ? `, ${count.failed} failed or skipped` : ''}`;

export interface MetricsComparison extends SettingsComparison<MetricsSettingName> {
  /** The services' CPU share and peak RSS during the first step of each setting. */
  resources: Record<MetricsSettingName, ServiceResources[]>;
  /** What the bench scraped from each service over all the steps with metrics on. */
  scraped: Record<string, ScrapeCount>;
}

/**
 * Saga capacity with metrics off (the SDK disabled) and on (the SDK with the Prometheus exporter
 * and no trace exporter), in `rounds` rounds of one saturating step each (rotateSettings: the
 * order rotating, the services restarted before every step). During the steps with metrics on
 * this process scrapes every service's /metrics once a second: the exporter builds the exposition
 * at each scrape, so an endpoint nobody reads would cost less than one Prometheus reads.
 */
export async function compareMetrics(
  environment: BenchEnvironment,
  repoRoot: string,
  options: ComparisonOptions,
): Promise<MetricsComparison> {
  const scraped: Record<string, ScrapeCount> = {};
  const steps = await rotateSettings(environment, repoRoot, SETTINGS, {
    ...options,
    watchMemoryOf: ['off', 'on'],
    beside: (setting) => {
      if (setting.name === 'off') return undefined;
      const scraper = new MetricsScraper(environment.metricsUrls);
      return {
        end: async () => {
          const byService = await scraper.stop();
          for (const [name, count] of Object.entries(byService)) scraped[name] = addCounts([scraped[name], count]);
          return `; ${describeScrapes(addCounts(Object.values(byService)))}`;
        },
      };
    },
  });
  const first = (name: MetricsSettingName) => {
    const step = steps[name][0];
    if (!step?.footprint) throw new Error(`no step with ${name} ran`);
    return { resources: step.resources, footprint: step.footprint };
  };
  return {
    rate: options.rate,
    stepSeconds: options.stepSeconds,
    completedPerSecond: { off: completedPerSecond(steps.off), on: completedPerSecond(steps.on) },
    cpuMsPerSaga: { off: steps.off.map(cpuPerSaga), on: steps.on.map(cpuPerSaga) },
    resources: { off: first('off').resources, on: first('on').resources },
    footprint: { off: first('off').footprint, on: first('on').footprint },
    scraped,
  };
}

/** "order 1.10 / 1.18, ...": the median CPU ms per saga of each part, metrics off / on. */
function describeCpu(comparison: MetricsComparison): string {
  return describeCpuPair(comparison.cpuMsPerSaga.off, comparison.cpuMsPerSaga.on);
}

/**
 * The issue's check (the median completed sagas/s with metrics on at least METRICS_TARGET of the
 * median with them off, and every service scraped), then what is reported beside it: what was
 * scraped, CPU per saga and memory with metrics off and on.
 */
export function metricsChecks(comparison: MetricsComparison): Check[] {
  const off = median(comparison.completedPerSecond.off);
  const on = median(comparison.completedPerSecond.on);
  const ratio = off > 0 ? on / off : NaN;
  const counts = Object.entries(comparison.scraped);
  const neverScraped = counts.filter(([, count]) => count.scrapes === 0).map(([name]) => name);
  const peakRss = (resources: ServiceResources[]) => resources.reduce((sum, r) => sum + r.peakRssMb, 0).toFixed(0);
  return [
    {
      what: 'metrics cost at most 3% of saga throughput',
      measured: `${describeSteps(comparison.completedPerSecond.on)} vs ${describeSteps(comparison.completedPerSecond.off)} = ${ratio.toFixed(3)} x (medians)${neverScraped.length > 0 ? `; never scraped: ${neverScraped.join(', ')}` : ''}`,
      target: `>= ${METRICS_TARGET} x`,
      ok: neverScraped.length === 0 && ratio >= METRICS_TARGET,
    },
    {
      what: 'scraped once a second with metrics on',
      measured: `${describeScrapes(addCounts(counts.map(([, count]) => count)))}; kB a scrape: ${counts.map(([name, count]) => `${name} ${kbPerScrape(count)}`).join(', ')}`,
      target: 'reported',
      ok: null,
    },
    {
      what: 'CPU ms per completed saga, metrics off / on',
      measured: `${describeCpu(comparison)} (medians of the steps)`,
      target: 'reported',
      ok: null,
    },
    {
      what: 'the five services, metrics off / on',
      measured: `summed peak RSS ${peakRss(comparison.resources.off)} / ${peakRss(comparison.resources.on)} MB; shared pages counted once ${describeFootprint(comparison.footprint.off)} / ${describeFootprint(comparison.footprint.on)} (first step of each)`,
      target: 'reported',
      ok: null,
    },
  ];
}
