import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConsumerQueues } from '@shop/contracts';
import { DeadLetterStore } from '@shop/dlq/dist/src/dead-letter-store';
import { SERVICE_NAMES } from '@shop/stack/dist/src/service-catalog';
import { createTestInfrastructure, freePortRange, SmtpSink } from '@shop/testing';
import { parseChaosArguments } from './chaos-settings';
import { faultTable, invariantTable, outcomeTable } from './chaos-report';
import { FaultInjector } from './fault-injector';
import { checkInvariants, rows as query, type DatabaseUrls, type InvariantResult } from './invariant-checks';
import { placeOrders } from './order-load';
import { ServiceSupervisor } from '@shop/stack/dist/src/service-supervisor';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const say = (line: string) => process.stdout.write(`${line}\n`);

/**
 * `npm run chaos`: the five services in a vhost and databases of the run's own, N orders at a
 * steady rate while services are SIGKILLed and restarted and RabbitMQ and PostgreSQL restarted
 * once, then a check of every invariant straight from the databases and the SMTP sink.
 */
async function main(): Promise<number> {
  const settings = parseChaosArguments(process.argv.slice(2));
  const infra = await createTestInfrastructure('chaos');
  const sink = await new SmtpSink().start();
  const base = await freePortRange(SERVICE_NAMES.length);
  const urls = Object.fromEntries(SERVICE_NAMES.map((name) => [name, infra.databaseUrl(name)])) as DatabaseUrls;
  const logDirectory = path.join(REPO_ROOT, '.chaos', infra.runId);
  const supervisor = new ServiceSupervisor(
    REPO_ROOT,
    logDirectory,
    SERVICE_NAMES.map((name, i) => ({
      name,
      port: base + i,
      env: {
        ...process.env,
        PORT: String(base + i),
        DATABASE_URL: urls[name],
        RABBITMQ_URL: infra.rabbitmqUrl,
        SMTP_URL: sink.url,
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
        OTEL_SDK_DISABLED: 'true',
        SAGA_STEP_TIMEOUT_MS: '8000',
        SAGA_COMPENSATION_RETRY_MAX_MS: '15000',
        // Long enough in total (about 45 s) to ride out a database restart without dead letters.
        RETRY_DELAYS_MS: '250,1000,3000,10000,30000',
        SHUTDOWN_TIMEOUT_MS: '5000',
      },
    })),
  );
  // Ctrl-C or SIGTERM: stop the services and remove what the run created, then exit.
  const interrupted = async (signal: string) => {
    say(`\n${signal}: stopping the services and cleaning up`);
    await supervisor.stopAll();
    await sink.close();
    if (!settings.keep) await infra.cleanup().catch(() => undefined);
    process.exit(130);
  };
  process.once('SIGINT', () => void interrupted('SIGINT'));
  process.once('SIGTERM', () => void interrupted('SIGTERM'));
  try {
    say(`chaos: ${settings.orders} orders at ${settings.rate}/s, a SIGKILL every ${settings.killEverySeconds} s; vhost ${infra.vhost}, logs in ${logDirectory}`);
    supervisor.startAll();
    await supervisor.waitUntilReady(60_000);

    const loadSeconds = settings.orders / settings.rate;
    const faults = new FaultInjector(supervisor, {
      killEverySeconds: settings.killEverySeconds,
      restartBroker: settings.restartBroker,
      restartDatabase: settings.restartDatabase,
      loadSeconds,
      rabbitmqUrl: infra.rabbitmqUrl,
      postgresUrl: urls.order,
    });
    const stopFaults = new AbortController();
    const faulting = faults.run(stopFaults.signal);
    const started = performance.now();
    const placed = await placeOrders(supervisor.urlOf('order'), settings.orders, settings.rate, (done) => {
      if (done % Math.max(1, Math.round(settings.orders / 10)) === 0) say(`  ${done}/${settings.orders} orders accepted after ${((performance.now() - started) / 1000).toFixed(0)} s`);
    });
    stopFaults.abort();
    await faulting;
    await supervisor.waitUntilReady(60_000);

    say(`load done; waiting up to ${settings.quietTimeoutSeconds} s for every order and email to settle`);
    const quiet = await waitForQuiet(urls, sink, placed.length, settings.quietTimeoutSeconds * 1_000);
    say(quiet ? 'quiet.' : 'NOT quiet before the timeout: checking anyway.');

    const statuses = new Map((await query<{ id: string; status: string }>(urls.order, 'SELECT id, status FROM orders')).map((o) => [o.id, o.status]));
    const results = await checkInvariants(urls, placed, sink.emails);
    results.push(await deadLetterCheck(infra.rabbitmqUrl));
    results.push({
      invariant: 'no service crashed by itself',
      ok: supervisor.crashes.length === 0,
      detail: supervisor.crashes.length === 0 ? 'only the SIGKILLs above' : supervisor.crashes.map((c) => `${c.name} exited ${c.signal ?? c.code}`).join(', '),
    });

    say('\nfaults injected\n' + faultTable(faults.record));
    say('\noutcomes\n' + outcomeTable(placed, statuses));
    say('\ninvariants\n' + invariantTable(results));
    const failed = results.filter((r) => !r.ok).length;
    say(failed === 0 ? '\nchaos: every invariant holds' : `\nchaos: ${failed} invariant(s) violated`);
    return failed === 0 ? 0 : 1;
  } finally {
    await supervisor.stopAll();
    await sink.close();
    if (settings.keep) say(`kept vhost ${infra.vhost} and databases shop_${infra.runId}_* for inspection`);
    else await infra.cleanup();
  }
}

/** Quiet: no order pending, every outbox empty, one email per order arrived. */
async function waitForQuiet(urls: DatabaseUrls, sink: SmtpSink, orders: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const [pending] = await query<{ n: number }>(urls.order, "SELECT count(*)::int AS n FROM orders WHERE status = 'PENDING'");
      let outboxes = 0;
      for (const url of Object.values(urls)) outboxes += (await query<{ n: number }>(url, 'SELECT count(*)::int AS n FROM outbox'))[0]?.n ?? 0;
      if (pending?.n === 0 && outboxes === 0 && sink.emails.length >= orders) return true;
    } catch {
      // the database may be restarting
    }
    await sleep(1_000);
  }
  return false;
}

async function deadLetterCheck(rabbitmqUrl: string): Promise<InvariantResult> {
  const store = await DeadLetterStore.connect(rabbitmqUrl);
  try {
    const reasons = new Map<string, number>();
    let unexplained = 0;
    for (const queue of Object.values(ConsumerQueues)) {
      for (const letter of await store.peek(queue)) {
        if (!letter.error) unexplained += 1;
        const reason = `${queue}: ${letter.type} ${letter.error.slice(0, 120) || '(no reason recorded)'}`;
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }
    }
    return {
      invariant: 'dead-letter queues empty, or every message explained',
      ok: unexplained === 0,
      detail: reasons.size === 0 ? 'all empty' : [...reasons].map(([reason, n]) => `${n}x ${reason}`).join('; '),
    };
  } finally {
    await store.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`chaos: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
