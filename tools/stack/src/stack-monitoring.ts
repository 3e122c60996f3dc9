import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { renderPrometheusConfig, SERVICE_NAMES } from '@shop/catalog';
import { describeError } from './error-description';
import type { StackSettings } from './stack-settings';

const run = promisify(execFile);
const RABBITMQ_METRICS_PORT = 15692;

/** What the stack started (or found) for monitoring, and the lines that say where it is. */
export interface StackMonitoring {
  /** Where each endpoint is, or why it is missing and how to get it. */
  describe(): string;
  stop(): Promise<void>;
}

/**
 * The monitoring of `npm run stack`, what compose runs as containers: RabbitMQ's Prometheus plugin
 * (enabled when it is off and `rabbitmq-plugins` can), the postgres exporter and a Prometheus that
 * scrapes the services, RabbitMQ and the exporter every second with the rules of
 * infra/prometheus/rules, each started when its program is installed (Debian's `prometheus` and
 * `prometheus-postgres-exporter`). Nothing here stops the shop: what cannot start is said, with how.
 */
export async function startMonitoring(settings: StackSettings, repoRoot: string): Promise<StackMonitoring> {
  const lines: string[] = [];
  const processes: ChildProcess[] = [];
  const workDir = mkdtempSync(path.join(tmpdir(), 'shop-stack-monitoring-'));
  const stop = async () => {
    await Promise.all(processes.map((child) => stopProgram(child)));
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    await startEach(settings, repoRoot, { lines, processes, workDir });
  } catch (error) {
    // Whatever started is stopped again; the shop runs without its monitoring.
    await stop();
    return { describe: () => `no monitoring: ${describeError(error)}`, stop: async () => undefined };
  }
  return { describe: () => lines.join(' | '), stop };
}

async function startEach(
  settings: StackSettings,
  repoRoot: string,
  { lines, processes, workDir }: { lines: string[]; processes: ChildProcess[]; workDir: string },
): Promise<void> {
  const { monitoring } = settings;

  lines.push(`metrics ${settings.services.map((service) => `${service.instance} :${service.metricsPort}`).join(', ')} (/metrics)`);
  const rabbitHost = new URL(settings.rabbitmqUrl).hostname;
  lines.push(await ensureRabbitMqMetrics(rabbitHost));

  let exporterTarget: string | undefined;
  if (monitoring.postgresExporter) {
    const problem = await ensureMonitorRole(settings.postgresUrl, monitoring.monitorRole);
    if (problem) {
      lines.push(`no postgres exporter: ${problem}`);
    } else {
      const exporter = startProgram(monitoring.postgresExporter, [`--web.listen-address=127.0.0.1:${monitoring.postgresExporterPort}`], {
        DATA_SOURCE_NAME: monitorUrl(settings.postgresUrl, monitoring.monitorRole),
      });
      processes.push(exporter);
      exporterTarget = `127.0.0.1:${monitoring.postgresExporterPort}`;
      lines.push(`postgres exporter http://${exporterTarget}/metrics (role ${monitoring.monitorRole}, pg_monitor only)`);
    }
  } else {
    lines.push('no postgres exporter (`apt install prometheus-postgres-exporter`)');
  }

  if (monitoring.prometheus) {
    const config = renderPrometheusConfig({
      interval: '1s',
      // A job per service, a target per replica.
      services: Object.fromEntries(
        SERVICE_NAMES.map((name) => [
          name,
          settings.services.filter((service) => service.name === name).map((service) => `127.0.0.1:${service.metricsPort}`),
        ]),
      ),
      rabbitmq: [`${rabbitHost}:${RABBITMQ_METRICS_PORT}`],
      rabbitmqVhost: decodeURIComponent(new URL(settings.rabbitmqUrl).pathname.slice(1)) || '/',
      postgres: exporterTarget ? [exporterTarget] : [],
    });
    writeFileSync(path.join(workDir, 'prometheus.yml'), config);
    symlinkSync(path.join(repoRoot, 'infra', 'prometheus', 'rules'), path.join(workDir, 'rules'));
    const prometheus = startProgram(monitoring.prometheus, [
      `--config.file=${path.join(workDir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(workDir, 'data')}`,
      '--storage.tsdb.retention.time=6h',
      `--web.listen-address=127.0.0.1:${monitoring.prometheusPort}`,
      '--log.level=warn',
    ]);
    processes.push(prometheus);
    const url = `http://127.0.0.1:${monitoring.prometheusPort}`;
    lines.push(`Prometheus ${url} (alerts ${url}/alerts), \`npm run top\` for the terminal view`);
  } else {
    lines.push('no Prometheus, so no alerts and no `npm run top` (`apt install prometheus`, or `docker compose up -d prometheus grafana`)');
  }
}

/** RabbitMQ's Prometheus plugin: found answering, or enabled here when the broker runs on this machine. */
async function ensureRabbitMqMetrics(host: string): Promise<string> {
  const where = `RabbitMQ queue metrics http://${host}:${RABBITMQ_METRICS_PORT}/metrics/detailed`;
  if (await answers(`http://${host}:${RABBITMQ_METRICS_PORT}/metrics`)) return where;
  const fix = 'run `rabbitmq-plugins enable rabbitmq_prometheus` where RabbitMQ runs';
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) return `RabbitMQ's Prometheus plugin is not answering: ${fix}`;
  try {
    await run('rabbitmq-plugins', ['enable', 'rabbitmq_prometheus'], { timeout: 60_000 });
  } catch (error) {
    return `RabbitMQ's Prometheus plugin is off and could not be enabled (${describeError(error).split('\n')[0]}): ${fix}`;
  }
  for (let tries = 0; tries < 20; tries += 1) {
    if (await answers(`http://${host}:${RABBITMQ_METRICS_PORT}/metrics`)) return `${where} (plugin enabled)`;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return `RabbitMQ's Prometheus plugin was enabled but does not answer yet: ${fix}`;
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * The exporter's role: it may log in and read the statistics views (pg_monitor), nothing else.
 * Then one login as the role, so a server that asks it for a password is said here instead of
 * showing as PostgreSQL down.
 */
async function ensureMonitorRole(postgresUrl: string, role: string): Promise<string | undefined> {
  const admin = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 4_000 });
  admin.on('error', () => undefined);
  try {
    await admin.connect();
    const { rows } = await admin.query<{ exists: boolean }>('SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS exists', [role]);
    const quoted = admin.escapeIdentifier(role);
    if (!rows[0]?.exists) await admin.query(`CREATE ROLE ${quoted} LOGIN`);
    await admin.query(`GRANT pg_monitor TO ${quoted}`);
  } catch (error) {
    return `could not create the monitoring role ${role} (${describeError(error)}); POSTGRES_URL's user needs CREATEROLE`;
  } finally {
    await admin.end().catch(() => undefined);
  }
  const monitor = new pg.Client({ connectionString: monitorUrl(postgresUrl, role), connectionTimeoutMillis: 4_000 });
  monitor.on('error', () => undefined);
  try {
    await monitor.connect();
    return undefined;
  } catch (error) {
    return `the monitoring role ${role} cannot log in without a password (${describeError(error)}): the exporter needs a server that trusts local connections`;
  } finally {
    await monitor.end().catch(() => undefined);
  }
}

/** POSTGRES_URL's server as the monitoring role (no password: the local server trusts it, as it trusts the services). */
function monitorUrl(postgresUrl: string, role: string): string {
  const url = new URL(postgresUrl);
  url.username = role;
  url.password = '';
  if (!url.searchParams.has('sslmode')) url.searchParams.set('sslmode', 'disable');
  return url.toString();
}

function startProgram(program: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(program, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    errors = (errors + chunk).slice(-2_000);
  });
  child.on('error', () => undefined);
  child.once('exit', (code, signal) => {
    if (signal === 'SIGTERM' || code === 0) return;
    process.stderr.write(
      `${path.basename(program)} stopped (${signal ?? `exit code ${code}`}): ${errors.trim().split('\n').slice(-3).join(' / ')}\n`,
    );
  });
  return child;
}

async function stopProgram(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
