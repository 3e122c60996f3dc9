import { histogram, percentiles, type HistogramBucket, type Percentiles } from './latency-stats';
import type { LoadRun } from './load-generator';
import type { LoadSettings } from './load-settings';
import type { SagaOutcome } from './saga-tracker';
import type { MemoryFootprint, ServiceResources } from './service-resources';
import type { SpikeReport } from './spike-report';

export interface LoadReport {
  settings: { url: string; rate: number; count: number; mix: Record<string, number> };
  post: {
    achievedRate: number;
    latencyMs: Percentiles;
    latencyHistogram: HistogramBucket[];
    errors: Record<string, number>;
    dropped: number;
  };
  sagas: {
    endToEndMs: Percentiles;
    /**
     * From when each order was due to be sent to its final status: its POST latency (from when it
     * was due, so time spent waiting to be sent or accepted counts) plus accepted to final. This
     * is what a customer waits; accepted-to-final alone hides a backlog in front of POST /orders.
     */
    dueToFinalMs: Percentiles;
    /** Of accepted to final. */
    endToEndHistogram: HistogramBucket[];
    outcomes: Record<string, number>;
    completedPerSecond: number;
    pending: number;
  };
  services: ServiceResources[];
  /** The services' memory with the pages they share counted once (absent where /proc is not readable). */
  memory?: MemoryFootprint;
  /** `--spike`: the phases, the checks and the run second by second. */
  spike?: SpikeReport;
}

export function buildReport(
  settings: LoadSettings,
  run: LoadRun,
  sagas: SagaOutcome[],
  services: ServiceResources[],
  memory?: MemoryFootprint,
): LoadReport {
  const errors: Record<string, number> = {};
  for (const outcome of run.outcomes) if (outcome.error) errors[outcome.error] = (errors[outcome.error] ?? 0) + 1;
  const outcomes: Record<string, number> = {};
  for (const saga of sagas) {
    const key = saga.status === 'CANCELLED' ? `CANCELLED (${shorten(saga.reason ?? '')})` : saga.status;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  }
  const finished = sagas.filter((s) => s.finishedAt !== null);
  const postLatency = new Map(run.outcomes.flatMap((o) => (o.orderId ? [[o.orderId, o.latencyMs] as const] : [])));
  const span =
    finished.length > 1
      ? (Math.max(...finished.map((s) => s.finishedAt!)) - Math.min(...finished.map((s) => s.finishedAt! - s.endToEndMs!))) / 1_000
      : 0;
  return {
    settings: { url: settings.url, rate: settings.rate, count: settings.count, mix: Object.fromEntries(settings.mix) },
    post: {
      achievedRate: run.outcomes.length / run.elapsedSeconds,
      latencyMs: percentiles(run.outcomes.map((o) => o.latencyMs)),
      latencyHistogram: histogram(run.outcomes.map((o) => o.latencyMs)),
      errors,
      dropped: run.dropped,
    },
    sagas: {
      endToEndMs: percentiles(finished.map((s) => s.endToEndMs!)),
      dueToFinalMs: percentiles(finished.map((s) => (postLatency.get(s.orderId) ?? 0) + s.endToEndMs!)),
      endToEndHistogram: histogram(finished.map((s) => s.endToEndMs!)),
      outcomes,
      completedPerSecond: span > 0 ? finished.length / span : 0,
      pending: sagas.length - finished.length,
    },
    services,
    ...(memory && memory.samples > 0 ? { memory } : {}),
  };
}

/** Reasons carry ids and amounts; the first words say which kind it was. */
function shorten(reason: string): string {
  if (/did not answer/.test(reason)) return reason.replace(/ within \d+ ms/, '');
  return reason.split(':')[0]!.slice(0, 40);
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

export function formatReport(report: LoadReport): string {
  const lines: string[] = [];
  const { post, sagas } = report;
  lines.push(`POST /orders   ${post.latencyMs.count} sent at ${post.achievedRate.toFixed(1)}/s (asked ${report.settings.rate}/s)`);
  lines.push(
    `  latency      p50 ${ms(post.latencyMs.p50)}   p90 ${ms(post.latencyMs.p90)}   p99 ${ms(post.latencyMs.p99)}   max ${ms(post.latencyMs.max)}   (from when each was due)`,
  );
  const errorKinds = Object.entries(post.errors);
  lines.push(
    `  errors       ${errorKinds.length === 0 ? 'none' : errorKinds.map(([kind, n]) => `${n} ${kind}`).join(', ')}${post.dropped ? `; ${post.dropped} not sent (too many in flight)` : ''}`,
  );
  lines.push(
    `sagas          ${sagas.endToEndMs.count} finished, ${sagas.pending} still pending, ${sagas.completedPerSecond.toFixed(1)} completed/s`,
  );
  lines.push(
    `  accepted to final   p50 ${ms(sagas.endToEndMs.p50)}   p90 ${ms(sagas.endToEndMs.p90)}   p99 ${ms(sagas.endToEndMs.p99)}   max ${ms(sagas.endToEndMs.max)}`,
  );
  lines.push(
    `  due to final        p50 ${ms(sagas.dueToFinalMs.p50)}   p90 ${ms(sagas.dueToFinalMs.p90)}   p99 ${ms(sagas.dueToFinalMs.p99)}   max ${ms(sagas.dueToFinalMs.max)}   (POST latency from when due + accepted to final)`,
  );
  for (const [outcome, n] of Object.entries(sagas.outcomes).sort((a, b) => b[1] - a[1]))
    lines.push(`  ${String(n).padStart(6)}  ${outcome}`);
  if (report.services.length === 0) {
    lines.push('services       not visible from here (no /proc access to their processes)');
  } else {
    lines.push('services       CPU (share of one core during the run)   peak RSS');
    for (const s of report.services)
      lines.push(
        `  ${s.service.padEnd(10)}   ${s.cpuPercent.toFixed(0).padStart(4)} %                                ${s.peakRssMb.toFixed(0)} MB`,
      );
    lines.push(
      `  ${'total'.padEnd(10)}   ${report.services
        .reduce((a, s) => a + s.cpuPercent, 0)
        .toFixed(0)
        .padStart(4)} %                                ${report.services.reduce((a, s) => a + s.peakRssMb, 0).toFixed(0)} MB`,
    );
    if (report.memory) {
      lines.push(
        `  together, shared pages (the node binary) counted once: peak ${report.memory.peakFootprintMb.toFixed(0)} MB, of it ${report.memory.peakPrivateMb.toFixed(0)} MB private`,
      );
    }
  }
  return lines.join('\n');
}
