import { parseArgs } from 'node:util';

export interface ChaosSettings {
  orders: number;
  /** Orders placed per second, an open model: the rate holds whatever the services do. */
  rate: number;
  /** Seconds between two SIGKILLs of a random service. */
  killEverySeconds: number;
  restartBroker: boolean;
  restartDatabase: boolean;
  /** The card provider's outage, 503 to every request; 0: none. */
  providerOutageSeconds: number;
  /** Each provider latency spike and the 5xx episode; 0: none. */
  providerSpikeSeconds: number;
  /** How long to wait for every order to settle once the load is over. */
  quietTimeoutSeconds: number;
  keep: boolean;
  /** Processes of every service, killed one at a time and sometimes all of one service together. */
  replicas: number;
  /** Graceful rolling restarts of every replica instead of SIGKILLs. */
  rollingRestarts: boolean;
}

const USAGE = `usage: npm run chaos -- [--orders 2000] [--rate 40] [--kill-every 4] [--no-broker-restart] [--no-database-restart]
  [--provider-outage-seconds 30] [--provider-spike-seconds 6] [--no-provider-faults] [--quiet-timeout 300] [--replicas 1] [--rolling-restarts] [--keep]`;

export function parseChaosArguments(args: string[]): ChaosSettings {
  const { values } = parseArgs({
    args,
    options: {
      orders: { type: 'string', default: '2000' },
      rate: { type: 'string', default: '40' },
      'kill-every': { type: 'string', default: '4' },
      'no-broker-restart': { type: 'boolean', default: false },
      'no-database-restart': { type: 'boolean', default: false },
      'provider-outage-seconds': { type: 'string', default: '30' },
      'provider-spike-seconds': { type: 'string', default: '6' },
      'no-provider-faults': { type: 'boolean', default: false },
      'quiet-timeout': { type: 'string', default: '300' },
      keep: { type: 'boolean', default: false },
      replicas: { type: 'string', default: '1' },
      'rolling-restarts': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) throw new Error(USAGE);
  const number = (name: string, value: string, { zero }: { zero: boolean }) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0 || (n === 0 && !zero))
      throw new Error(`--${name} expects a ${zero ? 'non-negative' : 'positive'} number, got ${value}\n${USAGE}`);
    return n;
  };
  const positive = (name: string, value: string) => number(name, value, { zero: false });
  const providerFaults = !values['no-provider-faults'];
  return {
    orders: Math.round(positive('orders', values.orders)),
    rate: positive('rate', values.rate),
    killEverySeconds: positive('kill-every', values['kill-every']),
    restartBroker: !values['no-broker-restart'],
    restartDatabase: !values['no-database-restart'],
    providerOutageSeconds: providerFaults ? number('provider-outage-seconds', values['provider-outage-seconds'], { zero: true }) : 0,
    providerSpikeSeconds: providerFaults ? number('provider-spike-seconds', values['provider-spike-seconds'], { zero: true }) : 0,
    quietTimeoutSeconds: positive('quiet-timeout', values['quiet-timeout']),
    keep: values.keep,
    replicas: replicaCount(values.replicas),
    rollingRestarts: values['rolling-restarts'],
  };
}

function replicaCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 9) throw new Error(`--replicas expects a whole number from 1 to 9, got ${value}\n${USAGE}`);
  return n;
}
