import { randomBytes } from 'node:crypto';
import { SERVICE_NAMES, serviceNamed, type ServiceName } from '@shop/catalog';
import { dropDatabase, dropRole } from '@shop/db';
import { deleteBrokerUsers, management, provisionBrokerUsers, provisionShopAccess, rabbitmqctl, type ServiceAccess } from './shop-access';

export interface TestInfrastructure {
  runId: string;
  vhost: string;
  /** The RabbitMQ URL of this run's own vhost, as an admin that no service is. */
  rabbitmqUrl: string;
  /**
   * A superuser's URL of this run's own database for a service (or any other name): the tests
   * read and change rows through it. Without `serviceAccess`, the service creates it on first use.
   */
  databaseUrl(service: string): string;
  /**
   * Provisions these catalog services as compose does, once each: a broker user in this run's
   * vhost with the service's permissions, and a role that owns the service's database here.
   */
  provision(services: readonly ServiceName[]): Promise<void>;
  /** The service's own credentials (provisioned on first call): what it runs with. */
  serviceAccess(service: ServiceName): Promise<ServiceAccess>;
  /** Deletes the vhost now, as an operator would: the broker closes every connection to it. */
  deleteVhost(): Promise<void>;
  /** Brings the deleted vhost back (empty), so clients can connect again. */
  restoreVhost(): Promise<void>;
  /** A PostgreSQL role name of this run's own (`shop_<runId>_<purpose>`), dropped by cleanup if something created it. */
  roleName(purpose: string): string;
  /** Deletes the vhost, the services' broker users, and every database and role this run made. */
  cleanup(): Promise<void>;
}

const baseRabbitUrl = () => process.env.RABBITMQ_URL || 'amqp://guest:guest@127.0.0.1:5672';
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
  const amqp = new URL(baseRabbitUrl());
  amqp.pathname = `/${encodeURIComponent(vhost)}`;
  await provisionBrokerUsers(amqp.toString(), {});
  const databases = new Set<string>();
  const roles = new Set<string>();
  let vhostDeleted = false;
  const accessByService = new Map<ServiceName, Promise<ServiceAccess>>();
  const infra: TestInfrastructure = {
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
    async provision(services: readonly ServiceName[]) {
      const missing = services.filter((name) => !accessByService.has(name));
      if (missing.length === 0) return;
      const provisioned = provisionShopAccess({
        rabbitmqUrl: amqp.toString(),
        postgresUrl: basePostgresUrl(),
        services: missing.map((name) => {
          const database = databaseName(infra, name);
          roles.add(database); // the role is named as the database it owns
          return { name, database };
        }),
      });
      for (const name of missing)
        accessByService.set(
          name,
          provisioned.then((access) => access[name]!),
        );
      await provisioned;
    },
    async serviceAccess(service: ServiceName) {
      await infra.provision([service]);
      return accessByService.get(service)!;
    },
    async deleteVhost() {
      vhostDeleted = true;
      await deleteVhost(vhost);
    },
    async restoreVhost() {
      // Deleting the vhost took the shared exchanges and the services' permissions with it; the
      // services keep their passwords, so that they reconnect by themselves.
      const passwords = await Promise.all(
        [...accessByService].map(async ([name, access]) => [name, decodeURIComponent(new URL((await access).rabbitmqUrl).password)]),
      );
      await provisionBrokerUsers(amqp.toString(), Object.fromEntries(passwords));
      vhostDeleted = false;
    },
    async cleanup() {
      await Promise.all([...databases].map((url) => dropDatabase(url)));
      for (const role of roles) await dropRole(basePostgresUrl(), role);
      if (!vhostDeleted) await deleteVhost(vhost);
      // `npm run stack` in this vhost provisions the same users (brokerUserName) as `provision` does.
      await deleteBrokerUsers(vhost, SERVICE_NAMES);
    },
  };
  return infra;
}

/** The name of a service's database in this run, registered for cleanup. */
function databaseName(infra: TestInfrastructure, service: ServiceName): string {
  return decodeURIComponent(new URL(infra.databaseUrl(serviceNamed(service).name)).pathname.slice(1));
}

async function deleteVhost(vhost: string): Promise<void> {
  if (await management('DELETE', `/api/vhosts/${encodeURIComponent(vhost)}`)) return;
  await rabbitmqctl(['delete_vhost', vhost]);
}
