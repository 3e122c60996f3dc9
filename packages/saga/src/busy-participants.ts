import type { MessageContract } from '@shop/contracts';
import type { Logger } from '@shop/logger';

/** A saga whose deadline is due: the command it awaits an answer to, and how long it waits for one. */
export interface AwaitingSaga {
  id: string;
  command: MessageContract;
  waitMs: number;
}

/**
 * Tells which sagas with a due deadline await a participant that is behind (decision 0013):
 * messages wait in its queue now (asked once per command type), or did less than the step's wait
 * ago, so a saga whose command was taken off a long queue a moment ago still gets a whole wait
 * for its reply. If the queue cannot be asked, it counts as behind: with the broker unreachable,
 * no reply could have come either. The last time each was seen behind is kept in memory: a
 * restarted watcher only knows what it sees.
 */
export class BusyParticipants {
  /** When each command type's participant was last seen with messages waiting in its queue. */
  private readonly lastSeenBehind = new Map<string, number>();

  constructor(
    private readonly probe: (command: MessageContract) => Promise<boolean>,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {}

  async awaitedBy(sagas: readonly AwaitingSaga[]): Promise<string[]> {
    const answers = new Map<MessageContract, Promise<boolean>>();
    const busy: string[] = [];
    for (const { id, command, waitMs } of sagas) {
      if (!answers.has(command)) answers.set(command, this.ask(command));
      const behindNow = await answers.get(command);
      const seen = this.lastSeenBehind.get(command.type);
      if (behindNow || (seen !== undefined && this.now() - seen < waitMs)) busy.push(id);
    }
    return busy;
  }

  private async ask(command: MessageContract): Promise<boolean> {
    const behind = await this.probe(command).catch((error: unknown) => {
      this.log.warn({ err: error, command: command.type }, 'could not read the participant queue; deadlines wait');
      return true;
    });
    if (behind) this.lastSeenBehind.set(command.type, this.now());
    return behind;
  }
}
