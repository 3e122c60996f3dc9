import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '@shop/config';
import { Exchanges, payment, type PayloadOf } from '@shop/contracts';
import { Headers, type Envelope } from '@shop/messaging';
import { eventually, startParticipant, TestBrokerClient, transactionsThatWrote, type ParticipantHarness } from '@shop/testing';
import { createSimulatedPaymentProvider, paymentConfigSchema, startPaymentService } from '../src/index';

type Service = Awaited<ReturnType<typeof startPaymentService>>;
type Charge = PayloadOf<typeof payment.ChargePayment>;

const buildCharge = (overrides: Partial<Charge> = {}): Charge => ({
  orderId: randomUUID(),
  amountCents: 4_590,
  currency: 'EUR',
  paymentMethod: 'tok_visa',
  ...overrides,
});

describe('payment commands', () => {
  let harness: ParticipantHarness<Service>;
  let service: Service;
  let client: TestBrokerClient;

  before(async () => {
    // A short provider deadline keeps the tok_timeout test quick; retries are 50,100 ms (3 attempts).
    harness = await startParticipant('payment', (env) => startPaymentService(loadConfig(paymentConfigSchema, env)), { PAYMENT_PROVIDER_TIMEOUT_MS: '200' });
    ({ service, client } = harness);
  });

  after(async () => {
    await harness?.stop();
  });

  const repliesFor = (orderId: string) => harness.repliesFor(orderId);
  const replyFor = (orderId: string, count = 1) => harness.replyFor(orderId, count);
  const charge = (command: Charge) => client.send(payment.ChargePayment, command, { correlationId: command.orderId });
  const refund = (orderId: string) => client.send(payment.RefundPayment, { orderId }, { correlationId: orderId });
  /** What the provider booked under the order id: proves how often money moved. */
  const ledgerOf = async (orderId: string) =>
    (
      await service.pool.query<{ charge_id: string; status: string; refunded_cents: number }>(
        'SELECT charge_id, status, refunded_cents FROM provider_ledger WHERE idempotency_key = $1',
        [orderId],
      )
    ).rows;
  const paymentRowOf = async (orderId: string) =>
    (await service.pool.query<{ status: string; refunded_cents: number }>('SELECT status, refunded_cents FROM payments WHERE order_id = $1', [orderId]))
      .rows[0];
  /** A later message on the same queue proves every earlier delivery was consumed. */
  const flush = async () => {
    const marker = randomUUID();
    await refund(marker);
    await replyFor(marker);
  };

  test('when the card is good, then it replies payment-charged with the charge id and the provider charged once', async () => {
    const command = buildCharge({ paymentMethod: 'tok_mastercard' });
    const sent = await charge(command);

    const reply = await replyFor(command.orderId);
    assert.equal(reply.type, 'payment.charged');
    const data = reply.data as PayloadOf<typeof payment.PaymentCharged>;
    assert.match(data.paymentId, /^ch_[0-9a-f]{24}$/);
    assert.deepEqual(data, { orderId: command.orderId, paymentId: data.paymentId, amountCents: 4_590 });
    assert.equal(reply.correlationId, command.orderId);
    assert.equal(reply.causationId, sent.id);
    assert.deepEqual(await ledgerOf(command.orderId), [{ charge_id: data.paymentId, status: 'succeeded', refunded_cents: 0 }]);
    assert.equal((await paymentRowOf(command.orderId))?.status, 'CHARGED');
  });

  for (const [paymentMethod, code] of [
    ['tok_chargeDeclined', 'card_declined'],
    ['tok_insufficientFunds', 'insufficient_funds'],
    ['tok_madeUp', 'invalid_payment_method'],
  ] as const) {
    test(`when the payment method is ${paymentMethod}, then it replies payment-rejected declined with ${code}`, async () => {
      const command = buildCharge({ paymentMethod });
      await charge(command);
      const reply = await replyFor(command.orderId);
      assert.equal(reply.type, 'payment.rejected');
      const data = reply.data as PayloadOf<typeof payment.PaymentRejected>;
      assert.equal(data.reason, 'declined');
      assert.match(data.detail, new RegExp(`^${code}: `));
      assert.equal((await paymentRowOf(command.orderId))?.status, 'DECLINED');
    });
  }

  test('when the same command is delivered twice, then the card is charged once and one reply is sent', async () => {
    const command = buildCharge();
    const sent = await charge(command);
    client.resend(payment.ChargePayment, sent);
    await replyFor(command.orderId);
    await flush();
    assert.equal(repliesFor(command.orderId).length, 1);
    assert.equal((await ledgerOf(command.orderId)).length, 1);
  });

  test('when the command is sent again under a new message id, then it gives the same reply and no second charge', async () => {
    const command = buildCharge();
    await charge(command);
    const first = await replyFor(command.orderId);
    await charge(command);
    const second = await replyFor(command.orderId, 2);
    assert.deepEqual(second.data, first.data);
    assert.equal((await ledgerOf(command.orderId)).length, 1);

    const declined = buildCharge({ paymentMethod: 'tok_chargeDeclined' });
    await charge(declined);
    const firstDecline = await replyFor(declined.orderId);
    await charge(declined);
    assert.deepEqual((await replyFor(declined.orderId, 2)).data, firstDecline.data);
  });

  test('when our record of a charge is lost and the charge is processed again, then the provider ledger still holds a single charge', async () => {
    const command = buildCharge();
    await charge(command);
    const first = (await replyFor(command.orderId)).data as PayloadOf<typeof payment.PaymentCharged>;
    // As if the business transaction had rolled back after the provider charged.
    await service.pool.query('DELETE FROM payments WHERE order_id = $1', [command.orderId]);

    await charge(command);
    const second = (await replyFor(command.orderId, 2)).data as PayloadOf<typeof payment.PaymentCharged>;
    assert.equal(second.paymentId, first.paymentId);
    assert.deepEqual(await ledgerOf(command.orderId), [{ charge_id: first.paymentId, status: 'succeeded', refunded_cents: 0 }]);
  });

  test('when a refund follows a charge, then the full amount is refunded once, and a repeat refunds nothing more', async () => {
    const command = buildCharge({ amountCents: 1_200 });
    await charge(command);
    await replyFor(command.orderId);
    await refund(command.orderId);
    assert.deepEqual((await replyFor(command.orderId, 2)).data, { orderId: command.orderId, refundedCents: 1_200 });
    await refund(command.orderId);
    assert.deepEqual((await replyFor(command.orderId, 3)).data, { orderId: command.orderId, refundedCents: 1_200 });
    assert.deepEqual(await paymentRowOf(command.orderId), { status: 'REFUNDED', refunded_cents: 1_200 });
    assert.equal((await ledgerOf(command.orderId))[0]?.refunded_cents, 1_200);

    await charge(command);
    const late = await replyFor(command.orderId, 4);
    assert.equal((late.data as { reason: string }).reason, 'order-cancelled');
    assert.equal((await ledgerOf(command.orderId)).length, 1);
  });

  test('when the refund overtakes the charge, then the late charge is refused and the provider is never called', async () => {
    const command = buildCharge();
    await refund(command.orderId);
    assert.deepEqual((await replyFor(command.orderId)).data, { orderId: command.orderId, refundedCents: 0 });
    assert.equal((await paymentRowOf(command.orderId))?.status, 'CANCELLED');

    await charge(command);
    const late = await replyFor(command.orderId, 2);
    assert.equal(late.type, 'payment.rejected');
    assert.equal((late.data as { reason: string }).reason, 'order-cancelled');
    assert.deepEqual(await ledgerOf(command.orderId), []);
  });

  test('when a declined order is refunded, then it replies refundedCents 0', async () => {
    const command = buildCharge({ paymentMethod: 'tok_insufficientFunds' });
    await charge(command);
    await replyFor(command.orderId);
    await refund(command.orderId);
    assert.deepEqual((await replyFor(command.orderId, 2)).data, { orderId: command.orderId, refundedCents: 0 });
    assert.equal((await paymentRowOf(command.orderId))?.status, 'DECLINED');
  });

  test('when the provider charged but our record rolled back, then the refund still gives the money back', async () => {
    const command = buildCharge({ amountCents: 990 });
    const provider = createSimulatedPaymentProvider(service.pool);
    const orphan = await provider.charge({ idempotencyKey: command.orderId, amountCents: 990, currency: 'EUR', paymentMethod: 'tok_visa' });
    assert.equal(orphan.status, 'succeeded');

    await refund(command.orderId);
    assert.deepEqual((await replyFor(command.orderId)).data, { orderId: command.orderId, refundedCents: 990 });
    assert.equal((await ledgerOf(command.orderId))[0]?.refunded_cents, 990);
    await charge(command);
    assert.equal(((await replyFor(command.orderId, 2)).data as { reason: string }).reason, 'order-cancelled');
    assert.equal((await ledgerOf(command.orderId)).length, 1);
  });

  test('when the demo decline rate hits a good card, then it is declined, and the same key keeps getting that answer', async () => {
    const declining = createSimulatedPaymentProvider(service.pool, { declineRate: 1 });
    const request = { idempotencyKey: randomUUID(), amountCents: 500, currency: 'EUR', paymentMethod: 'tok_visa' };
    const first = await declining.charge(request);
    assert.equal(first.status, 'declined');
    assert.equal(first.status === 'declined' && first.code, 'card_declined');
    // The provider answers a key as it did the first time, even once the demo switch is off.
    assert.deepEqual(await createSimulatedPaymentProvider(service.pool).charge(request), first);
  });

  test('when charges and refunds of the same orders race, then no order keeps money it was refunded for', async () => {
    const commands = Array.from({ length: 40 }, () => buildCharge({ amountCents: 100 }));
    // Both orders of arrival, sent back to back so the consumer runs them side by side.
    for (const [index, command] of commands.entries()) {
      if (index % 2 === 0) await Promise.all([charge(command), refund(command.orderId)]);
      else await Promise.all([refund(command.orderId), charge(command)]);
    }
    for (const command of commands) await replyFor(command.orderId, 2);

    const { rows } = await service.pool.query<{ amount_cents: number; refunded_cents: number }>(
      'SELECT amount_cents, refunded_cents FROM provider_ledger WHERE idempotency_key = ANY($1::text[])',
      [commands.map((c) => c.orderId)],
    );
    assert.ok(rows.length > 0, 'some charges should have gone through before their refund');
    assert.deepEqual(rows.filter((row) => row.refunded_cents !== row.amount_cents), []);
  });

  test('when commands arrive in a burst, then they are handled in batches, and a refund sees the charge before it in the same batch', async () => {
    // Sent without waiting for the replies, so they queue up and the consumer takes them in
    // batches: each batch locks its orders and reads their payments in two statements.
    const charged = Array.from({ length: 30 }, () => buildCharge());
    const refunded = Array.from({ length: 10 }, () => buildCharge());
    await Promise.all([...charged.map(charge), ...refunded.flatMap((command) => [charge(command), refund(command.orderId)])]);

    for (const command of charged) assert.equal((await replyFor(command.orderId)).type, 'payment.charged');
    for (const command of refunded) {
      assert.deepEqual((await replyFor(command.orderId, 2)).data, { orderId: command.orderId, refundedCents: 4_590 });
      assert.deepEqual(await paymentRowOf(command.orderId), { status: 'REFUNDED', refunded_cents: 4_590 });
      const [booked] = await ledgerOf(command.orderId);
      assert.equal(booked?.refunded_cents, 4_590);
    }
    const transactions = await transactionsThatWrote(service.pool, 'payments', charged.map((command) => command.orderId));
    assert.ok(transactions < charged.length, `${charged.length} charges took ${transactions} transactions`);
  });

  test('when the provider never answers, then the charge is retried, dead-lettered naming the timeout, and nothing is recorded', async () => {
    const command = buildCharge({ paymentMethod: 'tok_timeout' });
    await charge(command);

    const parked = await eventually(async () => {
      const depth = await client.queueDepth('payment.commands.dead-letter');
      return depth >= 1 ? client.drainQueue('payment.commands.dead-letter') : undefined;
    }, { what: 'the timed-out charge in the dead-letter queue' });
    assert.equal(parked.length, 1);
    const headers = parked[0]?.properties.headers;
    assert.match(String(headers?.[Headers.error]), /failed after 3 attempts: ProviderTimeoutError: payment provider did not answer charge within 200 ms/);
    assert.equal(headers?.[Headers.attempt], 3);
    assert.equal((JSON.parse(parked[0]?.content.toString() ?? '{}') as Envelope<Charge>).data.orderId, command.orderId);
    assert.equal(await paymentRowOf(command.orderId), undefined);
    assert.deepEqual(await ledgerOf(command.orderId), []);
    assert.equal(repliesFor(command.orderId).length, 0);
  });

  test('when poisoned messages arrive, then each is parked in the dead-letter queue with its reason and the consumer keeps serving', async () => {
    client.publishRaw(Exchanges.commands, 'payment.charge', Buffer.from('{not json'), { messageId: 'poison-1' });
    const orderId = randomUUID();
    const wrongSchema = {
      id: randomUUID(),
      type: 'payment.charge',
      version: 1,
      occurredAt: new Date().toISOString(),
      correlationId: orderId,
      causationId: null,
      data: { orderId, amountCents: -5, currency: 'EUR', paymentMethod: 'tok_visa' },
    };
    client.publishRaw(Exchanges.commands, 'payment.charge', Buffer.from(JSON.stringify(wrongSchema)));

    const parked = await eventually(async () => {
      const depth = await client.queueDepth('payment.commands.dead-letter');
      return depth >= 2 ? client.drainQueue('payment.commands.dead-letter') : undefined;
    }, { what: 'two dead letters' });
    const reasons = parked.map((m) => String(m.properties.headers?.[Headers.error]));
    assert.match(reasons[0] ?? '', /unparseable body/);
    assert.match(reasons[1] ?? '', /schema violation in payment.charge: amountCents/);
    for (const message of parked) assert.equal(message.properties.headers?.[Headers.originalRoutingKey], 'payment.charge');
    assert.equal(await paymentRowOf(orderId), undefined);

    const command = buildCharge();
    await charge(command);
    assert.equal((await replyFor(command.orderId)).type, 'payment.charged');
  });

  test('GET /payments shows the payment with its refund; an unknown order is a 404 and a bad orderId a 400 naming the field', async () => {
    const command = buildCharge({ amountCents: 700 });
    await charge(command);
    const chargeId = ((await replyFor(command.orderId)).data as { paymentId: string }).paymentId;
    await refund(command.orderId);
    await replyFor(command.orderId, 2);

    const found = await fetch(`${service.url}/payments?orderId=${command.orderId}`);
    assert.equal(found.status, 200);
    const body = (await found.json()) as { status: string; chargeId: string; amountCents: number; refund: { refundedCents: number } };
    assert.equal(body.status, 'REFUNDED');
    assert.equal(body.chargeId, chargeId);
    assert.equal(body.amountCents, 700);
    assert.equal(body.refund.refundedCents, 700);

    const missing = await fetch(`${service.url}/payments?orderId=${randomUUID()}`);
    assert.equal(missing.status, 404);
    for (const query of ['', '?orderId=not-a-uuid']) {
      const bad = await fetch(`${service.url}/payments${query}`);
      assert.equal(bad.status, 400);
      assert.match(((await bad.json()) as { error: { message: string } }).error.message, /orderId/);
    }
  });
});
