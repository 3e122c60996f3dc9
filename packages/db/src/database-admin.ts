import pg from 'pg';

export function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`unsupported database name in ${url}: use letters, digits, _ and -`);
  return name;
}

function maintenanceUrl(url: string): string {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  return admin.toString();
}

async function withAdminClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: maintenanceUrl(url), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates the database named in `url` when it does not exist yet. Safe to call concurrently. It
 * first connects to the database itself, so a service whose role owns a provisioned database
 * (and may connect to no other, `postgres` included) never needs the maintenance database.
 */
export async function ensureDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  const own = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await own.connect();
    return;
  } catch (error) {
    // 3D000 invalid_catalog_name: the database does not exist yet.
    if ((error as { code?: string }).code !== '3D000') throw error;
  } finally {
    await own.end().catch(() => undefined);
  }
  await withAdminClient(url, async (client) => {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return;
    try {
      await client.query(`CREATE DATABASE "${name}"`);
    } catch (error) {
      // 42P04 duplicate_database, 23505 unique_violation: another process created it meanwhile.
      const code = (error as { code?: string }).code;
      if (code !== '42P04' && code !== '23505') throw error;
    }
  });
}

export interface DatabaseOwner {
  database: string;
  role: string;
  password: string;
}

/**
 * Gives a service its own role and database, as a superuser at `adminUrl`: the role (created, or
 * its password set) owns the database (created when missing) and everything in its public
 * schema, so the service runs its migrations itself; CONNECT and TEMPORARY are revoked from
 * PUBLIC, so no other role but superusers can connect to it. A database that existed with
 * another owner (made before roles were used) is handed over, its objects included.
 */
export async function provisionDatabaseOwner(adminUrl: string, { database, role, password }: DatabaseOwner): Promise<void> {
  const databaseUrl = new URL(adminUrl);
  databaseUrl.pathname = `/${database}`;
  databaseName(databaseUrl.toString());
  await withAdminClient(adminUrl, async (client) => {
    const quotedRole = client.escapeIdentifier(role);
    const quotedDatabase = client.escapeIdentifier(database);
    const existing = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    await client.query(
      `${existing.rowCount ? 'ALTER' : 'CREATE'} ROLE ${quotedRole} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${client.escapeLiteral(password)}`,
    );
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount) await client.query(`ALTER DATABASE ${quotedDatabase} OWNER TO ${quotedRole}`);
    else await client.query(`CREATE DATABASE ${quotedDatabase} OWNER ${quotedRole}`);
    await client.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${quotedDatabase} FROM PUBLIC`);
  });
  const inside = new pg.Client({ connectionString: databaseUrl.toString(), connectionTimeoutMillis: 5_000 });
  await inside.connect();
  try {
    const objects = await inside.query<{ statement: string }>(
      `SELECT format('ALTER %s %I.%I OWNER TO %I', CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END, n.nspname, c.relname, $1::text) AS statement
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND pg_get_userbyid(c.relowner) <> $1
          -- A sequence a column owns (serial, identity) follows its table.
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
       UNION ALL
       SELECT format('ALTER ROUTINE %I.%I(%s) OWNER TO %I', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), $1::text)
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> $1
       UNION ALL
       SELECT format('ALTER TYPE %I.%I OWNER TO %I', n.nspname, t.typname, $1::text)
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'c') AND pg_get_userbyid(t.typowner) <> $1
          AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c')`,
      [role],
    );
    for (const { statement } of objects.rows) await inside.query(statement);
  } finally {
    await inside.end();
  }
}

export async function dropDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  await withAdminClient(url, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

/** Drops a role on the server of `url` (a test's own), when it exists. */
export async function dropRole(url: string, role: string): Promise<void> {
  await withAdminClient(url, (client) => client.query(`DROP ROLE IF EXISTS ${client.escapeIdentifier(role)}`));
}
