import { SERVICE_NAMES, type ServiceName } from '@shop/catalog';
import { loadConfig, milliseconds, port, url, z } from '@shop/config';

const schema = z.object({
  RABBITMQ_URL: url(['amqp', 'amqps']).default('amqp://guest:guest@127.0.0.1:5672'),
  /** Any database on the server; each service gets its own database on the same server. */
  POSTGRES_URL: url(['postgres', 'postgresql']).default('postgres://postgres@127.0.0.1:5432/postgres'),
  STACK_DATABASE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_]*$/, 'expected letters, digits and underscores')
    .default('shop_'),
  STACK_BASE_PORT: z.coerce
    .number()
    .int()
    .min(1)
    .max(
      65536 - SERVICE_NAMES.length,
      `expected a port from 1 to ${65536 - SERVICE_NAMES.length}, the services take it and the next ${SERVICE_NAMES.length - 1}`,
    )
    .default(3000),
  /** When set, the email service sends there and no mail catcher starts. */
  SMTP_URL: url(['smtp', 'smtps']).optional(),
  MAIL_CATCHER_SMTP_PORT: port(1025),
  /** When set, the payment service calls that card provider and no fake one starts. */
  PAYMENT_PROVIDER_URL: url(['http', 'https']).optional(),
  /** The fake card provider's port (tools/payment-provider), when the stack starts it. */
  PAYMENT_PROVIDER_PORT: port(4010),
  MAIL_CATCHER_HTTP_PORT: port(8025),
  STACK_READY_TIMEOUT_MS: milliseconds(60_000),
  /** How long stopping waits for the services; they bound their own stop by SHUTDOWN_TIMEOUT_MS (10 s). */
  STACK_STOP_TIMEOUT_MS: milliseconds(15_000),
});

export type StackEnv = z.infer<typeof schema>;

export interface ServiceSettings {
  name: ServiceName;
  port: number;
  databaseUrl: string;
}

export interface StackSettings {
  rabbitmqUrl: string;
  postgresUrl: string;
  smtpUrl: string | undefined;
  mailCatcher: { smtpPort: number; httpPort: number };
  paymentProviderUrl: string | undefined;
  paymentProviderPort: number;
  readyTimeoutMs: number;
  stopTimeoutMs: number;
  services: ServiceSettings[];
}

/** Reads the stack's settings from the environment; throws ConfigError naming each bad variable. */
export function loadStackSettings(env: NodeJS.ProcessEnv = process.env): StackSettings {
  const config = loadConfig(schema, env);
  return {
    rabbitmqUrl: config.RABBITMQ_URL,
    postgresUrl: config.POSTGRES_URL,
    smtpUrl: config.SMTP_URL,
    mailCatcher: { smtpPort: config.MAIL_CATCHER_SMTP_PORT, httpPort: config.MAIL_CATCHER_HTTP_PORT },
    paymentProviderUrl: config.PAYMENT_PROVIDER_URL,
    paymentProviderPort: config.PAYMENT_PROVIDER_PORT,
    readyTimeoutMs: config.STACK_READY_TIMEOUT_MS,
    stopTimeoutMs: config.STACK_STOP_TIMEOUT_MS,
    services: SERVICE_NAMES.map((name, index) => ({
      name,
      port: config.STACK_BASE_PORT + index,
      databaseUrl: serviceDatabaseUrl(config.POSTGRES_URL, `${config.STACK_DATABASE_PREFIX}${name}`),
    })),
  };
}

/** The same server, user and options as `postgresUrl`, with another database. */
export function serviceDatabaseUrl(postgresUrl: string, database: string): string {
  const url = new URL(postgresUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
