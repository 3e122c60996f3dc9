import { execFile, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceName } from '@shop/stack/dist/src/service-catalog';
import type { ServiceSupervisor } from '@shop/stack/dist/src/service-supervisor';

const run = promisify(execFile);

export interface FaultRecord {
  atSeconds: number;
  fault: string;
  result: string;
}

export interface FaultPlan {
  killEverySeconds: number;
  restartBroker: boolean;
  restartDatabase: boolean;
  /** How long the load will last: the broker restarts at 40% of it, the database at 70%. */
  loadSeconds: number;
  rabbitmqUrl: string;
  postgresUrl: string;
}

const isLocal = (url: string) => ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(new URL(url).hostname);
const isRoot = () => process.getuid?.() === 0;

/**
 * Kills services with SIGKILL in turn (every service at least once when the load lasts long
 * enough), restarts RabbitMQ and PostgreSQL once each where this process has the rights (root on
 * the machine that runs them), and records what it did.
 */
export class FaultInjector {
  readonly record: FaultRecord[] = [];
  private readonly started = performance.now();

  constructor(
    private readonly supervisor: ServiceSupervisor,
    private readonly plan: FaultPlan,
  ) {}

  async run(signal: AbortSignal): Promise<void> {
    const order = shuffled(this.supervisor.names);
    const tasks = [this.killInTurn(order, signal)];
    if (this.plan.restartBroker) tasks.push(this.at(0.4, signal, () => this.restartBroker()));
    if (this.plan.restartDatabase) tasks.push(this.at(0.7, signal, () => this.restartDatabase()));
    await Promise.all(tasks);
  }

  private note(fault: string, result: string): void {
    this.record.push({ atSeconds: Math.round((performance.now() - this.started) / 100) / 10, fault, result });
  }

  private async at(share: number, signal: AbortSignal, fault: () => Promise<void>): Promise<void> {
    try {
      await sleep(this.plan.loadSeconds * share * 1_000, undefined, { signal });
    } catch {
      return;
    }
    await fault();
  }

  /**
   * One SIGKILL every `killEverySeconds`, cycling through the services in a shuffled order, until
   * the load is over and every service was killed at least once. Restarts run beside the next
   * kills, so a short run still reaches every service.
   */
  private async killInTurn(order: ServiceName[], signal: AbortSignal): Promise<void> {
    const restarts: Array<Promise<void>> = [];
    for (let i = 0; !signal.aborted || i < order.length; i += 1) {
      await sleep(this.plan.killEverySeconds * 1_000);
      const name = order[i % order.length]!;
      restarts.push(this.killAndRestart(name));
    }
    await Promise.all(restarts);
  }

  private async killAndRestart(name: ServiceName): Promise<void> {
    this.supervisor.kill(name);
    await sleep(1_000);
    this.supervisor.start(name);
    try {
      await this.supervisor.waitUntilReady(30_000, [name]);
      this.note(`SIGKILL ${name}`, 'restarted, ready again');
    } catch (error) {
      this.note(`SIGKILL ${name}`, `restarted, NOT ready: ${String(error)}`);
    }
  }

  private async restartBroker(): Promise<void> {
    if (!isLocal(this.plan.rabbitmqUrl) || !isRoot()) {
      this.note('restart RabbitMQ', 'skipped: needs root on the machine that runs it');
      return;
    }
    // Whatever ends this process, it must not leave the broker stopped.
    const startAgain = () => spawnSync('rabbitmqctl', ['-q', 'start_app'], { timeout: 60_000 });
    process.once('exit', startAgain);
    try {
      await run('rabbitmqctl', ['-q', 'stop_app'], { timeout: 60_000 });
      await sleep(2_000);
      await run('rabbitmqctl', ['-q', 'start_app'], { timeout: 60_000 });
      this.note('restart RabbitMQ', 'stopped 2 s, started again');
    } catch (error) {
      this.note('restart RabbitMQ', `failed: ${String(error)}`);
      await run('rabbitmqctl', ['-q', 'start_app'], { timeout: 60_000 }).catch(() => undefined);
    } finally {
      process.off('exit', startAgain);
    }
  }

  private async restartDatabase(): Promise<void> {
    if (!isLocal(this.plan.postgresUrl) || !isRoot()) {
      this.note('restart PostgreSQL', 'skipped: needs root on the machine that runs it');
      return;
    }
    try {
      const version = readdirSync('/etc/postgresql').sort().at(-1);
      if (!version) throw new Error('no cluster under /etc/postgresql');
      await run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'restart', '--', '-m', 'fast'], { timeout: 60_000 });
      this.note('restart PostgreSQL', `cluster ${version}/main restarted (fast: every connection dropped)`);
    } catch (error) {
      this.note('restart PostgreSQL', `failed: ${String(error)}`);
    }
  }
}

function shuffled<T>(items: T[]): T[] {
  return [...items].sort(() => Math.random() - 0.5);
}
