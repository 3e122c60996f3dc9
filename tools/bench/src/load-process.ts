import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { LoadReport } from '@shop/load/dist/src/load-report';
import { sagaStep } from './saga-capacity';

interface LoadStepResult {
  report: LoadReport;
  /** The load process's CPU over the step: generating the orders and following their sagas. */
  cpuSeconds: number;
}

/**
 * A step's load (sagaStep) in a fresh process of its own, started before the step and run when
 * asked. The process does the same work in every step at one rate whatever the services'
 * setting, so its CPU is a yardstick of how fast the machine ran that step: the same work took
 * up to 45% more CPU from one minute to the next on the shared machines this was measured on
 * (docs/performance.md, "Metrics cost"). A fresh process each step keeps the bench's own heap
 * (the reports of the steps before) and its sinks out of that count.
 */
export class LoadProcess {
  private constructor(private readonly child: ChildProcess) {}

  static async start(orderUrl: string, rate: number, seconds: number): Promise<LoadProcess> {
    const child = fork(__filename, [orderUrl, String(rate), String(seconds)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    await LoadProcess.reply(child);
    return new LoadProcess(child);
  }

  /** Runs the step; its report once every saga has finished or timed out. */
  async run(): Promise<LoadStepResult> {
    const result = LoadProcess.reply(this.child) as Promise<LoadStepResult>;
    this.child.send('go');
    return result;
  }

  /** The child's next message, or an error when it exits first. */
  private static async reply(child: ChildProcess): Promise<unknown> {
    const exited = once(child, 'exit').then(([code]) => {
      throw new Error(`the load process exited with code ${String(code)}`);
    });
    const [message] = (await Promise.race([once(child, 'message'), exited])) as [unknown];
    return message;
  }
}

if (require.main === module && process.send) {
  const [orderUrl, rate, seconds] = process.argv.slice(2);
  process.once('message', () => {
    const started = process.cpuUsage();
    sagaStep(orderUrl!, Number(rate), Number(seconds)).then(
      (report) => {
        const used = process.cpuUsage(started);
        const result: LoadStepResult = { report, cpuSeconds: (used.user + used.system) / 1e6 };
        process.send!(result, () => process.exit(0));
      },
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
  process.send('ready');
}
