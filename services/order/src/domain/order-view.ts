import { cents, currency, orderId, orderItem, pricedLine, shippingAddress } from '@shop/contracts';
import type { SagaInstance, StepLogEntry } from '@shop/saga';
import { z } from 'zod';
import { orderStatus, type Order, type OrderSagaData } from './order';

// The answers of the order queries as zod schemas: they type orderView and orderSummary below,
// so an answer cannot drift from them, and the OpenAPI document is generated from them.

const timestamp = z.iso.datetime();

const stepViewSchema = z
  .object({
    step: z.string(),
    action: z.enum(['invoke', 'compensate']),
    outcome: z.enum(['pending', 'succeeded', 'failed', 'timed-out']),
    detail: z.string().nullable(),
    attempts: z.number().int().min(1).meta({ description: 'How many times the command was sent.' }),
    startedAt: timestamp,
    finishedAt: timestamp.nullable(),
  })
  .meta({ id: 'SagaStep', description: 'One step or compensation of the saga, as it ran.' });
type StepView = z.output<typeof stepViewSchema>;

export const orderViewSchema = z
  .object({
    orderId,
    status: orderStatus,
    cancellationReason: z.string().nullable(),
    customerId: z.string(),
    email: z.email(),
    items: z.array(orderItem).meta({ description: 'As placed.' }),
    lines: z.array(pricedLine).nullable().meta({ description: 'The items with the unit prices inventory gave them; null until priced.' }),
    totalCents: cents.nullable(),
    currency,
    shippingAddress,
    traceId: z.string().nullable().meta({ description: "The order's trace, to look up in Jaeger." }),
    createdAt: timestamp,
    updatedAt: timestamp,
    saga: z
      .object({
        state: z.enum(['RUNNING', 'COMPENSATING', 'COMPLETED', 'COMPENSATED']),
        currentStep: z.string().nullable().meta({ description: 'The step awaiting a reply while the saga runs or compensates.' }),
        steps: z.array(stepViewSchema),
      })
      .nullable(),
  })
  .meta({ id: 'Order', description: 'An order, its priced lines and its saga, step by step.' });
export type OrderView = z.output<typeof orderViewSchema>;

export const orderSummarySchema = z
  .object({
    orderId,
    status: orderStatus,
    customerId: z.string(),
    totalCents: cents.nullable(),
    currency,
    cancellationReason: z.string().nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'OrderSummary', description: 'An order in the list: no lines, no saga.' });
export type OrderSummary = z.output<typeof orderSummarySchema>;

/** Folds the saga's log into one entry per step and per compensation, in the order they ran. */
export function stepViews(history: StepLogEntry[]): StepView[] {
  const views: StepView[] = [];
  for (const entry of history) {
    const at = new Date(entry.at).toISOString();
    let view = views.findLast((v) => v.step === entry.step && v.action === entry.action);
    if (entry.outcome === 'started' || !view) {
      view = { step: entry.step, action: entry.action, outcome: 'pending', detail: null, attempts: 1, startedAt: at, finishedAt: null };
      views.push(view);
      if (entry.outcome === 'started') continue;
    }
    if (entry.outcome === 'resent') {
      view.attempts += 1;
      continue;
    }
    view.outcome = entry.outcome as StepView['outcome'];
    view.detail = entry.detail;
    view.finishedAt = at;
  }
  return views;
}

/** The order as GET /orders/{id} shows it; prices come from the saga until the order is final. */
export function orderView(order: Order, saga: SagaInstance<OrderSagaData> | undefined, history: StepLogEntry[]): OrderView {
  const currentStep = saga && (saga.state === 'RUNNING' || saga.state === 'COMPENSATING') ? (history.at(-1)?.step ?? null) : null;
  return {
    orderId: order.id,
    status: order.status,
    cancellationReason: order.cancellationReason,
    customerId: order.customerId,
    email: order.email,
    items: order.items,
    lines: order.lines ?? saga?.data.lines ?? null,
    totalCents: order.totalCents ?? saga?.data.totalCents ?? null,
    currency: order.currency,
    shippingAddress: order.shippingAddress,
    traceId: order.traceId,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
    saga: saga ? { state: saga.state, currentStep, steps: stepViews(history) } : null,
  };
}

export function orderSummary(order: Order): OrderSummary {
  return {
    orderId: order.id,
    status: order.status,
    customerId: order.customerId,
    totalCents: order.totalCents,
    currency: order.currency,
    cancellationReason: order.cancellationReason,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}
