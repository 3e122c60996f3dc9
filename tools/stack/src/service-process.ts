import { spawn, type ChildProcess } from 'node:child_process';
import { LinePrefixer } from './line-prefixer';
import { deprioritizeParticipant, serviceNodeCommand, type ServiceName } from '@shop/catalog';
import { linePrefix } from './stack-output';

export interface ServiceExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServiceProcessOptions {
  /** The catalog's service it runs. */
  service: ServiceName;
  /** Its name in the output: the service's, or a replica's (`payment-2`). */
  name: string;
  colorIndex: number;
  repoRoot: string;
  env: NodeJS.ProcessEnv;
  /** How much lower a participant's CPU priority is than the orchestrator's (a nice value; 0: the same). */
  participantNice: number;
  /** Node arguments after the catalog's (STACK_NODE_ARGS). */
  nodeArgs?: readonly string[];
}

/**
 * One service as a child process running on the same Node as the stack, its output prefixed
 * line by line with its name. `exited` resolves once the process is gone and its output flushed.
 */
export class ServiceProcess {
  readonly name: string;
  readonly exited: Promise<ServiceExit>;
  private readonly child: ChildProcess;
  private exit: ServiceExit | undefined;

  constructor(options: ServiceProcessOptions) {
    this.name = options.name;
    this.child = spawn(process.execPath, serviceNodeCommand(options.service, options.nodeArgs), {
      cwd: options.repoRoot,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    deprioritizeParticipant(options.service, this.child.pid, options.participantNice);
    const prefix = linePrefix(options.name, options.colorIndex);
    this.child.stdout?.pipe(new LinePrefixer(prefix)).pipe(process.stdout, { end: false });
    this.child.stderr?.pipe(new LinePrefixer(prefix)).pipe(process.stderr, { end: false });
    this.exited = new Promise((resolve) => {
      // 'close' comes after the output streams ended; 'error' alone when spawning itself failed.
      this.child.once('close', (code, signal) => resolve((this.exit ??= { code, signal })));
      this.child.once('error', () => {
        if (this.child.pid === undefined) resolve((this.exit ??= { code: null, signal: null }));
      });
    });
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** Asks for a graceful stop; the service finishes in-flight work within SHUTDOWN_TIMEOUT_MS. */
  stop(): void {
    if (this.running) this.child.kill('SIGTERM');
  }

  kill(): void {
    if (this.running) this.child.kill('SIGKILL');
  }
}

/** A clean stop: exit code 0, or ended by the signal it was asked to stop with. */
export function stoppedCleanly(exit: ServiceExit): boolean {
  return exit.code === 0 || exit.signal === 'SIGTERM' || exit.signal === 'SIGINT';
}

export function describeExit(exit: ServiceExit): string {
  if (exit.signal) return `was killed by ${exit.signal}`;
  if (exit.code === null) return 'could not be started';
  return `exited with code ${exit.code}`;
}
