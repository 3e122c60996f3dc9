import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { queueOf, SERVICE_NAMES } from '@shop/catalog';
import { SseParser, type LiveConfig, type LiveQueuesEvent, type LiveStepsEvent } from '@shop/live-page';
import { Exchanges } from '@shop/contracts';
import {
  createTestInfrastructure,
  eventually,
  operatorHeaders,
  serviceTestEnv,
  TestBrokerClient,
  type TestInfrastructure,
} from '@shop/testing';
import { orderSaga, service as orderService } from '../src/main';
import { buildOrder, post } from './order-builder';

type Service = Awaited<ReturnType<typeof orderService.start>>;

interface StreamEvent {
  id?: string;
  event: string;
  data: unknown;
}

/** Reads a server-sent event stream as it arrives (with the page's own parser), until `stop` is called. */
async function openStream(url: string, headers: Record<string, string>) {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const events: StreamEvent[] = [];
  const parser = new SseParser((event) =>
    events.push({ id: event.lastEventId || undefined, event: event.event, data: JSON.parse(event.data) as unknown }),
  );
  const reading = (async () => {
    if (!response.body) return;
    await parser.pushAll(response.body);
  })().catch(() => undefined);
  return {
    response,
    events,
    async stop() {
      controller.abort();
      await reading;
    },
  };
}

/** The live page's server side, with the order service alone: its stream, its config and its files. */
describe('the live page stream', () => {
  let infra: TestInfrastructure;
  let service: Service;

  before(async () => {
    infra = await createTestInfrastructure('orderlive');
    service = await orderService.startWith(
      await serviceTestEnv(infra, 'order', { LIVE_TRACE_URL: 'http://jaeger.test/trace/{traceId}', LIVE_MAIL_URL: 'none' }),
    );
  });
  after(async () => {
    await service?.stop();
    await infra?.cleanup();
  });

  test('when an order is placed, then the stream pushes its first step with the order, and the queue the command waits in', async () => {
    const stream = await openStream(`${service.url}/live/events`, operatorHeaders());
    try {
      assert.equal(stream.response.status, 200);
      assert.match(stream.response.headers.get('content-type') ?? '', /^text\/event-stream/);
      // No inventory service runs here: its queue stands as it does while the service is down.
      const broker = await TestBrokerClient.connect(infra.rabbitmqUrl);
      await broker.holdQueue(queueOf('inventory'), Exchanges.commands, 'inventory.#');
      await broker.close();
      const placed = await post(service.url, buildOrder());
      const orderId = placed.body.orderId as string;
      const steps = await eventually(
        () => stream.events.find((e) => e.event === 'steps' && (e.data as LiveStepsEvent).steps.some((s) => s.orderId === orderId)),
        { timeoutMs: 5_000, what: 'a steps event for the order' },
      );
      const data = steps.data as LiveStepsEvent;
      const step = data.steps.find((s) => s.orderId === orderId)!;
      assert.deepEqual([step.step, step.action, step.outcome], ['reserve-stock', 'invoke', 'started']);
      assert.equal(steps.id, String(Math.max(...data.steps.map((s) => s.id))), 'the event id is its last step row');
      const order = data.orders.find((o) => o.orderId === orderId);
      assert.equal(order?.status, 'PENDING');

      // The command waits in inventory's queue, and the stream says so.
      const queues = await eventually(
        () =>
          stream.events
            .filter((e) => e.event === 'queues')
            .map((e) => e.data as LiveQueuesEvent)
            .find((q) => (q.queues.find((entry) => entry.name === queueOf('inventory'))?.ready ?? 0) >= 1),
        { timeoutMs: 10_000, what: 'a queues event with the reserve command waiting' },
      );
      assert.deepEqual(
        queues.queues.map((q) => q.name),
        SERVICE_NAMES.flatMap((name) => [queueOf(name), `${queueOf(name)}.dead-letter`]),
      );
    } finally {
      await stream.stop();
    }
  });

  test('when a client reconnects with Last-Event-ID, then it first gets the steps it missed', async () => {
    const first = await openStream(`${service.url}/live/events`, operatorHeaders());
    const placed = await post(service.url, buildOrder());
    const seen = await eventually(
      () =>
        first.events.find((e) => e.event === 'steps' && (e.data as LiveStepsEvent).steps.some((s) => s.orderId === placed.body.orderId)),
      { timeoutMs: 5_000, what: 'the first order on the stream' },
    );
    await first.stop();
    const missed = await post(service.url, buildOrder());
    // The feed stops with its last watcher; the reconnecting one finds the row in the log.
    const again = await openStream(`${service.url}/live/events`, { ...operatorHeaders(), 'last-event-id': seen.id! });
    try {
      const caughtUp = await eventually(
        () =>
          again.events.find((e) => e.event === 'steps' && (e.data as LiveStepsEvent).steps.some((s) => s.orderId === missed.body.orderId)),
        { timeoutMs: 5_000, what: 'the missed order after reconnecting' },
      );
      assert.ok(
        (caughtUp.data as LiveStepsEvent).steps.every((s) => s.id > Number(seen.id)),
        'only the rows after the one it had',
      );
    } finally {
      await again.stop();
    }
  });

  test('when the stream is asked for the queues only, then it carries queue depths and no step batch', async () => {
    const stream = await openStream(`${service.url}/live/events?events=queues`, operatorHeaders());
    try {
      await post(service.url, buildOrder());
      await eventually(() => stream.events.filter((e) => e.event === 'queues').length >= 2 || undefined, {
        timeoutMs: 10_000,
        what: 'two queues events',
      });
      assert.deepEqual(
        stream.events.filter((e) => e.event !== 'queues'),
        [],
      );
    } finally {
      await stream.stop();
    }
    const refused = await fetch(`${service.url}/live/events?events=everything`, { headers: operatorHeaders() });
    assert.equal(refused.status, 400);
    assert.match(((await refused.json()) as { error: { message: string } }).error.message, /events/);
  });

  test('when the stream is asked for without the operator token, then it is a 401 and nothing streams', async () => {
    const response = await fetch(`${service.url}/live/events`);
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer');
    assert.match(((await response.json()) as { error: { message: string } }).error.message, /^authorization:/);
  });

  test('when the page asks for its config, then it gets the saga as defined and the link templates as set', async () => {
    const config = (await (await fetch(`${service.url}/live/config.json`)).json()) as LiveConfig;
    assert.deepEqual(
      config.saga.steps,
      orderSaga.steps.map((step) => ({ name: step.name, compensable: step.compensation !== undefined })),
    );
    assert.deepEqual(config.links, { trace: 'http://jaeger.test/trace/{traceId}', mail: null, queues: 'http://localhost:15672/#/queues' });
  });

  test('when /live is opened, then the page is served from the same origin, with the security headers', async () => {
    const redirect = await fetch(`${service.url}/live`, { redirect: 'manual' });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get('location'), '/live/');
    const page = await fetch(`${service.url}/live/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const html = await page.text();
    for (const [, src] of html.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)) {
      assert.doesNotMatch(src!, /^(https?:)?\/\//, `scripts come from this origin: ${src}`);
      const script = await fetch(new URL(src!, `${service.url}/live/`));
      assert.equal(script.status, 200, `${src} is served`);
    }
  });
});
