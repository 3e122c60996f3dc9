import type pg from 'pg';
import { untracedQuery } from './query-spans';

type QueryFunction = (...args: unknown[]) => unknown;
const pending = Symbol('pendingBegin');
const installed = Symbol('beginsOnFirstStatement');
type StartingClient = pg.ClientBase & { [pending]?: () => Promise<unknown>; [installed]?: true };

/**
 * Installed once on each connection (createPool), outermost: while a transaction run by
 * `withTransaction` has not started yet, the first statement sent on the connection sends BEGIN
 * before it. A transaction that never sends a statement of its own (only deferred writes, as an
 * order placed without an Idempotency-Key) then needs no BEGIN at all; see `TransactionStart`.
 */
export function beginOnFirstStatement(client: pg.ClientBase): void {
  const starting = client as StartingClient;
  if (starting[installed]) return;
  starting[installed] = true;
  const query = client.query.bind(client) as QueryFunction;
  (client as { query: QueryFunction }).query = (...args: unknown[]) => {
    const begin = starting[pending];
    if (!begin) return query(...args);
    const begun = begin();
    // A callback or a Submittable (cursor, stream) expects pg's own return value: the connection
    // sends its statements in order, so this one still follows the BEGIN, whose failure the
    // transaction sees when it awaits the BEGIN before its COMMIT.
    if (args.some((arg) => typeof arg === 'function') || typeof (args[0] as { submit?: unknown })?.submit === 'function') {
      begun.catch(() => undefined);
      return query(...args);
    }
    return begun.then(() => query(...args));
  };
}

/**
 * A transaction's BEGIN, sent when the transaction first needs it: when its work sends a statement.
 * On a connection `beginOnFirstStatement` was not installed on (a pool not made by createPool),
 * `waits` is false and the caller sends it at once.
 */
export class TransactionStart {
  private begun: Promise<unknown> | undefined;
  /** Whether the first statement will send BEGIN by itself. */
  readonly waits: boolean;

  constructor(private readonly client: pg.ClientBase) {
    this.waits = (client as StartingClient)[installed] === true;
    if (this.waits) (client as StartingClient)[pending] = () => this.now();
  }

  /** Whether BEGIN was sent: only then is there a transaction to COMMIT or ROLL BACK. */
  get sent(): boolean {
    return this.begun !== undefined;
  }

  /** Sends BEGIN if it was not sent yet, and waits for it. */
  now(): Promise<unknown> {
    (this.client as StartingClient)[pending] = undefined;
    return (this.begun ??= untracedQuery(this.client, 'BEGIN'));
  }

  /** The transaction will not start on its own any more: statements sent from now on run outside it. */
  settle(): void {
    (this.client as StartingClient)[pending] = undefined;
  }
}
