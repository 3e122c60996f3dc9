import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brokerDefinitions, brokerUserName, databaseRoleName, type BrokerDefinitions } from '@shop/catalog';
import { provisionDatabaseOwner } from '@shop/db';

/** The credentials a service runs with: its own broker user in the vhost, its own role owning its database. */
export interface ServiceAccess {
  rabbitmqUrl: string;
  databaseUrl: string;
}

export interface ShopAccessRequest {
  /** An admin's URL of the vhost (its user gets every permission there, and is no service's). */
  rabbitmqUrl: string;
  /** A superuser's URL on the PostgreSQL server. */
  postgresUrl: string;
  /** Each service to provision, with the database it owns. */
  services: ReadonlyArray<{ name: string; database: string }>;
}

const managementUrl = () => process.env.RABBITMQ_MANAGEMENT_URL || 'http://guest:guest@127.0.0.1:15672';

/**
 * Provisions what compose's definitions and init script provision, on a running broker and
 * server: the vhost with its exchanges, a RabbitMQ user per service with the permissions the
 * catalog gives it (`brokerDefinitions`, the same as infra/rabbitmq/definitions.json), and a
 * PostgreSQL role per service that owns its database. Each run gives every user a new random
 * password. Returns each service's URLs.
 */
export async function provisionShopAccess(request: ShopAccessRequest): Promise<Record<string, ServiceAccess>> {
  const passwords = Object.fromEntries(request.services.map(({ name }) => [name, newPassword()]));
  await provisionBrokerUsers(request.rabbitmqUrl, passwords);
  const vhost = vhostOf(request.rabbitmqUrl);
  const access = await Promise.all(
    request.services.map(async ({ name, database }) => {
      const role = databaseRoleName(database);
      const password = newPassword();
      await provisionDatabaseOwner(request.postgresUrl, { database, role, password });
      const rabbitmqUrl = new URL(request.rabbitmqUrl);
      rabbitmqUrl.username = encodeURIComponent(brokerUserName(vhost, name));
      rabbitmqUrl.password = passwords[name]!;
      const databaseUrl = new URL(request.postgresUrl);
      databaseUrl.username = encodeURIComponent(role);
      databaseUrl.password = password;
      databaseUrl.pathname = `/${database}`;
      return [name, { rabbitmqUrl: rabbitmqUrl.toString(), databaseUrl: databaseUrl.toString() }] as const;
    }),
  );
  return Object.fromEntries(access);
}

/**
 * The vhost of an admin's URL, with its shared exchanges and every permission there for that
 * admin, and a user per service named in `passwords` with that password and the catalog's
 * permissions. Run again, it changes the passwords and restores whatever was deleted.
 */
export async function provisionBrokerUsers(rabbitmqUrl: string, passwords: Readonly<Record<string, string>>): Promise<void> {
  const admin = decodeURIComponent(new URL(rabbitmqUrl).username || 'guest');
  await importDefinitions(brokerDefinitions({ vhost: vhostOf(rabbitmqUrl), passwords, admin: { user: admin } }));
}

/** The vhost a URL names (`/` when it names none). */
export function vhostOf(rabbitmqUrl: string): string {
  return decodeURIComponent(new URL(rabbitmqUrl).pathname.slice(1)) || '/';
}

/** Removes the broker users of these services in a vhost; users that do not exist are skipped. */
export async function deleteBrokerUsers(vhost: string, services: readonly string[]): Promise<void> {
  const users = services.map((name) => brokerUserName(vhost, name));
  for (const user of users) {
    if (await management('DELETE', `/api/users/${encodeURIComponent(user)}`)) continue;
    await rabbitmqctl(['delete_user', user]).catch((error: unknown) => {
      if (!/no_such_user|does not exist/i.test(String(error))) throw error;
    });
  }
}

/** A password that is safe in a URL as it is. */
function newPassword(): string {
  return randomBytes(18).toString('base64url');
}

/**
 * Through the management API when it answers, `rabbitmqctl import_definitions` otherwise. For
 * rabbitmqctl the definitions (passwords included) go into a file only the user rabbitmqctl runs
 * as can read: root's rabbitmqctl runs as the rabbitmq user, so a root process hands it the file.
 */
async function importDefinitions(definitions: BrokerDefinitions): Promise<void> {
  if (await management('POST', '/api/definitions', definitions)) return;
  const folder = await mkdtemp(path.join(tmpdir(), 'shop-definitions-'));
  const file = path.join(folder, 'definitions.json');
  try {
    await writeFile(file, JSON.stringify(definitions), { mode: 0o600 });
    const rabbitmqUser = process.getuid?.() === 0 ? await userIds('rabbitmq') : undefined;
    if (rabbitmqUser) {
      await chown(folder, rabbitmqUser.uid, rabbitmqUser.gid);
      await chown(file, rabbitmqUser.uid, rabbitmqUser.gid);
    }
    await rabbitmqctl(['import_definitions', file]);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

async function userIds(name: string): Promise<{ uid: number; gid: number } | undefined> {
  const id = (flag: string) =>
    new Promise<number | undefined>((resolve) =>
      execFile('id', [flag, name], (error, stdout) => resolve(error ? undefined : Number(String(stdout).trim()))),
    );
  const [uid, gid] = await Promise.all([id('-u'), id('-g')]);
  return uid === undefined || gid === undefined ? undefined : { uid, gid };
}

/** True when the management API answered (and the call succeeded), false when it is not reachable. */
export async function management(method: 'PUT' | 'POST' | 'DELETE', apiPath: string, body?: unknown): Promise<boolean> {
  const base = new URL(managementUrl());
  const auth = Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64');
  base.username = '';
  base.password = '';
  let response: Response;
  try {
    response = await fetch(new URL(apiPath, base), {
      method,
      headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch {
    return false; // not reachable: fall back to rabbitmqctl
  }
  if (!response.ok && response.status !== 404) {
    throw new Error(`RabbitMQ management ${method} ${apiPath}: ${response.status} ${(await response.text()).slice(0, 300)}`);
  }
  return true;
}

export async function rabbitmqctl(args: string[], input?: string): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      const child = execFile('rabbitmqctl', ['-q', ...args], { timeout: 30_000 }, (error) => (error ? reject(error) : resolve()));
      child.stdin?.end(input ?? '');
    });
  } catch (error) {
    throw new Error(
      `could not run rabbitmqctl ${args[0]} (${error instanceof Error ? error.message : String(error)}). ` +
        'Provisioning needs either the RabbitMQ management API (RABBITMQ_MANAGEMENT_URL, default http://guest:guest@127.0.0.1:15672) or rabbitmqctl on the PATH.',
      { cause: error },
    );
  }
}
