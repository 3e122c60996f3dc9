import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { orderSaga } from '@shop/order-service';
import { eventually, operatorHeaders, OtlpReceiver, TEST_OPERATOR_TOKEN } from '@shop/testing';
import { expectedJourney, startShop, type Shop } from './shop-under-test';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SERVER = 2;

/** What the page's detail shows of one command of the saga, as the test reads it. */
interface ShownStep {
  step: string;
  action: string;
  state: string;
  cells: string[];
}

/**
 * The live page (`/live/`, served by the order service) in Debian's chromium, driven by
 * playwright-core, against the whole shop in this process. The test process also runs the
 * OpenTelemetry SDK, exporting to an OTLP receiver that answers `/trace/<id>` the way Jaeger's UI
 * does, and the order service links its traces there (LIVE_TRACE_URL).
 *
 * LIVE_PAGE_SCREENSHOT=<path> saves a screenshot of the page with one order of each trigger;
 * LIVE_PAGE_BURST=<n> places a burst of n orders from the page and reports the browser's long
 * tasks and frame times while they run (measured, never asserted).
 */
describe('the live page', () => {
  let receiver: OtlpReceiver;
  let shop: Shop;
  let browser: Browser;
  let page: Page;

  before(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `no chromium at ${CHROMIUM}: the live page's browser test drives Debian's chromium ` +
          '(apt install --no-install-recommends chromium), or set CHROMIUM_PATH to another Chromium',
      );
    }
    receiver = await new OtlpReceiver().start();
    // The services run in this process: the SDK of this process exports their spans.
    Object.assign(process.env, {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_SERVICE_NAME: 'shop-under-test',
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@shop/telemetry/register');
    shop = await startShop('live', { order: { LIVE_TRACE_URL: receiver.traceUrlTemplate } });
    // Debian's chromium runs as root in CI containers, where its sandbox cannot start.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (error) => console.error(`live page error: ${error.message}`));
    await page.goto(`${shop.services.order.url}/live/#token=${TEST_OPERATOR_TOKEN}`);
    await page.locator('#connection[data-state="live"]').waitFor({ timeout: 10_000 });
  });

  after(async () => {
    await browser?.close();
    await shop?.stopAll();
    await receiver?.stop();
  });

  /** Clicks a trigger; the page selects the order it placed. Returns its id. */
  const place = async (trigger: string): Promise<string> => {
    const selected = () => page.getAttribute('#detail-body', 'data-order-id');
    const before = await selected();
    await page.click(`button[data-trigger="${trigger}"]`);
    const placed = page.locator('#place-status');
    await eventually(async () => ((await placed.textContent())?.startsWith('Placed ') ? true : undefined), {
      timeoutMs: 5_000,
      what: `the ${trigger} order to be placed`,
    });
    const orderId = await eventually(
      async () => {
        const shown = await selected();
        return shown && shown !== before ? shown : undefined;
      },
      { timeoutMs: 5_000, what: 'the new order to be selected' },
    );
    return orderId;
  };

  /**
   * Records, in the page, every state each command of the selected order's timeline shows, in
   * the order they appear: the proof that the steps arrive one by one, pushed by the stream.
   * (Page scripts are strings: this package compiles without the DOM's types.)
   */
  const recordTimeline = () =>
    page.evaluate(`{
      const seen = [];
      window.seenSteps = seen;
      new MutationObserver(() => {
        for (const row of document.querySelectorAll('#detail-steps tr[data-step], #detail-compensations tr[data-step]')) {
          const key = row.dataset.action + ' ' + row.dataset.step + ' ' + row.className;
          if (!seen.includes(key)) seen.push(key);
        }
      }).observe(document.getElementById('detail-body'), { childList: true, subtree: true });
    }`);
  const seenSteps = () => page.evaluate('window.seenSteps') as Promise<string[]>;

  const shownSteps = (): Promise<ShownStep[]> =>
    page.$$eval('#detail-steps tr[data-step], #detail-compensations tr[data-step]', (rows) =>
      rows.map((row) => ({
        step: row.getAttribute('data-step') ?? '',
        action: row.getAttribute('data-action') ?? '',
        state: row.className,
        cells: [...row.children].map((cell) => cell.textContent ?? ''),
      })),
    );

  const rowStatus = (orderId: string) => page.locator(`button[data-order-id="${orderId}"] .status`);
  const settledOnPage = async (orderId: string) =>
    eventually(
      async () => {
        const status = await rowStatus(orderId).textContent();
        return status === 'CONFIRMED' || status === 'CANCELLED' ? status : undefined;
      },
      { timeoutMs: 30_000, what: `order ${orderId} to settle on the page` },
    );

  const stepNames = orderSaga.steps.map((step) => step.name);
  let confirmedId = '';

  test('when a confirmed order is placed from the page, then each step appears as it is answered and the order shows CONFIRMED', async () => {
    await recordTimeline();
    confirmedId = await place('confirmed');
    assert.equal(await settledOnPage(confirmedId), 'CONFIRMED');
    assert.equal((await shop.order(confirmedId)).status, 'CONFIRMED', 'the page agrees with GET /orders/{id}');

    await page.locator('#detail-outcome[data-status="CONFIRMED"]').waitFor();
    const steps = await shownSteps();
    assert.deepEqual(
      steps.map((s) => `${s.action} ${s.step} ${s.state}`),
      expectedJourney(),
    );
    for (const step of steps) {
      const [, sent, answered, took, attempts] = step.cells;
      assert.match(sent!, /^\+\d/, `${step.step} shows when it was sent`);
      assert.match(answered!, /^\+\d/, `${step.step} shows when it was answered`);
      assert.match(took!, /^\d+(\.\d+)? m?s$/, `${step.step} shows how long it took`);
      assert.equal(attempts, '1');
    }
    assert.equal(await page.locator('#detail-compensation-section').isHidden(), true, 'nothing was compensated');
    // Each step was drawn answered no earlier than the one before it: they arrived as they ran.
    const seen = await seenSteps();
    const answered = stepNames.map((name) => seen.indexOf(`invoke ${name} succeeded`));
    assert.ok(
      answered.every((at, i) => at >= 0 && (i === 0 || at >= answered[i - 1]!)),
      `steps answered in order: ${seen.join(', ')}`,
    );
    assert.deepEqual(
      await page.locator(`button[data-order-id="${confirmedId}"] .chip`).allTextContents(),
      stepNames.map((name) => `${name.split('-')[0]} ✓`),
      'the list row shows the step trail',
    );
  });

  test('when a declined order is placed from the page, then it shows the failed charge, the stock released and CANCELLED with the reason', async () => {
    await recordTimeline();
    const orderId = await place('declined');
    assert.equal(await settledOnPage(orderId), 'CANCELLED');
    const order = await shop.order(orderId);
    assert.equal(order.status, 'CANCELLED');

    await page.locator('#detail-outcome[data-status="CANCELLED"]').waitFor();
    assert.equal(await page.locator('#detail-outcome').textContent(), `CANCELLED: ${order.cancellationReason}`);
    assert.match(order.cancellationReason ?? '', /payment declined/);
    const steps = await shownSteps();
    assert.deepEqual(
      steps.map((s) => `${s.action} ${s.step} ${s.state}`),
      expectedJourney('charge-payment'),
    );
    assert.equal(await page.locator('#detail-steps tr.not-reached th').textContent(), 'create-shipment', 'the step never run is shown so');
    assert.match((await page.locator('#detail-compensations tr').first().textContent()) ?? '', /reserve-stock.*succeeded/);
    const seen = await seenSteps();
    assert.ok(
      seen.indexOf('invoke charge-payment failed') < seen.indexOf('compensate reserve-stock succeeded'),
      `the compensation came after the failure: ${seen.join(', ')}`,
    );
  });

  test('when the list has focus, then the arrow keys move between orders and select them', async () => {
    await page.locator(`button[data-order-id="${confirmedId}"]`).click();
    await page.keyboard.press('ArrowUp');
    const selected = page.locator('#order-list button[aria-current="true"]');
    assert.notEqual(await selected.getAttribute('data-order-id'), confirmedId);
    assert.equal(await page.evaluate("document.activeElement?.getAttribute('aria-current')"), 'true', 'focus follows the selection');
    await page.keyboard.press('ArrowDown');
    assert.equal(await selected.getAttribute('data-order-id'), confirmedId);
    assert.equal(await page.getAttribute('#detail-body', 'data-order-id'), confirmedId);
  });

  test("when the trace link of an order is followed, then it opens that order's trace, rooted at its POST /orders", async () => {
    const { traceId } = (await (await fetch(`${shop.services.order.url}/orders/${confirmedId}`)).json()) as { traceId: string | null };
    assert.match(traceId ?? '', /^[0-9a-f]{32}$/);
    await eventually(() => (receiver.trace(traceId!).some((s) => s.kind === SERVER && s.name === 'POST /orders') ? true : undefined), {
      timeoutMs: 10_000,
      what: 'the POST /orders span to reach the receiver',
    });
    await page.locator(`button[data-order-id="${confirmedId}"]`).click();
    const link = page.locator('#link-trace');
    assert.equal(await link.isVisible(), true);
    const [tracePage] = await Promise.all([page.context().waitForEvent('page'), link.click()]);
    await tracePage.waitForLoadState();
    assert.equal(new URL(tracePage.url()).pathname, `/trace/${traceId}`);
    assert.equal(await tracePage.locator('#trace-id').textContent(), traceId);
    const root = tracePage.locator('#spans tr[data-kind="server"][data-name="POST /orders"]');
    assert.equal(await root.count(), 1);
    assert.match((await root.textContent()) ?? '', new RegExp(`order\\.id=${confirmedId}`));
    await tracePage.close();
  });

  test('when LIVE_PAGE_SCREENSHOT is set, then a screenshot of the page with every trigger is saved there', async (t) => {
    const path = process.env.LIVE_PAGE_SCREENSHOT;
    if (!path) return t.skip('LIVE_PAGE_SCREENSHOT is not set');
    const ids: string[] = [];
    for (const trigger of ['out-of-stock', 'country-refused', 'provider-timeout', 'confirmed']) ids.push(await place(trigger));
    await page.fill('#burst-size', '6');
    await page.click('#burst-button');
    for (const id of ids) await settledOnPage(id);
    const refused = ids[1]!;
    await page.locator(`button[data-order-id="${refused}"]`).click();
    await page.locator(`button[data-order-id="${refused}"]`).focus();
    await eventually(async () => ((await page.locator('#queue-panel').isVisible()) ? true : undefined), {
      timeoutMs: 10_000,
      what: 'the queue panel',
    });
    await page.screenshot({ path, fullPage: true });
    t.diagnostic(`saved ${path}`);
  });

  test('when LIVE_PAGE_BURST is set, then a burst of that many orders is placed from the page and the frame times are reported', async (t) => {
    const count = Number(process.env.LIVE_PAGE_BURST ?? 0);
    if (!count) return t.skip('LIVE_PAGE_BURST is not set');
    // Long tasks (over 50 ms on the main thread) and the time between animation frames.
    await page.evaluate(`{
      window.longTasks = [];
      window.frameGaps = [];
      new PerformanceObserver((list) => list.getEntries().forEach((e) => window.longTasks.push(e.duration))).observe({ type: 'longtask' });
      let last = performance.now();
      const tick = (now) => {
        window.frameGaps.push(now - last);
        last = now;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    }`);
    // The renderer's main-thread time by kind, from the DevTools protocol: what the page costs,
    // apart from what a machine busy running the whole shop costs it.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const mainThread = async () =>
      Object.fromEntries(
        ((await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] }).metrics.map((m) => [
          m.name,
          m.value,
        ]),
      );
    const startMetrics = await mainThread();
    const started = Date.now();
    await page.fill('#burst-size', String(count));
    await page.click('#burst-button');
    // Waited for from the server, so that the test's own queries of the page do not weigh on
    // what is measured; then one look at the page, which must have drawn every outcome.
    const pendingOnServer = async () => {
      const response = await fetch(`${shop.services.order.url}/orders?status=PENDING&limit=1`, { headers: operatorHeaders() });
      return ((await response.json()) as { orders: unknown[] }).orders.length;
    };
    await eventually(
      async () => ((await page.textContent('#place-status'))?.startsWith(`Burst: ${count} of ${count}`) ? true : undefined),
      {
        timeoutMs: 300_000,
        intervalMs: 1_000,
        what: `${count} orders to be placed`,
      },
    );
    await eventually(async () => ((await pendingOnServer()) === 0 ? true : undefined), {
      timeoutMs: 300_000,
      intervalMs: 500,
      what: `${count} orders to settle`,
    });
    await eventually(
      async () =>
        (await page.locator('#order-list > li:is([data-status="PENDING"], [data-status="COMPENSATING"])').count()) === 0 ? true : undefined,
      {
        timeoutMs: 10_000,
        what: 'the page to show every outcome',
      },
    );
    const settledMs = Date.now() - started;
    const endMetrics = await mainThread();
    const spentMs = (name: string) => Math.round(((endMetrics[name] ?? 0) - (startMetrics[name] ?? 0)) * 1000);
    const { longTasks, frames } = (await page.evaluate('({ longTasks: window.longTasks, frames: window.frameGaps })')) as {
      longTasks: number[];
      frames: number[];
    };
    const sorted = [...frames].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    const report = {
      orders: count,
      rows: await page.locator('#order-list > li').count(),
      settledMs,
      longTasks: longTasks.length,
      longTaskMsTotal: Math.round(longTasks.reduce((a, b) => a + b, 0)),
      longTaskMsMax: Math.round(Math.max(0, ...longTasks)),
      frames: frames.length,
      frameMsP50: Math.round(at(0.5) * 10) / 10,
      frameMsP95: Math.round(at(0.95) * 10) / 10,
      frameMsMax: Math.round(at(1) * 10) / 10,
      mainThreadMs: {
        tasks: spentMs('TaskDuration'),
        script: spentMs('ScriptDuration'),
        layout: spentMs('LayoutDuration'),
        style: spentMs('RecalcStyleDuration'),
      },
    };
    t.diagnostic(JSON.stringify(report));
  });
});
