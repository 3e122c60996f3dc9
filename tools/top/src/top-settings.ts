import { parseArgs } from 'node:util';
import { loadConfig, url, z, type Env } from '@shop/config';

export interface TopSettings {
  prometheusUrl: string;
  /** RabbitMQ series of this vhost only; all vhosts when undefined. */
  vhost: string | undefined;
  /** Print one screen and exit (also what happens when stdout is not a terminal). */
  once: boolean;
}

const USAGE = `usage: npm run top [-- --once]
  PROMETHEUS_URL  Prometheus to read from (default http://127.0.0.1:9090)
  TOP_VHOST       show the RabbitMQ queues of this vhost only (default: all vhosts)
  --once          print one screen and exit, as happens when stdout is not a terminal`;

/** Thrown for --help (status 0) and for unknown options (status 2): main prints the message. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export function loadTopSettings(args: string[], env: Env = process.env): TopSettings {
  let values: { once?: boolean; help?: boolean };
  try {
    values = parseArgs({ args, options: { once: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true }).values;
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`, 2);
  }
  if (values.help) throw new UsageError(USAGE, 0);
  const config = loadConfig(
    z.object({
      PROMETHEUS_URL: url(['http', 'https']).default('http://127.0.0.1:9090'),
      TOP_VHOST: z.string().optional(),
    }),
    env,
  );
  return { prometheusUrl: config.PROMETHEUS_URL.replace(/\/+$/, ''), vhost: config.TOP_VHOST, once: values.once === true };
}
