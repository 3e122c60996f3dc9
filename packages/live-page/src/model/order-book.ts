import type { LiveOrder, LiveStep, LiveStepsEvent } from '../protocol.js';

/** What the page knows of one order. */
export interface OrderEntry {
  orderId: string;
  /** As the stream last reported it; undefined for an order just placed from this page. */
  order: LiveOrder | undefined;
  /** Its step log rows, in id order, each once. */
  steps: LiveStep[];
  /** The trigger that placed it from this page ("confirmed", "burst"...), if it did. */
  placedAs: string | undefined;
}

/** What one change did to the book: the view redraws only these. */
export interface BookChanges {
  /** Orders new to the book, oldest first (the list shows the newest on top). */
  added: string[];
  /** Orders already there whose status or steps changed. */
  updated: string[];
  /** Orders dropped to stay within the capacity. */
  evicted: string[];
  /** Orders that became CONFIRMED or CANCELLED in this change. */
  settled: OrderEntry[];
}

/**
 * The orders the page holds, by id, oldest first (a Map keeps insertion order), at most
 * `capacity` of them: beyond it the oldest are dropped, so a long session stays light.
 */
export class OrderBook {
  readonly entries = new Map<string, OrderEntry>();
  private readonly stepIds = new Map<string, Set<number>>();

  constructor(readonly capacity = 5_000) {}

  get(orderId: string): OrderEntry | undefined {
    return this.entries.get(orderId);
  }

  /** An order this page placed (POST /orders answered 202): it is listed before the stream reports it. */
  placed(orderId: string, placedAs: string): BookChanges {
    const changes = emptyChanges();
    const entry = this.entries.get(orderId);
    if (entry) {
      entry.placedAs ??= placedAs;
      changes.updated.push(orderId);
    } else {
      this.entries.set(orderId, { orderId, order: undefined, steps: [], placedAs });
      changes.added.push(orderId);
    }
    this.evictOverCapacity(changes);
    return changes;
  }

  /** A `steps` event: new step rows (repeats after a reconnect are ignored) and the orders as they stand. */
  applySteps(event: LiveStepsEvent): BookChanges {
    const changes = emptyChanges();
    const touched = new Set<string>();
    // New orders are added oldest first, so that the newest ends on top of the list.
    const orders = [...event.orders].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    for (const order of orders) {
      const entry = this.entryFor(order.orderId, changes);
      const wasFinal = entry.order !== undefined && entry.order.status !== 'PENDING';
      entry.order = order;
      touched.add(order.orderId);
      if (!wasFinal && order.status !== 'PENDING') changes.settled.push(entry);
    }
    for (const step of event.steps) {
      const seen = this.stepIds.get(step.orderId) ?? new Set<number>();
      if (seen.has(step.id)) continue;
      seen.add(step.id);
      this.stepIds.set(step.orderId, seen);
      const entry = this.entryFor(step.orderId, changes);
      insertById(entry.steps, step);
      touched.add(step.orderId);
    }
    const added = new Set(changes.added);
    for (const orderId of touched) if (!added.has(orderId)) changes.updated.push(orderId);
    this.evictOverCapacity(changes);
    return changes;
  }

  private entryFor(orderId: string, changes: BookChanges): OrderEntry {
    let entry = this.entries.get(orderId);
    if (!entry) {
      entry = { orderId, order: undefined, steps: [], placedAs: undefined };
      this.entries.set(orderId, entry);
      changes.added.push(orderId);
    }
    return entry;
  }

  private evictOverCapacity(changes: BookChanges): void {
    if (this.entries.size <= this.capacity) return;
    const gone = new Set<string>();
    for (const orderId of this.entries.keys()) {
      if (this.entries.size <= this.capacity) break;
      this.entries.delete(orderId);
      this.stepIds.delete(orderId);
      gone.add(orderId);
    }
    changes.evicted.push(...gone);
    changes.added = changes.added.filter((id) => !gone.has(id));
    changes.updated = changes.updated.filter((id) => !gone.has(id));
    changes.settled = changes.settled.filter((entry) => !gone.has(entry.orderId));
  }
}

const emptyChanges = (): BookChanges => ({ added: [], updated: [], evicted: [], settled: [] });

/** Rows arrive in id order nearly always: the scan from the end is one comparison then. */
function insertById(steps: LiveStep[], step: LiveStep): void {
  let at = steps.length;
  while (at > 0 && steps[at - 1]!.id > step.id) at -= 1;
  steps.splice(at, 0, step);
}
