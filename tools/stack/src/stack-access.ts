import { provisionShopAccess, type ServiceAccess } from '@shop/testing';
import type { ServiceSettings, StackSettings } from './stack-settings';

/**
 * Provisions the stack's vhost (RABBITMQ_URL, an admin's) and its databases (on POSTGRES_URL, a
 * superuser's) as compose's definitions and init script do: a broker user and a database role
 * per service, which all its replicas share, with new passwords. Returns each service's URLs.
 */
export function provisionStackAccess(settings: StackSettings): Promise<Record<string, ServiceAccess>> {
  return provisionShopAccess({
    rabbitmqUrl: settings.rabbitmqUrl,
    postgresUrl: settings.postgresUrl,
    services: settings.services
      .filter((service) => service.instance === service.name)
      .map((service) => ({ name: service.name, database: databaseOf(service) })),
  });
}

function databaseOf(service: ServiceSettings): string {
  return decodeURIComponent(new URL(service.databaseUrl).pathname.slice(1));
}
