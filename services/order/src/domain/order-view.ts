import type { SagaInstance, StepLogEntry } from '@shop/saga';
import type { Order } from './order';
import type { OrderSagaData } from './order';

export interface StepView {
  step: string;
  action: 'invoke' | 'compensate';
  outcome: 'pending' | 'succeeded' | 'failed' | 'timed-out';
  detail: string | null;
  attempts: number;
  startedAt: string;
  finishedAt: string | null;
}

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
export function orderView(order: Order, saga: SagaInstance<OrderSagaData> | undefined, history: StepLogEntry[]) {
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

export function orderSummary(order: Order) {
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
