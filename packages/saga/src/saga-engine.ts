import { context, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import type { MessageContract } from '@shop/contracts';
import type { PoolClient } from '@shop/db';
import type { Logger } from '@shop/logger';
import { captureContext, extractContext, on, type Envelope, type MessageHandler } from '@shop/messaging';
import { inSpan, secondsSince, startSpan } from '@shop/telemetry';
import { BusyParticipants, type AwaitingSaga } from './busy-participants';
import type { CommandSender } from './command-sender';
import { replyContracts, type SagaDefinition, type SagaHookContext, type SagaStep } from './saga-definition';
import type { SagaEngineOptions } from './saga-engine-options';
import { SagaMetrics, type StepAction, type StepOutcome } from './saga-metrics';
import type { DueSaga, SagaInstance, SagaStore } from './saga-store';

export type { SagaEngineOptions } from './saga-engine-options';

const tracer = trace.getTracer('@shop/saga');

/**
 * Runs a saga definition. State lives in its store (`saga_instances`) and every transition happens
 * in the transaction of the reply or deadline that caused it, together with the next command it
 * sends (an outbox row), so a crash at any point resumes exactly where it stopped.
 *
 * Forward: invoke step i, await its reply (matched by causation id to the command sent), then
 * step i+1. A failure reply compensates the steps before i; a missed deadline compensates step i
 * too, since it may have happened. Compensations run in reverse order, each awaited and resent
 * with growing delays until the participant confirms it.
 */
export class SagaEngine<D, Tx = PoolClient> {
  private readonly log: Logger;
  private readonly store: SagaStore<Tx>;
  private readonly sender: CommandSender<Tx>;
  private readonly now: () => number;
  private readonly busyParticipants?: BusyParticipants;

  constructor(
    readonly definition: SagaDefinition<D, Tx>,
    private readonly options: SagaEngineOptions<Tx>,
  ) {
    this.log = options.logger.child({ saga: definition.name });
    this.store = options.store;
    this.sender = options.sender;
    this.now = options.now ?? Date.now;
    if (options.participantBacklog) this.busyParticipants = new BusyParticipants(options.participantBacklog, this.now, this.log);
    SagaMetrics.declare(
      definition.name,
      definition.steps.map((step) => ({
        name: step.name,
        failures: step.onFailure.map((failure) => failure.contract.type),
        compensated: step.compensation !== undefined,
      })),
    );
    // A saga's command carries the saga id as its correlation id, so the sagas are found by key.
    this.sender.onLeft((tx, left) => this.store.restartWaits(tx, left));
  }

  /** Starts a saga in the caller's transaction, with the state change that caused it. */
  async start(tx: Tx, sagaId: string, data: D): Promise<void> {
    const saga: SagaInstance<D> = {
      id: sagaId,
      sagaType: this.definition.name,
      state: 'RUNNING',
      stepIndex: 0,
      data,
      awaitingMessageId: null,
      deadlineAt: null,
      waitMs: 0,
      attempt: 0,
      failureReason: null,
      failedStep: null,
      failureKind: null,
      traceContext: captureContext(),
      createdAt: new Date(this.now()),
      updatedAt: new Date(this.now()),
    };
    await this.invoke(tx, saga, 0, null);
    await this.store.insert(tx, saga);
    this.store.afterCommit(tx, () => SagaMetrics.started(this.definition.name));
  }

  /** One handler per reply type the definition names, for the orchestrator's reply queue (whose transactions are PostgreSQL's). */
  replyHandlers(this: SagaEngine<D, PoolClient>): MessageHandler[] {
    // In a batch of replies every saga is locked up front, in one statement and in id order.
    const prepare = (tx: PoolClient, messages: readonly Envelope[]) =>
      this.store.lockMany(
        tx,
        messages.map((m) => m.correlationId),
      );
    return replyContracts(this.definition).map((contract) =>
      on(contract, ({ tx, message }) => this.onReply(tx, message, contract), { prepare }),
    );
  }

  /** A participant's reply: it moves the saga it belongs to, when that saga awaits it. */
  async onReply(tx: Tx, message: Envelope, contract: MessageContract): Promise<void> {
    const saga = await this.store.lock<D>(tx, message.correlationId);
    if (!saga || saga.sagaType !== this.definition.name) {
      this.log.warn({ sagaId: message.correlationId, type: message.type }, 'reply for an unknown saga ignored');
      return;
    }
    if (saga.awaitingMessageId === null || saga.awaitingMessageId !== message.causationId) {
      // A reply to a command we no longer wait for: a step that already timed out, or an earlier
      // copy of a resent compensation. The participant's own idempotency makes ignoring it safe.
      this.log.info({ sagaId: saga.id, type: message.type, state: saga.state }, 'late reply ignored');
      return;
    }
    const step = this.stepAt(saga);
    saga.traceContext = captureContext();
    // The consumer span of this reply says which order, step and outcome it was about.
    trace.getActiveSpan()?.setAttributes({ ...this.attributes(saga, step), 'saga.reply.type': contract.type });
    let moved = true;
    if (saga.state === 'RUNNING') moved = await this.onStepReply(tx, saga, step, message, contract);
    else if (saga.state === 'COMPENSATING') moved = await this.onCompensationReply(tx, saga, step, message, contract);
    if (moved) await this.store.save(tx, saga);
  }

  /** The reply to a step's command: on success the next step (or the end), on failure undo the steps before it. */
  private async onStepReply(
    tx: Tx,
    saga: SagaInstance<D>,
    step: SagaStep<D>,
    message: Envelope,
    contract: MessageContract,
  ): Promise<boolean> {
    const span = trace.getActiveSpan();
    if (contract.type === step.onSuccess.contract.type) {
      span?.setAttribute('saga.step.outcome', 'succeeded');
      this.measureStep(tx, saga, step, 'invoke', 'succeeded');
      saga.data = step.onSuccess.apply(saga.data, message.data);
      await this.record(tx, saga, step, 'invoke', 'succeeded', null);
      if (saga.stepIndex + 1 < this.definition.steps.length) await this.invoke(tx, saga, saga.stepIndex + 1, message.id);
      else await this.complete(tx, saga, message.id);
      return true;
    }
    const failure = step.onFailure.find((f) => f.contract.type === contract.type);
    if (!failure) {
      this.log.warn({ sagaId: saga.id, type: message.type, step: step.name }, 'reply does not belong to the current step; ignored');
      return false;
    }
    saga.failureReason = failure.reason(message.data, saga.data);
    saga.failedStep = step.name;
    saga.failureKind = contract.type;
    this.measureStep(tx, saga, step, 'invoke', 'failed');
    span?.setAttribute('saga.step.outcome', 'failed');
    span?.setStatus({ code: SpanStatusCode.ERROR, message: saga.failureReason });
    await this.record(tx, saga, step, 'invoke', 'failed', saga.failureReason);
    await this.compensateFrom(tx, saga, saga.stepIndex - 1, message.id);
    return true;
  }

  /** The participant confirms the compensation awaited: undo the step before, or finish when none is left. */
  private async onCompensationReply(
    tx: Tx,
    saga: SagaInstance<D>,
    step: SagaStep<D>,
    message: Envelope,
    contract: MessageContract,
  ): Promise<boolean> {
    if (contract.type !== step.compensation?.done.type) {
      this.log.warn({ sagaId: saga.id, type: message.type, step: step.name }, 'reply does not match the compensation awaited; ignored');
      return false;
    }
    trace.getActiveSpan()?.setAttribute('saga.step.outcome', 'compensated');
    this.measureStep(tx, saga, step, 'compensate', 'succeeded');
    await this.record(tx, saga, step, 'compensate', 'succeeded', null);
    await this.compensateFrom(tx, saga, saga.stepIndex - 1, message.id);
    return true;
  }

  /** Of the sagas whose deadline is due, those whose participant is behind (BusyParticipants). */
  async awaitingBusyParticipants(due: readonly DueSaga[]): Promise<string[]> {
    if (!this.busyParticipants) return [];
    const awaiting: AwaitingSaga[] = [];
    for (const saga of due) {
      const step = this.definition.steps[saga.stepIndex];
      const command = saga.state === 'COMPENSATING' ? step?.compensation?.contract : step?.invoke.contract;
      if (step && command) awaiting.push({ id: saga.id, command, waitMs: step.timeoutMs ?? this.options.stepTimeoutMs });
    }
    return this.busyParticipants.awaitedBy(awaiting);
  }

  /** Called by the deadline watcher when a saga's awaited reply is late. Returns false when it no longer was. */
  async onDeadline(tx: Tx, sagaId: string): Promise<boolean> {
    const saga = await this.store.lock<D>(tx, sagaId);
    if (!saga?.deadlineAt || saga.deadlineAt.getTime() > this.now()) return false;
    if (saga.awaitingMessageId && !(await this.sender.hasLeft(tx, saga.awaitingMessageId))) {
      // The command never left (the broker is unreachable): nobody can be late yet. Its wait
      // starts again when the relay publishes it.
      saga.deadlineAt = new Date(this.now() + saga.waitMs);
      await this.store.save(tx, saga);
      return false;
    }
    const step = this.stepAt(saga);
    // Rejoin the order's trace: the timer has no context of its own.
    return context.with(extractContext(saga.traceContext), () =>
      inSpan(startSpan(tracer, `saga deadline ${step.name}`, { attributes: () => this.attributes(saga, step) }), async (span) => {
        saga.traceContext = captureContext();
        if (saga.state === 'RUNNING') {
          const timeoutMs = step.timeoutMs ?? this.options.stepTimeoutMs;
          saga.failureReason = `${step.name} did not answer within ${timeoutMs} ms`;
          saga.failedStep = step.name;
          saga.failureKind = 'timed-out';
          this.measureStep(tx, saga, step, 'invoke', 'timed-out');
          this.store.afterCommit(tx, () => SagaMetrics.deadline(this.definition.name, step.name, 'invoke'));
          await this.record(tx, saga, step, 'invoke', 'timed-out', saga.failureReason);
          span.setStatus({ code: SpanStatusCode.ERROR, message: saga.failureReason });
          await this.compensateFrom(tx, saga, saga.stepIndex, null);
        } else if (saga.state === 'COMPENSATING') {
          saga.attempt += 1;
          this.store.afterCommit(tx, () => SagaMetrics.deadline(this.definition.name, step.name, 'compensate'));
          this.log.warn({ sagaId: saga.id, step: step.name, attempt: saga.attempt + 1 }, 'compensation unanswered; sending it again');
          await this.sendCompensation(tx, saga, step, null);
        }
        await this.store.save(tx, saga);
        return true;
      }),
    );
  }

  private stepAt(saga: SagaInstance<D>): SagaStep<D> {
    const step = this.definition.steps[saga.stepIndex];
    if (!step) throw new Error(`saga ${saga.id} points at step ${saga.stepIndex}, which ${this.definition.name} does not have`);
    return step;
  }

  private async invoke(tx: Tx, saga: SagaInstance<D>, index: number, causationId: string | null): Promise<void> {
    saga.stepIndex = index;
    saga.attempt = 0;
    const step = this.stepAt(saga);
    await this.inSpan(`saga step ${step.name}`, saga, step, async () => {
      saga.awaitingMessageId = await this.sender.send(tx, step.invoke.contract, step.invoke.build(saga.data) as never, {
        correlationId: saga.id,
        causationId,
      });
      saga.waitMs = step.timeoutMs ?? this.options.stepTimeoutMs;
      saga.deadlineAt = new Date(this.now() + saga.waitMs);
      await this.record(tx, saga, step, 'invoke', 'started', null);
    });
  }

  /** Undoes the steps from `index` down to the first, one at a time; finishes when none is left. */
  private async compensateFrom(tx: Tx, saga: SagaInstance<D>, index: number, causationId: string | null): Promise<void> {
    for (let k = index; k >= 0; k -= 1) {
      const step = this.definition.steps[k];
      if (!step?.compensation) continue;
      saga.state = 'COMPENSATING';
      saga.stepIndex = k;
      saga.attempt = 0;
      await this.sendCompensation(tx, saga, step, causationId);
      return;
    }
    saga.state = 'COMPENSATED';
    saga.awaitingMessageId = null;
    saga.deadlineAt = null;
    await this.definition.whenCompensated(this.hookContext(tx, saga, causationId), saga.data, saga.failureReason ?? 'cancelled');
    const seconds = secondsSince(saga.createdAt.getTime(), this.now());
    const { failedStep, failureKind } = saga;
    this.store.afterCommit(tx, () => SagaMetrics.compensated(this.definition.name, seconds, failedStep, failureKind));
    this.log.info({ sagaId: saga.id, reason: saga.failureReason }, 'saga compensated');
  }

  private async sendCompensation(tx: Tx, saga: SagaInstance<D>, step: SagaStep<D>, causationId: string | null): Promise<void> {
    const compensation = step.compensation!;
    await this.inSpan(`saga compensate ${step.name}`, saga, step, async () => {
      saga.awaitingMessageId = await this.sender.send(tx, compensation.contract, compensation.build(saga.data) as never, {
        correlationId: saga.id,
        causationId,
      });
      const base = step.timeoutMs ?? this.options.stepTimeoutMs;
      saga.waitMs = Math.min(base * 2 ** saga.attempt, this.options.compensationRetryMaxMs);
      saga.deadlineAt = new Date(this.now() + saga.waitMs);
      await this.record(
        tx,
        saga,
        step,
        'compensate',
        saga.attempt === 0 ? 'started' : 'resent',
        saga.attempt === 0 ? null : `attempt ${saga.attempt + 1}`,
      );
    });
  }

  private async complete(tx: Tx, saga: SagaInstance<D>, causationId: string): Promise<void> {
    saga.state = 'COMPLETED';
    saga.awaitingMessageId = null;
    saga.deadlineAt = null;
    await this.definition.whenCompleted(this.hookContext(tx, saga, causationId), saga.data);
    const seconds = secondsSince(saga.createdAt.getTime(), this.now());
    this.store.afterCommit(tx, () => SagaMetrics.completed(this.definition.name, seconds));
    this.log.info({ sagaId: saga.id }, 'saga completed');
  }

  private hookContext(tx: Tx, saga: SagaInstance<D>, causationId: string | null): SagaHookContext<Tx> {
    return {
      tx,
      sagaId: saga.id,
      send: (contract, data) => this.sender.send(tx, contract, data, { correlationId: saga.id, causationId }),
    };
  }

  private async record(
    tx: Tx,
    saga: SagaInstance<D>,
    step: SagaStep<D>,
    action: 'invoke' | 'compensate',
    outcome: string,
    detail: string | null,
  ) {
    await this.store.log(tx, saga.id, { step: step.name, action, outcome, detail });
  }

  /**
   * The time the step's command (or compensation) waited for this outcome: from the saga's last
   * save, which sent it, to now. Counted once the transaction commits.
   */
  private measureStep(tx: Tx, saga: SagaInstance<D>, step: SagaStep<D>, action: StepAction, outcome: StepOutcome): void {
    const seconds = secondsSince(saga.updatedAt.getTime(), this.now());
    this.store.afterCommit(tx, () => SagaMetrics.step(this.definition.name, step.name, action, outcome, seconds));
  }

  private attributes(saga: SagaInstance<D>, step: SagaStep<D>): Attributes {
    return { [`${this.definition.name}.id`]: saga.id, 'saga.name': this.definition.name, 'saga.step': step.name, 'saga.state': saga.state };
  }

  private inSpan(name: string, saga: SagaInstance<D>, step: SagaStep<D>, work: () => Promise<void>): Promise<void> {
    return inSpan(startSpan(tracer, name, { attributes: () => this.attributes(saga, step) }), work);
  }
}
