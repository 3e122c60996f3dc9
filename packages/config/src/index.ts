import { z } from 'zod';

/**
 * Thrown when the environment does not satisfy a service's schema. The message is one line per
 * setting, naming the variable and what was expected, so start-up failures read at a glance.
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

/** Parses `env` with a schema whose keys are the variable names. Empty strings count as unset. */
export function loadConfig<S extends z.ZodObject>(schema: S, env: Env = process.env): z.infer<S> {
  const cleaned: Env = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') cleaned[key] = value.trim();
  }
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.join('.');
    const given = cleaned[key];
    const shown =
      given === undefined
        ? 'it is not set'
        : isSecret(schema.shape[key])
          ? `got ${given.length} characters, not shown`
          : `got ${JSON.stringify(redactUrl(given))}`;
    return `invalid setting ${key}: ${issue.message} (${shown})`;
  });
  throw new ConfigError(problems);
}

/** Loads the config or prints the problem on one line to stderr and exits: the start-up contract. */
export function loadConfigOrExit<S extends z.ZodObject>(service: string, schema: S, env: Env = process.env): z.infer<S> {
  try {
    return loadConfig(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${service}: ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}

/** The value with a URL's password masked, for anything printed or logged. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return value;
  }
}

/** A URL setting whose scheme must be one of `protocols`, e.g. `url(['amqp', 'amqps'])`. */
export function url(protocols: string[]) {
  const expected = protocols.map((p) => `${p}://`).join(' or ');
  // The same words when it is not set at all, rather than zod's "expected string, received undefined".
  return z.string({ message: `expected a URL starting with ${expected}` }).refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    { message: `expected a URL starting with ${expected}` },
  );
}

export const port = (fallback: number) =>
  z.coerce
    .number({ message: 'expected a TCP port number' })
    .int('expected a TCP port number')
    .min(0, 'expected a TCP port number')
    .max(65535, 'expected a TCP port number')
    .default(fallback);

export const milliseconds = (fallback: number) =>
  z.coerce
    .number({ message: 'expected a duration in milliseconds' })
    .int()
    .positive('expected a positive number of milliseconds')
    .default(fallback);

/** A delay that may be zero (an added latency, say). */
export const delayMs = (fallback: number) =>
  z.coerce.number({ message: 'expected a duration in milliseconds' }).int().min(0, 'expected zero or more milliseconds').default(fallback);

export const ratio = (fallback: number) =>
  z.coerce
    .number({ message: 'expected a number between 0 and 1' })
    .min(0, 'expected a number between 0 and 1')
    .max(1, 'expected a number between 0 and 1')
    .default(fallback);

/** A share strictly between 0 and 1, such as a circuit breaker's failure ratio. */
export const openRatio = (fallback: number) =>
  z.coerce
    .number({ message: 'expected a number between 0 and 1, both excluded' })
    .gt(0, 'expected a number between 0 and 1, both excluded')
    .lt(1, 'expected a number between 0 and 1, both excluded')
    .default(fallback);

/**
 * A secret such as a bearer token: optional, and at least `minLength` characters when set. An
 * error about it gives its length, never its value.
 */
const secret = (minLength: number) =>
  z.string().min(minLength, `expected at least ${minLength} characters`).optional().meta({ secret: true });

function isSecret(schema: unknown): boolean {
  return (schema as z.ZodType | undefined)?.meta()?.secret === true;
}

export const logLevel = () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

/**
 * The settings every service shares; each service extends this with its own. Its default port
 * and database are the service catalog's (@shop/catalog's `serviceNamed`).
 */
export function baseServiceSchema(service: { port: number; database: string }) {
  return z.object({
    PORT: port(service.port),
    // The loopback unless told otherwise: a service on a developer's machine is not for the
    // network to reach. A container sets 0.0.0.0 (docker-compose.yml).
    HOST: z.string().min(1).default('127.0.0.1'),
    LOG_LEVEL: logLevel(),
    RABBITMQ_URL: url(['amqp', 'amqps']).default('amqp://guest:guest@127.0.0.1:5672'),
    DATABASE_URL: url(['postgres', 'postgresql']).default(`postgres://postgres@127.0.0.1:5432/${service.database}`),
    SHUTDOWN_TIMEOUT_MS: milliseconds(10_000),
    // Messages in hand: what arrives while a batch is being handled forms the next batch, so the
    // prefetch is what lets batches grow under load (see MESSAGE_BATCH_SIZE).
    RABBITMQ_PREFETCH: z.coerce.number().int().min(1).max(65535).default(100),
    // Most messages a consumer handles in one transaction. Each batch holds one connection.
    MESSAGE_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(50),
    // How long a consumer waits for more messages before handling less than a batch (decision 0025):
    // under a light load, fewer transactions and commits for a little latency; 0 turns it off.
    MESSAGE_BATCH_LINGER_MS: z.coerce.number().int().min(0).max(1000).default(50),
    // Five services share one PostgreSQL (max_connections 100 by default): 15 each leaves room.
    DATABASE_POOL_MAX: z.coerce.number().int().min(2).max(1000).default(15),
    // Statements a connection keeps prepared once it has run them five times; 0 turns preparing off,
    // e.g. behind a pooler in transaction mode that cannot carry them (decision 0012).
    DATABASE_PREPARED_STATEMENTS: z.coerce.number().int().min(0).max(10_000).default(100),
    RETRY_DELAYS_MS: z
      .string()
      .regex(/^\d+(,\d+)*$/, 'expected comma-separated milliseconds, e.g. 1000,5000,30000')
      .default('1000,5000,30000,120000')
      .transform((s) => s.split(',').map(Number)),
    // The bearer token the operator endpoints (lists and lookups beyond the shop's own API, see
    // docs/operator-endpoints.md) ask for; unset, they answer 404.
    OPERATOR_TOKEN: secret(16),
  });
}

export type BaseServiceConfig = z.infer<ReturnType<typeof baseServiceSchema>>;
export { z };
