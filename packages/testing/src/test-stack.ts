import { SERVICE_NAMES } from '@shop/catalog';
import { eventually } from './eventually';
import { TEST_OPERATOR_TOKEN } from './operator-token';
import { freePortRange, startStack, tail, type RunningStack } from './stack-process';
import type { TestInfrastructure } from './test-infrastructure';

export interface TestStack {
  stack: RunningStack;
  /** The order service; the others follow on the next ports, then the mail catcher's SMTP and HTTP, then the card provider. */
  basePort: number;
  /** Each service's Prometheus endpoint (`http://127.0.0.1:port/metrics`), by catalog name. */
  metricsUrls: Record<string, string>;
  /** The stack's Prometheus, when `STACK_PROMETHEUS` turned it on (off in tests unless asked for). */
  prometheusUrl: string;
  orderUrl: string;
  /** SIGTERM, and the run's databases are dropped with the infrastructure's cleanup. */
  stop(): Promise<void>;
}

/**
 * `npm run stack`'s runner, as real processes, on free ports, in this run's vhost and with
 * databases that `infra.cleanup()` drops. Resolves once it printed that it is ready.
 */
export async function startTestStack(infra: TestInfrastructure, env: Record<string, string> = {}): Promise<TestStack> {
  // The services, the mail catcher's two ports and the card provider, then the services' metrics,
  // Prometheus and the postgres exporter.
  const basePort = await freePortRange(2 * SERVICE_NAMES.length + 5);
  const metricsBasePort = basePort + SERVICE_NAMES.length + 3;
  const prometheusPort = metricsBasePort + SERVICE_NAMES.length;
  // The stack provisions a database and a role of the same name per service, shop_<runId>_<service>.
  for (const service of SERVICE_NAMES) {
    infra.roleName(service);
    infra.databaseUrl(service);
  }
  const stack = startStack({
    RABBITMQ_URL: infra.rabbitmqUrl,
    STACK_DATABASE_PREFIX: `shop_${infra.runId}_`,
    STACK_BASE_PORT: String(basePort),
    MAIL_CATCHER_SMTP_PORT: String(basePort + SERVICE_NAMES.length),
    MAIL_CATCHER_HTTP_PORT: String(basePort + SERVICE_NAMES.length + 1),
    PAYMENT_PROVIDER_PORT: String(basePort + SERVICE_NAMES.length + 2),
    STACK_METRICS_BASE_PORT: String(metricsBasePort),
    STACK_PROMETHEUS: 'off',
    STACK_PROMETHEUS_PORT: String(prometheusPort),
    STACK_POSTGRES_EXPORTER: 'off',
    STACK_POSTGRES_EXPORTER_PORT: String(prometheusPort + 1),
    STACK_MONITOR_ROLE: infra.roleName('monitor'),
    OPERATOR_TOKEN: TEST_OPERATOR_TOKEN,
    LOG_LEVEL: 'warn',
    ...env,
  });
  await eventually(() => (/ready in/.test(stack.output()) ? true : undefined), { timeoutMs: 60_000, what: 'the stack to be ready' }).catch(
    (error: unknown) => {
      stack.child.kill('SIGTERM');
      throw new Error(`${String(error)}\n${tail(stack.output())}`);
    },
  );
  return {
    stack,
    basePort,
    orderUrl: `http://127.0.0.1:${basePort}`,
    metricsUrls: Object.fromEntries(SERVICE_NAMES.map((name, index) => [name, `http://127.0.0.1:${metricsBasePort + index}/metrics`])),
    prometheusUrl: `http://127.0.0.1:${prometheusPort}`,
    async stop() {
      stack.child.kill('SIGTERM');
      await stack.exited;
    },
  };
}
