import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import amqp from 'amqplib';
import pg from 'pg';
import { serviceEntryPoint } from '@shop/catalog';
import { redactUrl } from '@shop/config';
import { DeadlineError, describeError, isUnreachable } from './error-description';
import type { StackSettings } from './stack-settings';

const CONNECT_TIMEOUT_MS = 4_000;
const COMPOSE_HINT = '`docker compose up -d rabbitmq postgres`';

/**
 * Everything that would make the services fail in a confusing way, checked before any of them
 * starts. Each problem is one line saying what was tried and how to fix it.
 */
export async function runPreflightChecks(settings: StackSettings, repoRoot: string): Promise<string[]> {
  const servers = await Promise.all([checkRabbitMq(settings.rabbitmqUrl), checkPostgres(settings.postgresUrl)]);
  const serverProblems = servers.filter((problem): problem is string => problem !== undefined);
  // Without the servers nothing else matters; say only that.
  if (serverProblems.length > 0) return serverProblems;

  const problems: string[] = [];
  for (const service of settings.services) {
    const entry = serviceEntryPoint(service.name);
    if (!existsSync(path.join(repoRoot, entry))) {
      problems.push(
        `the ${service.name} service is not built: ${entry} is missing (is there a services/${service.name}/src/main.ts? \`npm run stack\` builds first)`,
      );
    }
  }
  const ports = settings.services.map((service) => ({
    port: service.port,
    host: '127.0.0.1',
    owner: `the ${service.name} service`,
    variable: 'STACK_BASE_PORT',
  }));
  for (const service of settings.services) {
    ports.push({
      port: service.metricsPort,
      host: '127.0.0.1',
      owner: `the ${service.name} service's metrics`,
      variable: 'STACK_METRICS_BASE_PORT',
    });
  }
  const { monitoring } = settings;
  if (monitoring.prometheus) {
    ports.push({
      port: monitoring.prometheusPort,
      host: '127.0.0.1',
      owner: 'Prometheus',
      variable: 'STACK_PROMETHEUS_PORT (or STACK_PROMETHEUS=off)',
    });
  }
  if (monitoring.postgresExporter) {
    ports.push({
      port: monitoring.postgresExporterPort,
      host: '127.0.0.1',
      owner: 'the postgres exporter',
      variable: 'STACK_POSTGRES_EXPORTER_PORT (or STACK_POSTGRES_EXPORTER=off)',
    });
  }
  if (!settings.smtpUrl) {
    ports.push({
      port: settings.mailCatcher.smtpPort,
      host: '127.0.0.1',
      owner: 'the mail catcher (SMTP)',
      variable: 'MAIL_CATCHER_SMTP_PORT',
    });
    ports.push({
      port: settings.mailCatcher.httpPort,
      host: '127.0.0.1',
      owner: 'the mail catcher (HTTP)',
      variable: 'MAIL_CATCHER_HTTP_PORT',
    });
  }
  for (const { port, host, owner, variable } of ports) {
    const problem = await checkPortFree(port, host);
    if (problem) problems.push(`port ${port} for ${owner} is not free (${problem}): is another stack running? ${variable} moves it`);
  }
  return problems;
}

export async function checkRabbitMq(url: string): Promise<string | undefined> {
  const attempt = amqp.connect(url, { timeout: CONNECT_TIMEOUT_MS });
  try {
    const model = await withDeadline(attempt, CONNECT_TIMEOUT_MS + 1_000);
    await model.close().catch(() => undefined);
    return undefined;
  } catch (error) {
    // A connection that completes after the deadline is closed rather than leaked.
    attempt.then((late) => late.close().catch(() => undefined)).catch(() => undefined);
    // The broker let the user in but not into the vhost (amqplib says only that the connection
    // was closed instead of opened): the vhost does not exist yet, and the stack provisions it.
    if (/vhost .* not found|Expected ConnectionOpenOk; got <ConnectionClose/i.test(describeError(error))) return undefined;
    const fix = isUnreachable(error)
      ? `start it with \`rabbitmq-server -detached\` or ${COMPOSE_HINT}, or set RABBITMQ_URL`
      : 'check the user, password and vhost in RABBITMQ_URL';
    return `cannot connect to RabbitMQ at ${redactUrl(url)} (${describeError(error)}): ${fix}`;
  }
}

export async function checkPostgres(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on('error', () => undefined); // a connection lost after the check is of no interest
  try {
    await withDeadline(
      client.connect().then(() => client.query('SELECT 1')),
      CONNECT_TIMEOUT_MS + 1_000,
    );
    return undefined;
  } catch (error) {
    // The broker let the user in but not into the vhost (amqplib says only that the connection
    // was closed instead of opened): the vhost does not exist yet, and the stack provisions it.
    if (/vhost .* not found|Expected ConnectionOpenOk; got <ConnectionClose/i.test(describeError(error))) return undefined;
    const fix = isUnreachable(error)
      ? `start it with \`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\` or ${COMPOSE_HINT}, or set POSTGRES_URL`
      : 'check the user, password and database in POSTGRES_URL';
    return `cannot connect to PostgreSQL at ${redactUrl(url)} (${describeError(error)}): ${fix}`;
  } finally {
    void client.end().catch(() => undefined);
  }
}

/** Port 0 means "any free port", which is always free. */
function checkPortFree(port: number, host: string): Promise<string | undefined> {
  if (port === 0) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(ms)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
