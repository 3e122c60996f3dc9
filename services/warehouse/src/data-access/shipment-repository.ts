import type { OrderItem, ShippingAddress } from '@shop/contracts';
import { deferInsert, flushDeferred, lockedRows, type Queryable } from '@shop/db';

export type ShipmentStatus = 'CREATED' | 'REJECTED' | 'CANCELLED';
export type RejectionReason = 'unserved-country' | 'order-cancelled';

export interface Shipment {
  orderId: string;
  shipmentId: string | null;
  status: ShipmentStatus;
  country: string | null;
  address: ShippingAddress | null;
  items: OrderItem[] | null;
  reason: RejectionReason | null;
  detail: string | null;
  createdAt: string;
  updatedAt: string;
}

interface ShipmentRow {
  order_id: string;
  shipment_id: string | null;
  status: ShipmentStatus;
  country: string | null;
  address: ShippingAddress | null;
  items: OrderItem[] | null;
  reason: RejectionReason | null;
  detail: string | null;
  created_at: Date;
  updated_at: Date;
}

const toShipment = (row: ShipmentRow): Shipment => ({
  orderId: row.order_id,
  shipmentId: row.shipment_id,
  status: row.status,
  country: row.country,
  address: row.address,
  items: row.items,
  reason: row.reason,
  detail: row.detail,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

export interface ShipmentRequest {
  orderId: string;
  address: ShippingAddress;
  items: OrderItem[];
}

/** Every kind of row is inserted with the same columns, so a batch's inserts are one statement. */
const INSERTED_COLUMNS = ['order_id', 'shipment_id', 'status', 'country', 'address', 'items', 'reason', 'detail'] as const;

/** Shipments this transaction holds locked, by order id (null: no row), as the batch's handlers left them. */
const locked = (db: Queryable) => lockedRows<Shipment>(db, 'shipments');

/** Stages the insert for the commit, and remembers the row for the rest of the batch. */
async function insert(db: Queryable, shipment: Omit<Shipment, 'createdAt' | 'updatedAt'>): Promise<void> {
  await deferInsert(db, 'shipments', INSERTED_COLUMNS, [
    shipment.orderId,
    shipment.shipmentId,
    shipment.status,
    shipment.country,
    shipment.address && JSON.stringify(shipment.address),
    shipment.items && JSON.stringify(shipment.items),
    shipment.reason,
    shipment.detail,
  ]);
  const now = new Date().toISOString();
  locked(db)?.set(shipment.orderId, { ...shipment, createdAt: now, updatedAt: now });
}

/**
 * Inserts are deferred to the commit and a batch's rows are locked in one statement (lockMany),
 * so a batch of commands costs two statements however many orders it holds.
 */
export const shipmentRepository = {
  /** Locks the shipments of these orders, in order id order, for the rest of the transaction; `find` with forUpdate then reads them from memory. */
  async lockMany(db: Queryable, orderIds: readonly string[]): Promise<void> {
    const cache = locked(db);
    const wanted = [...new Set(orderIds)].filter((id) => !cache?.has(id));
    if (wanted.length === 0) return;
    const { rows } = await db.query<ShipmentRow>('SELECT * FROM shipments WHERE order_id = ANY($1::uuid[]) ORDER BY order_id FOR UPDATE', [wanted]);
    for (const id of wanted) cache?.set(id, null);
    for (const row of rows) cache?.set(row.order_id, toShipment(row));
  },

  async find(db: Queryable, orderId: string, { forUpdate = false } = {}): Promise<Shipment | undefined> {
    const cache = forUpdate ? locked(db) : undefined;
    const known = cache?.get(orderId);
    if (known !== undefined) return known ?? undefined;
    const { rows } = await db.query<ShipmentRow>(`SELECT * FROM shipments WHERE order_id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [orderId]);
    const shipment = rows[0] && toShipment(rows[0]);
    cache?.set(orderId, shipment ?? null);
    return shipment;
  },

  async recordCreated(tx: Queryable, request: ShipmentRequest, shipmentId: string): Promise<void> {
    await insert(tx, {
      orderId: request.orderId,
      shipmentId,
      status: 'CREATED',
      country: request.address.country,
      address: request.address,
      items: request.items,
      reason: null,
      detail: null,
    });
  },

  async recordRejected(tx: Queryable, request: ShipmentRequest, reason: RejectionReason, detail: string): Promise<void> {
    await insert(tx, {
      orderId: request.orderId,
      shipmentId: null,
      status: 'REJECTED',
      country: request.address.country,
      address: request.address,
      items: request.items,
      reason,
      detail,
    });
  },

  /** The marker a cancel leaves for an order never shipped, so a late create is refused. */
  async recordCancelled(tx: Queryable, orderId: string): Promise<void> {
    await insert(tx, {
      orderId,
      shipmentId: null,
      status: 'CANCELLED',
      country: null,
      address: null,
      items: null,
      reason: 'order-cancelled',
      detail: 'cancelled before a shipment was created',
    });
  },

  /** At once, after the batch's deferred inserts: the shipment may have been created earlier in this batch. */
  async markCancelled(tx: Queryable, orderId: string): Promise<void> {
    await flushDeferred(tx);
    await tx.query(`UPDATE shipments SET status = 'CANCELLED', updated_at = now() WHERE order_id = $1`, [orderId]);
    const shipment = locked(tx)?.get(orderId);
    if (shipment) shipment.status = 'CANCELLED';
  },
};
