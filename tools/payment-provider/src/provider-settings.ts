import { z } from 'zod';
import { behaviourSchema, type Behaviour } from './behaviour';

export interface ProviderSettings {
  port: number;
  host: string;
  behaviour: Behaviour;
  ledgerFile: string | undefined;
}

const rate = z.coerce.number().min(0).max(1).default(0);
const milliseconds = z.coerce.number().min(0);

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4010),
  HOST: z.string().default('127.0.0.1'),
  PROVIDER_LATENCY_MS: milliseconds.default(0),
  /** Defaults to the median: every request then waits exactly the median. */
  PROVIDER_LATENCY_P99_MS: milliseconds.optional(),
  PROVIDER_ERROR_RATE: rate,
  PROVIDER_HANG_RATE: rate,
  PROVIDER_DECLINE_RATE: rate,
  PROVIDER_OUTAGE: z
    .enum(['true', 'false'], { error: 'expected true or false' })
    .default('false')
    .transform((value) => value === 'true'),
  PROVIDER_LEDGER_FILE: z.string().optional(),
});

/** The settings main.ts starts with; the error names the first bad variable and its value. */
export function parseProviderSettings(env: NodeJS.ProcessEnv): ProviderSettings {
  // An empty variable means "not set", as in a compose file's `PROVIDER_OUTAGE=`.
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''));
  const parsed = envSchema.safeParse(given);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    throw new Error(`${name}=${JSON.stringify(given[name] ?? '')} is not valid: ${issue?.message ?? 'invalid'}`);
  }
  const settings = parsed.data;
  const median = settings.PROVIDER_LATENCY_MS;
  const checked = behaviourSchema.safeParse({
    latencyMs: { median, p99: settings.PROVIDER_LATENCY_P99_MS ?? median },
    errorRate: settings.PROVIDER_ERROR_RATE,
    hangRate: settings.PROVIDER_HANG_RATE,
    outage: settings.PROVIDER_OUTAGE,
    declineRate: settings.PROVIDER_DECLINE_RATE,
  });
  if (!checked.success) {
    const field = checked.error.issues[0]?.path.at(-1) === 'p99' ? 'PROVIDER_LATENCY_P99_MS' : 'PROVIDER_LATENCY_MS';
    throw new Error(`${field}=${JSON.stringify(given[field] ?? '')} is not valid: ${checked.error.issues[0]?.message ?? 'invalid'}`);
  }
  return { port: settings.PORT, host: settings.HOST, behaviour: checked.data, ledgerFile: settings.PROVIDER_LEDGER_FILE };
}
