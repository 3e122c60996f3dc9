import { z } from 'zod';
import type { Behaviour } from './behaviour';
import { fingerprintOf, readIdempotencyKey } from './idempotency';
import type { Ledger } from './ledger';
import { outcomeForToken } from './payment-tokens';
import { answer, cardError, invalidParams, type ProviderAnswer } from './provider-answers';
import { newId, unixSeconds } from './provider-ids';
import type { Charge } from './provider-objects';

const chargeParamsSchema = z.strictObject({
  amount: z.int().min(1),
  currency: z
    .string()
    .regex(/^[a-zA-Z]{3}$/, 'expected a three-letter ISO currency code')
    .transform((code) => code.toLowerCase()),
  payment_method: z.string().min(1).max(100),
});

/** POST /v1/charges: a replay of an earlier key, or a new charge booked as succeeded or failed. */
export function createCharge(ledger: Ledger, behaviour: Behaviour, keyHeader: string | undefined, body: unknown): ProviderAnswer {
  const idempotency = readIdempotencyKey(keyHeader);
  if ('rejected' in idempotency) return idempotency.rejected;
  const parsed = chargeParamsSchema.safeParse(body ?? {});
  if (!parsed.success) return invalidParams(parsed.error);
  const params = parsed.data;
  const { key } = idempotency;
  const fingerprint = fingerprintOf(params);
  const earlier = ledger.idempotency.answerFor('charges', key, fingerprint);
  if (earlier) return earlier;

  const outcome = outcomeForToken(params.payment_method, behaviour.declineRate);
  if (outcome.kind === 'never-answer') return { kind: 'never-answer' };
  const declined = outcome.kind === 'decline' ? outcome : undefined;
  const charge: Charge = {
    id: newId('ch'),
    object: 'charge',
    status: declined ? 'failed' : 'succeeded',
    amount: params.amount,
    currency: params.currency,
    payment_method: params.payment_method,
    amount_refunded: 0,
    refunded: false,
    idempotency_key: key,
    created: unixSeconds(),
    failure_code: declined?.code ?? null,
    failure_message: declined?.message ?? null,
  };
  const status = declined ? 402 : 200;
  const responseBody = declined ? cardError(declined.code, declined.message, charge.id) : charge;
  ledger.bookCharge(charge, { scope: 'charges', key, fingerprint, status, body: responseBody });
  return answer(status, responseBody);
}
