import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { MessageContract, PayloadOf } from '@shop/contracts';
import { createLogger } from '@shop/logger';
import { createEnvelope, type Envelope } from '@shop/messaging';
import { DeadlineWatcher, SagaEngine, type SagaDefinition, type SagaState } from '../src/index';
import { InMemoryCommandSender } from './in-memory-command-sender';
import { InMemorySagaStore, MemoryTransaction } from './in-memory-saga-store';

export interface ScenarioSettings {
  stepTimeoutMs: number;
  compensationRetryMaxMs: number;
}

const logger = createLogger({ service: 'saga-test', level: 'silent' });

/**
 * A saga run in memory, in the style of FTGO's saga tests: given a definition and its data, when
 * something happens (it starts, a reply arrives, time passes), expect the commands it sends and
 * where it stands. Each call queues a step; awaiting the scenario runs them in order and then
 * checks that every message sent was expected.
 */
export function given<D>(
  definition: SagaDefinition<D, MemoryTransaction>,
  data: D,
  settings: Partial<ScenarioSettings> = {},
): SagaScenario<D> {
  return new SagaScenario(definition, data, { stepTimeoutMs: 10_000, compensationRetryMaxMs: 35_000, ...settings });
}

export class SagaScenario<D> implements PromiseLike<void> {
  readonly sagaId = randomUUID();
  clock = Date.parse('2026-11-28T09:00:00.000Z');
  readonly store = new InMemorySagaStore(() => this.clock);
  readonly sender = new InMemoryCommandSender();
  /** What the definition's end-of-saga hooks were called with. */
  readonly completed: D[] = [];
  readonly compensated: Array<{ data: D; reason: string }> = [];
  private readonly engine: SagaEngine<D, MemoryTransaction>;
  private readonly watcher: DeadlineWatcher<D, MemoryTransaction>;
  private readonly backlogAt = new Set<MessageContract>();
  private queuesUnreadable = false;
  private brokerReachable = true;
  private expected = 0;
  /** The message that caused what the saga sends now: the last reply, or none after a start or a deadline. */
  private cause: string | null = null;
  private lastReply?: { envelope: Envelope; contract: MessageContract };
  private steps: Promise<void> = Promise.resolve();

  constructor(
    definition: SagaDefinition<D, MemoryTransaction>,
    private readonly data: D,
    settings: ScenarioSettings,
  ) {
    const observed: SagaDefinition<D, MemoryTransaction> = {
      ...definition,
      whenCompleted: async (context, finished) => {
        this.completed.push(structuredClone(finished));
        await definition.whenCompleted(context, finished);
      },
      whenCompensated: async (context, finished, reason) => {
        this.compensated.push({ data: structuredClone(finished), reason });
        await definition.whenCompensated(context, finished, reason);
      },
    };
    this.engine = new SagaEngine(observed, {
      store: this.store,
      sender: this.sender,
      logger,
      ...settings,
      now: () => this.clock,
      participantBacklog: async (command) => {
        if (this.queuesUnreadable) throw new Error('broker unreachable');
        return this.backlogAt.has(command);
      },
    });
    this.watcher = new DeadlineWatcher(this.engine, {
      store: this.store,
      transaction: (work) => MemoryTransaction.run(work),
      logger,
      pollIntervalMs: 250,
    });
  }

  then<R1 = void, R2 = never>(
    onFulfilled?: ((value: void) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): PromiseLike<R1 | R2> {
    return this.steps.then(() => this.nothingUnexpected()).then(onFulfilled, onRejected);
  }

  // --- when: what happens to the saga ---

  whenStarted(): this {
    return this.step(() => {
      this.cause = null;
      return MemoryTransaction.run((tx) => this.engine.start(tx, this.sagaId, this.data));
    });
  }

  /** A participant answers the last command sent (`to` one of an earlier type; `copy` 1 for the first copy of a resent one). */
  andGivenReply<C extends MessageContract>(
    contract: C,
    data: PayloadOf<C>,
    { to, copy }: { to?: MessageContract; copy?: number } = {},
  ): this {
    return this.step(() => {
      const commands = this.sender.sent.filter(
        (m) => m.correlationId === this.sagaId && m.kind === 'command' && (!to || m.type === to.type),
      );
      const command = copy === undefined ? commands.at(-1) : commands[copy - 1];
      assert.ok(command, `a ${to?.type ?? 'command'} was sent to reply to`);
      return this.deliver(contract, createEnvelope(contract, data, { correlationId: this.sagaId, causationId: command.id }));
    });
  }

  /** The participant answers the same command again (it handled it twice): a second message, the same causation. */
  andGivenTheSameReplyAgain(): this {
    return this.step(() => {
      assert.ok(this.lastReply, 'a reply was given before');
      return this.deliver(this.lastReply.contract, { ...this.lastReply.envelope, id: randomUUID() });
    });
  }

  whenReplyForAnotherSaga<C extends MessageContract>(contract: C, data: PayloadOf<C>): this {
    return this.step(() =>
      this.deliver(contract, createEnvelope(contract, data, { correlationId: randomUUID(), causationId: randomUUID() })),
    );
  }

  /** The clock moves on and the deadline watcher polls once. */
  whenTimePasses(ms: number): this {
    return this.step(() => this.passTime(ms));
  }

  /** The clock reaches the saga's deadline, exactly, and the deadline watcher polls once. */
  whenDeadlinePasses(): this {
    return this.step(() => {
      const deadline = this.saga().deadlineAt;
      assert.ok(deadline, 'the saga has a deadline');
      return this.passTime(deadline.getTime() - this.clock);
    });
  }

  andGivenBacklogAt(command: MessageContract): this {
    return this.step(() => void this.backlogAt.add(command));
  }

  andGivenBacklogCleared(): this {
    return this.step(() => this.backlogAt.clear());
  }

  andGivenQueuesUnreadable(): this {
    return this.step(() => void (this.queuesUnreadable = true));
  }

  /** Commands are written to the outbox but cannot leave. */
  andGivenBrokerUnreachable(): this {
    return this.step(() => void (this.brokerReachable = false));
  }

  whenBrokerReturns(): this {
    return this.step(() => {
      this.brokerReachable = true;
      return this.sender.relay();
    });
  }

  // --- then: what the saga sent and where it stands ---

  /** The next message the saga sent is this command (with this payload, when given). */
  expectCommand<C extends MessageContract>(contract: C, data?: PayloadOf<C>): this {
    return this.step(() => this.expectNext('command', contract, data));
  }

  /** The next message sent is this event (a hook's). */
  expectEvent<C extends MessageContract>(contract: C, data?: PayloadOf<C>): this {
    return this.step(() => this.expectNext('event', contract, data));
  }

  expectNothingSent(): this {
    return this.step(() => this.nothingUnexpected());
  }

  expectState(state: SagaState): this {
    return this.step(() => assert.equal(this.saga().state, state));
  }

  /** The awaited reply is due this long from now. */
  expectDeadlineIn(ms: number): this {
    return this.step(() => assert.equal((this.saga().deadlineAt?.getTime() ?? Number.NaN) - this.clock, ms));
  }

  expectCompleted(data?: D): this {
    return this.step(() => {
      this.expectFinished('COMPLETED');
      assert.equal(this.completed.length, 1, 'whenCompleted was called once');
      assert.equal(this.compensated.length, 0, 'whenCompensated was not called');
      if (data !== undefined) assert.deepEqual(this.completed[0], data);
    });
  }

  expectCompensated(reason: string): this {
    return this.step(() => {
      this.expectFinished('COMPENSATED');
      assert.equal(this.completed.length, 0, 'whenCompleted was not called');
      assert.deepEqual(
        this.compensated.map((call) => call.reason),
        [reason],
        'whenCompensated was called once, with the reason',
      );
    });
  }

  /** The saga's step log, one `step action outcome[: detail]` line an entry. */
  expectStepLog(lines: string[]): this {
    return this.step(() => assert.deepEqual(this.store.history(this.sagaId), lines));
  }

  private step(work: () => unknown): this {
    this.steps = this.steps.then(async () => {
      await work();
    });
    return this;
  }

  private async passTime(ms: number): Promise<void> {
    this.nothingUnexpected();
    this.cause = null;
    this.clock += ms;
    await this.watcher.fireDue();
    if (this.brokerReachable) await this.sender.relay();
  }

  private async deliver(contract: MessageContract, envelope: Envelope): Promise<void> {
    this.nothingUnexpected();
    this.lastReply = { envelope, contract };
    this.cause = envelope.id;
    await MemoryTransaction.run((tx) => this.engine.onReply(tx, envelope, contract));
    if (this.brokerReachable) await this.sender.relay();
  }

  private expectNext(kind: 'command' | 'event', contract: MessageContract, data: unknown): void {
    const message = this.sender.sent[this.expected];
    assert.ok(message, `the saga sent ${contract.type}, but nothing more was sent`);
    assert.equal(message.type, contract.type, `the next message sent is ${contract.type}`);
    assert.equal(message.kind, kind);
    assert.equal(message.correlationId, this.sagaId, 'it carries the saga id as correlation id');
    assert.equal(message.causationId, this.cause, 'it names the message that caused it');
    if (data !== undefined) assert.deepEqual(message.data, data);
    this.expected += 1;
  }

  private nothingUnexpected(): void {
    const unexpected = this.sender.sent.slice(this.expected).map((m) => m.type);
    assert.deepEqual(unexpected, [], 'every message the saga sent was expected');
  }

  private expectFinished(state: SagaState): void {
    const saga = this.saga();
    assert.equal(saga.state, state);
    assert.equal(saga.awaitingMessageId, null, 'it awaits nothing more');
    assert.equal(saga.deadlineAt, null, 'it has no deadline left');
  }

  private saga() {
    const saga = this.store.find<D>(this.sagaId);
    assert.ok(saga, 'the saga was stored');
    return saga;
  }
}
