import { randomBytes } from 'node:crypto';

/** Stripe-like ids: a type prefix and 24 random hex digits. */
export function newId(prefix: 'ch' | 're'): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

export function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
