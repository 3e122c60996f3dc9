import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { test } from 'node:test';
import { SERVICE_NAMES } from '@shop/catalog';

const CHAOS_MAIN = path.resolve(__dirname, '..', 'src', 'main.js');

/**
 * The short chaos run of the test suite: a few hundred orders, a SIGKILL of every service, one
 * RabbitMQ restart (where this process has the rights) and the card provider's faults made short
 * (a 5 s outage, 2 s latency spikes and 5xx), then every invariant checked from the databases,
 * the provider's ledger and the SMTP sink. The full run is `npm run chaos`.
 */
test(
  'when services are killed, RabbitMQ restarts and the card provider fails under load, then no order is lost, charged twice or kept charged',
  { timeout: 280_000 },
  async () => {
    const child = spawn(
      process.execPath,
      [
        CHAOS_MAIN,
        ...['--orders', '300', '--rate', '30', '--kill-every', '2', '--no-database-restart', '--quiet-timeout', '150'],
        ...['--provider-outage-seconds', '5', '--provider-spike-seconds', '2'],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const [code] = (await once(child, 'close')) as [number | null];
    assert.equal(code, 0, output);
    assert.match(output, /chaos: every invariant holds/);
    for (const service of SERVICE_NAMES)
      assert.match(output, new RegExp(`SIGKILL ${service} +restarted, ready again`), `${service} was killed and came back`);
    // How many requests it refused depends on what else was down meanwhile (a broker restart, the payment service).
    assert.match(output, /provider outage \(503\), 5 s +lasted 5\.\d s/, 'the outage was switched on and off');
    assert.match(output, /ok +no order charged twice at the provider/);
    process.stdout.write(output.slice(output.indexOf('faults injected')));
  },
);
