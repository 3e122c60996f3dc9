import { loadConfig } from '@shop/config';
import { emailConfigSchema, startEmailService } from '@shop/email-service';
import { inventoryConfigSchema, startInventoryService } from '@shop/inventory-service';
import { orderConfigSchema, startOrderService } from '@shop/order-service';
import { startProviderProcess } from '@shop/payment-provider';
import { paymentConfigSchema, startPaymentService } from '@shop/payment-service';
import type { RunningService } from '@shop/runtime';
import { createTestInfrastructure, eventually, serviceTestEnv, SmtpSink, type TestInfrastructure } from '@shop/testing';
import { startWarehouseService, warehouseConfigSchema } from '@shop/warehouse-service';

/** Deadlines short enough for tests, long enough that a loaded CI machine never trips them by accident. */
export const SAGA_STEP_TIMEOUT_MS = 3_000;

/**
 * The five services in this process, each with its own database and real connections, on this
 * run's own vhost, with an SMTP sink the test owns.
 */
export async function startShop(label: string) {
  const infra: TestInfrastructure = await createTestInfrastructure(label);
  const sink = await new SmtpSink().start();
  // The card provider is a process of its own, as a real one is remote.
  const provider = await startProviderProcess();
  const env = (service: string, extra: Record<string, string> = {}) => serviceTestEnv(infra, service, extra);

  const startWarehouse = () => startWarehouseService(loadConfig(warehouseConfigSchema, env('warehouse')));
  const startInventory = () => startInventoryService(loadConfig(inventoryConfigSchema, env('inventory')));
  const startOrder = () =>
    startOrderService(
      loadConfig(
        orderConfigSchema,
        env('order', {
          SAGA_STEP_TIMEOUT_MS: String(SAGA_STEP_TIMEOUT_MS),
          SAGA_DEADLINE_POLL_MS: '100',
          SAGA_COMPENSATION_RETRY_MAX_MS: '5000',
        }),
      ),
    );
  const services: Record<'inventory' | 'payment' | 'warehouse' | 'email' | 'order', RunningService> = {
    inventory: await startInventory(),
    payment: await startPaymentService(
      loadConfig(paymentConfigSchema, env('payment', { PAYMENT_PROVIDER_URL: provider.url, PAYMENT_PROVIDER_TIMEOUT_MS: '1000' })),
    ),
    warehouse: await startWarehouse(),
    email: await startEmailService(loadConfig(emailConfigSchema, env('email', { SMTP_URL: sink.url }))),
    order: await startOrder(),
  };
  await Promise.all(Object.values(services).map((service) => service.broker.waitUntilConnected(10_000)));

  return {
    infra,
    sink,
    provider,
    services,
    /** Stops a service as an outage would; `start` brings a new one up on the same database. */
    async stop(name: 'warehouse' | 'inventory' | 'order') {
      await services[name].stop();
    },
    async start(name: 'warehouse' | 'inventory' | 'order') {
      const started = { warehouse: startWarehouse, inventory: startInventory, order: startOrder }[name];
      const service = await started();
      services[name] = service;
      await service.broker.waitUntilConnected(10_000);
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
      const response = await fetch(`${services[service].url}${path}`);
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
