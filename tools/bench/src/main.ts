import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { resourcesBetween, watchMemory, type ServiceResources } from '@shop/load/dist/src/service-resources';
import { formatSpikeReport } from '@shop/load/dist/src/spike-report';
import { COMPOSE_SCRAPE_INTERVAL_SECONDS, SERVICE_NAMES } from '@shop/catalog';
import type { Check } from './bench-check';
import { BenchEnvironment, PARTICIPANTS } from './bench-environment';
import { withClient } from './database-client';
import type { RateLatency } from './latency-at-rate';
import { readCounters } from './message-accounting';
import { compareMetrics, metricsChecks, type MetricsComparison } from './metrics-comparison';
import { compareReplicas, replicasChecks, type ReplicasComparison } from './replicas-comparison';
import { pgbenchTps } from './pgbench-reference';
import { expressHelloLatency, POST_STEP_SECONDS, postChecks, postLatencyAt, type PostLatency } from './post-latency';
import { providerLatencyChecks, providerLatencySummary, searchAtProviderLatencies } from './provider-latency-comparison';
import { sagaStep } from './saga-capacity';
import type { SpikeSeconds } from '@shop/load/dist/src/fixed-rate';
import { spikeChecks, spikeStep } from './spike-step';
import { describeFootprint, type ComparisonOptions } from './setting-rounds';
import { compareTracing, tracingChecks, type TracingComparison } from './tracing-comparison';
import { VacuumBetweenSteps } from './vacuum-between-steps';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const say = (line: string) => process.stdout.write(`${line}\n`);

const USAGE = `npm run bench [-- options]

  --step-seconds N          length of each measured step (15)
  --rates A,B,...           the sustainable-rate search's offered rates, tried in increasing order
                            (25,50,100,150,200,250,275,300,325,350,375,400,450,500)
  --post-rate N             POST /orders rate for the latency checks (half the sustainable rate)
  --post-rounds N           rounds of the POST /orders latency steps, the hello-world and the shop
                            alternating, before the one step with the participants stopped (3)
  --spike-seconds A,B,C     the spike: half the sustainable rate for A s, twice it for B s, half
                            again for C s (20,60,60)
  --tracing-rounds N        rounds of the tracing comparison (3)
  --metrics-rounds N        rounds of the metrics comparison (3)
  --replicas-rounds N       rounds of the replicas comparison (2)
  --warm-up-seconds N       in the comparisons, load at half the sustainable rate after each restart
                            and before the measured step, outside it (10; 0: none)
  --provider-latencies A,B  card provider latencies (ms) to search the sustainable rate at (0,200);
                            the rest of the bench runs at the first
  --only metrics|tracing|replicas|spike|post
                            only the sustainable-rate search at the first provider latency (for the
                            saturating rate, twice the sustainable one) and the metrics comparison,
                            the tracing one, the one of one against two processes of each
                            participant, the spike, or the POST /orders latency steps; no
                            references or memory checks
  --json FILE               where to write the figures (bench-results/bench-<time>.json)
  --keep                    keep the run's vhost and databases
  --help                    this text`;

/** The sections `--only` runs alone, after the sustainable-rate search. */
const ONLY = ['metrics', 'tracing', 'replicas', 'spike', 'post'] as const;
type Only = (typeof ONLY)[number];

/** The services, databases and settings every section of the bench runs with. */
interface BenchRun {
  environment: BenchEnvironment;
  databaseUrls: string[];
  /** Before a measured step: the sagas of the one before have finished, and their dead rows are gone. */
  betweenSteps: () => Promise<void>;
  stepSeconds: number;
  rates: number[];
  /** Undefined: half the sustainable rate the search finds. */
  postRate: number | undefined;
  postRounds: number;
  spikeSeconds: SpikeSeconds;
  tracingRounds: number;
  metricsRounds: number;
  replicasRounds: number;
  /** The comparisons' warm-up after each restart, at half the sustainable rate. */
  warmUpSeconds: number;
  providerLatencies: number[];
}

interface References {
  pgRef: Awaited<ReturnType<typeof pgbenchTps>>;
}

/** What a section of the bench found: its checks, and the figures it adds to the JSON file. */
interface Findings {
  checks: Check[];
  figures: Record<string, unknown>;
}

/** The saturating steps' rate: twice the sustainable rate (50/s when none was sustainable). */
const saturatingRateFor = (bestRate: number) => Math.max(2 * bestRate, 50);

/** Half the sustainable rate: a pace the shop keeps up with, with room to spare. */
const halfRateOf = (bestRate: number) => Math.max(1, Math.round(bestRate / 2));

/** What every comparison of settings runs with: its rate and rounds, the run's steps and warm-up. */
const comparisonOptions = (run: BenchRun, rate: number, rounds: number, bestRate: number): ComparisonOptions => ({
  rate,
  rounds,
  stepSeconds: run.stepSeconds,
  say,
  betweenSteps: run.betweenSteps,
  warmUp: { rate: halfRateOf(bestRate), seconds: run.warmUpSeconds },
});

/** ", each after N s at R/s to warm the restarted services up": how the comparisons' steps begin. */
const describeWarmUp = (run: BenchRun, bestRate: number) =>
  run.warmUpSeconds > 0 ? `, each after ${run.warmUpSeconds} s at ${halfRateOf(bestRate)}/s to warm the restarted services up` : '';

const ratio = (a: number, b: number) => (b > 0 ? a / b : NaN);

/**
 * `npm run bench`: the maximum sustainable saga rate (with the card provider answering at once
 * and slowly, `--provider-latencies`), POST /orders latency while sagas run and
 * with the participants stopped, the cost of tracing, of metrics and memory, each set against
 * references measured in the same run on the same machine (pgbench, an Express hello-world).
 * `--only <section>` runs one comparison (or the spike) alone, after the search that sets its rate.
 */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'step-seconds': { type: 'string', default: '15' },
      rates: { type: 'string', default: '25,50,100,150,200,250,275,300,325,350,375,400,450,500' },
      'post-rate': { type: 'string' },
      'post-rounds': { type: 'string', default: '3' },
      'spike-seconds': { type: 'string', default: '20,60,60' },
      'tracing-rounds': { type: 'string', default: '3' },
      'metrics-rounds': { type: 'string', default: '3' },
      'replicas-rounds': { type: 'string', default: '2' },
      'warm-up-seconds': { type: 'string', default: '10' },
      // The sustainable-rate search runs once per latency; the rest of the bench runs at the first.
      'provider-latencies': { type: 'string', default: '0,200' },
      only: { type: 'string' },
      json: { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    say(USAGE);
    return 0;
  }
  const only = values.only;
  if (only !== undefined && !ONLY.includes(only as Only)) throw new Error(`--only takes ${ONLY.join(', ')}, got ${only}\n\n${USAGE}`);
  const stepSeconds = Number(values['step-seconds']);
  const rates = values.rates.split(',').map(Number);
  const postRate = values['post-rate'] === undefined ? undefined : Number(values['post-rate']);
  const [before, spike, after] = values['spike-seconds'].split(',').map(Number);
  if (![before, spike, after].every((n) => n !== undefined && n > 0))
    throw new Error(`--spike-seconds expects three durations in seconds, e.g. 20,60,60, got ${values['spike-seconds']}`);
  const spikeSeconds = { before: before!, spike: spike!, after: after! };
  const tracingRounds = Number(values['tracing-rounds']);
  const metricsRounds = Number(values['metrics-rounds']);
  const replicasRounds = Number(values['replicas-rounds']);
  const postRounds = Number(values['post-rounds']);
  if (![tracingRounds, metricsRounds, replicasRounds, postRounds].every((rounds) => Number.isInteger(rounds) && rounds >= 1))
    throw new Error(`--tracing-rounds, --metrics-rounds, --replicas-rounds and --post-rounds expect a whole number of rounds, at least 1`);
  const warmUpSeconds = Number(values['warm-up-seconds']);
  if (!Number.isFinite(warmUpSeconds) || warmUpSeconds < 0)
    throw new Error(`--warm-up-seconds expects seconds, 0 or more, got ${values['warm-up-seconds']}`);
  const providerLatencies = values['provider-latencies'].split(',').map(Number);
  if (providerLatencies.some((ms) => !Number.isFinite(ms) || ms < 0))
    throw new Error(`--provider-latencies expects milliseconds, e.g. 0,200, got ${values['provider-latencies']}`);
  const benchStarted = performance.now();
  const jsonFile = values.json ?? path.join(REPO_ROOT, 'bench-results', `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const postgresUrl = process.env.POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

  let references: References | undefined;
  if (only === undefined) {
    say('references');
    const pgRef = await pgbenchTps(postgresUrl, 10);
    say(`  PostgreSQL: ${pgRef.tps?.toFixed(0) ?? '-'} tps (${pgRef.note})`);
    references = { pgRef };
  }

  const environment = await BenchEnvironment.create(REPO_ROOT);
  const databaseUrls = SERVICE_NAMES.map((name) => environment.databaseUrl(name));
  const vacuum = await VacuumBetweenSteps.forServer(postgresUrl, databaseUrls);
  if (vacuum.needed)
    say('  PostgreSQL runs with autovacuum off: the bench vacuums the service databases before each measured step in its place');
  const run: BenchRun = {
    environment,
    databaseUrls,
    betweenSteps: async () => {
      await waitForNoPending(environment.databaseUrl('order'));
      await vacuum.run();
    },
    stepSeconds,
    rates,
    postRate,
    postRounds,
    spikeSeconds,
    tracingRounds,
    metricsRounds,
    replicasRounds,
    warmUpSeconds,
    providerLatencies,
  };
  try {
    await environment.start(REPO_ROOT);
    const { checks, figures } = references ? await wholeBench(run, references) : await onlyAfterSearch(run, only as Only);
    say('\nresults');
    for (const check of checks)
      say(
        `  ${check.ok === null ? '    ' : check.ok ? 'pass' : 'FAIL'}  ${check.what.padEnd(46)} ${check.measured}  (target ${check.target})`,
      );
    mkdirSync(path.dirname(jsonFile), { recursive: true });
    writeFileSync(
      jsonFile,
      `${JSON.stringify({ at: new Date().toISOString(), node: process.version, ...(references ? { references: { pgbench: references.pgRef } } : { only }), vacuumedBetweenSteps: vacuum.needed, ...figures, checks }, null, 2)}\n`,
    );
    say(`\nfigures written to ${jsonFile}; the bench took ${((performance.now() - benchStarted) / 60_000).toFixed(1)} min`);
    return 0;
  } finally {
    await environment.close(values.keep);
  }
}

/** Every section, in order, each check against its target. */
async function wholeBench(run: BenchRun, { pgRef }: References): Promise<Findings> {
  const { environment, databaseUrls, betweenSteps, stepSeconds, rates, providerLatencies } = run;
  // VmHWM covers a process's whole life; the footprint is watched over the same span.
  const memoryOff = watchMemory(environment.sampleServices());

  say('messages and commits per order (happy path, 20/s for 10 s)');
  const before = await readCounters(databaseUrls);
  const happy = await sagaStep(environment.orderUrl, 20, 10, [['confirm', 1]]);
  await sleep(1_500); // pg_stat counters are flushed when backends go idle
  const after = await readCounters(databaseUrls);
  const messagesPerOrder = (after.handled - before.handled) / happy.sagas.endToEndMs.count;
  const commitsPerMessage = (after.commits - before.commits) / (after.handled - before.handled);
  say(`  ${messagesPerOrder.toFixed(1)} messages handled per order, ${commitsPerMessage.toFixed(2)} commits per handled message`);

  say(
    `saga capacity: steps of ${stepSeconds} s until 99% of orders take over 5 s from due to final, or any is dropped or left pending; once for each card provider latency (${providerLatencies.join(' and ')} ms), the provider switched at run time`,
  );
  const searches = await searchAtProviderLatencies(environment, {
    latenciesMs: providerLatencies,
    rates,
    stepSeconds,
    beforeStep: betweenSteps,
    say,
  });
  const baseline = searches[0]!;
  const { bestRate, bestThroughput } = baseline;
  const saturatingRate = saturatingRateFor(bestRate);
  await betweenSteps();
  const saturatedBefore = await readCounters(databaseUrls);
  const saturatedOff = await sagaStep(environment.orderUrl, saturatingRate, stepSeconds);
  await sleep(1_500);
  const saturatedAfter = await readCounters(databaseUrls);
  const commitsPerMessageSaturated =
    (saturatedAfter.commits - saturatedBefore.commits) / (saturatedAfter.handled - saturatedBefore.handled);
  say(
    `  at ${saturatingRate}/s offered (tracing off): ${saturatedOff.sagas.completedPerSecond.toFixed(1)} completed/s, ${commitsPerMessageSaturated.toFixed(2)} commits per handled message`,
  );

  say(
    `a spike: ${bestRate / 2}/s for ${run.spikeSeconds.before} s, ${2 * bestRate}/s for ${run.spikeSeconds.spike} s, ${bestRate / 2}/s for ${run.spikeSeconds.after} s (the sustainable rate halved, doubled, halved)`,
  );
  await betweenSteps();
  const spike = await spikeStep(environment.orderUrl, bestRate, run.spikeSeconds);
  say(formatSpikeReport(spike).replace(/^/gm, '  '));

  // VmHWM covers each process's whole life; the footprint was watched from the start through these steps.
  const { post, resources, afterRunning: footprintOff } = await measurePost(run, bestRate, () => memoryOff.stop());
  const peakRssMb = resources.reduce((sum, r) => sum + r.peakRssMb, 0);

  const tracing = await measureTracing(run, saturatingRate, bestRate);
  const { tracedResources, footprintOn } = tracing;
  const tracedPeakRssMb = tracedResources.reduce((sum, r) => sum + r.peakRssMb, 0);

  const metrics = await measureMetrics(run, saturatingRate, bestRate);
  const replicas = await measureReplicas(run, saturatingRate, bestRate);

  const checks: Check[] = [
    {
      what: 'sustainable sagas/s vs 0.10 x PostgreSQL tps',
      measured: `${bestThroughput.toFixed(1)}/s at ${bestRate}/s offered = ${pgRef.tps ? ratio(bestThroughput, pgRef.tps).toFixed(3) : '-'} x ${pgRef.tps?.toFixed(0) ?? '-'} tps`,
      target: `>= 0.10 x (${pgRef.tps ? (0.1 * pgRef.tps).toFixed(0) : '-'}/s)`,
      ok: pgRef.tps ? bestThroughput >= 0.1 * pgRef.tps : null,
    },
    ...providerLatencyChecks(searches),
    ...postChecks(post),
    ...spikeChecks(spike),
    ...tracingChecks(tracing),
    ...metricsChecks(metrics),
    ...replicasChecks(replicas),
    {
      what: 'the five services together under load, shared pages counted once',
      measured: describeFootprint(footprintOff),
      target: '<= 300 MB',
      ok: footprintOff.samples > 0 ? footprintOff.peakFootprintMb <= 300 : null,
    },
    {
      what: 'summed peak RSS of the five services',
      measured: `${peakRssMb.toFixed(0)} MB (${resources.map((r) => `${r.service} ${r.peakRssMb.toFixed(0)}`).join(', ')})`,
      target: 'reported (shared pages counted once per process)',
      ok: null,
    },
    {
      what: 'the same with tracing on (saturating step)',
      measured: `${tracedPeakRssMb.toFixed(0)} MB (${tracedResources.map((r) => `${r.service} ${r.peakRssMb.toFixed(0)}`).join(', ')})`,
      target: 'reported',
      ok: null,
    },
    {
      what: 'the five services together, shared pages counted once (tracing off / on)',
      measured: `${describeFootprint(footprintOff)} / ${describeFootprint(footprintOn)}`,
      target: 'reported',
      ok: null,
    },
    { what: 'messages handled per order (happy path)', measured: messagesPerOrder.toFixed(1), target: 'reported', ok: null },
    {
      what: 'database commits per handled message',
      measured: `${commitsPerMessage.toFixed(2)} at 20/s, ${commitsPerMessageSaturated.toFixed(2)} saturated`,
      target: 'reported (1 = one per message)',
      ok: null,
    },
  ];
  return {
    checks,
    figures: {
      messagesPerOrder,
      commitsPerMessage,
      commitsPerMessageSaturated,
      capacity: {
        providerLatencyMs: baseline.latencyMs,
        bestRate,
        bestThroughput,
        saturatingRate,
        saturatedOff: saturatedOff.sagas,
        tracingSteps: tracing.completedPerSecond,
      },
      metrics,
      replicas,
      providerLatency: providerLatencySummary(searches),
      post,
      spike,
      resources,
      tracedResources,
      footprintOff,
      footprintOn,
    },
  };
}

/**
 * `--only <section>`: the sustainable-rate search at the first provider latency, for the
 * saturating rate the whole bench would use, then that section alone at that rate.
 */
async function onlyAfterSearch(run: BenchRun, only: Only): Promise<Findings> {
  const latencyMs = run.providerLatencies[0]!;
  say(
    `saga capacity: steps of ${run.stepSeconds} s until 99% of orders take over 5 s from due to final, or any is dropped or left pending; the card provider at ${latencyMs} ms`,
  );
  const [search] = await searchAtProviderLatencies(run.environment, {
    latenciesMs: [latencyMs],
    rates: run.rates,
    stepSeconds: run.stepSeconds,
    beforeStep: run.betweenSteps,
    say,
  });
  const { bestRate, bestThroughput } = search!;
  const saturatingRate = saturatingRateFor(bestRate);
  const sustainable: Check = {
    what: `sustainable rate, provider at ${latencyMs} ms`,
    measured: `${bestRate}/s offered (${bestThroughput.toFixed(1)} completed/s); saturating steps at ${saturatingRate}/s`,
    target: 'reported',
    ok: null,
  };
  const capacity = { providerLatencyMs: latencyMs, bestRate, bestThroughput, saturatingRate };
  if (only === 'spike') {
    await run.betweenSteps();
    const spike = await spikeStep(run.environment.orderUrl, bestRate, run.spikeSeconds);
    say(formatSpikeReport(spike).replace(/^/gm, '  '));
    return { checks: [sustainable, ...spikeChecks(spike)], figures: { capacity, spike } };
  }
  if (only === 'post') {
    const { post } = await measurePost(run, bestRate, () => undefined);
    return { checks: [sustainable, ...postChecks(post)], figures: { capacity, post } };
  }
  if (only === 'tracing') {
    const tracing = await measureTracing(run, saturatingRate, bestRate);
    return { checks: [sustainable, ...tracingChecks(tracing)], figures: { capacity, tracing } };
  }
  if (only === 'metrics') {
    const metrics = await measureMetrics(run, saturatingRate, bestRate);
    return { checks: [sustainable, ...metricsChecks(metrics)], figures: { capacity, metrics } };
  }
  const replicas = await measureReplicas(run, saturatingRate, bestRate);
  return { checks: [sustainable, ...replicasChecks(replicas)], figures: { capacity, replicas } };
}

/**
 * `POST /orders` at half the sustainable rate (or --post-rate), the sync path while sagas run at
 * a pace the shop keeps up with: the hello-world and the shop in turn, then the shop once with the
 * participants stopped (`afterRunning` runs between, and what it returns is returned). The
 * participants stay stopped.
 */
async function measurePost<T>(
  run: BenchRun,
  bestRate: number,
  afterRunning: () => T,
): Promise<{ post: PostLatency; resources: ServiceResources[]; afterRunning: T }> {
  const { environment } = run;
  const rate = run.postRate ?? halfRateOf(bestRate);
  say(
    `POST /orders at ${rate}/s for ${POST_STEP_SECONDS} s: an Express hello-world and the shop while sagas run, alternating, ${run.postRounds} of each, then the shop with the four participants stopped`,
  );
  const post: PostLatency = { rate, helloWorld: [], running: [], stopped: [] };
  const shop = () => postLatencyAt(`${environment.orderUrl}/orders`, rate);
  const step = async (rounds: RateLatency[], what: string, measure: () => Promise<RateLatency>) => {
    const latency = await measure();
    rounds.push(latency);
    say(`  ${what.padEnd(22)} p50 ${latency.p50.toFixed(1)} ms p99 ${latency.p99.toFixed(1)} ms`);
  };
  const resourcesBefore = environment.sampleServices();
  for (let round = 0; round < run.postRounds; round += 1) {
    await step(post.helloWorld, 'hello-world', () => expressHelloLatency(rate));
    await run.betweenSteps();
    await step(post.running, 'shop, sagas running', shop);
  }
  const resources = resourcesBetween(resourcesBefore, environment.sampleServices());
  const whileRunning = afterRunning();
  for (const participant of PARTICIPANTS) await environment.supervisor.stop(participant);
  // Once: a saga waits SAGA_STEP_TIMEOUT_MS (10 s) for a stopped participant before its deadline
  // fires, and a longer stop would measure the deadline watcher at work, not placements alone.
  await step(post.stopped, 'participants stopped', shop);
  return { post, resources, afterRunning: whileRunning };
}

async function measureTracing(run: BenchRun, rate: number, bestRate: number): Promise<TracingComparison> {
  say(
    `saga capacity with tracing off, every order traced and one in ten: ${run.tracingRounds} rounds of ${run.stepSeconds} s at ${rate}/s, the order rotating, the services restarted for each step${describeWarmUp(run, bestRate)}, metrics off; spans go over OTLP http/protobuf to a sink in this process that counts and discards them`,
  );
  return compareTracing(run.environment, REPO_ROOT, comparisonOptions(run, rate, run.tracingRounds, bestRate));
}

async function measureReplicas(run: BenchRun, rate: number, bestRate: number): Promise<ReplicasComparison> {
  say(
    `saga capacity with one and two processes of each participant: ${run.replicasRounds} rounds of ${run.stepSeconds} s at ${rate}/s, the order rotating, the services restarted for each step${describeWarmUp(run, bestRate)}`,
  );
  return compareReplicas(run.environment, REPO_ROOT, comparisonOptions(run, rate, run.replicasRounds, bestRate));
}

/**
 * The metrics comparison: saturating steps, then steps at a quarter of the sustainable rate (on
 * against off where the machine has CPU to spare, reported), then at one order a second for what
 * metrics cost a second, then a saturating step of each setting with every service profiled for
 * what they add to a saga (metricsCost).
 */
async function measureMetrics(run: BenchRun, rate: number, bestRate: number): Promise<MetricsComparison> {
  const fixedRate = Math.max(2, Math.round(bestRate / 4));
  say(
    `saga capacity with metrics off and on: ${run.metricsRounds} rounds of ${run.stepSeconds} s at ${rate}/s, then as many at ${fixedRate}/s and at 1/s, the order rotating, then one more saturating step of each with every service under the CPU profiler, the services restarted for each step${describeWarmUp(run, bestRate)}; with metrics on (OTEL_TRACES_EXPORTER=none), a scraper process scrapes every service's /metrics every ${COMPOSE_SCRAPE_INTERVAL_SECONDS} s, as Prometheus does under compose`,
  );
  return compareMetrics(run.environment, REPO_ROOT, { ...comparisonOptions(run, rate, run.metricsRounds, bestRate), fixedRate });
}

async function waitForNoPending(orderDatabaseUrl: string, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { rows } = await withClient(orderDatabaseUrl, (client) =>
      client.query<{ n: number }>("SELECT count(*)::int AS n FROM orders WHERE status = 'PENDING'"),
    );
    if (rows[0]?.n === 0) return;
    await sleep(1_000);
  }
  throw new Error('orders still pending after the backlog wait');
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
