import { PARTICIPANTS, SERVICE_NAMES, type ServiceName } from '@shop/catalog';
import { service as orderService } from '@shop/order-service';
import { startProviderProcess, type ProviderProcess } from '@shop/payment-provider';
import type { RunningService, ServiceModule } from '@shop/runtime';
import { createTestInfrastructure, serviceTestEnv, SmtpSink, type TestInfrastructure } from '@shop/testing';

/** A catalog service's package, `@shop/<name>-service`, exports its `service` from its main.ts. */
async function serviceModule(name: ServiceName): Promise<Pick<ServiceModule, 'startWith'>> {
  if (name === 'order') return orderService;
  return ((await import(`@shop/${name}-service`)) as { service: ServiceModule }).service;
}

export interface ShopUnderContract {
  /** Each service's base URL. */
  urls: Record<ServiceName, string>;
  stop(): Promise<void>;
}

/**
 * Every service of the catalog in this process, on this run's own vhost and databases, with the
 * operator token of @shop/testing, the fake card provider and an SMTP sink, so an order goes all
 * the way and every operator endpoint has something to show.
 */
export async function startShop(label: string): Promise<ShopUnderContract> {
  const started: RunningService[] = [];
  let infra: TestInfrastructure | undefined;
  let sink: SmtpSink | undefined;
  let provider: ProviderProcess | undefined;
  const stop = async () => {
    await Promise.allSettled(started.map((service) => service.stop()));
    await sink?.close();
    await provider?.stop();
    await infra?.cleanup();
  };
  try {
    infra = await createTestInfrastructure(label);
    await infra.provision(SERVICE_NAMES);
    sink = await new SmtpSink().start();
    provider = await startProviderProcess();
    const settings: Partial<Record<ServiceName, Record<string, string>>> = {
      payment: { PAYMENT_PROVIDER_URL: provider.url },
      email: { SMTP_URL: sink.url },
    };
    const urls = {} as Record<ServiceName, string>;
    // The participants first, the order service last, as compose starts them.
    for (const name of [...PARTICIPANTS, 'order' as const]) {
      const service = await (await serviceModule(name)).startWith(await serviceTestEnv(infra, name, settings[name]));
      started.push(service);
      await service.broker.waitUntilConnected(10_000);
      urls[name] = service.url;
    }
    return { urls, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
