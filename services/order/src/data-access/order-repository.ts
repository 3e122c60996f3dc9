import type { PricedLine } from '@shop/contracts';
import { deferInsert, deferUpdate, type Column, type Queryable } from '@shop/db';
import type { Order, OrderStatus, PlaceOrderRequest } from '../domain/order';

interface OrderRow {
  id: string;
  status: OrderStatus;
  customer_id: string;
  email: string;
  items: Order['items'];
  shipping_address: Order['shippingAddress'];
  payment_method: string;
  currency: string;
  cancellation_reason: string | null;
  lines: PricedLine[] | null;
  total_cents: number | null;
  idempotency_key: string | null;
  request_hash: string | null;
  trace_id: string | null;
  created_at: Date;
  updated_at: Date;
}

const toOrder = (row: OrderRow): Order => ({
  id: row.id,
  status: row.status,
  customerId: row.customer_id,
  email: row.email,
  items: row.items,
  shippingAddress: row.shipping_address,
  paymentMethod: row.payment_method,
  currency: row.currency,
  cancellationReason: row.cancellation_reason,
  lines: row.lines,
  totalCents: row.total_cents,
  traceId: row.trace_id,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export interface NewOrder extends PlaceOrderRequest {
  id: string;
  currency: string;
  idempotencyKey: string | null;
  requestHash: string | null;
  traceId: string | null;
}

const NEW_ORDER_COLUMNS: readonly Column[] = [
  ['id', 'uuid'],
  ['status', 'text'],
  ['customer_id', 'text'],
  ['email', 'text'],
  ['items', 'jsonb'],
  ['shipping_address', 'jsonb'],
  ['payment_method', 'text'],
  ['currency', 'text'],
  ['idempotency_key', 'text'],
  ['request_hash', 'text'],
  ['trace_id', 'text'],
];

const newOrderRow = (order: NewOrder) => [
  order.id,
  'PENDING',
  order.customerId,
  order.email,
  JSON.stringify(order.items),
  order.shippingAddress,
  order.paymentMethod,
  order.currency,
  order.idempotencyKey,
  order.requestHash,
  order.traceId,
];

export const orderRepository = {
  /** Inserts a PENDING order at once; returns undefined when its idempotency key is already taken. */
  async insert(db: Queryable, order: NewOrder): Promise<Order | undefined> {
    const { rows } = await db.query<OrderRow>(
      `INSERT INTO orders (${NEW_ORDER_COLUMNS.map(([name]) => name).join(', ')})
       VALUES (${NEW_ORDER_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING *`,
      newOrderRow(order),
    );
    return rows[0] && toOrder(rows[0]);
  },

  /**
   * Writes a PENDING order with no idempotency key at the commit, with the other deferred writes
   * (@shop/db deferInsert): it cannot conflict with anything, so there is nothing to read back.
   * The row's timestamps are the database's, taken then; the order returned carries this
   * process's clock.
   */
  async stage(db: Queryable, order: NewOrder): Promise<Order> {
    await deferInsert(db, 'orders', NEW_ORDER_COLUMNS, newOrderRow(order));
    const now = new Date();
    const { idempotencyKey: _key, requestHash: _hash, ...placed } = order;
    return { ...placed, status: 'PENDING', cancellationReason: null, lines: null, totalCents: null, createdAt: now, updatedAt: now };
  },

  async findByIdempotencyKey(db: Queryable, key: string): Promise<{ order: Order; requestHash: string | null } | undefined> {
    const { rows } = await db.query<OrderRow>('SELECT * FROM orders WHERE idempotency_key = $1', [key]);
    return rows[0] && { order: toOrder(rows[0]), requestHash: rows[0].request_hash };
  },

  async find(db: Queryable, id: string): Promise<Order | undefined> {
    const { rows } = await db.query<OrderRow>('SELECT * FROM orders WHERE id = $1', [id]);
    return rows[0] && toOrder(rows[0]);
  },

  /**
   * Newest first, keyset-paginated on (created_at, id) after the order `afterId`, so pages stay
   * stable while orders arrive (the position is read in SQL to keep created_at's microseconds).
   */
  async list(
    db: Queryable,
    { status, ids, limit, afterId }: { status?: OrderStatus; ids?: string[]; limit: number; afterId?: string },
  ): Promise<Order[]> {
    const { rows } = await db.query<OrderRow>(
      `SELECT * FROM orders
        WHERE ($1::text IS NULL OR status = $1)
          AND ($4::uuid[] IS NULL OR id = ANY($4::uuid[]))
          AND ($2::uuid IS NULL OR (created_at, id) < (SELECT created_at, id FROM orders WHERE id = $2::uuid))
        ORDER BY created_at DESC, id DESC
        LIMIT $3`,
      [status ?? null, afterId ?? null, limit, ids ?? null],
    );
    return rows.map(toOrder);
  },

  /** Deferred to the commit: a batch of replies that finishes many orders updates them in one statement. */
  async finish(
    db: Queryable,
    id: string,
    outcome: {
      status: Exclude<OrderStatus, 'PENDING'>;
      lines: PricedLine[] | null;
      totalCents: number | null;
      cancellationReason: string | null;
    },
  ): Promise<void> {
    await deferUpdate(
      db,
      'orders',
      [
        ['id', 'uuid'],
        ['status', 'text'],
        ['lines', 'jsonb'],
        ['total_cents', 'integer'],
        ['cancellation_reason', 'text'],
      ],
      'updated_at = now()',
      [id, outcome.status, outcome.lines === null ? null : JSON.stringify(outcome.lines), outcome.totalCents, outcome.cancellationReason],
    );
  },
};
