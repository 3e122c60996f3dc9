import type pg from 'pg';

export interface PreparedStatementLimits {
  /** Uses of the same text on a connection before it is prepared; one-off statements are not. */
  threshold: number;
  /** Statements prepared per connection at most (each holds a plan in the server process); 0 turns preparing off. */
  max: number;
}

export const DEFAULT_PREPARED_STATEMENT_LIMITS: PreparedStatementLimits = { threshold: 5, max: 100 };

type QueryFunction = (...args: unknown[]) => unknown;

/**
 * Runs the statements a connection repeats as named (server-side) prepared statements, as pgjdbc
 * (prepareThreshold) and asyncpg (its statement cache) do and node-postgres does not: it parses
 * and plans every parameterised statement anew unless the caller names it. Parsing and planning
 * were about a fifth of PostgreSQL's CPU per order (decision 0012).
 *
 * Only `query(text, values[, callback])` is prepared, on the text's `threshold`-th use on this
 * connection, under a name of this connection's own, so two texts never share one. After `max`
 * statements, other texts run unnamed as before; statements are dropped with their connection
 * (the pool closes idle ones). Statements without parameters (BEGIN, COMMIT, DDL) are not prepared.
 */
export function prepareRepeatedStatements(
  client: pg.ClientBase,
  limits: PreparedStatementLimits = DEFAULT_PREPARED_STATEMENT_LIMITS,
): void {
  if (limits.max <= 0) return;
  const query = client.query.bind(client) as QueryFunction;
  // text → its name once prepared, or how often it ran before that
  const statements = new Map<string, string | number>();
  let prepared = 0;
  (client as { query: QueryFunction }).query = (...args: unknown[]) => {
    const [text, values] = args;
    if (typeof text !== 'string' || !Array.isArray(values)) return query(...args);
    const known = statements.get(text);
    if (typeof known === 'string') return query({ name: known, text, values }, ...args.slice(2));
    const uses = (known ?? 0) + 1;
    if (uses >= limits.threshold && prepared < limits.max) {
      prepared += 1;
      const name = `shop_${prepared}`;
      statements.set(text, name);
      return query({ name, text, values }, ...args.slice(2));
    }
    // Counting stops with the cache full, so one-off texts cannot grow the map without bound.
    if (prepared < limits.max && (known !== undefined || statements.size < limits.max * 10)) statements.set(text, uses);
    return query(...args);
  };
}
