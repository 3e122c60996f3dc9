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
 * messages wait in its queue now (asked once per command type), or waited there when it was last
 * asked and it has not been seen empty for a whole wait since. A participant is only asked when a
 * deadline is due, so the moment its queue emptied is not known, only the first time it was seen
 * empty: a saga whose command was taken off a long queue gets at least a whole wait from then for
 * its reply. If the queue cannot be asked, it counts as behind: with the broker unreachable, no
 * reply could have come either. What was seen is kept in memory: a restarted watcher only knows
 * what it sees.
 */
export class BusyParticipants {
  /** Per command type whose participant was seen behind: when its queue was first seen empty since (undefined: not yet). */
  private readonly emptySince = new Map<string, number | undefined>();

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
      if (await answers.get(command)) {
        busy.push(id);
        continue;
      }
      const emptySince = this.emptySince.get(command.type);
      if (emptySince !== undefined && this.now() - emptySince < waitMs) busy.push(id);
    }
    return busy;
  }

  private async ask(command: MessageContract): Promise<boolean> {
    const behind = await this.probe(command).catch((error: unknown) => {
      this.log.warn({ err: error, command: command.type }, 'could not read the participant queue; deadlines wait');
      return true;
    });
    if (behind) this.emptySince.set(command.type, undefined);
    else if (this.emptySince.has(command.type) && this.emptySince.get(command.type) === undefined)
      this.emptySince.set(command.type, this.now());
    return behind;
  }
}
