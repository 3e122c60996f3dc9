import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { test } from 'node:test';
import { SERVICE_NAMES } from '@shop/catalog';

const CHAOS_MAIN = path.resolve(__dirname, '..', 'src', 'main.js');

/** Runs `npm run chaos` with these arguments and returns its output, once it exited 0. */
async function runChaos(args: string[]): Promise<string> {
  const child = spawn(process.execPath, [CHAOS_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  assert.equal(code, 0, output);
  return output;
}

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
    const output = await runChaos([
      ...['--orders', '300', '--rate', '30', '--kill-every', '2', '--no-database-restart', '--quiet-timeout', '150'],
      ...['--provider-outage-seconds', '5', '--provider-spike-seconds', '2'],
    ]);
    assert.match(output, /chaos: every invariant holds/);
    for (const service of SERVICE_NAMES)
      assert.match(output, new RegExp(`SIGKILL ${service} +restarted, ready again`), `${service} was killed and came back`);
    // How many requests it refused depends on what else was down meanwhile (a broker restart, the payment service).
    assert.match(output, /provider outage \(503\), 5 s +lasted 5\.\d s/, 'the outage was switched on and off');
    assert.match(output, /ok +no order charged twice at the provider/);
    process.stdout.write(output.slice(output.indexOf('faults injected')));
  },
);

/**
 * Two replicas of every service against one broker and one set of databases, under load: one
 * replica killed at a time, and every fourth kill both replicas of one service at once. Then the
 * same invariants, from the databases: no saga step run twice, no deadline fired twice, no email
 * sent twice, nothing lost (docs/decisions/0018-replicas-share-by-locks-not-leaders.md).
 */
test(
  'when every service runs as two replicas and replicas are killed under load, then every invariant holds',
  { timeout: 280_000 },
  async () => {
    const output = await runChaos([
      ...['--replicas', '2', '--orders', '300', '--rate', '30', '--kill-every', '1.5', '--quiet-timeout', '150'],
      ...['--no-broker-restart', '--no-database-restart', '--no-provider-faults'],
    ]);
    assert.match(output, /chaos: every invariant holds/);
    for (const service of SERVICE_NAMES) {
      assert.match(output, new RegExp(`SIGKILL ${service}-2 +restarted, ready again`), `${service}-2 was killed and came back`);
    }
    assert.match(output, /SIGKILL (\w+) and \1-2 +every replica at once; restarted, ready again/, 'both replicas of a service at once');
    process.stdout.write(output.slice(output.indexOf('faults injected')));
  },
);

/**
 * A rolling restart under load: every replica of every service replaced one at a time (SIGTERM,
 * then a start), as a deployment does. POST /orders keeps answering: a request that meets a
 * stopping replica is answered by the other on its next attempt.
 */
test(
  'when every replica of every service is replaced one at a time under load, then POST /orders keeps answering and nothing is lost',
  { timeout: 280_000 },
  async () => {
    const output = await runChaos([
      ...['--replicas', '2', '--rolling-restarts', '--orders', '400', '--rate', '20', '--kill-every', '0.5', '--quiet-timeout', '150'],
      ...['--no-broker-restart', '--no-database-restart', '--no-provider-faults'],
    ]);
    assert.match(output, /chaos: every invariant holds/);
    for (const service of SERVICE_NAMES) {
      for (const instance of [service, `${service}-2`]) {
        assert.match(output, new RegExp(`rolling restart ${instance} +stopped in [\\d.]+ s, ready again`), `${instance} was replaced`);
      }
    }
    const most = Number(/at most (\d+); each kept/.exec(output)?.[1]);
    assert.ok(most <= 2, `a POST needed ${most} attempts: the other replica should have answered the second`);
    process.stdout.write(output.slice(output.indexOf('faults injected')));
  },
);
