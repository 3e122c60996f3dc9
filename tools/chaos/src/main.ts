import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeadLetterStore } from '@shop/dlq/dist/src/dead-letter-store';
import { CALM_BEHAVIOUR, startProviderProcess, type Charge, type ProviderProcess } from '@shop/payment-provider';
import { CONSUMER_QUEUES, SERVICE_NAMES, serviceInstances } from '@shop/catalog';
import { createTestInfrastructure, freePortRange, SmtpSink, TEST_OPERATOR_TOKEN } from '@shop/testing';
import { parseChaosArguments } from './chaos-settings';
import { faultTable, invariantTable, outcomeTable } from './chaos-report';
import { FaultInjector } from './fault-injector';
import { checkInvariants, rows as query, type DatabaseUrls, type InvariantResult } from './invariant-checks';
import { placeOrders } from './order-load';
import { scheduleProviderFaults } from './provider-fault-schedule';
import { ServiceSupervisor } from '@shop/stack/dist/src/service-supervisor';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const say = (line: string) => process.stdout.write(`${line}\n`);

/**
 * `npm run chaos`: the five services and a card provider in a vhost and databases of the run's
 * own, N orders at a steady rate while services are SIGKILLed and restarted, RabbitMQ and
 * PostgreSQL restarted once and the provider goes through an outage, latency spikes and a 5xx
 * episode, then a check of every invariant straight from the databases, the provider's ledger
 * and the SMTP sink.
 */
async function main(): Promise<number> {
  const settings = parseChaosArguments(process.argv.slice(2));
  const infra = await createTestInfrastructure('chaos');
  const sink = await new SmtpSink().start();
  const base = await freePortRange(SERVICE_NAMES.length);
  const urls = Object.fromEntries(SERVICE_NAMES.map((name) => [name, infra.databaseUrl(name)])) as DatabaseUrls;
  // Each service runs as its own broker user and database role; the checks read as a superuser (urls).
  await infra.provision(SERVICE_NAMES);
  const access = Object.fromEntries(await Promise.all(SERVICE_NAMES.map(async (name) => [name, await infra.serviceAccess(name)] as const)));
  const logDirectory = path.join(REPO_ROOT, '.chaos', infra.runId);
  mkdirSync(logDirectory, { recursive: true });
  const provider = await startProvider(logDirectory).catch(async (error: unknown) => {
    await sink.close();
    await infra.cleanup().catch(() => undefined);
    throw error;
  });
  const supervisor = new ServiceSupervisor(
    REPO_ROOT,
    logDirectory,
    // As npm run stack lays replicas out: a port per slot.
    serviceInstances(() => settings.replicas).map(({ name, instance, slot }) => ({
      name,
      instance,
      port: base + slot,
      env: {
        ...process.env,
        PORT: String(base + slot),
        DATABASE_URL: access[name]!.databaseUrl,
        RABBITMQ_URL: access[name]!.rabbitmqUrl,
        OPERATOR_TOKEN: TEST_OPERATOR_TOKEN,
        SMTP_URL: sink.url,
        ...(name === 'payment' ? { PAYMENT_PROVIDER_URL: provider.url } : {}),
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
    await provider.stop();
    await sink.close();
    if (!settings.keep) await infra.cleanup().catch(() => undefined);
    process.exit(130);
  };
  process.once('SIGINT', () => void interrupted('SIGINT'));
  process.once('SIGTERM', () => void interrupted('SIGTERM'));
  try {
    const loadSeconds = settings.orders / settings.rate;
    const episodes = scheduleProviderFaults({
      loadSeconds,
      outageSeconds: settings.providerOutageSeconds,
      spikeSeconds: settings.providerSpikeSeconds,
    });
    say(
      `chaos: ${settings.orders} orders at ${settings.rate}/s, ${settings.replicas > 1 ? `${settings.replicas} replicas of every service, ` : ''}` +
        `${settings.rollingRestarts ? 'a rolling restart step' : 'a SIGKILL'} every ${settings.killEverySeconds} s, ` +
        `${episodes.length === 0 ? 'no provider faults' : `provider faults at ${episodes.map((e) => `${e.startSeconds} s (${e.kind}, ${e.seconds} s)`).join(', ')}`}; ` +
        `vhost ${infra.vhost}, card provider ${provider.url}, logs in ${logDirectory}`,
    );
    supervisor.startAll();
    await supervisor.waitUntilReady(60_000);

    const faults = new FaultInjector(supervisor, {
      killEverySeconds: settings.killEverySeconds,
      rollingRestarts: settings.rollingRestarts,
      restartBroker: settings.restartBroker,
      restartDatabase: settings.restartDatabase,
      loadSeconds,
      rabbitmqUrl: infra.rabbitmqUrl,
      postgresUrl: urls.order,
      provider: { control: provider.control, episodes },
    });
    const stopFaults = new AbortController();
    const faulting = faults.run(stopFaults.signal);
    const started = performance.now();
    const placed = await placeOrders(
      supervisor.instancesOf('order').map((instance) => supervisor.urlOf(instance)),
      settings.orders,
      settings.rate,
      (done) => {
        if (done % Math.max(1, Math.round(settings.orders / 10)) === 0)
          say(`  ${done}/${settings.orders} orders accepted after ${((performance.now() - started) / 1000).toFixed(0)} s`);
      },
    );
    stopFaults.abort();
    await faulting;
    await supervisor.waitUntilReady(60_000);

    say(`load done; waiting up to ${settings.quietTimeoutSeconds} s for every order and email to settle`);
    const quiet = await waitForQuiet(urls, sink, placed.length, settings.quietTimeoutSeconds * 1_000);
    say(quiet ? 'quiet.' : 'NOT quiet before the timeout: checking anyway.');

    const orders = await query<{ id: string; status: string; cancellation_reason: string | null }>(
      urls.order,
      'SELECT id, status, cancellation_reason FROM orders',
    );
    const results = await checkInvariants(urls, placed, sink.emails, await readLedger(provider));
    results.push(await deadLetterCheck(infra.rabbitmqUrl));
    const crashes = [...supervisor.crashes.map((c) => `${c.name} exited ${c.signal ?? c.code}`), ...provider.crashes];
    results.push({
      invariant: 'no service crashed by itself',
      ok: crashes.length === 0,
      detail: crashes.length === 0 ? 'only the SIGKILLs above' : crashes.join(', '),
      bad: crashes,
    });
    writeFileSync(path.join(logDirectory, 'invariants.json'), `${JSON.stringify(results, null, 2)}\n`);

    say('\nfaults injected\n' + faultTable(faults.record));
    const circuitOpened = countLines(path.join(logDirectory, 'payment.log'), '"circuit opened');
    if (episodes.length > 0)
      say(
        `the payment service's circuit to the provider opened ${circuitOpened} time(s), failed probes and restarts included (payment.log)`,
      );
    say('\noutcomes\n' + outcomeTable(placed, orders));
    say('\ninvariants\n' + invariantTable(results));
    const failed = results.filter((r) => !r.ok).length;
    say(failed === 0 ? '\nchaos: every invariant holds' : `\nchaos: ${failed} invariant(s) violated`);
    return failed === 0 ? 0 : 1;
  } finally {
    await supervisor.stopAll();
    await provider.stop();
    await sink.close();
    if (settings.keep) say(`kept vhost ${infra.vhost} and databases shop_${infra.runId}_* for inspection`);
    else await infra.cleanup();
  }
}

/**
 * The card provider as a process of its own, its ledger also on disk in the run's directory (to
 * inspect after the run), its output in payment-provider.log, and any exit it was not asked for
 * recorded as a crash.
 */
async function startProvider(logDirectory: string): Promise<ProviderProcess & { crashes: string[] }> {
  const provider = await startProviderProcess({ PROVIDER_LEDGER_FILE: path.join(logDirectory, 'payment-provider-ledger.jsonl') });
  const log = createWriteStream(path.join(logDirectory, 'payment-provider.log'), { flags: 'a' });
  provider.child.stdout?.pipe(log, { end: false });
  provider.child.stderr?.pipe(log, { end: false });
  const crashes: string[] = [];
  let stopping = false;
  provider.child.once('exit', (code, signal) => {
    if (!stopping) crashes.push(`payment provider exited ${signal ?? code}`);
  });
  return {
    ...provider,
    crashes,
    stop: async () => {
      stopping = true;
      await provider.stop();
      log.end();
    },
  };
}

/** The provider's whole ledger, read through its faultable API once it is calm again; or why it could not be read. */
async function readLedger(provider: ProviderProcess): Promise<Charge[] | Error> {
  try {
    await provider.control.set(CALM_BEHAVIOUR);
    return await provider.control.charges();
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

function countLines(file: string, text: string): number {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.includes(text)).length;
  } catch {
    return 0;
  }
}

/** Quiet: no order pending, every outbox empty, one email per order arrived. */
async function waitForQuiet(urls: DatabaseUrls, sink: SmtpSink, orders: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const [pending] = await query<{ n: number }>(urls.order, "SELECT count(*)::int AS n FROM orders WHERE status = 'PENDING'");
      let outboxes = 0;
      for (const url of Object.values(urls))
        outboxes += (await query<{ n: number }>(url, 'SELECT count(*)::int AS n FROM outbox'))[0]?.n ?? 0;
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
    const unexplained: string[] = [];
    for (const queue of CONSUMER_QUEUES) {
      for (const letter of await store.peek(queue)) {
        if (!letter.error) unexplained.push(`${queue}: ${letter.type} ${letter.messageId}`);
        const reason = `${queue}: ${letter.type} ${letter.error.slice(0, 120) || '(no reason recorded)'}`;
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }
    }
    return {
      invariant: 'dead-letter queues empty, or every message explained',
      ok: unexplained.length === 0,
      detail: reasons.size === 0 ? 'all empty' : [...reasons].map(([reason, n]) => `${n}x ${reason}`).join('; '),
      bad: unexplained,
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
