import type { Pool } from './pool';
import { withTransaction } from './pool';

export interface Migration {
  /** Unique and ordered: `0001-orders`. Never edit one that has shipped; add a new one. */
  id: string;
  sql: string;
}

// Any constant works; it only has to be the same for every process migrating the same database.
const MIGRATION_LOCK = 72_410_001;

/**
 * Applies the migrations not applied yet, in order and in one transaction (all or none), under an
 * advisory lock so that several replicas starting together do not race.
 */
export async function migrate(pool: Pool, migrations: readonly Migration[]): Promise<string[]> {
  const ids = migrations.map((m) => m.id);
  if (new Set(ids).size !== ids.length) throw new Error(`duplicate migration ids: ${ids.join(', ')}`);
  return withTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const done = new Set((await client.query<{ id: string }>('SELECT id FROM schema_migrations')).rows.map((r) => r.id));
    const applied: string[] = [];
    for (const migration of migrations) {
      if (done.has(migration.id)) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (id) VALUES ($1)', [migration.id]);
      applied.push(migration.id);
    }
    return applied;
  });
}
