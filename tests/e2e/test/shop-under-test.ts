import { PARTICIPANTS, SERVICE_NAMES, type ServiceName } from '@shop/catalog';
import { orderSaga } from '@shop/order-service';
import { startProviderProcess } from '@shop/payment-provider';
import type { RunningService, ServiceModule } from '@shop/runtime';
import { createTestInfrastructure, eventually, operatorHeaders, serviceTestEnv, SmtpSink, type TestInfrastructure } from '@shop/testing';

/** Deadlines short enough for tests, long enough that a loaded CI machine never trips them by accident. */
export const SAGA_STEP_TIMEOUT_MS = 3_000;

/** A catalog service's package, `@shop/<name>-service`, exports its `service` from its main.ts. */
async function serviceModule(name: ServiceName): Promise<ServiceModule> {
  return ((await import(`@shop/${name}-service`)) as { service: ServiceModule }).service;
}

/**
 * Every service of the catalog in this process, each with its own database and real connections,
 * on this run's own vhost, with an SMTP sink the test owns. The participants start first, the
 * order service last, as compose starts them. `overrides` adds or replaces settings per service.
 */
export async function startShop(label: string, overrides: Partial<Record<ServiceName, Record<string, string>>> = {}) {
  const infra: TestInfrastructure = await createTestInfrastructure(label);
  // Each service runs as its own broker user and database role, all provisioned at once.
  await infra.provision(SERVICE_NAMES);
  const sink = await new SmtpSink().start();
  // The card provider is a process of its own, as a real one is remote.
  const provider = await startProviderProcess();
  // Only the settings these tests need to differ from the defaults.
  const settings: Partial<Record<ServiceName, Record<string, string>>> = {
    order: {
      SAGA_STEP_TIMEOUT_MS: String(SAGA_STEP_TIMEOUT_MS),
      SAGA_DEADLINE_POLL_MS: '100',
      SAGA_COMPENSATION_RETRY_MAX_MS: '5000',
    },
    payment: { PAYMENT_PROVIDER_URL: provider.url, PAYMENT_PROVIDER_TIMEOUT_MS: '1000' },
    email: { SMTP_URL: sink.url },
  };
  // A test's own settings (`overrides`) win over these.
  for (const [name, extra] of Object.entries(overrides) as [ServiceName, Record<string, string>][])
    settings[name] = { ...settings[name], ...extra };
  const start = async (name: ServiceName) => {
    const service = await (await serviceModule(name)).startWith(await serviceTestEnv(infra, name, settings[name]));
    await service.broker.waitUntilConnected(10_000);
    return service;
  };
  const services = {} as Record<ServiceName, RunningService>;
  for (const name of [...PARTICIPANTS, 'order' as const]) services[name] = await start(name);

  return {
    infra,
    sink,
    provider,
    services,
    /** Stops a service as an outage would; `start` brings a new one up on the same database. */
    async stop(name: ServiceName) {
      await services[name].stop();
    },
    async start(name: ServiceName) {
      services[name] = await start(name);
    },
    async placeOrder(body: unknown) {
      const response = await fetch(`${services.order.url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (response.status !== 202) throw new Error(`POST /orders answered ${response.status}: ${await response.text()}`);
      return ((await response.json()) as { orderId: string }).orderId;
    },
    async order(orderId: string): Promise<OrderView> {
      return (await (await fetch(`${services.order.url}/orders/${orderId}`)).json()) as OrderView;
    },
    /** Waits until the order is CONFIRMED or CANCELLED (compensations included) and returns it. */
    async settled(orderId: string, timeoutMs = 30_000): Promise<OrderView> {
      return eventually(
        async () => {
          const order = await this.order(orderId);
          return order.status === 'PENDING' ? undefined : order;
        },
        { timeoutMs, what: `order ${orderId} to settle` },
      );
    },
    async get(service: keyof typeof services, path: string): Promise<{ status: number; body: any }> {
      // The operator endpoints (stock, payments, shipments, ...) want the token; the shop's own API ignores it.
      const response = await fetch(`${services[service].url}${path}`, { headers: operatorHeaders() });
      return { status: response.status, body: await response.json() };
    },
    async stockOf(sku: string): Promise<number> {
      return (await this.get('inventory', `/stock/${sku}`)).body.stock as number;
    },
    async stopAll() {
      await Promise.allSettled(Object.values(services).map((service) => service.stop()));
      await sink.close();
      await provider.stop();
      await infra.cleanup();
    },
  };
}

export type Shop = Awaited<ReturnType<typeof startShop>>;

export interface OrderView {
  orderId: string;
  status: 'PENDING' | 'CONFIRMED' | 'CANCELLED';
  cancellationReason: string | null;
  lines: Array<{ sku: string; quantity: number; name: string; unitPriceCents: number }> | null;
  totalCents: number | null;
  saga: { state: string; currentStep: string | null; steps: Array<{ step: string; action: string; outcome: string; attempts: number }> };
}

/** The saga's steps as `action step outcome` lines, the easiest form to compare. */
export const journey = (order: OrderView) => order.saga.steps.map((s) => `${s.action} ${s.step} ${s.outcome}`);

/**
 * The journey the order saga's definition gives an order whose step `stoppedAt` ended with
 * `outcome` (every step succeeding when none is named): the steps before it succeeded, then the
 * compensations of those that have one, in reverse order. A step that timed out may have acted
 * after all, so it is compensated too; one that answered `failed` did nothing to undo. Derived
 * from the definition, so a step added to the business process changes no expectation here.
 */
export function expectedJourney(stoppedAt?: string, outcome: 'failed' | 'timed-out' | 'pending' = 'failed'): string[] {
  const steps = orderSaga.steps;
  const at = stoppedAt === undefined ? steps.length : steps.findIndex((step) => step.name === stoppedAt);
  if (at < 0) throw new Error(`the order saga has no step ${stoppedAt}`);
  const succeeded = steps.slice(0, at);
  const lines = succeeded.map((step) => `invoke ${step.name} succeeded`);
  if (stoppedAt === undefined) return lines;
  lines.push(`invoke ${stoppedAt} ${outcome}`);
  if (outcome === 'pending') return lines;
  const undone = outcome === 'timed-out' ? [...succeeded, steps[at]!] : succeeded;
  return [
    ...lines,
    ...undone
      .filter((step) => step.compensation)
      .reverse()
      .map((step) => `compensate ${step.name} succeeded`),
  ];
}
