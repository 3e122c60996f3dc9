import pg from 'pg';
import type { ServiceName } from '@shop/catalog';
import type { Charge } from '@shop/payment-provider';
import type { ReceivedEmail } from '@shop/testing';
import type { PlacedOrder } from './order-load';
import { checkPayments, type Check, type PaymentRow } from './payment-invariants';

export interface InvariantResult {
  invariant: string;
  ok: boolean;
  detail: string;
  /** Every offender, with what the books say about it (the detail shows a few). */
  bad: string[];
}

/** Every catalog service's database; the checks read the books of the services they know. */
export type DatabaseUrls = Record<ServiceName, string>;

/** One query on a fresh connection: the checks run while services may be restarting. */
export async function rows<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

interface OrderRow {
  id: string;
  status: string;
  total_cents: number | null;
  lines: Array<{ sku: string; quantity: number }> | null;
}

const sample = (ids: string[]) => (ids.length === 0 ? '' : ` e.g. ${ids.slice(0, 3).join(', ')}`);

/**
 * The chaos run's verdict, read straight from each service's database, the card provider's
 * ledger (or why it could not be read) and the SMTP sink, not from the services' APIs: what the
 * business would audit after an incident.
 */
export async function checkInvariants(
  urls: DatabaseUrls,
  placed: PlacedOrder[],
  emails: ReceivedEmail[],
  ledger: Charge[] | Error,
): Promise<InvariantResult[]> {
  const results: InvariantResult[] = [];
  const check: Check = (invariant, bad, okDetail, badDetail) =>
    results.push({
      invariant,
      ok: bad.length === 0,
      detail: bad.length === 0 ? okDetail : `${bad.length} ${badDetail}${sample(bad)}`,
      bad,
    });

  const orders = await rows<OrderRow>(urls.order, 'SELECT id, status, total_cents, lines FROM orders');
  const byId = new Map(orders.map((o) => [o.id, o]));
  const confirmed = orders.filter((o) => o.status === 'CONFIRMED');
  const cancelled = orders.filter((o) => o.status === 'CANCELLED');

  check(
    'every placed order exists once',
    placed.filter((p) => !byId.has(p.orderId)).map((p) => p.orderId),
    `${placed.length} placed, ${orders.length} stored`,
    'placed orders missing',
  );
  check(
    'every order reached CONFIRMED or CANCELLED',
    orders.filter((o) => o.status === 'PENDING').map((o) => o.id),
    `${confirmed.length} confirmed, ${cancelled.length} cancelled`,
    'still PENDING',
  );

  if (ledger instanceof Error) {
    results.push({ invariant: "the provider's ledger was read", ok: false, detail: ledger.message, bad: [] });
  } else {
    const payments = await rows<PaymentRow>(urls.payment, 'SELECT order_id, status, amount_cents, charge_id, refunded_cents FROM payments');
    checkPayments(check, { confirmed, cancelled }, payments, ledger);
  }

  const products = await rows<{ sku: string; stock: number; initial_stock: number }>(
    urls.inventory,
    'SELECT sku, stock, initial_stock FROM products',
  );
  const sold = new Map<string, number>();
  for (const order of confirmed) for (const line of order.lines ?? []) sold.set(line.sku, (sold.get(line.sku) ?? 0) + line.quantity);
  check(
    'stock conserved: initial - confirmed quantities = final',
    products
      .filter((p) => p.initial_stock - (sold.get(p.sku) ?? 0) !== p.stock)
      .map((p) => `${p.sku} (${p.initial_stock} - ${sold.get(p.sku) ?? 0} != ${p.stock})`),
    products.map((p) => `${p.sku} -${sold.get(p.sku) ?? 0}`).join(', '),
    'SKUs off',
  );
  const reservations = await rows<{ order_id: string; status: string }>(urls.inventory, 'SELECT order_id, status FROM reservations');
  const reservationOf = new Map(reservations.map((r) => [r.order_id, r.status]));
  check(
    'no reservation of a cancelled order remains',
    cancelled.filter((o) => reservationOf.get(o.id) === 'RESERVED').map((o) => o.id),
    'none held',
    'cancelled orders still holding stock',
  );

  const shipments = await rows<{ order_id: string; status: string }>(urls.warehouse, 'SELECT order_id, status FROM shipments');
  const shipmentOf = new Map(shipments.map((s) => [s.order_id, s.status]));
  check(
    'exactly one shipment per confirmed order',
    confirmed.filter((o) => shipmentOf.get(o.id) !== 'CREATED').map((o) => o.id),
    `${confirmed.length} shipped`,
    'confirmed orders without a shipment',
  );
  check(
    'no active shipment for a cancelled order',
    cancelled.filter((o) => shipmentOf.get(o.id) === 'CREATED').map((o) => o.id),
    'none active',
    'cancelled orders still shipping',
  );

  // One email is one Message-ID. The email service sends, then commits; a crash between the SMTP
  // server's acceptance and the commit delivers the same message (same Message-ID) again, which
  // mail clients show once. Those redeliveries are counted and shown, not hidden.
  const messagesPerOrder = new Map<string, Set<string>>();
  let redeliveries = 0;
  for (const email of emails) {
    const id = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(email.subject)?.[0];
    if (!id) continue;
    const messages = messagesPerOrder.get(id) ?? new Set<string>();
    if (messages.has(email.messageId)) redeliveries += 1;
    messages.add(email.messageId);
    messagesPerOrder.set(id, messages);
  }
  check(
    'exactly one email (Message-ID) per order',
    orders.filter((o) => messagesPerOrder.get(o.id)?.size !== 1).map((o) => `${o.id} (${messagesPerOrder.get(o.id)?.size ?? 0})`),
    `${orders.length} orders, ${orders.length} distinct emails${redeliveries ? `; ${redeliveries} delivered twice by SMTP (email service killed between the server's acceptance and its commit)` : ''}`,
    'orders without exactly one email',
  );
  return results;
}
