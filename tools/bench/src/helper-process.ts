import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** What a helper process answers when it is finished: its result and the CPU it used meanwhile. */
export interface HelperResult<T> {
  result: T;
  /** The helper's CPU from when it said it was ready to when it answered. */
  cpuSeconds: number;
}

/**
 * A bench helper (the load of a step, the metrics scraper) in a process of its own, so its CPU
 * is counted apart from the shop's and from the bench process's: `file` forked with `args`,
 * ready once it says so, finished once asked (`finish`), when it answers and exits.
 */
export class HelperProcess<T> {
  private constructor(private readonly child: ChildProcess) {}

  static async start<T>(file: string, args: string[]): Promise<HelperProcess<T>> {
    const child = fork(file, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    await HelperProcess.reply(child);
    return new HelperProcess<T>(child);
  }

  async finish(): Promise<HelperResult<T>> {
    const answer = HelperProcess.reply(this.child) as Promise<HelperResult<T>>;
    this.child.send('finish');
    return answer;
  }

  /** The child's next message, or an error when it exits first. */
  private static async reply(child: ChildProcess): Promise<unknown> {
    const exited = once(child, 'exit').then(([code]) => {
      throw new Error(`the bench's helper process exited with code ${String(code)}`);
    });
    const [message] = (await Promise.race([once(child, 'message'), exited])) as [unknown];
    return message;
  }
}

/**
 * The helper's side, in the forked file: `setUp` starts what the helper does from the start (or
 * nothing) and returns what finishing it means; that runs when the bench asks, and its result goes
 * back with the CPU used since set-up. An error exits with code 1, which `finish` reports.
 */
export function serveAsHelper<T>(setUp: () => () => Promise<T>): void {
  const finish = setUp();
  const started = process.cpuUsage();
  process.once('message', () => {
    finish().then(
      (result) => {
        const used = process.cpuUsage(started);
        const answer: HelperResult<T> = { result, cpuSeconds: (used.user + used.system) / 1e6 };
        process.send!(answer, () => process.exit(0));
      },
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
  process.send!('ready');
}
