import { PARTICIPANTS, SERVICE_NAMES, type ServiceName } from '@shop/catalog';
import type { RunningService, ServiceModule } from '@shop/runtime';
import { createTestInfrastructure, serviceTestEnv, SmtpSink, type TestInfrastructure } from '@shop/testing';
import { startProviderProcess } from '@shop/payment-provider';

/** A catalog service's package, `@shop/<name>-service`, exports its `service` from its main.ts. */
async function serviceModule(name: ServiceName): Promise<ServiceModule> {
  return ((await import(`@shop/${name}-service`)) as { service: ServiceModule }).service;
}

/**
 * Every service of the catalog in this process, on this run's own vhost and databases, with an
 * SMTP sink and the fake card provider (tools/payment-provider) as a process of its own. The participants start first, the
 * order service last.
 */
export async function startEnvelopeShop(label: string) {
  const infra: TestInfrastructure = await createTestInfrastructure(label);
  // Each service runs as its own broker user and database role, all provisioned at once.
  await infra.provision(SERVICE_NAMES);
  const sink = await new SmtpSink().start();
  const provider = await startProviderProcess();
  const settings: Partial<Record<ServiceName, Record<string, string>>> = {
    payment: { PAYMENT_PROVIDER_URL: provider.url, PAYMENT_PROVIDER_TIMEOUT_MS: '1000' },
    email: { SMTP_URL: sink.url },
  };
  const services = {} as Record<ServiceName, RunningService>;
  for (const name of [...PARTICIPANTS, 'order' as const]) {
    const service = await (await serviceModule(name)).startWith(await serviceTestEnv(infra, name, settings[name]));
    await service.broker.waitUntilConnected(10_000);
    services[name] = service;
  }
  return {
    infra,
    sink,
    services,
    async stopAll() {
      await Promise.allSettled(Object.values(services).map((service) => service.stop()));
      await sink.close();
      await provider.stop();
      await infra.cleanup();
    },
  };
}

export type EnvelopeShop = Awaited<ReturnType<typeof startEnvelopeShop>>;

/**
 * Every table of every service database, each as its row count and an md5 of all its rows: equal
 * snapshots mean no row was inserted, deleted or updated. All tables are in it, the inbox and
 * outbox included: a message that fails validation is parked without opening a transaction.
 */
export async function snapshotTables(shop: EnvelopeShop): Promise<Record<string, string>> {
  const snapshot: Record<string, string> = {};
  for (const [name, service] of Object.entries(shop.services)) {
    const tables = await service.pool.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
    );
    if (tables.rows.length === 0) continue;
    const sql = tables.rows
      .map(({ table_name }, index) => {
        const quoted = `"${table_name.replaceAll('"', '""')}"`;
        return `SELECT $${index + 1}::text AS name, count(*)::text || ' ' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') AS state FROM ${quoted} t`;
      })
      .join(' UNION ALL ');
    const result = await service.pool.query<{ name: string; state: string }>(
      sql,
      tables.rows.map((row) => row.table_name),
    );
    for (const row of result.rows) snapshot[`${name}.${row.name}`] = row.state;
  }
  return snapshot;
}
