import type { RatePhase } from './fixed-rate';
import { percentiles, type Percentiles } from './latency-stats';
import type { LoadRun } from './load-generator';
import type { QueueSample } from './queue-watch';
import type { SagaOutcome } from './saga-tracker';

/** One second of the run: what was offered, how fast POST /orders answered, how much work waited. */
export interface SpikeSecond {
  /** Seconds from the run's start. */
  second: number;
  /** Requests due in this second. */
  offered: number;
  /** Of the requests due in this second; null when none was. */
  postP50Ms: number | null;
  postP99Ms: number | null;
  /** Sagas accepted and not yet final at the end of this second. */
  inFlight: number;
  /** Sagas that became final in this second. */
  finished: number;
  /** Messages ready in the work queues, the latest reading at the end of this second; null without one. */
  queued: number | null;
}

export interface SpikeCheck {
  name: string;
  pass: boolean;
  detail: string;
}

export interface SpikeReport {
  /** The rate the run was told the shop sustains (`--rate`). */
  sustainableRate: number;
  phases: Array<RatePhase & { startSecond: number; sent: number; errors: number; post: Percentiles }>;
  /** Seconds from the spike's end until the sagas in flight and the queued messages were back to where they were before it; null if never within the run. */
  drainSeconds: number | null;
  /** Cancelled because a step's deadline passed ("did not answer"): the load's mix has no order that is meant to. */
  deadlineCancellations: number;
  checks: SpikeCheck[];
  timeline: SpikeSecond[];
  /** Why the queue depths are missing, when they are. */
  queueProblem?: string;
}

/** The spike's own ratio: POST p99 during it at most this many times the p99 before it. */
const P99_RATIO = 5;

export function buildSpikeReport(
  phases: readonly RatePhase[],
  sustainableRate: number,
  run: LoadRun,
  sagas: readonly SagaOutcome[],
  queues: readonly QueueSample[],
  queueProblem?: string,
): SpikeReport {
  const phaseReports = phases.map((phase, index) => {
    const outcomes = run.outcomes.filter((o) => o.phase === phase.name);
    return {
      ...phase,
      startSecond: phases.slice(0, index).reduce((sum, p) => sum + p.seconds, 0),
      sent: outcomes.length,
      errors: outcomes.filter((o) => o.error).length,
      post: percentiles(outcomes.map((o) => o.latencyMs)),
    };
  });
  const timeline = secondBySecond(run, sagas, queues);
  const before = phaseReports.find((p) => p.name === 'before');
  const spike = phaseReports.find((p) => p.name === 'spike');
  const spikeEnd = spike ? spike.startSecond + spike.seconds : 0;
  const beforeSeconds = timeline.filter((s) => before && s.second >= before.startSecond && s.second < before.startSecond + before.seconds);
  const level = (pick: (s: SpikeSecond) => number | null) => Math.max(0, ...beforeSeconds.map((s) => pick(s) ?? 0));
  const inFlightBefore = level((s) => s.inFlight);
  const queuedBefore = level((s) => s.queued);
  const drained = timeline.find((s) => s.second >= spikeEnd && s.inFlight <= inFlightBefore && (s.queued ?? 0) <= queuedBefore);
  const drainSeconds = drained ? drained.second + 1 - spikeEnd : null;
  const deadlineCancellations = sagas.filter((s) => s.status === 'CANCELLED' && /did not answer/.test(s.reason ?? '')).length;
  const pending = sagas.filter((s) => s.status === 'PENDING').length;
  const errors = run.outcomes.filter((o) => o.error).length;

  const checks: SpikeCheck[] = [
    {
      name: 'every request answered 202',
      pass: errors === 0 && run.dropped === 0,
      detail: `${errors} errors, ${run.dropped} not sent`,
    },
    {
      name: `POST /orders p99 during the spike at most ${P99_RATIO} x its p99 before`,
      pass: !!spike && !!before && spike.post.p99 <= P99_RATIO * before.post.p99,
      detail:
        spike && before
          ? `${ms(spike.post.p99)} against ${P99_RATIO} x ${ms(before.post.p99)} (${ratio(spike.post.p99, before.post.p99)})`
          : 'no spike',
    },
    { name: 'every order finished', pass: pending === 0, detail: `${pending} still pending when the run stopped following them` },
    {
      name: 'no order cancelled because a deadline passed',
      pass: deadlineCancellations === 0,
      detail: `${deadlineCancellations} cancelled as "did not answer"`,
    },
    {
      name: 'drained after the spike',
      pass: drainSeconds !== null,
      detail:
        drainSeconds === null
          ? 'still above the level before the spike when the run ended'
          : `${drainSeconds} s after it ended: sagas in flight at most ${inFlightBefore}${queuedBefore || queues.length ? ` and queued messages at most ${queuedBefore}` : ''}, as before it`,
    },
  ];
  return {
    sustainableRate,
    phases: phaseReports,
    drainSeconds,
    deadlineCancellations,
    checks,
    timeline,
    ...(queueProblem ? { queueProblem } : {}),
  };
}

/** The run second by second, from its start until its last saga finished or the queues' last reading. */
function secondBySecond(run: LoadRun, sagas: readonly SagaOutcome[], queues: readonly QueueSample[]): SpikeSecond[] {
  const start = run.startedAtMs;
  // A saga's life in run seconds: accepted (the server's clock, else when its 202 came) to final.
  const accepted = new Map(run.outcomes.flatMap((o) => (o.orderId ? [[o.orderId, o.dueMs + o.latencyMs] as const] : [])));
  const lives = sagas.map((saga) => ({
    from: saga.acceptedAt !== null ? saga.acceptedAt - start : (accepted.get(saga.orderId) ?? 0),
    to: saga.finishedAt !== null ? saga.finishedAt - start : Number.POSITIVE_INFINITY,
  }));
  // Until the last saga finished or the last queue reading, whichever came later.
  const lastSecond = Math.ceil(
    Math.max(
      run.elapsedSeconds * 1_000,
      lives.reduce((latest, life) => (Number.isFinite(life.to) ? Math.max(latest, life.to) : latest), 0),
      queues.reduce((latest, sample) => Math.max(latest, sample.at - start), 0),
    ) / 1_000,
  );
  const seconds: SpikeSecond[] = [];
  let sample = 0;
  for (let second = 0; second < lastSecond; second += 1) {
    const end = (second + 1) * 1_000;
    const due = run.outcomes.filter((o) => o.dueMs >= second * 1_000 && o.dueMs < end);
    const latency = due.length > 0 ? percentiles(due.map((o) => o.latencyMs)) : undefined;
    while (sample + 1 < queues.length && queues[sample + 1]!.at - start <= end) sample += 1;
    const reading = queues[sample] && queues[sample]!.at - start <= end ? queues[sample]! : undefined;
    seconds.push({
      second,
      offered: due.length,
      postP50Ms: latency ? latency.p50 : null,
      postP99Ms: latency ? latency.p99 : null,
      inFlight: lives.filter((life) => life.from <= end && life.to > end).length,
      finished: lives.filter((life) => life.to > second * 1_000 && life.to <= end).length,
      queued: reading ? reading.ready : null,
    });
  }
  return seconds;
}

const ms = (value: number) => `${value.toFixed(1)} ms`;
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(1)} x` : 'n/a');

const BLOCKS = '▁▂▃▄▅▆▇█';

/** A row of block characters, one per column of `width` seconds, scaled to the series' maximum. */
export function sparkline(values: ReadonlyArray<number | null>, columns: number): { line: string; max: number } {
  const per = Math.max(1, Math.ceil(values.length / columns));
  const buckets: Array<number | null> = [];
  for (let i = 0; i < values.length; i += per) {
    const present = values.slice(i, i + per).filter((v): v is number => v !== null);
    buckets.push(present.length > 0 ? Math.max(...present) : null);
  }
  const max = Math.max(0, ...buckets.map((v) => v ?? 0));
  const line = buckets
    .map((v) =>
      v === null ? ' ' : max === 0 ? BLOCKS[0]! : BLOCKS[Math.min(BLOCKS.length - 1, Math.floor((v / max) * (BLOCKS.length - 1) + 0.5))]!,
    )
    .join('');
  return { line, max };
}

export function formatSpikeReport(report: SpikeReport, columns = 70): string {
  const lines: string[] = [];
  const offered = report.phases.map((p) => `${p.rate.toFixed(1)}/s for ${p.seconds} s (${p.name})`).join(', then ');
  lines.push(`spike          --rate ${report.sustainableRate}/s taken as sustainable: offered ${offered}`);
  for (const phase of report.phases)
    lines.push(
      `  POST ${phase.name.padEnd(7)} ${String(phase.sent).padStart(6)} sent   p50 ${ms(phase.post.p50)}   p99 ${ms(phase.post.p99)}   max ${ms(phase.post.max)}   errors ${phase.errors}`,
    );
  lines.push(
    `  time to drain  ${report.drainSeconds === null ? 'not drained within the run' : `${report.drainSeconds} s after the spike ended`}`,
  );
  for (const check of report.checks) lines.push(`  ${check.pass ? 'PASS' : 'FAIL'}  ${check.name}: ${check.detail}`);
  const spike = report.phases.find((p) => p.name === 'spike');
  const per = Math.max(1, Math.ceil(report.timeline.length / columns));
  lines.push(
    `  over time, a column per ${per} s${spike ? `, the spike from ${spike.startSecond} s to ${spike.startSecond + spike.seconds} s` : ''} (each row scaled to its own maximum):`,
  );
  const rows: Array<[string, Array<number | null>, string]> = [
    ['offered /s', report.timeline.map((s) => s.offered), ''],
    ['POST p99', report.timeline.map((s) => s.postP99Ms), ' ms'],
    ['sagas in flight', report.timeline.map((s) => s.inFlight), ''],
    ['queued messages', report.timeline.map((s) => s.queued), ''],
    ['finished /s', report.timeline.map((s) => s.finished), ''],
  ];
  for (const [name, values, unit] of rows) {
    const { line, max } = sparkline(values, columns);
    lines.push(`    ${name.padEnd(16)} ${line}  max ${max.toFixed(unit ? 1 : 0)}${unit}`);
  }
  if (report.queueProblem) lines.push(`  queued messages unknown: ${report.queueProblem}`);
  return lines.join('\n');
}
