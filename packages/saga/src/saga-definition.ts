import type { MessageContract, PayloadOf } from '@shop/contracts';
import type { PoolClient } from '@shop/db';

/**
 * What an end-of-saga hook may do: write in the saga's transaction and send through the outbox.
 * `Tx` is that transaction: a PostgreSQL client in the services, an in-memory one in the engine's tests.
 */
export interface SagaHookContext<Tx = PoolClient> {
  tx: Tx;
  sagaId: string;
  send<C extends MessageContract>(contract: C, data: PayloadOf<C>): Promise<unknown>;
}

export interface SagaCommand<D> {
  contract: MessageContract;
  build(data: D): unknown;
}

export interface SagaStep<D> {
  name: string;
  invoke: SagaCommand<D>;
  /** The reply that means the step is done, and how it changes the saga's data. */
  onSuccess: { contract: MessageContract; apply(data: D, reply: unknown): D };
  /** Replies that mean the step failed for good, each with the reason it gives the customer. */
  onFailure: Array<{ contract: MessageContract; reason(reply: unknown, data: D): string }>;
  /** Undoes the step; `done` is the participant's reply that the undo happened. */
  compensation?: SagaCommand<D> & { done: MessageContract };
  timeoutMs?: number;
}

export interface SagaDefinition<D, Tx = PoolClient> {
  name: string;
  steps: ReadonlyArray<SagaStep<D>>;
  whenCompleted(context: SagaHookContext<Tx>, data: D): Promise<void>;
  whenCompensated(context: SagaHookContext<Tx>, data: D, reason: string): Promise<void>;
}

/**
 * Reads as the business process, in the style of Eventuate Tram's saga DSL:
 *
 *   defineSaga<Order>('order')
 *     .step('reserve-stock')
 *       .invoke(ReserveStock, (order) => ({ ... }))
 *       .onReply(StockReserved, (order, reply) => ({ ...order, lines: reply.lines }))
 *       .failOn(StockReservationRejected, (reply) => reply.detail)
 *       .withCompensation(ReleaseStock, (order) => ({ orderId: order.orderId }), StockReleased)
 *     .step('charge-payment') ...
 */
export function defineSaga<D, Tx = PoolClient>(name: string): SagaBuilder<D, Tx> {
  return new SagaBuilder<D, Tx>(name, []);
}

export class SagaBuilder<D, Tx = PoolClient> {
  constructor(
    protected readonly name: string,
    protected readonly steps: Array<Partial<SagaStep<D>> & { name: string }>,
  ) {}

  step(name: string): StepBuilder<D, Tx> {
    this.steps.push({ name, onFailure: [] });
    return new StepBuilder<D, Tx>(this.name, this.steps);
  }
}

export class StepBuilder<D, Tx = PoolClient> extends SagaBuilder<D, Tx> {
  private get current(): Partial<SagaStep<D>> & { name: string } {
    return this.steps[this.steps.length - 1]!;
  }

  invoke<C extends MessageContract>(contract: C, build: (data: D) => PayloadOf<C>): this {
    this.current.invoke = { contract, build };
    return this;
  }

  onReply<C extends MessageContract>(contract: C, apply: (data: D, reply: PayloadOf<C>) => D): this {
    this.current.onSuccess = { contract, apply: apply as (data: D, reply: unknown) => D };
    return this;
  }

  failOn<C extends MessageContract>(contract: C, reason: (reply: PayloadOf<C>, data: D) => string): this {
    this.current.onFailure!.push({ contract, reason: reason as (reply: unknown, data: D) => string });
    return this;
  }

  withCompensation<C extends MessageContract>(contract: C, build: (data: D) => PayloadOf<C>, done: MessageContract): this {
    this.current.compensation = { contract, build, done };
    return this;
  }

  /** Overrides the engine's default deadline for this step. */
  timeout(ms: number): this {
    this.current.timeoutMs = ms;
    return this;
  }

  whenCompleted(hook: SagaDefinition<D, Tx>['whenCompleted']): EndBuilder<D, Tx> {
    return new EndBuilder<D, Tx>(this.name, this.steps, hook);
  }
}

export class EndBuilder<D, Tx = PoolClient> {
  constructor(
    private readonly name: string,
    private readonly steps: Array<Partial<SagaStep<D>> & { name: string }>,
    private readonly completed: SagaDefinition<D, Tx>['whenCompleted'],
  ) {}

  whenCompensated(hook: SagaDefinition<D, Tx>['whenCompensated']): SagaDefinition<D, Tx> {
    const steps = this.steps.map((step) => {
      if (!step.invoke || !step.onSuccess) throw new Error(`saga ${this.name}: step ${step.name} needs invoke() and onReply()`);
      return step as SagaStep<D>;
    });
    const names = steps.map((s) => s.name);
    if (new Set(names).size !== names.length) throw new Error(`saga ${this.name}: step names must be unique`);
    return { name: this.name, steps, whenCompleted: this.completed, whenCompensated: hook };
  }
}

/** Every reply type the saga listens to: what its reply queue must be bound to. */
export function replyContracts<D, Tx>(definition: SagaDefinition<D, Tx>): MessageContract[] {
  const contracts = new Map<string, MessageContract>();
  for (const step of definition.steps) {
    contracts.set(step.onSuccess.contract.type, step.onSuccess.contract);
    for (const failure of step.onFailure) contracts.set(failure.contract.type, failure.contract);
    if (step.compensation) contracts.set(step.compensation.done.type, step.compensation.done);
  }
  return [...contracts.values()];
}
