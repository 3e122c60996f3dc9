import { parseArgs } from 'node:util';

export interface ChaosSettings {
  orders: number;
  /** Orders placed per second, an open model: the rate holds whatever the services do. */
  rate: number;
  /** Seconds between two SIGKILLs of a random service. */
  killEverySeconds: number;
  restartBroker: boolean;
  restartDatabase: boolean;
  /** How long to wait for every order to settle once the load is over. */
  quietTimeoutSeconds: number;
  keep: boolean;
}

const USAGE = `usage: npm run chaos -- [--orders 2000] [--rate 40] [--kill-every 4] [--no-broker-restart] [--no-database-restart] [--quiet-timeout 300] [--keep]`;

export function parseChaosArguments(args: string[]): ChaosSettings {
  const { values } = parseArgs({
    args,
    options: {
      orders: { type: 'string', default: '2000' },
      rate: { type: 'string', default: '40' },
      'kill-every': { type: 'string', default: '4' },
      'no-broker-restart': { type: 'boolean', default: false },
      'no-database-restart': { type: 'boolean', default: false },
      'quiet-timeout': { type: 'string', default: '300' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) throw new Error(USAGE);
  const positive = (name: string, value: string) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} expects a positive number, got ${value}\n${USAGE}`);
    return n;
  };
  return {
    orders: Math.round(positive('orders', values.orders)),
    rate: positive('rate', values.rate),
    killEverySeconds: positive('kill-every', values['kill-every']),
    restartBroker: !values['no-broker-restart'],
    restartDatabase: !values['no-database-restart'],
    quietTimeoutSeconds: positive('quiet-timeout', values['quiet-timeout']),
    keep: values.keep,
  };
}
