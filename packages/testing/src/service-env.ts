import type { TestInfrastructure } from './test-infrastructure';

/**
 * The environment a service under test starts with: this run's vhost and database, a free port,
 * quiet logs (TEST_LOG_LEVEL=debug to see them) and short retry delays.
 */
export function serviceTestEnv(infra: TestInfrastructure, service: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    RABBITMQ_URL: infra.rabbitmqUrl,
    DATABASE_URL: infra.databaseUrl(service),
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    RETRY_DELAYS_MS: '50,100',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...extra,
  };
}
