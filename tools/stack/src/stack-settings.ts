import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { PARTICIPANT_NICE, SERVICE_NAMES, serviceInstances, type ServiceName } from '@shop/catalog';
import { ConfigError, loadConfig, milliseconds, port, url, z } from '@shop/config';

/** How much lower the participants' CPU priority is than the order service's (a nice value, 0-19; 0: the same). */
const participantNiceSetting = z.coerce.number().int().min(0).max(19).default(PARTICIPANT_NICE);

/** STACK_PARTICIPANT_NICE alone, for a tool that starts the services its own way (the bench). */
export function loadParticipantNice(env: NodeJS.ProcessEnv = process.env): number {
  return loadConfig(z.object({ STACK_PARTICIPANT_NICE: participantNiceSetting }), env).STACK_PARTICIPANT_NICE;
}

const schema = z.object({
  /**
   * An admin's URL: the stack provisions the vhost it names (`shop` when it names none) and a
   * user per service there, and the services run as those users.
   */
  RABBITMQ_URL: url(['amqp', 'amqps']).default('amqp://guest:guest@127.0.0.1:5672/shop'),
  /** A superuser's URL of any database on the server; each service gets its own role and database there. */
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
  /** The services' metrics endpoints: this port and the next ones, in catalog order. */
  STACK_METRICS_BASE_PORT: z.coerce
    .number()
    .int()
    .min(1)
    .max(65536 - SERVICE_NAMES.length, `expected a port from 1 to ${65536 - SERVICE_NAMES.length}`)
    .default(9464),
  /** `auto` starts Debian's `prometheus` when it is installed; `off`, or the program's path. */
  STACK_PROMETHEUS: z.string().min(1).default('auto'),
  STACK_PROMETHEUS_PORT: port(9090),
  /** `auto` starts `prometheus-postgres-exporter` (or `postgres_exporter`) when installed; `off`, or the program's path. */
  STACK_POSTGRES_EXPORTER: z.string().min(1).default('auto'),
  STACK_POSTGRES_EXPORTER_PORT: port(9187),
  /** The PostgreSQL role the exporter logs in as, created with only pg_monitor. */
  STACK_MONITOR_ROLE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'expected a lower-case PostgreSQL role name')
    .default('shop_monitor'),
  /**
   * How many processes of each service: `payment=3,order=2`, `all=2` (one each by default;
   * `npm run stack -- --replicas ...` sets it). Replica k of the service at catalog index i
   * listens on STACK_BASE_PORT + (k - 1) x services + i, its metrics likewise.
   */
  STACK_REPLICAS: z
    .string()
    .regex(
      new RegExp(`^((${[...SERVICE_NAMES, 'all'].join('|')})=[1-9])(,(${[...SERVICE_NAMES, 'all'].join('|')})=[1-9])*$`),
      `expected service=count pairs such as payment=3,order=2 (services: ${SERVICE_NAMES.join(', ')}, or all; counts 1 to 9)`,
    )
    .optional(),
  STACK_READY_TIMEOUT_MS: milliseconds(60_000),
  /** How long stopping waits for the services; they bound their own stop by SHUTDOWN_TIMEOUT_MS (10 s). */
  STACK_STOP_TIMEOUT_MS: milliseconds(15_000),
  STACK_PARTICIPANT_NICE: participantNiceSetting,
  /**
   * More node arguments for every service, after the catalog's SERVICE_NODE_ARGS, separated by
   * spaces: for V8 flags NODE_OPTIONS refuses (`--no-maglev`, `--trace-zone-stats`), to try them.
   */
  STACK_NODE_ARGS: z
    .string()
    .regex(/^\s*(?:-\S*(?:\s+-\S*)*)?\s*$/, 'expected node options separated by spaces, each starting with -, such as --no-maglev')
    .default(''),
});

export type StackEnv = z.infer<typeof schema>;

export interface ServiceSettings {
  /** The catalog's name: what the process runs, its database and its broker user. */
  name: ServiceName;
  /** Its name in the logs, the summary and its traces: the service's name, `-2`, `-3`... for further replicas. */
  instance: string;
  port: number;
  /** Where its Prometheus exporter listens. */
  metricsPort: number;
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
  participantNice: number;
  /** STACK_NODE_ARGS, one argument each. */
  nodeArgs: string[];
  services: ServiceSettings[];
  monitoring: {
    /** The programs to start, when found. */
    prometheus: string | undefined;
    prometheusPort: number;
    postgresExporter: string | undefined;
    postgresExporterPort: number;
    monitorRole: string;
  };
}

/** Reads the stack's settings from the environment; throws ConfigError naming each bad variable. */
export function loadStackSettings(env: NodeJS.ProcessEnv = process.env): StackSettings {
  const config = loadConfig(schema, env);
  return {
    rabbitmqUrl: withVhost(config.RABBITMQ_URL),
    postgresUrl: config.POSTGRES_URL,
    smtpUrl: config.SMTP_URL,
    mailCatcher: { smtpPort: config.MAIL_CATCHER_SMTP_PORT, httpPort: config.MAIL_CATCHER_HTTP_PORT },
    paymentProviderUrl: config.PAYMENT_PROVIDER_URL,
    paymentProviderPort: config.PAYMENT_PROVIDER_PORT,
    readyTimeoutMs: config.STACK_READY_TIMEOUT_MS,
    stopTimeoutMs: config.STACK_STOP_TIMEOUT_MS,
    participantNice: config.STACK_PARTICIPANT_NICE,
    nodeArgs: config.STACK_NODE_ARGS.split(/\s+/).filter(Boolean),
    services: instances(replicaCounts(config.STACK_REPLICAS), config.STACK_BASE_PORT, config.STACK_METRICS_BASE_PORT).map((instance) => ({
      ...instance,
      databaseUrl: serviceDatabaseUrl(config.POSTGRES_URL, `${config.STACK_DATABASE_PREFIX}${instance.name}`),
    })),
    monitoring: {
      prometheus: program(config.STACK_PROMETHEUS, ['prometheus'], env),
      prometheusPort: config.STACK_PROMETHEUS_PORT,
      postgresExporter: program(config.STACK_POSTGRES_EXPORTER, ['prometheus-postgres-exporter', 'postgres_exporter'], env),
      postgresExporterPort: config.STACK_POSTGRES_EXPORTER_PORT,
      monitorRole: config.STACK_MONITOR_ROLE,
    },
  };
}

/** How many replicas of each service STACK_REPLICAS asks for (a later pair overrides an earlier one). */
function replicaCounts(setting: string | undefined): Record<ServiceName, number> {
  const counts = Object.fromEntries(SERVICE_NAMES.map((name) => [name, 1])) as Record<ServiceName, number>;
  for (const pair of setting ? setting.split(',') : []) {
    const [name, count] = pair.split('=') as [ServiceName | 'all', string];
    for (const target of name === 'all' ? SERVICE_NAMES : [name]) counts[target] = Number(count);
  }
  return counts;
}

/** Every process to run (serviceInstances), with its port and metrics port. */
function instances(counts: Record<ServiceName, number>, basePort: number, metricsBasePort: number) {
  const most = Math.max(...Object.values(counts));
  const highest = Math.max(basePort, metricsBasePort) + most * SERVICE_NAMES.length - 1;
  if (highest > 65535) {
    throw new ConfigError([
      `invalid setting STACK_REPLICAS: ${most} replicas need ports up to ${highest} from STACK_BASE_PORT and STACK_METRICS_BASE_PORT`,
    ]);
  }
  return serviceInstances((name) => counts[name]).map(({ name, instance, slot }) => ({
    name,
    instance,
    port: basePort + slot,
    metricsPort: metricsBasePort + slot,
  }));
}

/** The URL itself when it names a vhost, with the `shop` vhost otherwise: the stack never uses `/`. */
function withVhost(rabbitmqUrl: string): string {
  const url = new URL(rabbitmqUrl);
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/shop';
  return url.toString();
}

/** `off`: none; `auto`: the first of `names` found on PATH; anything else is the program's path. */
function program(setting: string, names: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  if (setting === 'off') return undefined;
  if (setting !== 'auto') return setting;
  const dirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** The same server, user and options as `postgresUrl`, with another database. */
export function serviceDatabaseUrl(postgresUrl: string, database: string): string {
  const url = new URL(postgresUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
