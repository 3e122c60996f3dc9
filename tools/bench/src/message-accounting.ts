import pg from 'pg';

export interface Counters {
  /** Messages consumed: one inbox row per message and consumer. */
  handled: number;
  /** pg_stat_database.xact_commit of the five databases. */
  commits: number;
}

async function one(url: string, sql: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>(sql)).rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

export async function readCounters(databaseUrls: string[]): Promise<Counters> {
  let handled = 0;
  let commits = 0;
  for (const url of databaseUrls) {
    handled += await one(url, 'SELECT count(*) AS n FROM inbox');
    commits += await one(url, 'SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()');
  }
  return { handled, commits };
}
