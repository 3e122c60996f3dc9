import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { closedPort, eventually, freePortRange, within } from '@shop/testing';
import { PrometheusClient } from '../src/prometheus-client';
import { resolveQuery, TOP_QUERIES } from '../src/top-queries';

const TOP_MAIN = path.resolve(__dirname, '..', 'src', 'main.js');
/** Debian's prometheus 2.42, found on PATH. */
const PROMETHEUS_BINARY = 'prometheus';
const MISSING_PROMETHEUS =
  "prometheus is not on PATH: install Debian's prometheus package (apt-get install prometheus; CI installs it) to run this test";

/** A histogram in the text format whose observations all fall in the bucket `le`. */
function histogram(name: string, labels: string, bounds: number[], le: number, observed: number, seconds: number): string {
  const buckets = bounds.map((bound) => `${name}_bucket{${labels},le="${bound}"} ${bound >= le ? observed : 0}`);
  return [
    `# TYPE ${name} histogram`,
    ...buckets,
    `${name}_bucket{${labels},le="+Inf"} ${observed}`,
    `${name}_sum{${labels}} ${observed * seconds}`,
    `${name}_count{${labels}} ${observed}`,
  ].join('\n');
}

const MESSAGE_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SAGA_BOUNDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/**
 * What the services and RabbitMQ would expose, by scrape job. Totals the test asserts are fixed;
 * the counters behind rates and quantiles grow with time (`t`, seconds since the server started).
 */
function exposition(job: string, t: number): string | undefined {
  const every = (perSecond: number) => Math.floor(perSecond * t);
  const post = 'http_request_method="POST",http_route="/orders"';
  switch (job) {
    case 'rabbitmq':
      return [
        'rabbitmq_detailed_queue_messages_ready{vhost="/",queue="inventory.commands"} 42',
        'rabbitmq_detailed_queue_messages_unacked{vhost="/",queue="inventory.commands"} 7',
        'rabbitmq_detailed_queue_consumers{vhost="/",queue="inventory.commands"} 2',
        'rabbitmq_detailed_queue_messages_ready{vhost="/",queue="inventory.commands.retry.1000ms"} 3',
        'rabbitmq_detailed_queue_messages_ready{vhost="/",queue="inventory.commands.dead-letter"} 5',
        'rabbitmq_detailed_queue_messages_ready{vhost="/",queue="order.saga-replies"} 0',
        'rabbitmq_detailed_queue_messages_unacked{vhost="/",queue="order.saga-replies"} 1',
        'rabbitmq_detailed_queue_consumers{vhost="/",queue="order.saga-replies"} 1',
        'rabbitmq_detailed_queue_messages_ready{vhost="other-test",queue="payment.commands"} 9',
        'rabbitmq_detailed_queue_consumers{vhost="other-test",queue="payment.commands"} 0',
      ].join('\n');
    case 'order':
      return [
        'shop_saga_started_total{saga_name="order"} 120',
        'shop_saga_finished_total{saga_name="order",saga_outcome="completed"} 100',
        'shop_saga_finished_total{saga_name="order",saga_outcome="compensated",saga_failed_step="payment",saga_reason="payment-declined"} 12',
        'shop_saga_finished_total{saga_name="order",saga_outcome="compensated",saga_failed_step="reserve-stock",saga_reason="timed-out"} 3',
        'shop_saga_deadlines_total{saga_name="order",saga_step="reserve-stock",saga_action="invoke"} 3',
        histogram('shop_saga_duration', 'saga_name="order",saga_outcome="completed"', SAGA_BOUNDS, 0.5, every(2), 0.4),
        histogram('http_server_request_duration', `${post},http_response_status_code="202"`, MESSAGE_BOUNDS, 0.05, every(20), 0.03),
        histogram(
          'http_server_request_duration',
          `${post},http_response_status_code="500",error_type="500"`,
          MESSAGE_BOUNDS,
          0.05,
          every(1),
          0.03,
        ),
        `messaging_client_consumed_messages_total{messaging_destination_name="order.saga-replies",messaging_operation_name="process"} ${every(50)}`,
        histogram('messaging_process_duration', 'messaging_destination_name="order.saga-replies"', MESSAGE_BOUNDS, 0.01, every(50), 0.008),
        'shop_outbox_pending 4',
        'shop_outbox_oldest_age 0.8',
      ].join('\n');
    case 'inventory':
      return [
        `messaging_client_consumed_messages_total{messaging_destination_name="inventory.commands",messaging_operation_name="process"} ${every(30)}`,
        histogram('messaging_process_duration', 'messaging_destination_name="inventory.commands"', MESSAGE_BOUNDS, 0.025, every(30), 0.02),
        `shop_messaging_retries_total{messaging_destination_name="inventory.commands",messaging_consumer_attempt="1"} ${every(2)}`,
        'shop_outbox_pending 0',
        'shop_outbox_oldest_age 0',
      ].join('\n');
    default:
      return undefined;
  }
}

const RULES = `groups:
  - name: top-test
    interval: 1s
    rules:
      - alert: DeadLettersWaiting
        expr: sum by (queue) (rabbitmq_detailed_queue_messages_ready{queue=~".+[.]dead-letter"}) > 0
        labels: { severity: warning }
        annotations: { summary: "messages wait in {{ $labels.queue }}" }
      - alert: SagasCompensating
        expr: sum(shop_saga_finished_total{saga_outcome="compensated"}) > 0
        for: 10m
        labels: { severity: info }
        annotations: { summary: "sagas were compensated" }
`;

function prometheusConfig(exporterPort: number, downPort: number): string {
  const job = (name: string, port: number) =>
    `  - job_name: ${name}\n    metrics_path: /metrics/${name}\n    static_configs: [{ targets: ['127.0.0.1:${port}'] }]\n`;
  return [
    'global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }',
    'rule_files: [rules.yml]',
    'scrape_configs:',
    job('rabbitmq', exporterPort) + job('order', exporterPort) + job('inventory', exporterPort) + job('payment', downPort),
  ].join('\n');
}

function runTop(env: Record<string, string>): Promise<{ code: number; output: string }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...env };
  if (env.TOP_VHOST === undefined) delete childEnv.TOP_VHOST;
  return new Promise((resolve) => {
    execFile(process.execPath, [TOP_MAIN, '--once'], { env: childEnv, timeout: 10_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

describe('npm run top against a real Prometheus', () => {
  let exporter: Server;
  let prometheus: ChildProcess | undefined;
  let prometheusLog = '';
  let directory: string;
  let prometheusUrl: string;

  before(async () => {
    if (spawnSync(PROMETHEUS_BINARY, ['--version']).error) throw new Error(MISSING_PROMETHEUS);
    const startedAt = performance.now();
    exporter = createServer((request, response) => {
      const body = exposition(request.url?.replace('/metrics/', '') ?? '', (performance.now() - startedAt) / 1000);
      response.writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/plain; version=0.0.4' }).end(`${body ?? ''}\n`);
    });
    exporter.listen(0, '127.0.0.1');
    await once(exporter, 'listening');

    directory = mkdtempSync(path.join(tmpdir(), 'top-prometheus-'));
    writeFileSync(path.join(directory, 'prometheus.yml'), prometheusConfig((exporter.address() as AddressInfo).port, await closedPort()));
    writeFileSync(path.join(directory, 'rules.yml'), RULES);
    const port = await freePortRange(1);
    prometheusUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      PROMETHEUS_BINARY,
      [
        `--config.file=${path.join(directory, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(directory, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout!.setEncoding('utf8').on('data', (chunk: string) => (prometheusLog += chunk));
    prometheus.stderr!.setEncoding('utf8').on('data', (chunk: string) => (prometheusLog += chunk));

    // Rates need two samples of each target in their window, the alert one evaluation with data.
    const client = new PrometheusClient(prometheusUrl, 1_000);
    await eventually(
      async () => {
        if (prometheus?.exitCode !== null) throw new Error(`prometheus exited: ${prometheusLog}`);
        if ((await client.query('up')).length < 4) throw new Error('not every target scraped yet');
        for (const [name, promql] of Object.entries(TOP_QUERIES)) {
          const samples = await client.query(resolveQuery(promql, undefined));
          // A rate has no sample until two scrapes, a quantile is NaN until its buckets grew.
          if (samples.every((sample) => Number.isNaN(sample.value))) throw new Error(`no figure yet for ${name}`);
        }
        if (!(await client.alerts()).some((alert) => alert.state === 'firing')) throw new Error('no alert firing yet');
        return true;
      },
      { timeoutMs: 15_000, intervalMs: 250, what: 'Prometheus to scrape every target twice and fire the alert' },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${prometheusLog}`);
    });
  });

  after(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = once(prometheus, 'exit');
      prometheus.kill('SIGTERM');
      await within(exited, 5_000, 'prometheus to stop').catch(() => prometheus?.kill('SIGKILL'));
    }
    exporter?.close();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  test('when every series top reads is there, then every query answers with samples', async () => {
    const client = new PrometheusClient(prometheusUrl);
    for (const [name, promql] of Object.entries(TOP_QUERIES)) {
      for (const vhost of [undefined, '/']) {
        const samples = await client.query(resolveQuery(promql, vhost));
        assert.ok(samples.length > 0, `${name} (vhost ${vhost ?? 'all'}) has samples: ${resolveQuery(promql, vhost)}`);
      }
    }
  });

  test('when run with --once, then it prints the queues, sagas, POST /orders, targets and alerts Prometheus has', async () => {
    const { code, output } = await runTop({ PROMETHEUS_URL: prometheusUrl });
    assert.equal(code, 0, output);
    assert.match(output, /RabbitMQ all vhosts \(2: \/, other-test\)/);
    // ready, unacked, consumers, consumed/s, p99, retries/s, in retry, dead
    assert.match(output, /^inventory\.commands +42 +7 +2 +\d+\.\d +2\d ms +\d\.\d +3 +5$/m, output);
    assert.match(output, /^order\.saga-replies +0 +1 +1 +\d+\.\d +\d+\.\d ms +0\.0 +- +-$/m, output);
    assert.match(output, /^payment\.commands +9 +- +0 +0\.0 +- +0\.0 +- +-$/m, output);
    assert.doesNotMatch(output, /^inventory\.commands\.(retry|dead)/m, 'retry and dead-letter queues are columns, not rows');
    // started, /s, completed, /s, compensated, /s, p50, p99
    assert.match(output, /^order +120 +0\.0 +100 +0\.0 +15 +0\.0 +3\d\d ms +4\d\d ms$/m, output);
    assert.match(output, /compensated in the last 5 min, by reason: payment-declined 12, timed-out 3$/m);
    assert.match(output, /deadlines fired: 3 steps timed out \(0\.0\/s\), 0 compensations sent again \(0\.0\/s\)/);
    assert.match(output, /^POST \/orders +\d+\.\d req\/s +p99 \d+ ms +5xx \d+\.\d%$/m, output);
    // rate() divides by the whole window, of which a Prometheus started seconds ago holds a few samples.
    const ordersRate = Number(/^POST \/orders +(\d+\.\d) req\/s/m.exec(output)?.[1]);
    assert.ok(ordersRate > 0 && ordersRate < 30, `up to 21 POST /orders a second, got ${ordersRate}`);
    assert.match(output, /^order +1\/1 +4 +800 ms$/m, output);
    assert.match(output, /^inventory +1\/1 +0 +0 s$/m, output);
    assert.match(output, /^payment +0\/1 DOWN +- +-$/m, output);
    assert.match(output, /^rabbitmq +1\/1 +- +-$/m, output);
    assert.match(
      output,
      /^ {2}FIRING {3}DeadLettersWaiting +warning {2}messages wait in inventory\.commands\.dead-letter {2}for \d+s$/m,
      output,
    );
    assert.match(output, /^ {2}PENDING {2}SagasCompensating +info {5}sagas were compensated {2}for \d+s$/m, output);
    for (const line of output.split('\n')) assert.ok(line.length <= 100, `at most 100 columns: ${line}`);
    assert.ok(!output.includes('\u001b['), 'no colours in a pipe');
  });

  test('when TOP_VHOST is set, then the queues are those of that vhost only', async () => {
    const { code, output } = await runTop({ PROMETHEUS_URL: prometheusUrl, TOP_VHOST: '/' });
    assert.equal(code, 0, output);
    assert.match(output, /RabbitMQ vhost \//);
    assert.match(output, /^inventory\.commands +42 +7 +2 /m, output);
    assert.doesNotMatch(output, /^payment\.commands/m, output);
  });

  test('when Prometheus does not answer, then the screen says how to start it and the status is 1', async () => {
    const { code, output } = await runTop({ PROMETHEUS_URL: `http://127.0.0.1:${await closedPort()}` });
    assert.equal(code, 1, output);
    assert.match(output, /Prometheus at http:\/\/127\.0\.0\.1:\d+ is not answering: start `npm run stack`/);
    assert.match(output, /ECONNREFUSED/);
  });
});
