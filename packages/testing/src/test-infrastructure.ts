import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { dropDatabase, dropRole } from '@shop/db';

const run = promisify(execFile);

export interface TestInfrastructure {
  runId: string;
  vhost: string;
  /** The RabbitMQ URL of this run's own vhost. */
  rabbitmqUrl: string;
  /** This run's own database for a service, created on first use by the service itself. */
  databaseUrl(service: string): string;
  /** Deletes the vhost now, as an operator would: the broker closes every connection to it. */
  deleteVhost(): Promise<void>;
  /** Brings the deleted vhost back (empty), so clients can connect again. */
  restoreVhost(): Promise<void>;
  /** A PostgreSQL role name of this run's own (`shop_<runId>_<purpose>`), dropped by cleanup if something created it. */
  roleName(purpose: string): string;
  /** Deletes the vhost and every database and role this run made. */
  cleanup(): Promise<void>;
}

const baseRabbitUrl = () => process.env.RABBITMQ_URL || 'amqp://guest:guest@127.0.0.1:5672';
const managementUrl = () => process.env.RABBITMQ_MANAGEMENT_URL || 'http://guest:guest@127.0.0.1:15672';
const basePostgresUrl = () => process.env.POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A RabbitMQ vhost and a set of databases of this run's own, so runs left over or running in
 * parallel never see each other's messages or rows. Uses the management API when it answers and
 * `rabbitmqctl` otherwise.
 */
export async function createTestInfrastructure(label = 'test'): Promise<TestInfrastructure> {
  const runId = `${label
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  const vhost = `shop-${runId}`;
  const user = decodeURIComponent(new URL(baseRabbitUrl()).username || 'guest');
  await createVhost(vhost, user);
  const amqp = new URL(baseRabbitUrl());
  amqp.pathname = `/${encodeURIComponent(vhost)}`;
  const databases = new Set<string>();
  const roles = new Set<string>();
  let vhostDeleted = false;
  return {
    runId,
    vhost,
    rabbitmqUrl: amqp.toString(),
    databaseUrl(service: string) {
      const url = new URL(basePostgresUrl());
      url.pathname = `/shop_${runId}_${service}`;
      databases.add(url.toString());
      return url.toString();
    },
    roleName(purpose: string) {
      const role = `shop_${runId}_${purpose}`;
      roles.add(role);
      return role;
    },
    async deleteVhost() {
      vhostDeleted = true;
      await deleteVhost(vhost);
    },
    async restoreVhost() {
      await createVhost(vhost, user);
      vhostDeleted = false;
    },
    async cleanup() {
      await Promise.all([...databases].map((url) => dropDatabase(url)));
      for (const role of roles) await dropRole(basePostgresUrl(), role);
      if (!vhostDeleted) await deleteVhost(vhost);
    },
  };
}

async function management(method: 'PUT' | 'DELETE', path: string, body?: unknown): Promise<boolean> {
  const base = new URL(managementUrl());
  const auth = Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64');
  base.username = '';
  base.password = '';
  try {
    const response = await fetch(new URL(path, base), {
      method,
      headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    });
    if (!response.ok && response.status !== 404) throw new Error(`RabbitMQ management ${method} ${path}: ${response.status}`);
    return true;
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('RabbitMQ management')) throw error;
    return false; // not reachable: fall back to rabbitmqctl
  }
}

async function createVhost(vhost: string, user: string): Promise<void> {
  const encoded = encodeURIComponent(vhost);
  if (await management('PUT', `/api/vhosts/${encoded}`, {})) {
    await management('PUT', `/api/permissions/${encoded}/${encodeURIComponent(user)}`, { configure: '.*', write: '.*', read: '.*' });
    return;
  }
  await rabbitmqctl(['add_vhost', vhost]);
  await rabbitmqctl(['set_permissions', '-p', vhost, user, '.*', '.*', '.*']);
}

async function deleteVhost(vhost: string): Promise<void> {
  if (await management('DELETE', `/api/vhosts/${encodeURIComponent(vhost)}`)) return;
  await rabbitmqctl(['delete_vhost', vhost]);
}

async function rabbitmqctl(args: string[]): Promise<void> {
  try {
    await run('rabbitmqctl', ['-q', ...args], { timeout: 30_000 });
  } catch (error) {
    throw new Error(
      `could not run rabbitmqctl ${args.join(' ')} (${error instanceof Error ? error.message : String(error)}). ` +
        'Tests need either the RabbitMQ management API (RABBITMQ_MANAGEMENT_URL, default http://guest:guest@127.0.0.1:15672) or rabbitmqctl on the PATH.',
      { cause: error },
    );
  }
}
