import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { arrivals, type RatePhase } from '../src/fixed-rate';
import type { LoadRun, RequestOutcome } from '../src/load-generator';
import { parseLoadArguments } from '../src/load-settings';
import type { QueueSample } from '../src/queue-watch';
import type { SagaOutcome } from '../src/saga-tracker';
import { buildSpikeReport, formatSpikeReport, sparkline } from '../src/spike-report';

const START = Date.parse('2026-11-28T12:00:00Z');
const PHASES: RatePhase[] = [
  { name: 'before', rate: 2, seconds: 2 },
  { name: 'spike', rate: 8, seconds: 2 },
  { name: 'after', rate: 2, seconds: 2 },
];

/**
 * A run of the phases in which each order is answered in `postMs(phase)` and its saga takes
 * `sagaMs(dueMs)`: the shop the tests describe, without the shop.
 */
function runOf(postMs: (phase: string) => number, sagaMs: (dueMs: number) => number, reason = (_i: number) => null as string | null) {
  const outcomes: RequestOutcome[] = arrivals(PHASES).map((arrival, i) => ({
    scenario: 'confirm',
    dueMs: arrival.dueMs,
    phase: arrival.phase,
    latencyMs: postMs(arrival.phase),
    status: 202,
    orderId: `order-${i}`,
  }));
  const run: LoadRun = { outcomes, dropped: 0, elapsedSeconds: 6, startedAtMs: START };
  const sagas: SagaOutcome[] = outcomes.map((o, i) => {
    const acceptedAt = START + o.dueMs + o.latencyMs;
    const finishedAt = acceptedAt + sagaMs(o.dueMs);
    const cancelled = reason(i);
    return {
      orderId: o.orderId!,
      status: cancelled ? 'CANCELLED' : 'CONFIRMED',
      reason: cancelled,
      endToEndMs: finishedAt - acceptedAt,
      acceptedAt,
      finishedAt,
    };
  });
  return { run, sagas };
}

const queueSamples = (ready: (second: number) => number): QueueSample[] =>
  Array.from({ length: 12 }, (_, second) => ({ at: START + second * 1_000, ready: ready(second), deadLetters: 0, byQueue: {} }));

describe('the spike report', () => {
  test('when the arrivals are laid out, then each phase has its rate for its seconds, one after the other', () => {
    const due = arrivals(PHASES);
    assert.equal(due.length, 4 + 16 + 4);
    assert.deepEqual(
      due.slice(0, 6).map((a) => [a.phase, a.dueMs]),
      [
        ['before', 0],
        ['before', 500],
        ['before', 1_000],
        ['before', 1_500],
        ['spike', 2_000],
        ['spike', 2_125],
      ],
    );
    assert.deepEqual(due.at(-1), { phase: 'after', dueMs: 5_500 });
  });

  test('when the queue absorbs the spike, then POST stays fast, the backlog drains, and every check passes', () => {
    // Sagas take 100 ms, except those of the spike, which wait behind each other for up to 3 s.
    const { run, sagas } = runOf(
      () => 10,
      (dueMs) => (dueMs >= 2_000 && dueMs < 4_000 ? 1_500 + (dueMs - 2_000) : 100),
    );
    const report = buildSpikeReport(
      PHASES,
      4,
      run,
      sagas,
      queueSamples((s) => (s >= 2 && s < 6 ? 10 : 0)),
    );
    assert.deepEqual(
      report.checks.map((c) => [c.name, c.pass]),
      [
        ['every request answered 202', true],
        ['POST /orders p99 during the spike at most 5 x its p99 before', true],
        ['every order finished', true],
        ['no order cancelled because a deadline passed', true],
        ['drained after the spike', true],
      ],
    );
    assert.deepEqual(
      report.phases.map((p) => [p.name, p.startSecond, p.sent]),
      [
        ['before', 0, 4],
        ['spike', 2, 16],
        ['after', 4, 4],
      ],
    );
    // The last spike saga (due 3.875 s) finishes at 3.875 + 0.01 + 3.375 = 7.26 s; the queue is empty from 6 s.
    assert.equal(report.drainSeconds, 4);
    // Until the queues' last reading, at 11 s.
    assert.equal(report.timeline.length, 11);
    assert.deepEqual(
      report.timeline.map((s) => s.offered),
      [2, 2, 8, 8, 2, 2, 0, 0, 0, 0, 0],
    );
    assert.equal(report.timeline[3]!.queued, 10);
    assert.ok(report.timeline[3]!.inFlight > report.timeline[1]!.inFlight, 'the spike leaves sagas in flight');
    assert.equal(
      report.timeline.reduce((sum, s) => sum + s.finished, 0),
      24,
      'every saga finishes in one second of the timeline',
    );
  });

  test('when POST slows in the spike, sagas stay pending and deadlines cancel orders, then those checks fail and say by how much', () => {
    const { run, sagas } = runOf(
      (phase) => (phase === 'spike' ? 90 : 10),
      () => 100,
      (i) => (i === 7 ? 'step charge-payment: payment did not answer within 10000 ms' : null),
    );
    sagas[20] = { ...sagas[20]!, status: 'PENDING', finishedAt: null, endToEndMs: null, acceptedAt: null };
    const report = buildSpikeReport(PHASES, 4, run, sagas, []);
    const failed = Object.fromEntries(report.checks.filter((c) => !c.pass).map((c) => [c.name, c.detail]));
    assert.deepEqual(Object.keys(failed), [
      'POST /orders p99 during the spike at most 5 x its p99 before',
      'every order finished',
      'no order cancelled because a deadline passed',
      'drained after the spike',
    ]);
    assert.match(failed['POST /orders p99 during the spike at most 5 x its p99 before']!, /90\.0 ms against 5 x 10\.0 ms \(9\.0 x\)/);
    assert.equal(report.deadlineCancellations, 1);
    const text = formatSpikeReport(report);
    assert.match(text, /FAIL {2}every order finished: 1 still pending/);
    assert.match(text, /time to drain +not drained within the run/);
  });

  test('when a series is drawn, then each column is the highest value of its seconds, scaled to the highest of all', () => {
    assert.deepEqual(sparkline([0, 1, 2, 3, 4, 5, 6, 7], 8), { line: '▁▂▃▄▅▆▇█', max: 7 });
    assert.deepEqual(sparkline([0, 7, null, null, 3, 0], 3), { line: '█ ▄', max: 7 });
  });

  test('when --spike is given, then --rate is taken as sustainable: half of it, twice it, half again', () => {
    const settings = parseLoadArguments(['--spike', '--rate', '100', '--before', '10', '--spike-seconds', '30', '--after', '20'], {});
    assert.deepEqual(settings.phases, [
      { name: 'before', rate: 50, seconds: 10 },
      { name: 'spike', rate: 200, seconds: 30 },
      { name: 'after', rate: 50, seconds: 20 },
    ]);
    assert.equal(settings.count, 500 + 6_000 + 1_000);
    assert.throws(() => parseLoadArguments(['--spike', '--duration', '5'], {}), /--spike sets its own length/);
    assert.equal(parseLoadArguments(['--rate', '10'], {}).phases, undefined);
  });
});
