import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { deprioritizeParticipant, PARTICIPANT_NICE, serviceNodeCommand, type ServiceName } from '@shop/catalog';

export interface SupervisedService {
  /** The catalog's service the process runs. */
  name: ServiceName;
  /** The process's own name, when the service runs as several replicas (`payment-2`); the service's name by default. */
  instance?: string;
  port: number;
  env: NodeJS.ProcessEnv;
}

/**
 * Runs the services as child processes (any number of replicas of each), each logging to its
 * own file, and can SIGKILL and restart any of them: the chaos run's hands. Processes are named
 * by instance: the service's name, or a replica's.
 */
export class ServiceSupervisor {
  private readonly children = new Map<string, ChildProcess>();
  private readonly killing = new Set<ChildProcess>();
  private stopping = false;
  /** Exits nobody asked for: a service that crashed by itself is a finding of the run. */
  readonly crashes: Array<{ name: string; code: number | null; signal: NodeJS.Signals | null }> = [];
  private readonly logs = new Map<string, WriteStream>();
  /** However this process ends, its services end with it (until stopAll has stopped them). */
  private readonly killOnExit = () => {
    for (const child of this.children.values()) child.kill('SIGKILL');
  };

  constructor(
    private readonly repoRoot: string,
    private readonly logDirectory: string,
    private readonly services: SupervisedService[],
    /** How much lower the participants' CPU priority is than the orchestrator's, as under `npm run stack`. */
    private readonly participantNice: number = PARTICIPANT_NICE,
  ) {
    mkdirSync(logDirectory, { recursive: true });
    process.once('exit', this.killOnExit);
  }

  /** Every process's instance name. */
  get names(): string[] {
    return this.services.map(instanceOf);
  }

  /** The instances of a service, in the order given. */
  instancesOf(service: ServiceName): string[] {
    return this.services.filter((s) => s.name === service).map(instanceOf);
  }

  urlOf(name: string): string {
    return `http://127.0.0.1:${this.find(name).port}`;
  }

  startAll(): void {
    for (const service of this.services) this.start(instanceOf(service));
  }

  start(name: string): void {
    const service = this.find(name);
    let log = this.logs.get(name);
    if (!log) {
      log = createWriteStream(path.join(this.logDirectory, `${name}.log`), { flags: 'a' });
      this.logs.set(name, log);
    }
    const child = spawn(process.execPath, serviceNodeCommand(service.name), {
      cwd: this.repoRoot,
      env: service.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    deprioritizeParticipant(service.name, child.pid, this.participantNice);
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    this.children.set(name, child);
    child.once('exit', (code, signal) => {
      if (this.stopping || this.killing.delete(child)) return;
      // Restarted as a container runtime's restart policy would, and reported.
      this.crashes.push({ name, code, signal });
      setTimeout(() => this.start(name), 1_000);
    });
  }

  /** Graceful stop (SIGTERM), resolved once the process is gone. */
  async stop(name: string): Promise<void> {
    const child = this.children.get(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.killing.add(child);
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await gone;
  }

  kill(name: string): void {
    const child = this.children.get(name);
    if (!child) return;
    this.killing.add(child);
    child.kill('SIGKILL');
  }

  /** Resolves when every service answers /readyz with 200, or rejects naming the ones that do not. */
  async waitUntilReady(timeoutMs: number, names: string[] = this.names): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let waiting = names;
    while (Date.now() < deadline) {
      const ready = await Promise.all(
        waiting.map((name) =>
          fetch(`${this.urlOf(name)}/readyz`, { signal: AbortSignal.timeout(1_000) }).then(
            (r) => r.ok,
            () => false,
          ),
        ),
      );
      waiting = waiting.filter((_, i) => !ready[i]);
      if (waiting.length === 0) return;
      await sleep(200);
    }
    throw new Error(`not ready within ${timeoutMs} ms: ${waiting.join(', ')} (logs in ${this.logDirectory})`);
  }

  async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.children.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 12_000).unref();
          }),
      ),
    );
    for (const log of this.logs.values()) log.end();
    // A run that replaces its supervisor many times (the bench restarts the services for every step) leaves no listener behind.
    process.off('exit', this.killOnExit);
  }

  private find(name: string): SupervisedService {
    const service = this.services.find((s) => instanceOf(s) === name);
    if (!service) throw new Error(`no service ${name}`);
    return service;
  }
}

function instanceOf(service: SupervisedService): string {
  return service.instance ?? service.name;
}
