import { execFile, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Behaviour, ProviderControl, ProviderStats } from '@shop/payment-provider';
import { SERVICE_NAMES } from '@shop/catalog';
import type { ServiceSupervisor } from '@shop/stack/dist/src/service-supervisor';
import { restorePatch, type ProviderEpisode } from './provider-fault-schedule';

const run = promisify(execFile);

export interface FaultRecord {
  atSeconds: number;
  fault: string;
  result: string;
}

export interface FaultPlan {
  killEverySeconds: number;
  /**
   * Instead of SIGKILLs: replace every process, service by service and replica by replica, with a
   * graceful stop (SIGTERM) and a start, the next only once the last one is ready again.
   */
  rollingRestarts: boolean;
  restartBroker: boolean;
  restartDatabase: boolean;
  /** How long the load will last: the broker restarts at 40% of it, the database at 70%. */
  loadSeconds: number;
  rabbitmqUrl: string;
  postgresUrl: string;
  /** The card provider's switches and the episodes to play on them (none: no provider faults). */
  provider: { control: ProviderControl; episodes: ProviderEpisode[] };
}

const isLocal = (url: string) => ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(new URL(url).hostname);
const isRoot = () => process.getuid?.() === 0;

/**
 * Kills services with SIGKILL in turn (every service at least once when the load lasts long
 * enough), restarts RabbitMQ and PostgreSQL once each where this process has the rights (root on
 * the machine that runs them), plays the card provider's episodes (outage, latency, 5xx), and
 * records what it did.
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
    const tasks = [this.plan.rollingRestarts ? this.restartInTurn() : this.killInTurn(order, signal)];
    if (this.plan.restartBroker) tasks.push(this.at(0.4, signal, () => this.restartBroker()));
    if (this.plan.restartDatabase) tasks.push(this.at(0.7, signal, () => this.restartDatabase()));
    // Not cut short by the end of the load: an episode planned past it still ends before the run waits for quiet.
    if (this.plan.provider.episodes.length > 0) tasks.push(this.providerEpisodes());
    await Promise.all(tasks);
  }

  private elapsedSeconds(): number {
    return Math.round((performance.now() - this.started) / 100) / 10;
  }

  private note(fault: string, result: string, atSeconds = this.elapsedSeconds()): void {
    this.record.push({ atSeconds, fault, result });
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
   * One SIGKILL every `killEverySeconds`, cycling through the processes in a shuffled order, until
   * the load is over, every process was killed at least once and, with replicas, every replica of
   * one service at once. With replicas, every fourth kill takes every replica of one service at
   * once (the service is then down, not just thinner): the next service in turn none of whose
   * replicas is still restarting; when there is none, the kills wait until there is.
   * Restarts run beside the next kills, so a short run still reaches every process.
   */
  private async killInTurn(order: string[], signal: AbortSignal): Promise<void> {
    const replicated = SERVICE_NAMES.map((name) => this.supervisor.instancesOf(name)).filter((group) => group.length > 1);
    const restarts: Array<Promise<void>> = [];
    // A process still coming back from an earlier kill is not killed again before it is ready.
    const idle = (names: string[]) => names.every((name) => !this.restarting.has(name));
    let single = 0;
    let whole = 0;
    let wholeDue = false;
    const done = () => signal.aborted && single >= order.length && (replicated.length === 0 || whole > 0);
    for (let i = 0; !done(); i += 1) {
      await sleep(this.plan.killEverySeconds * 1_000);
      if (replicated.length > 0 && i % 4 === 3) wholeDue = true;
      const group = wholeDue
        ? replicated.map((_, k) => replicated[(whole + k) % replicated.length]!).find((candidate) => idle(candidate))
        : undefined;
      if (group) {
        restarts.push(this.killAndRestart(...group));
        whole += 1;
        wholeDue = false;
      } else if (wholeDue) {
        continue; // no single kill meanwhile: it would only keep more replicas restarting
      } else if (idle([order[single % order.length]!])) {
        restarts.push(this.killAndRestart(order[single % order.length]!));
        single += 1;
      }
    }
    await Promise.all(restarts);
  }

  /** A rolling restart of every service, as a deployment replaces its replicas one at a time. */
  private async restartInTurn(): Promise<void> {
    for (const service of SERVICE_NAMES) {
      for (const instance of this.supervisor.instancesOf(service)) {
        await sleep(this.plan.killEverySeconds * 1_000);
        const started = performance.now();
        await this.supervisor.stop(instance);
        const stoppedInMs = performance.now() - started;
        this.supervisor.start(instance);
        try {
          await this.supervisor.waitUntilReady(30_000, [instance]);
          this.note(`rolling restart ${instance}`, `stopped in ${(stoppedInMs / 1000).toFixed(1)} s, ready again`);
        } catch (error) {
          this.note(`rolling restart ${instance}`, `NOT ready again: ${String(error)}`);
        }
      }
    }
  }

  private readonly restarting = new Set<string>();

  private async killAndRestart(...names: string[]): Promise<void> {
    for (const name of names) this.restarting.add(name);
    try {
      await this.killAndWait(names);
    } finally {
      for (const name of names) this.restarting.delete(name);
    }
  }

  private async killAndWait(names: string[]): Promise<void> {
    const what = `SIGKILL ${names.join(' and ')}`;
    for (const name of names) this.supervisor.kill(name);
    await sleep(1_000);
    for (const name of names) this.supervisor.start(name);
    try {
      await this.supervisor.waitUntilReady(30_000, names);
      this.note(what, names.length > 1 ? 'every replica at once; restarted, ready again' : 'restarted, ready again');
    } catch (error) {
      this.note(what, `restarted, NOT ready: ${String(error)}`);
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

  private async providerEpisodes(): Promise<void> {
    const { control, episodes } = this.plan.provider;
    let before: Behaviour;
    try {
      before = await control.behaviour();
    } catch (error) {
      this.note('provider faults', `skipped: the provider's switches did not answer: ${String(error)}`);
      return;
    }
    await Promise.all(episodes.map((episode) => this.providerEpisode(control, before, episode)));
  }

  /** Switches the episode on at its time, back as it was after its length, and says what the provider did meanwhile. */
  private async providerEpisode(control: ProviderControl, before: Behaviour, episode: ProviderEpisode): Promise<void> {
    await sleep(Math.max(0, episode.startSeconds * 1_000 - (performance.now() - this.started)));
    const startedAt = this.elapsedSeconds();
    const statsBefore = await control.stats().catch(() => undefined);
    try {
      await control.set(episode.patch);
    } catch (error) {
      this.note(episode.fault, `NOT switched on: ${String(error)}`, startedAt);
      return;
    }
    await sleep(episode.seconds * 1_000);
    const restored = await retried(() => control.set(restorePatch(before, episode.patch)));
    const lasted = (this.elapsedSeconds() - startedAt).toFixed(1);
    if (restored instanceof Error) {
      this.note(episode.fault, `NOT switched off after ${lasted} s: ${String(restored)}`, startedAt);
      return;
    }
    const statsAfter = await control.stats().catch(() => undefined);
    const effect = statsBefore && statsAfter ? `; ${describeEpisode(episode, statsBefore, statsAfter)}` : '';
    this.note(episode.fault, `lasted ${lasted} s${effect}`, startedAt);
  }
}

/** Turning a fault off must not fail on a passing hiccup: a provider left in an outage would keep every order pending. */
async function retried<T>(work: () => Promise<T>): Promise<T | Error> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (attempt === 5) return error instanceof Error ? error : new Error(String(error));
      await sleep(1_000);
    }
  }
}

function describeEpisode(episode: ProviderEpisode, before: ProviderStats, after: ProviderStats): string {
  const total = (stats: ProviderStats) => Object.values(stats.requestsByRoute).reduce((sum, n) => sum + n, 0);
  const requests = total(after) - total(before);
  switch (episode.kind) {
    case 'outage':
      return `${after.refusedByOutage - before.refusedByOutage} requests refused`;
    case 'errors':
      return `${after.injectedErrors - before.injectedErrors} of ${requests} requests answered 500`;
    case 'latency':
      return `${requests} requests slowed`;
  }
}

function shuffled<T>(items: T[]): T[] {
  return [...items].sort(() => Math.random() - 0.5);
}
