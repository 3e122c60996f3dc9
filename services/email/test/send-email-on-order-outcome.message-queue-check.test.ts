import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { queueOf } from '@shop/catalog';
import { Exchanges, order, type PayloadOf } from '@shop/contracts';
import { Headers } from '@shop/messaging';
import { eventually, operatorHeaders, SmtpSink, TestBrokerClient, transactionsThatWrote, type TestInfrastructure } from '@shop/testing';
import { startEmailService, stopEmailService, type EmailService } from './email-service-under-test';

type OrderConfirmed = PayloadOf<typeof order.OrderConfirmed>;
type OrderCancelled = PayloadOf<typeof order.OrderCancelled>;

const queue = queueOf('email');
// Long enough that a message waiting for its retry can be seen in the retry queue (it waits 250-500 ms).
const retryDelayMs = 500;
/** Attempts within one send: a recipient refused this many times fails the send, and its event is retried. */
const smtpAttempts = 2;

const buildOrderConfirmed = (overrides: Partial<OrderConfirmed> = {}): OrderConfirmed => ({
  orderId: randomUUID(),
  customerId: 'customer-7',
  email: 'ada@example.com',
  lines: [
    { sku: 'SKU-COFFEE', name: 'Coffee beans 1 kg', quantity: 2, unitPriceCents: 1890 },
    { sku: 'SKU-FILTER', name: 'Café filter', quantity: 1, unitPriceCents: 1200 },
  ],
  totalCents: 4980,
  currency: 'EUR',
  ...overrides,
});

const buildOrderCancelled = (overrides: Partial<OrderCancelled> = {}): OrderCancelled => ({
  orderId: randomUUID(),
  customerId: 'customer-7',
  email: 'ada@example.com',
  reason: 'payment declined: insufficient funds',
  ...overrides,
});

describe('send email on order outcome', () => {
  let infra: TestInfrastructure;
  let sink: SmtpSink;
  let service: EmailService;
  let client: TestBrokerClient;

  before(async () => {
    ({ infra, sink, service, client } = await startEmailService({
      SMTP_ATTEMPTS: String(smtpAttempts),
      RETRY_DELAYS_MS: [retryDelayMs, retryDelayMs, retryDelayMs, retryDelayMs].join(','),
    }));
  });

  after(() => stopEmailService({ client, service, sink, infra }));

  const emailsFor = (orderId: string) => sink.emails.filter((email) => email.subject.includes(orderId));
  const emailFor = (orderId: string) => sink.waitFor((email) => email.subject.includes(orderId));
  const confirm = (event: OrderConfirmed) => client.send(order.OrderConfirmed, event, { correlationId: event.orderId });
  const cancel = (event: OrderCancelled) => client.send(order.OrderCancelled, event, { correlationId: event.orderId });
  /** Resolves once every message id is in the inbox: handled and committed, whatever it did. */
  const handled = (...messageIds: string[]) =>
    eventually(
      async () => {
        const { rows } = await service.pool.query<{ count: number }>(
          'SELECT count(*)::int AS count FROM inbox WHERE consumer = $1 AND message_id = ANY($2)',
          [queue, messageIds],
        );
        return rows[0]?.count === messageIds.length ? true : undefined;
      },
      { what: `messages ${messageIds.join(', ')} handled` },
    );

  test('when an order is confirmed, then the customer gets one email listing every line and the total', async () => {
    const event = buildOrderConfirmed();
    const sent = await confirm(event);

    const email = await emailFor(event.orderId);
    assert.deepEqual(email.to, ['ada@example.com']);
    assert.equal(email.from, 'orders@shop.example');
    assert.equal(email.subject, `Your order ${event.orderId} is confirmed`);
    assert.equal(email.messageId, `<order-${event.orderId}@shop.example>`);
    assert.match(email.headers['content-type'] ?? '', /^text\/plain/);
    assert.ok(email.text.includes('2 x Coffee beans 1 kg (SKU-COFFEE) at EUR 18.90 each: EUR 37.80'), email.text);
    assert.ok(email.text.includes('1 x Café filter (SKU-FILTER) at EUR 12.00 each: EUR 12.00'), email.text);
    assert.ok(email.text.includes('Total: EUR 49.80'), email.text);
    await handled(sent.id);
    assert.equal(emailsFor(event.orderId).length, 1);
  });

  test('when an order is cancelled, then the customer gets one email with the reason', async () => {
    const event = buildOrderCancelled({ email: 'grace@example.org' });
    await cancel(event);

    const email = await emailFor(event.orderId);
    assert.deepEqual(email.to, ['grace@example.org']);
    assert.equal(email.subject, `Your order ${event.orderId} was cancelled`);
    assert.equal(email.messageId, `<order-${event.orderId}@shop.example>`);
    assert.ok(email.text.includes('Reason: payment declined: insufficient funds'), email.text);
  });

  test('when the same event is delivered twice, then one email is sent', async () => {
    const event = buildOrderConfirmed();
    const sent = await confirm(event);
    client.resend(order.OrderConfirmed, sent);
    await emailFor(event.orderId);
    // A later event proves both copies were taken before we count.
    const marker = buildOrderCancelled();
    await cancel(marker);
    await emailFor(marker.orderId);
    assert.equal(emailsFor(event.orderId).length, 1);
  });

  test('when a second event for the same order arrives under a new message id, then no second email is sent', async () => {
    const event = buildOrderConfirmed();
    await confirm(event);
    await emailFor(event.orderId);

    const again = await confirm(event);
    const contradicting = await cancel(buildOrderCancelled({ orderId: event.orderId }));
    await handled(again.id, contradicting.id);
    assert.equal(emailsFor(event.orderId).length, 1);
    assert.match(emailsFor(event.orderId)[0]?.subject ?? '', /is confirmed/);
  });

  test('when a confirmed and a cancelled event for the same order arrive together, then exactly one email is sent', async () => {
    const orderId = randomUUID();
    const [confirmed, cancelled] = await Promise.all([confirm(buildOrderConfirmed({ orderId })), cancel(buildOrderCancelled({ orderId }))]);
    await handled(confirmed.id, cancelled.id);
    assert.equal(emailsFor(orderId).length, 1);
  });

  test('when events arrive in a burst and the mail server refuses some recipients at every attempt of a send, then every order gets exactly one email, from batches', async () => {
    // Sent without waiting, so they queue up and the consumer takes them in batches: a batch
    // claims its emails in one statement, sends them side by side and commits once.
    const confirmed = Array.from({ length: 40 }, (_, index) => buildOrderConfirmed({ email: `burst-${index}@example.com` }));
    // Refused at each attempt of the first send, so that send fails and only its event is retried.
    const refusedFirstSend = new Set(confirmed.filter((_, index) => index % 8 === 3).map((event) => event.email));
    const refusals = new Map<string, number>();
    sink.refuseRecipient = (address) => {
      if (!refusedFirstSend.has(address)) return false;
      const count = (refusals.get(address) ?? 0) + 1;
      refusals.set(address, count);
      return count <= smtpAttempts;
    };
    // An order cancelled right behind its confirmation, and a confirmation delivered twice.
    const contested = buildOrderConfirmed({ email: 'contested@example.com' });
    try {
      const sent = await Promise.all([
        ...confirmed.map(confirm),
        confirm(contested),
        cancel(buildOrderCancelled({ orderId: contested.orderId, email: 'contested@example.com' })),
      ]);
      client.resend(order.OrderConfirmed, sent[0]!);
      await handled(...sent.map((envelope) => envelope.id));
      await eventually(async () => (confirmed.every((event) => emailsFor(event.orderId).length > 0) ? true : undefined), {
        what: 'an email for every order, the refused ones after their event was retried',
      });
    } finally {
      sink.refuseRecipient = () => false;
    }

    for (const address of refusedFirstSend) {
      assert.equal(refusals.get(address), smtpAttempts + 1, `${address}: refused at each attempt of the first send, accepted at the retry`);
    }
    // The other emails of a batch with a refused send were not sent again.
    for (const event of [...confirmed, contested]) assert.equal(emailsFor(event.orderId).length, 1, `emails for ${event.email}`);
    const { rows } = await service.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM emails WHERE order_id = ANY($1::uuid[])', [
      confirmed.map((event) => event.orderId),
    ]);
    assert.equal(rows[0]?.n, 40, 'each email recorded once');
    const transactions = await transactionsThatWrote(
      service.pool,
      'emails',
      confirmed.map((event) => event.orderId),
    );
    assert.ok(transactions < confirmed.length, `${confirmed.length} emails took ${transactions} transactions`);
    assert.equal(await client.queueDepth(`${queue}.dead-letter`), 0);
  });

  test('when poisoned events arrive, then each is parked in the dead-letter queue with its reason and the consumer keeps serving', async () => {
    client.publishRaw(Exchanges.events, 'order.confirmed', Buffer.from('{not json'), { messageId: 'poison-1' });
    const badAddress = buildOrderConfirmed({ email: 'not-an-address' });
    const wrongSchema = {
      id: randomUUID(),
      type: 'order.confirmed',
      version: 1,
      occurredAt: new Date().toISOString(),
      correlationId: badAddress.orderId,
      causationId: null,
      data: badAddress,
    };
    client.publishRaw(Exchanges.events, 'order.confirmed', Buffer.from(JSON.stringify(wrongSchema)));

    const deadLetter = `${queue}.dead-letter`;
    const parked = await eventually(async () => ((await client.queueDepth(deadLetter)) >= 2 ? client.drainQueue(deadLetter) : undefined), {
      what: 'two dead letters',
    });
    const reasons = parked.map((message) => String(message.properties.headers?.[Headers.error]));
    assert.match(reasons[0] ?? '', /unparseable body/);
    assert.match(reasons[1] ?? '', /schema violation in order.confirmed: email/);
    for (const message of parked) assert.equal(message.properties.headers?.[Headers.originalRoutingKey], 'order.confirmed');
    assert.equal(emailsFor(badAddress.orderId).length, 0);

    const event = buildOrderConfirmed();
    await confirm(event);
    await emailFor(event.orderId);
  });

  test('when the mail server is down, then the email is retried and arrives once it is back', async () => {
    const port = sink.port;
    await sink.close();
    const event = buildOrderConfirmed();
    await confirm(event);

    // A message waiting in the retry queue proves an attempt failed against the closed port.
    await eventually(async () => ((await client.queueDepth(`${queue}.retry.${retryDelayMs}ms`)) > 0 ? true : undefined), {
      what: 'a retry after the failed send',
      intervalMs: 20,
    });
    assert.equal(
      (await service.pool.query('SELECT 1 FROM emails WHERE order_id = $1', [event.orderId])).rowCount,
      0,
      'a failed send records nothing',
    );
    sink = await new SmtpSink().start(port);

    const email = await emailFor(event.orderId);
    assert.equal(email.messageId, `<order-${event.orderId}@shop.example>`);
    assert.equal(emailsFor(event.orderId).length, 1);
    assert.equal(await client.queueDepth(`${queue}.dead-letter`), 0);
  });

  test('GET /emails?orderId= shows what was sent for the order: 404 when nothing, 400 naming orderId when it is missing or malformed', async () => {
    const event = buildOrderCancelled();
    await cancel(event);
    await emailFor(event.orderId);
    // The email reaches the sink just before its row commits.
    const found = await eventually(
      async () => {
        const response = await fetch(`${service.url}/emails?orderId=${event.orderId}`, { headers: operatorHeaders() });
        return response.status === 200 ? response : undefined;
      },
      { what: 'the email record' },
    );
    const body = (await found.json()) as Record<string, unknown>;
    assert.equal(body.orderId, event.orderId);
    assert.equal(body.kind, 'cancellation');
    assert.equal(body.recipient, 'ada@example.com');
    assert.equal(body.subject, `Your order ${event.orderId} was cancelled`);
    assert.equal(body.messageId, `<order-${event.orderId}@shop.example>`);
    assert.ok(!Number.isNaN(Date.parse(String(body.sentAt))));

    const missing = await fetch(`${service.url}/emails?orderId=${randomUUID()}`, { headers: operatorHeaders() });
    assert.equal(missing.status, 404);

    for (const query of ['', '?orderId=nope']) {
      const bad = await fetch(`${service.url}/emails${query}`, { headers: operatorHeaders() });
      assert.equal(bad.status, 400);
      const error = ((await bad.json()) as { error: { message: string; details: { fields: { field: string }[] } } }).error;
      assert.match(error.message, /orderId/);
      assert.equal(error.details.fields[0]?.field, 'orderId');
    }
  });
});
