import { SERVICE_NAMES } from '@shop/catalog';
import { eventually } from './eventually';
import { freePortRange, startStack, tail, type RunningStack } from './stack-process';
import type { TestInfrastructure } from './test-infrastructure';

export interface TestStack {
  stack: RunningStack;
  /** The order service; the others follow on the next ports, then the mail catcher's SMTP and HTTP, then the card provider. */
  basePort: number;
  orderUrl: string;
  /** SIGTERM, and the run's databases are dropped with the infrastructure's cleanup. */
  stop(): Promise<void>;
}

/**
 * `npm run stack`'s runner, as real processes, on free ports, in this run's vhost and with
 * databases that `infra.cleanup()` drops. Resolves once it printed that it is ready.
 */
export async function startTestStack(infra: TestInfrastructure, env: Record<string, string> = {}): Promise<TestStack> {
  const basePort = await freePortRange(SERVICE_NAMES.length + 3);
  for (const service of SERVICE_NAMES) infra.databaseUrl(service); // the stack's databases: shop_<runId>_<service>
  const stack = startStack({
    RABBITMQ_URL: infra.rabbitmqUrl,
    STACK_DATABASE_PREFIX: `shop_${infra.runId}_`,
    STACK_BASE_PORT: String(basePort),
    MAIL_CATCHER_SMTP_PORT: String(basePort + SERVICE_NAMES.length),
    MAIL_CATCHER_HTTP_PORT: String(basePort + SERVICE_NAMES.length + 1),
    PAYMENT_PROVIDER_PORT: String(basePort + SERVICE_NAMES.length + 2),
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
    async stop() {
      stack.child.kill('SIGTERM');
      await stack.exited;
    },
  };
}
