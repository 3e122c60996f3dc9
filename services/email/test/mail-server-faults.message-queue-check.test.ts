import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { queueOf } from '@shop/catalog';
import { order, type PayloadOf } from '@shop/contracts';
import { eventually, SmtpSink, TestBrokerClient, type TestInfrastructure } from '@shop/testing';
import { startEmailService, stopEmailService, type EmailService } from './email-service-under-test';

type OrderConfirmed = PayloadOf<typeof order.OrderConfirmed>;

const queue = queueOf('email');
// An event retried through its delay queue waits 30-60 s: an email that arrives sooner did without.
const retryDelayMs = 60_000;

const buildOrderConfirmed = (overrides: Partial<OrderConfirmed> = {}): OrderConfirmed => ({
  orderId: randomUUID(),
  customerId: 'customer-9',
  email: 'lin@example.com',
  lines: [{ sku: 'SKU-MUG', name: 'Enamel mug', quantity: 1, unitPriceCents: 1200 }],
  totalCents: 1200,
  currency: 'EUR',
  ...overrides,
});

/** The email service against a mail server that refuses for a moment, or goes away and comes back. */
describe('order outcome emails when the mail server misbehaves', () => {
  let infra: TestInfrastructure;
  let sink: SmtpSink;
  let service: EmailService;
  let client: TestBrokerClient;

  before(async () => {
    ({ infra, sink, service, client } = await startEmailService({
      SMTP_TIMEOUT_MS: '1000',
      SMTP_ATTEMPTS: '2',
      SMTP_BACKOFF_MS: '20',
      // Sensitive: half of at least two sends within 2 s opens it; a probe may follow 300 ms later.
      SMTP_BREAKER_WINDOW_MS: '2000',
      SMTP_BREAKER_MIN_RPS: '1',
      SMTP_BREAKER_HALF_OPEN_AFTER_MS: '300',
      RETRY_DELAYS_MS: String(retryDelayMs),
    }));
  });

  after(() => stopEmailService({ client, service, sink, infra }));

  const emailsFor = (orderId: string) => sink.emails.filter((email) => email.subject.includes(orderId));
  const confirm = (event: OrderConfirmed) => client.send(order.OrderConfirmed, event, { correlationId: event.orderId });
  const emailRows = async (orderIds: string[]) =>
    (await service.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM emails WHERE order_id = ANY($1::uuid[])', [orderIds])).rows[0]
      ?.n;

  test('when the mail server answers 451 to a recipient once, then the send tries again at once and the email is delivered once, without retrying the event', async () => {
    const event = buildOrderConfirmed({ email: 'busy-once@example.com' });
    let refusals = 0;
    sink.refuseRecipient = (address) => address === event.email && ++refusals === 1;
    try {
      await confirm(event);
      // Well before the event's own retry could deliver it.
      await sink.waitFor((email) => email.subject.includes(event.orderId), 10_000);
    } finally {
      sink.refuseRecipient = () => false;
    }

    assert.equal(refusals, 2, 'refused, then asked for again');
    assert.equal(emailsFor(event.orderId).length, 1);
    await eventually(async () => ((await emailRows([event.orderId])) === 1 ? true : undefined), { what: 'the email recorded' });
    assert.equal(await client.queueDepth(`${queue}.retry.${retryDelayMs}ms`), 0);
    assert.equal(service.consumers[0]?.isPaused, false);
  });

  test('when the mail server is down, then the breaker opens, the consumer pauses with the events in its queue, and every order gets one email once the server is back', async () => {
    const [consumer] = service.consumers;
    const port = sink.port;
    await sink.close();
    const events = Array.from({ length: 10 }, (_, index) => buildOrderConfirmed({ email: `outage-${index}@example.com` }));
    for (const event of events) await confirm(event);

    await eventually(() => (consumer?.isPaused ? true : undefined), { what: 'the consumer to pause' });
    // The events wait in their queue, untried, instead of burning retries into the dead-letter queue.
    await eventually(async () => ((await client.queueDepth(queue)) === events.length ? true : undefined), {
      what: 'every event back in the queue',
    });
    assert.equal(await client.queueDepth(`${queue}.retry.${retryDelayMs}ms`), 0);
    assert.equal(await client.queueDepth(`${queue}.dead-letter`), 0);
    assert.equal(await emailRows(events.map((event) => event.orderId)), 0, 'a failed send records nothing');

    sink = await new SmtpSink().start(port);
    await eventually(() => (events.every((event) => emailsFor(event.orderId).length > 0) ? true : undefined), {
      what: 'an email for every order',
    });
    assert.equal(consumer?.isPaused, false);
    for (const event of events) assert.equal(emailsFor(event.orderId).length, 1, `emails for ${event.email}`);
    await eventually(async () => ((await emailRows(events.map((event) => event.orderId))) === events.length ? true : undefined), {
      what: 'each email recorded',
    });
    assert.equal(await client.queueDepth(queue), 0);
    assert.equal(await client.queueDepth(`${queue}.dead-letter`), 0);
  });
});
