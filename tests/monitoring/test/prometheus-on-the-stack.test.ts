import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { queueOf } from '@shop/catalog';
import { TOP_QUERIES } from '@shop/top/dist/src/top-queries';
import {
  buildOrder,
  closedPort,
  createTestInfrastructure,
  eventually,
  startTestStack,
  TestBrokerClient,
  type TestInfrastructure,
  type TestStack,
} from '@shop/testing';
import { dashboardExpressions, dashboards, rules } from './monitoring-files';
import { namesIn, withGrafanaVariables } from './promql-names';

/**
 * A real Prometheus (Debian's package) scraping `npm run stack` as it runs it, with the rules of
 * infra/prometheus/rules: every name the dashboards, the rules and `npm run top` use must be one
 * the running stack exposes, and the backlog alert must see a stopped participant.
 */
let infra: TestInfrastructure;
let shop: TestStack;

before(async () => {
  for (const program of ['prometheus', 'prometheus-postgres-exporter']) {
    try {
      execFileSync('sh', ['-c', `command -v ${program}`]);
    } catch {
      assert.fail(`${program} is not installed: install Debian's ${program} package (.ci/run does)`);
    }
  }
  infra = await createTestInfrastructure('prom');
  shop = await startTestStack(infra, {
    // Traces on, so the metrics come through the whole Node SDK here (the other metrics test has
    // traces off: the metrics SDK alone); the spans go to a port nobody listens on.
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await closedPort()}`,
    STACK_PROMETHEUS: 'auto',
    STACK_POSTGRES_EXPORTER: 'auto',
    // Every kind of event the dashboards show happens: retries (a flaky mail server), failed
    // emails, deadlines (a provider that never answers, a short step timeout).
    EMAIL_FAILURE_RATE: '0.3',
    SAGA_STEP_TIMEOUT_MS: '2000',
    LOG_LEVEL: 'error',
  });
});

after(async () => {
  await shop?.stop();
  await infra?.cleanup();
});

async function prometheus<T>(apiPath: string): Promise<T> {
  const response = await fetch(`${shop.prometheusUrl}${apiPath}`, { signal: AbortSignal.timeout(5_000) });
  const body = (await response.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`Prometheus ${apiPath}: ${body.error}`);
  return body.data;
}

const instant = (query: string) =>
  prometheus<{ result: Array<{ metric: Record<string, string>; value: [number, string] }> }>(
    `/api/v1/query?query=${encodeURIComponent(query)}`,
  ).then((data) => data.result);

async function place(body: unknown): Promise<string> {
  const response = await fetch(`${shop.orderUrl}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 202);
  return ((await response.json()) as { orderId: string }).orderId;
}

async function settled(orderId: string): Promise<void> {
  await eventually(
    async () => {
      const order = (await (await fetch(`${shop.orderUrl}/orders/${orderId}`)).json()) as { status: string };
      return order.status === 'PENDING' ? undefined : true;
    },
    { timeoutMs: 90_000, what: `order ${orderId} to finish` },
  );
}

/** Every expression a dashboard panel or variable, a rule or `npm run top` evaluates, with where it is from. */
function expressions(): Array<{ where: string; expr: string }> {
  const variables = dashboards().flatMap(({ file, dashboard }) =>
    dashboard.templating.list.flatMap((variable) => {
      const { query } = variable as { query?: string | { query?: string } };
      const metric = /label_values\((?:([a-zA-Z_:][\w:]*)\s*,\s*)?\w+\)/.exec(
        typeof query === 'string' ? query : (query?.query ?? ''),
      )?.[1];
      return metric ? [{ where: `${file} variable $${variable.name}`, expr: metric }] : [];
    }),
  );
  return [
    ...dashboardExpressions().map(({ where, expr }) => ({ where, expr: withGrafanaVariables(expr) })),
    ...variables,
    ...rules().map((rule) => ({ where: `rule ${rule.alert ?? rule.record}`, expr: rule.expr })),
    ...Object.entries(TOP_QUERIES).map(([name, query]) => ({ where: `npm run top ${name}`, expr: query.replaceAll('$vhost', '') })),
  ];
}

describe('Prometheus scraping the running stack', () => {
  test('every metric and label named by a dashboard, a rule or npm run top is one the running stack exposes', async () => {
    // Everything that makes a series: each saga outcome, a deadline, retries and failed emails,
    // bad requests, and poison messages in a dead-letter queue.
    const bodies = [
      buildOrder(),
      buildOrder(),
      buildOrder({ paymentMethod: 'tok_chargeDeclined' }),
      buildOrder({ shippingAddress: { ...buildOrder().shippingAddress, country: 'AQ' } }),
      buildOrder({ items: [{ sku: 'SKU-UNICORN', quantity: 1 }] }),
      buildOrder({ paymentMethod: 'tok_timeout' }),
    ];
    const orderIds = await Promise.all(bodies.map((body) => place(body)));
    await fetch(`${shop.orderUrl}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const broker = await TestBrokerClient.connect(infra.rabbitmqUrl);
    broker.publishRaw('', queueOf('inventory'), Buffer.from('{not json'), { messageId: randomUUID() });
    await sleep(200);
    await broker.close();
    for (const orderId of orderIds) await settled(orderId);
    await eventually(async () => ((await instant('shop_emails_failed_total')).length > 0 ? true : undefined), {
      timeoutMs: 30_000,
      what: 'a failed email',
    });

    // Every target up, and every recording rule evaluated over what was scraped after the events.
    await eventually(
      async () => {
        const up = await instant('up');
        return up.length > 0 && up.every((series) => series.value[1] === '1') ? true : undefined;
      },
      { timeoutMs: 30_000, what: 'every scrape target up' },
    );
    await sleep(3_000);

    const exposed = new Set(await prometheus<string[]>('/api/v1/label/__name__/values'));
    const labelsOf = new Map<string, Set<string>>();
    const labels = async (metric: string): Promise<Set<string>> => {
      let known = labelsOf.get(metric);
      if (!known) {
        const series = await prometheus<Array<Record<string, string>>>(`/api/v1/series?match[]=${encodeURIComponent(metric)}`);
        known = new Set(series.flatMap((set) => Object.keys(set)));
        labelsOf.set(metric, known);
      }
      return known;
    };

    const problems: string[] = [];
    for (const { where, expr } of expressions()) {
      let names;
      try {
        names = namesIn(expr);
      } catch (error) {
        problems.push(`${where}: ${(error as Error).message}`);
        continue;
      }
      const available = new Set([...names.introduced, ...names.presence]);
      for (const { metric, labels: matched } of names.selectors) {
        if (!exposed.has(metric)) {
          problems.push(`${where}: no series named ${metric}`);
          continue;
        }
        const has = await labels(metric);
        for (const label of has) available.add(label);
        for (const label of matched) if (!has.has(label)) problems.push(`${where}: ${metric} has no label ${label}`);
      }
      for (const label of names.grouping) {
        if (!available.has(label)) problems.push(`${where}: groups by ${label}, which none of its series has`);
      }
    }
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  test('when a participant stops under load, then the backlog alert’s expression turns true, and clears once it is back', async () => {
    const backlog = rules().find((rule) => rule.alert === 'QueueBacklogHigh');
    assert.ok(backlog, 'the QueueBacklogHigh rule');
    const queue = queueOf('inventory');
    const firing = async () =>
      (await instant(backlog.expr)).some((series) => series.metric.vhost === infra.vhost && series.metric.queue === queue);

    const inventory = servicePid(shop, 'inventory');
    process.kill(inventory, 'SIGSTOP');
    try {
      assert.equal(await firing(), false, 'no backlog before');
      // Orders at about 100/s until the expression holds; bounded by the rule's own window.
      const started = Date.now();
      const windowMs = durationMs(backlog.for ?? '5m');
      let placed = 0;
      while (!(await firing())) {
        assert.ok(Date.now() - started < windowMs, `the backlog alert did not turn true within its window (${backlog.for})`);
        await Promise.all(Array.from({ length: 20 }, () => place(buildOrder())));
        placed += 20;
        await sleep(150);
      }
      assert.ok(placed > 0, 'true only once orders waited');
      const alerts = await prometheus<{ alerts: Array<{ labels: Record<string, string>; state: string }> }>('/api/v1/alerts');
      await eventually(
        async () => {
          const { alerts: now } = await prometheus<{ alerts: Array<{ labels: Record<string, string>; state: string }> }>('/api/v1/alerts');
          return now.some((alert) => alert.labels.alertname === 'QueueBacklogHigh' && alert.labels.queue === queue) ? true : undefined;
        },
        { timeoutMs: 10_000, what: `the rule pending in Prometheus (${JSON.stringify(alerts.alerts.map((a) => a.labels.alertname))})` },
      );
    } finally {
      process.kill(inventory, 'SIGCONT');
    }
    await eventually(async () => ((await firing()) ? undefined : true), {
      timeoutMs: 120_000,
      what: 'the backlog alert’s expression to clear once inventory runs again',
    });
  });
});

/** The pid of one of the stack's service processes, found among the stack's children. */
function servicePid(stack: TestStack, service: string): number {
  const children = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(stack.stack.child.pid)], { encoding: 'utf8' });
  const line = children.split('\n').find((row) => row.includes(`services/${service}/dist/src/main.js`));
  assert.ok(line, `the ${service} service among the stack's processes:\n${children}`);
  return Number(line.trim().split(/\s+/)[0]);
}

function durationMs(duration: string): number {
  const match = /^(\d+)(s|m|h)$/.exec(duration);
  assert.ok(match, `a duration like 5m: ${duration}`);
  return Number(match[1]) * { s: 1_000, m: 60_000, h: 3_600_000 }[match[2] as 's' | 'm' | 'h'];
}
