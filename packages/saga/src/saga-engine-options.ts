import type { MessageContract } from '@shop/contracts';
import type { PoolClient } from '@shop/db';
import type { Logger } from '@shop/logger';
import type { CommandSender } from './command-sender';
import type { SagaStore } from './saga-store';

export interface SagaEngineOptions<Tx = PoolClient> {
  /** Where sagas and their deadlines live: `postgresSagaStore` in the services. */
  store: SagaStore<Tx>;
  /** How commands leave, in the transaction of the transition: `outboxCommandSender` in the services. */
  sender: CommandSender<Tx>;
  logger: Logger;
  /** How long a step may wait for its reply before it counts as failed (per-step override in the definition). */
  stepTimeoutMs: number;
  /** Compensations are retried until they succeed; the wait between tries grows up to this. */
  compensationRetryMaxMs: number;
  /**
   * Whether the answer to a command may still be coming: messages wait in the queue of the
   * participant it goes to (a spike, a paused consumer, a restart), or replies wait in front of the
   * orchestrator itself. While they do, nothing is failing, and the deadlines of the steps awaiting
   * it start again instead of firing. Without it, deadlines always fire.
   */
  participantBacklog?: (command: MessageContract) => Promise<boolean>;
  /** The time deadlines are set and checked against, in epoch milliseconds: Date.now unless a test moves it. */
  now?: () => number;
}
