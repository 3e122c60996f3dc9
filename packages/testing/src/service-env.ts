import { SERVICE_NAMES, type ServiceName } from '@shop/catalog';
import { TEST_OPERATOR_TOKEN } from './operator-token';
import type { TestInfrastructure } from './test-infrastructure';

/**
 * The environment a service under test starts with: this run's vhost and database, a free port,
 * quiet logs (TEST_LOG_LEVEL=debug to see them), short retry delays and the operator endpoints on.
 * A catalog service runs with its own credentials, as under compose (its broker user and its
 * role, provisioned here); any other name gets the admin's, and creates its database itself.
 */
export async function serviceTestEnv(
  infra: TestInfrastructure,
  service: string,
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  const access = isCatalogService(service)
    ? await infra.serviceAccess(service)
    : { rabbitmqUrl: infra.rabbitmqUrl, databaseUrl: infra.databaseUrl(service) };
  return {
    RABBITMQ_URL: access.rabbitmqUrl,
    DATABASE_URL: access.databaseUrl,
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    RETRY_DELAYS_MS: '50,100',
    SHUTDOWN_TIMEOUT_MS: '5000',
    OPERATOR_TOKEN: TEST_OPERATOR_TOKEN,
    ...extra,
  };
}

function isCatalogService(name: string): name is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(name);
}
