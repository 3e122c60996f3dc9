import { z } from 'zod';
import { fingerprintOf, readIdempotencyKey } from './idempotency';
import type { Ledger } from './ledger';
import { answer, invalidParams, invalidRequest, noSuch, type ProviderAnswer } from './provider-answers';
import { newId, unixSeconds } from './provider-ids';
import type { Charge, Refund } from './provider-objects';

const refundParamsSchema = z.strictObject({
  charge: z.string().min(1),
  /** Defaults to what is left of the charge. */
  amount: z.int().min(1).optional(),
});

/** POST /v1/refunds: a replay of an earlier key, a refusal, or a refund booked with its charge's new state. */
export function createRefund(ledger: Ledger, keyHeader: string | undefined, body: unknown): ProviderAnswer {
  const idempotency = readIdempotencyKey(keyHeader);
  if ('rejected' in idempotency) return idempotency.rejected;
  const parsed = refundParamsSchema.safeParse(body ?? {});
  if (!parsed.success) return invalidParams(parsed.error);
  const params = parsed.data;
  const { key } = idempotency;
  const fingerprint = fingerprintOf({ charge: params.charge, amount: params.amount ?? null });
  const earlier = ledger.idempotency.answerFor('refunds', key, fingerprint);
  if (earlier) return earlier;

  const charge = ledger.charge(params.charge);
  if (!charge) return noSuch('charge', 'charge', params.charge);
  const refusal = refusalFor(charge, params.amount);
  if (refusal) return refusal;
  const amount = params.amount ?? charge.amount - charge.amount_refunded;
  const refund: Refund = {
    id: newId('re'),
    object: 'refund',
    status: 'succeeded',
    charge: charge.id,
    amount,
    idempotency_key: key,
    created: unixSeconds(),
  };
  const amountRefunded = charge.amount_refunded + amount;
  const refunded: Charge = { ...charge, amount_refunded: amountRefunded, refunded: amountRefunded === charge.amount };
  ledger.bookRefund(refund, refunded, { scope: 'refunds', key, fingerprint, status: 200, body: refund });
  return answer(200, refund);
}

function refusalFor(charge: Charge, amount: number | undefined): ProviderAnswer | undefined {
  const remaining = charge.amount - charge.amount_refunded;
  if (charge.status !== 'succeeded') {
    return invalidRequest('charge', `Charge ${charge.id} failed and has nothing to refund`, 'charge_not_refundable');
  }
  if (remaining <= 0) return invalidRequest('charge', `Charge ${charge.id} has already been refunded`, 'charge_already_refunded');
  if (amount !== undefined && amount > remaining) {
    return invalidRequest(
      'amount',
      `Refund amount ${amount} is greater than the ${remaining} left to refund on ${charge.id}`,
      'amount_too_large',
    );
  }
  return undefined;
}
