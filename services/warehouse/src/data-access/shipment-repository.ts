import { orderId, orderItem, shippingAddress, type OrderItem, type ShippingAddress } from '@shop/contracts';
import { lockedTable, type Queryable } from '@shop/db';
import { z } from 'zod';

const shipmentStatus = z.enum(['CREATED', 'REJECTED', 'CANCELLED']);
export type ShipmentStatus = z.output<typeof shipmentStatus>;
const rejectionReason = z.enum(['unserved-country', 'order-cancelled']);
export type RejectionReason = z.output<typeof rejectionReason>;

/** One order's shipment, or why there is none, as the operator endpoint shows it; the type below is made from it. */
export const shipmentSchema = z
  .object({
    orderId,
    shipmentId: z.string().nullable(),
    status: shipmentStatus,
    country: z.string().nullable(),
    address: shippingAddress.nullable(),
    items: z.array(orderItem).nullable(),
    reason: rejectionReason.nullable(),
    detail: z.string().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Shipment' });
export type Shipment = z.output<typeof shipmentSchema>;

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

export interface ShipmentRequest {
  orderId: string;
  address: ShippingAddress;
  items: OrderItem[];
}

/**
 * One row per order, by order id, whatever came of its create or cancel: a batch locks its
 * orders' shipments in one statement and inserts its new rows in one statement at the commit
 * (@shop/db lockedTable). Every kind of row is inserted with the same columns, so a batch's
 * inserts are one statement.
 */
const shipments = lockedTable<Shipment, ShipmentRow>({
  table: 'shipments',
  key: 'order_id',
  keyType: 'uuid',
  keyOf: (shipment) => shipment.orderId,
  fromRecord: (row) => ({
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
  }),
  inserted: {
    columns: [
      ['order_id', 'uuid'],
      ['shipment_id', 'text'],
      ['status', 'text'],
      ['country', 'text'],
      ['address', 'jsonb'],
      ['items', 'jsonb'],
      ['reason', 'text'],
      ['detail', 'text'],
    ],
    values: (shipment) => [
      shipment.orderId,
      shipment.shipmentId,
      shipment.status,
      shipment.country,
      shipment.address && JSON.stringify(shipment.address),
      shipment.items && JSON.stringify(shipment.items),
      shipment.reason,
      shipment.detail,
    ],
  },
});

/** A new row's createdAt and updatedAt, as the rest of the batch sees them (the database sets its own). */
function timestamps(): Pick<Shipment, 'createdAt' | 'updatedAt'> {
  const now = new Date().toISOString();
  return { createdAt: now, updatedAt: now };
}

export const shipmentRepository = {
  /** Locks the shipments of these orders, in order id order, for the rest of the transaction: a batch's prepare step. */
  lockMany: shipments.lockMany,

  /** With forUpdate, locked for the rest of the transaction (from memory when the batch locked it already). */
  find: shipments.find,

  async recordCreated(tx: Queryable, request: ShipmentRequest, shipmentId: string): Promise<void> {
    await shipments.insert(tx, {
      orderId: request.orderId,
      shipmentId,
      status: 'CREATED',
      country: request.address.country,
      address: request.address,
      items: request.items,
      reason: null,
      detail: null,
      ...timestamps(),
    });
  },

  async recordRejected(tx: Queryable, request: ShipmentRequest, reason: RejectionReason, detail: string): Promise<void> {
    await shipments.insert(tx, {
      orderId: request.orderId,
      shipmentId: null,
      status: 'REJECTED',
      country: request.address.country,
      address: request.address,
      items: request.items,
      reason,
      detail,
      ...timestamps(),
    });
  },

  /** The marker a cancel leaves for an order never shipped, so a late create is refused. */
  async recordCancelled(tx: Queryable, orderId: string): Promise<void> {
    await shipments.insert(tx, {
      orderId,
      shipmentId: null,
      status: 'CANCELLED',
      country: null,
      address: null,
      items: null,
      reason: 'order-cancelled',
      detail: 'cancelled before a shipment was created',
      ...timestamps(),
    });
  },

  /** At once, after the batch's deferred inserts: the shipment may have been created earlier in this batch. */
  async markCancelled(tx: Queryable, orderId: string): Promise<void> {
    await shipments.updateNow(tx, orderId, `status = 'CANCELLED', updated_at = now()`, (shipment) => {
      shipment.status = 'CANCELLED';
    });
  },
};
