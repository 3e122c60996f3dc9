import { happens } from './behaviour';
import type { DeclineCode } from './provider-objects';

/** What a test payment token does, as the shop's README lists them. */
export type TokenOutcome =
  | { kind: 'approve' }
  | { kind: 'decline'; code: DeclineCode; message: string }
  /** A provider that never processed the request: no answer, nothing booked. */
  | { kind: 'never-answer' };

const DECLINED: TokenOutcome = { kind: 'decline', code: 'card_declined', message: 'Your card was declined.' };

const TOKENS: ReadonlyMap<string, TokenOutcome> = new Map<string, TokenOutcome>([
  ['tok_visa', { kind: 'approve' }],
  ['tok_mastercard', { kind: 'approve' }],
  ['tok_chargeDeclined', DECLINED],
  ['tok_insufficientFunds', { kind: 'decline', code: 'insufficient_funds', message: 'Your card has insufficient funds.' }],
  ['tok_timeout', { kind: 'never-answer' }],
]);

export function outcomeForToken(token: string, declineRate: number, random: () => number = Math.random): TokenOutcome {
  const outcome = TOKENS.get(token) ?? {
    kind: 'decline',
    code: 'invalid_payment_method',
    message: `No such payment method: '${token}'.`,
  };
  return outcome.kind === 'approve' && happens(declineRate, random) ? DECLINED : outcome;
}
