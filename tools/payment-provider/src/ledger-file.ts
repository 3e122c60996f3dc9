import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { IdempotencyRecord } from './idempotency';
import type { Charge, Refund } from './provider-objects';

/**
 * One line per booking. A refund and its charge's new amount_refunded share a line, so a crash
 * between two writes can never leave a refund without its effect on the charge.
 */
export type LedgerEntry =
  | { kind: 'charge'; charge: Charge; idempotency: IdempotencyRecord }
  | { kind: 'refund'; refund: Refund; charge: Charge; idempotency: IdempotencyRecord };

export function readLedgerFile(file: string): LedgerEntry[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n');
  const entries: LedgerEntry[] = [];
  lines.forEach((line, index) => {
    if (!line.trim()) return;
    try {
      const entry = JSON.parse(line) as { kind?: unknown };
      if (entry.kind !== 'charge' && entry.kind !== 'refund') throw new Error(`unknown kind ${JSON.stringify(entry.kind)}`);
      entries.push(entry as LedgerEntry);
    } catch (error) {
      // A line cut short by a crash mid-write can only be the last one: its booking never answered.
      if (index === lines.length - 1) return;
      throw new Error(`ledger file ${file}, line ${index + 1}: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
  });
  return entries;
}

export function prepareLedgerFile(file: string): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
}

/** Synchronous on purpose: the booking is on disk before its answer leaves. */
export function appendLedgerEntry(file: string, entry: LedgerEntry): void {
  appendFileSync(file, `${JSON.stringify(entry)}\n`);
}
