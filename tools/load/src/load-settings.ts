import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { arrivalCount, spikePhases, type RatePhase } from './fixed-rate';

/** Where `npm run stack` leaves the operator token it made up, when OPERATOR_TOKEN was not given to it (STACK_OPERATOR_TOKEN_FILE moves it). */
export const STACK_OPERATOR_TOKEN_FILE = path.resolve(__dirname, '..', '..', '..', '..', '.stack', 'operator-token');

export type Scenario = 'confirm' | 'declined' | 'out-of-stock' | 'undeliverable';

export interface LoadSettings {
  url: string;
  /** Orders per second, an open model: arrivals do not wait for answers. */
  rate: number;
  /** Stop after this many orders, or after `durationSeconds`, whichever is given (with phases: all of theirs). */
  count: number;
  /**
   * `--spike`: the run's rates, one phase after another (half of `rate`, twice `rate`, half again),
   * where `rate` is the sustainable one; absent, the run is `count` orders at `rate`.
   */
  phases?: RatePhase[];
  mix: Array<[Scenario, number]>;
  sagaTimeoutSeconds: number;
  jsonFile?: string;
  /** A page with the table and latency histograms. */
  htmlFile?: string;
  /** At most this many requests in flight; past it an arrival is counted as dropped, not delayed. */
  maxInFlight: number;
  /**
   * The order service's OPERATOR_TOKEN, from the environment or else the one `npm run stack` made
   * up: the sagas are followed with GET /orders, an operator endpoint.
   */
  operatorToken?: string;
}

export const USAGE = `usage: OPERATOR_TOKEN=... npm run load -- [--url http://localhost:3000] [--rate 50] [--duration 30 | --count 1500]
                     [--mix confirm=85,declined=5,out-of-stock=5,undeliverable=5] [--saga-timeout 120] [--json FILE] [--html FILE]
                     [--spike [--before 20] [--spike-seconds 60] [--after 60]]
--spike: --rate is the rate the shop sustains; the run offers half of it for --before seconds,
         twice it for --spike-seconds, then half again for --after, and reports how the queues
         absorbed the spike: POST latency and backlog over time, the time to drain, the checks
OPERATOR_TOKEN: the order service's, for GET /orders (an operator endpoint) that follows the sagas;
                by default the one \`npm run stack\` made up (.stack/operator-token)`;

export function parseLoadArguments(args: string[], env: NodeJS.ProcessEnv = process.env): LoadSettings {
  const { values } = parseArgs({
    args,
    options: {
      url: { type: 'string', default: env.ORDER_URL ?? 'http://localhost:3000' },
      rate: { type: 'string', default: '50' },
      duration: { type: 'string' },
      count: { type: 'string' },
      mix: { type: 'string', default: 'confirm=85,declined=5,out-of-stock=5,undeliverable=5' },
      'saga-timeout': { type: 'string', default: '120' },
      'max-in-flight': { type: 'string', default: '2000' },
      json: { type: 'string' },
      html: { type: 'string' },
      spike: { type: 'boolean', default: false },
      before: { type: 'string', default: '20' },
      'spike-seconds': { type: 'string', default: '60' },
      after: { type: 'string', default: '60' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) throw new Error(USAGE);
  const positive = (name: string, value: string) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} expects a positive number, got ${JSON.stringify(value)}\n${USAGE}`);
    return n;
  };
  const rate = positive('rate', values.rate);
  if (values.duration !== undefined && values.count !== undefined) throw new Error(`give --duration or --count, not both\n${USAGE}`);
  if (values.spike && (values.duration !== undefined || values.count !== undefined)) {
    throw new Error(`--spike sets its own length (--before, --spike-seconds, --after), not --duration or --count\n${USAGE}`);
  }
  const phases: RatePhase[] | undefined = values.spike
    ? spikePhases(rate, {
        before: positive('before', values.before),
        spike: positive('spike-seconds', values['spike-seconds']),
        after: positive('after', values.after),
      })
    : undefined;
  const count = phases
    ? arrivalCount(phases)
    : values.count !== undefined
      ? Math.round(positive('count', values.count))
      : Math.round(rate * positive('duration', values.duration ?? '30'));
  try {
    new URL(values.url);
  } catch {
    throw new Error(`--url expects the order service URL, e.g. http://localhost:3000, got ${JSON.stringify(values.url)}`);
  }
  return {
    url: values.url.replace(/\/$/, ''),
    rate,
    count,
    mix: parseMix(values.mix),
    ...(phases ? { phases } : {}),
    sagaTimeoutSeconds: positive('saga-timeout', values['saga-timeout']),
    maxInFlight: Math.round(positive('max-in-flight', values['max-in-flight'])),
    jsonFile: values.json,
    htmlFile: values.html,
    operatorToken: env.OPERATOR_TOKEN?.trim() || stackOperatorToken(env.STACK_OPERATOR_TOKEN_FILE || STACK_OPERATOR_TOKEN_FILE),
  };
}

function stackOperatorToken(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

const SCENARIOS: Scenario[] = ['confirm', 'declined', 'out-of-stock', 'undeliverable'];

function parseMix(text: string): Array<[Scenario, number]> {
  const mix = text.split(',').map((part) => {
    const [name, weight] = part.split('=');
    if (!SCENARIOS.includes(name as Scenario) || !(Number(weight) >= 0)) {
      throw new Error(`--mix expects scenario=weight pairs from ${SCENARIOS.join(', ')}, got ${JSON.stringify(part)}`);
    }
    return [name as Scenario, Number(weight)] as [Scenario, number];
  });
  const total = mix.reduce((sum, [, weight]) => sum + weight, 0);
  if (total <= 0) throw new Error('--mix needs a positive weight');
  return mix.map(([scenario, weight]) => [scenario, weight / total]);
}
