import { IdempotencyStore, type IdempotencyRecord } from './idempotency';
import { appendLedgerEntry, prepareLedgerFile, readLedgerFile, type LedgerEntry } from './ledger-file';
import type { Charge, Refund } from './provider-objects';

export interface LedgerPage {
  data: Charge[];
  hasMore: boolean;
}

/**
 * Every charge and refund the provider booked, in memory, with the answers their idempotency keys
 * replay. With a file, each booking is appended before it is answered and replayed at start, so a
 * restarted provider still knows its charges, as a real one would.
 */
export class Ledger {
  readonly idempotency = new IdempotencyStore();
  private readonly chargesById = new Map<string, Charge>();
  private readonly chargeIdsByKey = new Map<string, string>();
  /** Creation order, for paging; positions make starting_after a lookup rather than a scan. */
  private readonly order: string[] = [];
  private readonly positions = new Map<string, number>();
  private readonly refundsById = new Map<string, Refund>();

  private constructor(private readonly file: string | undefined) {}

  static open(file?: string): Ledger {
    const ledger = new Ledger(file);
    if (file) {
      prepareLedgerFile(file);
      for (const entry of readLedgerFile(file)) ledger.apply(entry);
    }
    return ledger;
  }

  bookCharge(charge: Charge, idempotency: IdempotencyRecord): void {
    this.book({ kind: 'charge', charge, idempotency });
  }

  /** `charge` is the refunded charge's new state. */
  bookRefund(refund: Refund, charge: Charge, idempotency: IdempotencyRecord): void {
    this.book({ kind: 'refund', refund, charge, idempotency });
  }

  charge(id: string): Charge | undefined {
    return this.chargesById.get(id);
  }

  chargeByKey(key: string): Charge | undefined {
    const id = this.chargeIdsByKey.get(key);
    return id === undefined ? undefined : this.chargesById.get(id);
  }

  refund(id: string): Refund | undefined {
    return this.refundsById.get(id);
  }

  /** Undefined when `startingAfter` names no charge. */
  page(limit: number, startingAfter?: string): LedgerPage | undefined {
    let start = 0;
    if (startingAfter !== undefined) {
      const position = this.positions.get(startingAfter);
      if (position === undefined) return undefined;
      start = position + 1;
    }
    const ids = this.order.slice(start, start + limit);
    return { data: ids.flatMap((id) => this.chargesById.get(id) ?? []), hasMore: start + limit < this.order.length };
  }

  private book(entry: LedgerEntry): void {
    // Written first: if the disk refuses, nothing is booked and the request fails.
    if (this.file) appendLedgerEntry(this.file, entry);
    this.apply(entry);
  }

  private apply(entry: LedgerEntry): void {
    const { charge } = entry;
    if (!this.chargesById.has(charge.id)) {
      this.positions.set(charge.id, this.order.length);
      this.order.push(charge.id);
      this.chargeIdsByKey.set(charge.idempotency_key, charge.id);
    }
    this.chargesById.set(charge.id, charge);
    if (entry.kind === 'refund') this.refundsById.set(entry.refund.id, entry.refund);
    this.idempotency.remember(entry.idempotency);
  }
}
