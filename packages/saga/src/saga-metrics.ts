import { metrics } from '@opentelemetry/api';
import { Buckets } from '@shop/telemetry';

/**
 * The saga's measurements (docs/metrics.md). The engine records them after the transaction of the
 * transition commits (SagaStore.afterCommit), so what they count is what happened.
 */
const meter = metrics.getMeter('@shop/saga');

const started = meter.createCounter('shop.saga.started', { unit: '{saga}', description: 'Sagas started.' });
const finished = meter.createCounter('shop.saga.finished', {
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
const deadlines = meter.createCounter('shop.saga.deadlines', {
  unit: '{deadline}',
  description: 'Deadlines fired: a step timed out (invoke), or a compensation was sent again (compensate).',
});
const postponed = meter.createCounter('shop.saga.deadlines.postponed', {
  unit: '{deadline}',
  description: 'Due deadlines started again because the participant awaited had messages waiting in its queue.',
});

export type StepAction = 'invoke' | 'compensate';
export type StepOutcome = 'succeeded' | 'failed' | 'timed-out';

export const SagaMetrics = {
  /**
   * Every series the definition can produce, at 0: each outcome with each failed step and reason
   * it names, each deadline. A counter that has a series from the start makes `rate()` and
   * `increase()` count its first event, and dashboards and alerts find their series before
   * anything went wrong.
   */
  declare(saga: string, steps: ReadonlyArray<{ name: string; failures: readonly string[]; compensated: boolean }>): void {
    started.add(0, { 'saga.name': saga });
    finished.add(0, { 'saga.name': saga, 'saga.outcome': 'completed' });
    postponed.add(0, { 'saga.name': saga });
    for (const step of steps) {
      for (const reason of [...step.failures, 'timed-out']) {
        finished.add(0, { 'saga.name': saga, 'saga.outcome': 'compensated', 'saga.failed_step': step.name, 'saga.reason': reason });
      }
      deadlines.add(0, { 'saga.name': saga, 'saga.step': step.name, 'saga.action': 'invoke' });
      if (step.compensated) deadlines.add(0, { 'saga.name': saga, 'saga.step': step.name, 'saga.action': 'compensate' });
    }
  },

  started(saga: string): void {
    started.add(1, { 'saga.name': saga });
  },

  completed(saga: string, seconds: number): void {
    finished.add(1, { 'saga.name': saga, 'saga.outcome': 'completed' });
    duration.record(seconds, { 'saga.name': saga, 'saga.outcome': 'completed' });
  },

  /** `failedStep` and `reason` (the failure reply's type, or `timed-out`) say why it was undone. */
  compensated(saga: string, seconds: number, failedStep: string | null, reason: string | null): void {
    finished.add(1, {
      'saga.name': saga,
      'saga.outcome': 'compensated',
      'saga.failed_step': failedStep ?? 'unknown',
      'saga.reason': reason ?? 'unknown',
    });
    duration.record(seconds, { 'saga.name': saga, 'saga.outcome': 'compensated' });
  },

  step(saga: string, step: string, action: StepAction, outcome: StepOutcome, seconds: number): void {
    stepDuration.record(seconds, { 'saga.name': saga, 'saga.step': step, 'saga.action': action, 'saga.step_outcome': outcome });
  },

  deadline(saga: string, step: string, action: StepAction): void {
    deadlines.add(1, { 'saga.name': saga, 'saga.step': step, 'saga.action': action });
  },

  postponed(saga: string, count: number): void {
    postponed.add(count, { 'saga.name': saga });
  },
};
