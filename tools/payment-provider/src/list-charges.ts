import { z } from 'zod';
import type { Ledger } from './ledger';
import { answer, invalidParams, invalidRequest, noSuch, type ProviderAnswer } from './provider-answers';
import type { ChargeList } from './provider-objects';

const MAX_PAGE = 1000;

const listQuerySchema = z.object({
  idempotency_key: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(100),
  starting_after: z.string().min(1).optional(),
});

/**
 * GET /v1/charges: by idempotency key (how a client finds a charge whose answer it lost), or the
 * whole ledger a page at a time in creation order.
 */
export function listCharges(ledger: Ledger, query: unknown): ProviderAnswer {
  const parsed = listQuerySchema.safeParse(query);
  if (!parsed.success) return invalidParams(parsed.error);
  const { idempotency_key: key, limit, starting_after: startingAfter } = parsed.data;
  if (key !== undefined) {
    const charge = ledger.chargeByKey(key);
    return answer(200, { object: 'list', data: charge ? [charge] : [], has_more: false } satisfies ChargeList);
  }
  const page = ledger.page(limit, startingAfter);
  if (!page) return invalidRequest('starting_after', `No such charge: '${startingAfter}'`, 'resource_missing');
  return answer(200, { object: 'list', data: page.data, has_more: page.hasMore } satisfies ChargeList);
}

/** GET /v1/charges/:id */
export function retrieveCharge(ledger: Ledger, id: string): ProviderAnswer {
  const charge = ledger.charge(id);
  return charge ? answer(200, charge) : noSuch('id', 'charge', id);
}
