import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Sample } from '../src/prometheus-client';
import type { TopData } from '../src/top-data';
import { resolveQuery, TOP_METRICS, TOP_QUERIES } from '../src/top-queries';
import { renderTopScreen } from '../src/top-screen';
import { loadTopSettings } from '../src/top-settings';

const by = (label: string, values: Record<string, number>): Sample[] =>
  Object.entries(values).map(([key, value]) => ({ labels: { [label]: key }, value }));
const one = (value: number): Sample[] => [{ labels: {}, value }];

const TAKEN_AT = new Date('2025-11-28T10:00:00Z');

/** A reading of a stack under load with a few failures: inventory is slow and retrying. */
const READING: TopData = {
  prometheusUrl: 'http://127.0.0.1:9090',
  vhost: undefined,
  takenAt: TAKEN_AT,
  results: {
    queueReady: by('queue', {
      'inventory.commands': 1200,
      'inventory.commands.retry.1000ms': 4,
      'inventory.commands.retry.5000ms': 2,
      'inventory.commands.dead-letter': 3,
      'email.on-order-outcome': 0,
      'email.on-order-outcome.dead-letter': 0,
      'warehouse.commands': 5,
      'amq.gen-Xy12': 0,
    }),
    queueUnacked: by('queue', { 'inventory.commands': 100, 'email.on-order-outcome': 2, 'warehouse.commands': 0 }),
    queueConsumers: by('queue', { 'inventory.commands': 1, 'email.on-order-outcome': 1, 'warehouse.commands': 0 }),
    vhosts: by('vhost', { '/': 10 }),
    consumedRate: by('messaging_destination_name', {
      'inventory.commands': 123.4,
      'email.on-order-outcome': 12.25,
      'order.saga-replies': 250,
    }),
    processP99: [
      ...by('messaging_destination_name', { 'inventory.commands': 0.75, 'email.on-order-outcome': 0.0042 }),
      ...by('messaging_destination_name', { 'order.saga-replies': NaN }),
    ],
    retryRate: by('messaging_destination_name', { 'inventory.commands': 1.5 }),
    sagaStarted: by('saga_name', { order: 5000 }),
    sagaStartedRate: by('saga_name', { order: 50 }),
    sagaFinished: [
      { labels: { saga_name: 'order', saga_outcome: 'completed' }, value: 4700 },
      { labels: { saga_name: 'order', saga_outcome: 'compensated' }, value: 250 },
    ],
    sagaFinishedRate: [{ labels: { saga_name: 'order', saga_outcome: 'completed' }, value: 47.5 }],
    compensatedRecently: [
      { labels: { saga_name: 'order', saga_reason: 'OutOfStock' }, value: 7 },
      { labels: { saga_name: 'order', saga_reason: 'PaymentDeclined' }, value: 21 },
      { labels: { saga_name: 'order', saga_reason: 'timed-out' }, value: 0 },
    ],
    sagaDurationP50: by('saga_name', { order: 0.42 }),
    sagaDurationP99: by('saga_name', { order: 12.5 }),
    deadlines: [{ labels: { saga_name: 'order', saga_action: 'invoke' }, value: 4 }],
    deadlinesRate: [],
    ordersRate: one(50.04),
    ordersP99: one(0.0875),
    orders5xxShare: one(0.012),
    outboxPending: by('job', { order: 12, inventory: 0 }),
    outboxOldestAge: by('job', { order: 1.25, inventory: 0 }),
    targets: [
      { labels: { job: 'order', instance: 'a:9464' }, value: 1 },
      { labels: { job: 'inventory', instance: 'a:9466' }, value: 1 },
      { labels: { job: 'inventory', instance: 'a:9467' }, value: 0 },
      { labels: { job: 'rabbitmq', instance: 'a:15692' }, value: 1 },
    ],
  },
  alerts: [
    {
      name: 'QueueBacklog',
      state: 'pending',
      labels: { alertname: 'QueueBacklog', severity: 'warning' },
      annotations: { summary: 'inventory.commands has 1200 ready' },
      activeAt: '2025-11-28T09:59:30Z',
    },
    {
      name: 'TargetDown',
      state: 'firing',
      labels: { alertname: 'TargetDown', severity: 'critical' },
      annotations: { summary: 'inventory is down' },
      activeAt: '2025-11-28T09:57:48Z',
    },
  ],
  problems: [],
};

describe('the top screen', () => {
  const screen = renderTopScreen(READING, { width: 100 });

  test('when the queues have figures, then each work queue has a row with its retry and dead-letter queues as columns', () => {
    assert.match(screen, /^QUEUE +READY +UNACKED +CONSUMERS +CONSUMED\/s +PROCESS P99 +RETRIES\/s +IN RETRY +DEAD$/m);
    assert.match(screen, /^inventory\.commands +1200 +100 +1 +123 +750 ms +1\.5 +6 +3$/m);
    assert.match(screen, /^email\.on-order-outcome +0 +2 +1 +12\.3 +4\.2 ms +0\.0 +- +0$/m);
    assert.match(screen, /^warehouse\.commands +5 +0 +0 +0\.0 +- +0\.0 +- +-$/m);
    assert.match(screen, /^order\.saga-replies +- +- +- +250 +- +0\.0 +- +-$/m, 'a queue only the services name');
    assert.doesNotMatch(screen, /^(amq\.gen|inventory\.commands\.)/m);
  });

  test('when sagas ran, then the counts, rates, durations, compensation reasons and deadlines are shown', () => {
    assert.match(screen, /^order +5000 +50\.0 +4700 +47\.5 +250 +0\.0 +420 ms +12\.5 s$/m);
    assert.match(screen, /^ {2}compensated in the last 5 min, by reason: PaymentDeclined 21, OutOfStock 7$/m);
    assert.match(screen, /^ {2}deadlines fired: 4 steps timed out \(0\.0\/s\), 0 compensations sent again \(0\.0\/s\)$/m);
  });

  test('when POST /orders, targets, outboxes and alerts have figures, then they are shown, firing alerts first', () => {
    assert.match(screen, /^POST \/orders +50\.0 req\/s +p99 88 ms +5xx 1\.2%$/m);
    assert.match(screen, /^inventory +1\/2 DOWN +0 +0 s$/m);
    assert.match(screen, /^order +1\/1 +12 +1\.25 s$/m);
    assert.match(screen, /^rabbitmq +1\/1 +- +-$/m);
    assert.match(
      screen,
      /ALERTS\n {2}FIRING {3}TargetDown {4}critical {2}inventory is down {2}for 2m 12s\n {2}PENDING {2}QueueBacklog {2}warning {3}inventory\.commands has 1200 ready {2}for 30s\n/,
    );
    assert.match(screen, /RabbitMQ all vhosts \(1: \/\)/);
  });

  test('when the width is 100 or less, then no line is longer and colours appear only when asked for', () => {
    for (const width of [100, 60]) {
      for (const line of renderTopScreen(READING, { width }).split('\n')) assert.ok(line.length <= width, `${width}: ${line}`);
    }
    assert.ok(!screen.includes('\u001b['), 'no colours unless asked for');
    const coloured = renderTopScreen(READING, { width: 100, color: true });
    assert.ok(coloured.includes('\u001b[31mFIRING'), 'firing alerts in red');
    assert.equal(
      coloured.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), ''),
      screen,
      'the same text once the colours are taken out',
    );
  });

  test('when nothing has happened yet, then absent series show as 0 or -', () => {
    const empty = renderTopScreen(
      { ...READING, results: { ordersRate: [], ordersP99: [], orders5xxShare: [] }, alerts: [] },
      { width: 100 },
    );
    assert.match(empty, /^POST \/orders +0\.0 req\/s +p99 - +5xx -$/m);
    assert.match(empty, /ALERTS {2}none firing or pending/);
    assert.match(empty, /QUEUES {2}none reported/);
    assert.match(empty, /SAGAS {2}none started yet/);
  });

  test('when Prometheus does not answer, then the screen says how to start it, wrapped to the width', () => {
    const down = renderTopScreen(
      { ...READING, results: {}, alerts: undefined, unreachable: 'connect ECONNREFUSED 127.0.0.1:9090' },
      { width: 80, live: true },
    );
    assert.match(
      down.replace(/\n/g, ' '),
      /Prometheus at http:\/\/127\.0\.0\.1:9090 is not answering: start `npm run stack` \(it starts Prometheus/,
    );
    assert.match(down, /^`docker compose up`\.$/m, 'a command in backquotes is not split');
    assert.match(down, /\(connect ECONNREFUSED 127\.0\.0\.1:9090; trying again every second\)/);
    assert.match(down, /Ctrl-C quits/);
    for (const line of down.split('\n')) assert.ok(line.length <= 80, line);
  });

  test('when a query was refused, then the rest is shown and the refusal is listed', () => {
    const partial = renderTopScreen({ ...READING, problems: ['query ordersP99: parse error'] }, { width: 100 });
    assert.match(partial, /^! query ordersP99: parse error$/m);
    assert.match(partial, /^inventory\.commands +1200/m);
  });
});

describe('the queries and settings', () => {
  test('every metric a query selects is listed in TOP_METRICS with the labels the queries name', () => {
    const text = Object.values(TOP_QUERIES).join('\n');
    const selected = new Set([...text.matchAll(/([a-z_]+)\{/g)].map((match) => match[1]!));
    assert.deepEqual([...selected].sort(), Object.keys(TOP_METRICS).sort());
    for (const [metric, labels] of Object.entries(TOP_METRICS)) {
      const queries = Object.values(TOP_QUERIES).filter((promql) => promql.includes(`${metric}{`));
      for (const label of labels) {
        const named = label === 'le' || (metric === 'up' && label === 'job') || queries.some((promql) => promql.includes(label));
        assert.ok(named, `${metric}: ${label}`);
      }
    }
  });

  test('TOP_VHOST becomes a matcher on the RabbitMQ series, quoted', () => {
    assert.equal(resolveQuery(TOP_QUERIES.queueReady, undefined), 'sum by (queue) (rabbitmq_detailed_queue_messages_ready{})');
    assert.equal(resolveQuery(TOP_QUERIES.queueReady, 'a"b'), 'sum by (queue) (rabbitmq_detailed_queue_messages_ready{vhost="a\\"b"})');
  });

  test('the settings default to the local Prometheus and all vhosts', () => {
    assert.deepEqual(loadTopSettings([], {}), { prometheusUrl: 'http://127.0.0.1:9090', vhost: undefined, once: false });
    assert.deepEqual(loadTopSettings(['--once'], { PROMETHEUS_URL: 'http://prometheus:9090/', TOP_VHOST: 'shop-test' }), {
      prometheusUrl: 'http://prometheus:9090',
      vhost: 'shop-test',
      once: true,
    });
    assert.throws(() => loadTopSettings([], { PROMETHEUS_URL: 'prometheus:9090' }), /PROMETHEUS_URL/);
    assert.throws(() => loadTopSettings(['--watch'], {}), /Unknown option '--watch'/);
  });
});
