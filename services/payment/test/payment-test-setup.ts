import { randomUUID } from 'node:crypto';
import { payment, type PayloadOf } from '@shop/contracts';
import { startProviderProcess, type Charge as ProviderCharge, type ProviderProcess } from '@shop/payment-provider';
import type { Envelope } from '@shop/messaging';
import { startParticipant, type ParticipantHarness } from '@shop/testing';
import { service as paymentService } from '../src/main';

export type Service = Awaited<ReturnType<typeof paymentService.start>>;
export type Charge = PayloadOf<typeof payment.ChargePayment>;

export const buildCharge = (overrides: Partial<Charge> = {}): Charge => ({
  orderId: randomUUID(),
  amountCents: 4_590,
  currency: 'EUR',
  paymentMethod: 'tok_visa',
  ...overrides,
});

export interface PaymentUnderTest {
  harness: ParticipantHarness<Service>;
  provider: ProviderProcess;
  charge(command: Charge): Promise<Envelope<Charge>>;
  refund(orderId: string): Promise<Envelope<{ orderId: string }>>;
  /** What the provider booked under the order id: proves how often money moved. */
  ledgerOf(orderId: string): Promise<ProviderCharge[]>;
  paymentRowOf(orderId: string): Promise<{ status: string; refunded_cents: number } | undefined>;
  stop(): Promise<void>;
}

/** The payment service in this process, and the fake card provider as a process of its own, as in production. */
export async function startPaymentUnderTest(env: Record<string, string> = {}): Promise<PaymentUnderTest> {
  const provider = await startProviderProcess();
  const harness = await startParticipant('payment', (serviceEnv) => paymentService.startWith(serviceEnv), {
    PAYMENT_PROVIDER_URL: provider.url,
    ...env,
  }).catch(async (error: unknown) => {
    await provider.stop();
    throw error;
  });
  const { client, service } = harness;
  return {
    harness,
    provider,
    charge: (command) => client.send(payment.ChargePayment, command, { correlationId: command.orderId }),
    refund: (orderId) => client.send(payment.RefundPayment, { orderId }, { correlationId: orderId }),
    ledgerOf: async (orderId) => (await provider.control.charges()).filter((c) => c.idempotency_key === orderId),
    paymentRowOf: async (orderId) =>
      (
        await service.pool.query<{ status: string; refunded_cents: number }>(
          'SELECT status, refunded_cents FROM payments WHERE order_id = $1',
          [orderId],
        )
      ).rows[0],
    async stop() {
      await harness.stop();
      await provider.stop();
    },
  };
}
