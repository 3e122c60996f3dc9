import type { OrderItem, ShippingAddress } from '@shop/contracts';
import type { Queryable } from '@shop/db';

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

export const shipmentRepository = {
  async find(db: Queryable, orderId: string, { forUpdate = false } = {}): Promise<Shipment | undefined> {
    const { rows } = await db.query<ShipmentRow>(`SELECT * FROM shipments WHERE order_id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [orderId]);
    return rows[0] && toShipment(rows[0]);
  },

  async recordCreated(tx: Queryable, request: ShipmentRequest, shipmentId: string): Promise<void> {
    await tx.query(
      `INSERT INTO shipments (order_id, shipment_id, status, country, address, items) VALUES ($1, $2, 'CREATED', $3, $4, $5)`,
      [request.orderId, shipmentId, request.address.country, JSON.stringify(request.address), JSON.stringify(request.items)],
    );
  },

  async recordRejected(tx: Queryable, request: ShipmentRequest, reason: RejectionReason, detail: string): Promise<void> {
    await tx.query(
      `INSERT INTO shipments (order_id, status, country, address, items, reason, detail) VALUES ($1, 'REJECTED', $2, $3, $4, $5, $6)`,
      [request.orderId, request.address.country, JSON.stringify(request.address), JSON.stringify(request.items), reason, detail],
    );
  },

  /** The marker a cancel leaves for an order never shipped, so a late create is refused. */
  async recordCancelled(tx: Queryable, orderId: string): Promise<void> {
    await tx.query(
      `INSERT INTO shipments (order_id, status, reason, detail) VALUES ($1, 'CANCELLED', 'order-cancelled', 'cancelled before a shipment was created')`,
      [orderId],
    );
  },

  async markCancelled(tx: Queryable, orderId: string): Promise<void> {
    await tx.query(`UPDATE shipments SET status = 'CANCELLED', updated_at = now() WHERE order_id = $1`, [orderId]);
  },
};
