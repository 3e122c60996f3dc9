import { createHash, randomUUID } from 'node:crypto';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import type { RunInTransaction } from '@shop/db';
import type { SagaEngine } from '@shop/saga';
import { orderRepository } from '../data-access/order-repository';
import type { Order, PlaceOrderRequest } from './order';
import type { OrderSagaData } from './order';

export interface PlaceOrderDependencies {
  /** The transaction an order is placed in: one whose outbox rows leave once it commits. */
  transaction: RunInTransaction;
  saga: SagaEngine<OrderSagaData>;
  currency: string;
}

/** The Idempotency-Key was used before with another request body: the client's mistake, not a new order. */
export class IdempotencyKeyReusedError extends Error {
  constructor() {
    super('Idempotency-Key: this key was already used with a different request body');
    this.name = 'IdempotencyKeyReusedError';
  }
}

export interface PlacedOrder {
  order: Order;
  /** True when an earlier request with the same Idempotency-Key already placed it. */
  replayed: boolean;
}

/**
 * Stores the order as PENDING and starts its saga in one local transaction: the first command
 * sits in the outbox and leaves once this commits. Nothing here waits on another service. The
 * transaction may be shared with other orders placed at the same moment (group commit) and this
 * may run twice (alone, when the group failed): it has no effects outside the transaction.
 */
export async function placeOrder(deps: PlaceOrderDependencies, request: PlaceOrderRequest, idempotencyKey?: string): Promise<PlacedOrder> {
  const requestHash = idempotencyKey ? hashOf(request) : null;
  return deps.transaction(async (tx) => {
    const spanContext = trace.getActiveSpan()?.spanContext();
    const placed = {
      id: randomUUID(),
      ...request,
      currency: deps.currency,
      idempotencyKey: idempotencyKey ?? null,
      requestHash,
      traceId: spanContext && isSpanContextValid(spanContext) ? spanContext.traceId : null,
    };
    // Only a key can conflict: then the insert must say at once whether it took. Otherwise the
    // row is written at the commit, with the saga's, in one statement for the whole group.
    const order = idempotencyKey ? await orderRepository.insert(tx, placed) : await orderRepository.stage(tx, placed);
    if (!order) {
      // The key was used before: same body, same order; another body is the client's mistake.
      const earlier = await orderRepository.findByIdempotencyKey(tx, idempotencyKey!);
      if (!earlier) throw new Error('idempotency key conflict without an earlier order');
      if (earlier.requestHash !== requestHash) {
        throw new IdempotencyKeyReusedError();
      }
      return { order: earlier.order, replayed: true };
    }
    await deps.saga.start(tx, order.id, { ...request, orderId: order.id, currency: order.currency });
    return { order, replayed: false };
  });
}

/** A stable hash of the request: keys sorted, so field order does not matter. */
function hashOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
