import { metrics } from '@opentelemetry/api';
import { Buckets, TallyCounter } from '@shop/telemetry';

/**
 * The saga's measurements (docs/metrics.md). The engine records them after the transaction of the
 * transition commits (SagaStore.afterCommit), so what they count is what happened. The counters
 * are TallyCounters, counted in process and read at each scrape (decision 0022).
 */
const meter = metrics.getMeter('@shop/saga');

const started = new TallyCounter(meter, 'shop.saga.started', { unit: '{saga}', description: 'Sagas started.' });
const finished = new TallyCounter(meter, 'shop.saga.finished', {
  unit: '{saga}',
  description: 'Sagas finished: completed, or compensated with the step that failed and why.',
});
const duration = meter.createHistogram('shop.saga.duration', {
  unit: 's',
  description: 'From a saga starting (the order accepted) to its final state.',
  advice: { explicitBucketBoundaries: [...Buckets.long] },
});
const stepDuration = meter.createHistogram('shop.saga.step.duration', {
  unit: 's',
  description: 'From a step’s command (or compensation) sent to its reply, or to its deadline.',
  advice: { explicitBucketBoundaries: [...Buckets.long] },
});
const deadlines = new TallyCounter(meter, 'shop.saga.deadlines', {
  unit: '{deadline}',
  description: 'Deadlines fired: a step timed out (invoke), or a compensation was sent again (compensate).',
});
const postponed = new TallyCounter(meter, 'shop.saga.deadlines.postponed', {
  unit: '{deadline}',
  description: 'Due deadlines started again because the participant awaited had messages waiting in its queue.',
});

export type StepAction = 'invoke' | 'compensate';
export type StepOutcome = 'succeeded' | 'failed' | 'timed-out';

function countStarted(saga: string, count: number): void {
  started.add(saga, count, () => ({ 'saga.name': saga }));
}

function countCompleted(saga: string, count: number): void {
  finished.add(`${saga}\u0000completed`, count, () => ({ 'saga.name': saga, 'saga.outcome': 'completed' }));
}

function countCompensated(saga: string, failedStep: string, reason: string, count: number): void {
  finished.add(`${saga}\u0000compensated\u0000${failedStep}\u0000${reason}`, count, () => ({
    'saga.name': saga,
    'saga.outcome': 'compensated',
    'saga.failed_step': failedStep,
    'saga.reason': reason,
  }));
}

function countDeadline(saga: string, step: string, action: StepAction, count: number): void {
  deadlines.add(`${saga}\u0000${step}\u0000${action}`, count, () => ({ 'saga.name': saga, 'saga.step': step, 'saga.action': action }));
}

function countPostponed(saga: string, count: number): void {
  postponed.add(saga, count, () => ({ 'saga.name': saga }));
}

export const SagaMetrics = {
  /**
   * Every series the definition can produce, at 0: each outcome with each failed step and reason
   * it names, each deadline. A counter that has a series from the start makes `rate()` and
   * `increase()` count its first event, and dashboards and alerts find their series before
   * anything went wrong.
   */
  declare(saga: string, steps: ReadonlyArray<{ name: string; failures: readonly string[]; compensated: boolean }>): void {
    countStarted(saga, 0);
    countCompleted(saga, 0);
    countPostponed(saga, 0);
    for (const step of steps) {
      for (const reason of [...step.failures, 'timed-out']) countCompensated(saga, step.name, reason, 0);
      countDeadline(saga, step.name, 'invoke', 0);
      if (step.compensated) countDeadline(saga, step.name, 'compensate', 0);
    }
  },

  started(saga: string): void {
    countStarted(saga, 1);
  },

  completed(saga: string, seconds: number): void {
    countCompleted(saga, 1);
    duration.record(seconds, { 'saga.name': saga, 'saga.outcome': 'completed' });
  },

  /** `failedStep` and `reason` (the failure reply's type, or `timed-out`) say why it was undone. */
  compensated(saga: string, seconds: number, failedStep: string | null, reason: string | null): void {
    countCompensated(saga, failedStep ?? 'unknown', reason ?? 'unknown', 1);
    duration.record(seconds, { 'saga.name': saga, 'saga.outcome': 'compensated' });
  },

  step(saga: string, step: string, action: StepAction, outcome: StepOutcome, seconds: number): void {
    stepDuration.record(seconds, { 'saga.name': saga, 'saga.step': step, 'saga.action': action, 'saga.step_outcome': outcome });
  },

  deadline(saga: string, step: string, action: StepAction): void {
    countDeadline(saga, step, action, 1);
  },

  postponed(saga: string, count: number): void {
    countPostponed(saga, count);
  },
};
