import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OrderBook } from '../src/model/order-book';
import { sagaTimeline } from '../src/model/saga-timeline';
import type { LiveOrder, LiveStep } from '../src/protocol';

let nextId = 1;
const step = (orderId: string, name: string, action: LiveStep['action'], outcome: LiveStep['outcome'], ms: number): LiveStep => ({
  id: nextId++,
  orderId,
  step: name,
  action,
  outcome,
  detail: outcome === 'failed' ? 'payment declined: card_declined' : null,
  at: new Date(Date.UTC(2025, 0, 1, 12, 0, 0, ms)).toISOString(),
});
const order = (orderId: string, status: LiveOrder['status'] = 'PENDING', second = 0): LiveOrder => ({
  orderId,
  status,
  cancellationReason: status === 'CANCELLED' ? 'payment declined: card_declined' : null,
  traceId: null,
  totalCents: 3150,
  currency: 'EUR',
  createdAt: new Date(Date.UTC(2025, 0, 1, 12, 0, second)).toISOString(),
  updatedAt: new Date(Date.UTC(2025, 0, 1, 12, 0, second)).toISOString(),
});

test('when a declined order runs, then its timeline has the steps as sent and answered, then the compensation', () => {
  const rows = [
    step('o1', 'reserve-stock', 'invoke', 'started', 0),
    step('o1', 'reserve-stock', 'invoke', 'succeeded', 40),
    step('o1', 'charge-payment', 'invoke', 'started', 40),
    step('o1', 'charge-payment', 'invoke', 'resent', 900),
    step('o1', 'charge-payment', 'invoke', 'failed', 1000),
    step('o1', 'reserve-stock', 'compensate', 'started', 1000),
    step('o1', 'reserve-stock', 'compensate', 'succeeded', 1030),
  ];
  assert.deepEqual(
    sagaTimeline(rows).map((t) => [t.action, t.step, t.state, t.attempts, t.answeredAt! - t.sentAt!]),
    [
      ['invoke', 'reserve-stock', 'succeeded', 1, 40],
      ['invoke', 'charge-payment', 'failed', 2, 960],
      ['compensate', 'reserve-stock', 'succeeded', 1, 30],
    ],
  );
});

test('when events repeat after a reconnect or arrive out of order, then each step row is kept once, in id order', () => {
  const book = new OrderBook();
  const first = step('o1', 'reserve-stock', 'invoke', 'started', 0);
  const second = step('o1', 'reserve-stock', 'invoke', 'succeeded', 30);
  const added = book.applySteps({ steps: [second], orders: [order('o1')] });
  assert.deepEqual(added.added, ['o1']);
  const again = book.applySteps({ steps: [first, second], orders: [order('o1')] });
  assert.deepEqual(again.updated, ['o1']);
  assert.deepEqual(
    book.get('o1')!.steps.map((s) => s.id),
    [first.id, second.id],
  );
});

test('when an order becomes final, then it is reported settled once', () => {
  const book = new OrderBook();
  book.placed('o1', 'declined');
  assert.equal(book.applySteps({ steps: [], orders: [order('o1', 'CANCELLED')] }).settled.length, 1);
  assert.equal(book.applySteps({ steps: [], orders: [order('o1', 'CANCELLED')] }).settled.length, 0);
  assert.equal(book.get('o1')!.placedAs, 'declined');
});

test('when more orders arrive than the book holds, then the oldest are dropped and new ones come oldest first', () => {
  const book = new OrderBook(3);
  book.applySteps({ steps: [], orders: [order('a', 'PENDING', 1), order('b', 'PENDING', 2)] });
  const changes = book.applySteps({ steps: [], orders: [order('d', 'PENDING', 4), order('c', 'PENDING', 3)] });
  assert.deepEqual(changes.added, ['c', 'd']);
  assert.deepEqual(changes.evicted, ['a']);
  assert.deepEqual([...book.entries.keys()], ['b', 'c', 'd']);
});
