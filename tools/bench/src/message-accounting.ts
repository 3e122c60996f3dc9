import { withClient } from './database-client';

export interface Counters {
  /** Messages consumed: one inbox row per message and consumer. */
  handled: number;
  /** pg_stat_database.xact_commit of the five databases. */
  commits: number;
}

const one = (url: string, sql: string): Promise<number> =>
  withClient(url, async (client) => Number((await client.query<{ n: string }>(sql)).rows[0]?.n ?? 0));

export async function readCounters(databaseUrls: string[]): Promise<Counters> {
  let handled = 0;
  let commits = 0;
  for (const url of databaseUrls) {
    handled += await one(url, 'SELECT count(*) AS n FROM inbox');
    commits += await one(url, 'SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()');
  }
  return { handled, commits };
}
