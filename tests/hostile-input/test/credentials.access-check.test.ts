import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import amqp, { type ChannelModel } from 'amqplib';
import pg from 'pg';
import { queueOf, SERVICE_NAMES, serviceCatalog, serviceNamed, type ServiceName } from '@shop/catalog';
import { Exchanges, QueueNames, type MessageContract } from '@shop/contracts';
import { createTestInfrastructure, type ServiceAccess, type TestInfrastructure } from '@shop/testing';

/**
 * Each service's credentials, as provisioned from the catalog (the same definitions compose
 * loads), tried against the real broker and database on everything that is not the service's
 * own: every routing key it does not publish, every other queue, the shared topology and every
 * other database. Each must be refused; what is its own must work.
 */

const ALL_CONTRACTS: MessageContract[] = [
  ...new Map(
    serviceCatalog
      .flatMap((service) => [...service.publishes, ...service.consumes.flatMap(({ messages }) => messages)])
      .map((c) => [c.type, c]),
  ).values(),
];

/** The broker's refusal (403 ACCESS_REFUSED) of what `attempt` does on a fresh channel, or undefined when it was allowed. */
async function refusal(connection: ChannelModel, attempt: (channel: amqp.ConfirmChannel) => Promise<unknown>): Promise<string | undefined> {
  const channel = await connection.createConfirmChannel();
  let closedWith: string | undefined;
  channel.on('error', (error: Error) => (closedWith = error.message));
  try {
    await attempt(channel);
    // A publish is refused asynchronously: the confirm never comes and the channel closes.
    await channel.waitForConfirms();
  } catch (error) {
    closedWith ??= (error as Error).message;
  }
  if (closedWith === undefined) await channel.close();
  return closedWith;
}

/** Each service tries on its own connection, all at once. */
const forEachService = (attempts: (name: ServiceName) => Promise<void>) => Promise.all(SERVICE_NAMES.map(attempts));

const assertRefused = (message: string | undefined, what: string) =>
  assert.match(message ?? 'allowed', /ACCESS_REFUSED|403/, `${what} was not refused: ${message ?? 'it was allowed'}`);

describe("each service's credentials reach only what is its own", () => {
  let infra: TestInfrastructure;
  const access = {} as Record<ServiceName, ServiceAccess>;
  const connections = {} as Record<ServiceName, ChannelModel>;

  before(async () => {
    infra = await createTestInfrastructure('access');
    await infra.provision(SERVICE_NAMES);
    for (const name of SERVICE_NAMES) {
      access[name] = await infra.serviceAccess(name);
      connections[name] = await amqp.connect(access[name].rabbitmqUrl);
    }
  });

  after(async () => {
    await Promise.allSettled(Object.values(connections).map((connection) => connection.close()));
    await infra?.cleanup();
  });

  test('when a service declares its own queues, binds them to its contracts and parks a message, then the broker allows it', async () => {
    for (const name of SERVICE_NAMES) {
      const queue = queueOf(name);
      const own = await refusal(connections[name], async (channel) => {
        await channel.assertExchange(QueueNames.park(queue), 'direct', { durable: true });
        await channel.assertQueue(QueueNames.deadLetter(queue), { durable: true });
        await channel.assertQueue(queue, { durable: true, arguments: { 'x-dead-letter-exchange': QueueNames.park(queue) } });
        await channel.assertQueue(QueueNames.retry(queue, 50), {
          durable: true,
          arguments: { 'x-dead-letter-exchange': QueueNames.park(queue) },
        });
        await channel.bindQueue(QueueNames.deadLetter(queue), QueueNames.park(queue), QueueNames.deadLetter(queue));
        for (const contract of serviceNamed(name).consumes[0]!.messages)
          await channel.bindQueue(queue, contract.exchange, contract.routingKey);
        channel.publish(QueueNames.park(queue), QueueNames.deadLetter(queue), Buffer.from('parked'));
        await channel.consume(queue, () => undefined);
      });
      assert.equal(own, undefined, `${name} could not set up its own queues`);
    }
  });

  test('when a service publishes a routing key it does not own, then the broker refuses it; its own keys it may publish', async () => {
    let refused = 0;
    await forEachService(async (name) => {
      const publishes = new Set(serviceNamed(name).publishes.map((contract) => contract.type));
      for (const contract of ALL_CONTRACTS) {
        const outcome = await refusal(connections[name], async (channel) => {
          channel.publish(contract.exchange, contract.routingKey, Buffer.from('{}'));
        });
        if (publishes.has(contract.type)) {
          assert.equal(outcome, undefined, `${name} may publish ${contract.routingKey}`);
        } else {
          assertRefused(outcome, `${name} publishing ${contract.routingKey} on ${contract.exchange}`);
          refused += 1;
        }
      }
      // Wildcards and keys of no contract, on every shared exchange.
      for (const exchange of Object.values(Exchanges)) {
        for (const routingKey of ['#', '*.*', 'order.confirmed.extra', `${name}.anything`]) {
          assertRefused(
            await refusal(connections[name], async (channel) => channel.publish(exchange, routingKey, Buffer.from('{}'))),
            `${name} publishing ${routingKey} on ${exchange}`,
          );
        }
      }
    });
    assert.ok(refused >= ALL_CONTRACTS.length * (SERVICE_NAMES.length - 1), `${refused} foreign routing keys tried`);
  });

  test("when a service reaches for another service's queue, then consuming, purging, deleting and publishing to it are refused", async () => {
    await forEachService(async (name) => {
      for (const other of SERVICE_NAMES.filter((candidate) => candidate !== name)) {
        for (const queue of [queueOf(other), QueueNames.deadLetter(queueOf(other))]) {
          const what = `${name} on ${queue}`;
          assertRefused(await refusal(connections[name], (channel) => channel.consume(queue, () => undefined)), `${what}: consume`);
          assertRefused(await refusal(connections[name], (channel) => channel.get(queue)), `${what}: get`);
          assertRefused(await refusal(connections[name], (channel) => channel.purgeQueue(queue)), `${what}: purge`);
          assertRefused(await refusal(connections[name], (channel) => channel.deleteQueue(queue)), `${what}: delete`);
          assertRefused(await refusal(connections[name], (channel) => channel.assertQueue(queue, { durable: true })), `${what}: declare`);
        }
        // The park exchange of another queue, and the default exchange, reach queues that are not its own.
        const park = QueueNames.park(queueOf(other));
        assertRefused(
          await refusal(connections[name], async (channel) =>
            channel.publish(park, QueueNames.deadLetter(queueOf(other)), Buffer.from('x')),
          ),
          `${name} publishing to ${park}`,
        );
        assertRefused(
          await refusal(connections[name], (channel) =>
            channel.bindQueue(queueOf(name), Exchanges.commands, serviceNamed(other).consumes[0]!.messages[0]!.routingKey),
          ),
          `${name} binding its queue to ${other}'s routing key`,
        );
      }
      assertRefused(
        await refusal(connections[name], async (channel) => channel.publish('', queueOf(name), Buffer.from('x'))),
        `${name} publishing through the default exchange`,
      );
      assertRefused(
        await refusal(connections[name], (channel) => channel.bindQueue(queueOf(name), Exchanges.events, '#')),
        `${name} binding to #`,
      );
    });
  });

  test('when a service tries to change the shared topology, then declaring, deleting and binding exchanges are refused', async () => {
    await forEachService(async (name) => {
      for (const exchange of Object.values(Exchanges)) {
        assertRefused(await refusal(connections[name], (channel) => channel.deleteExchange(exchange)), `${name} deleting ${exchange}`);
        assertRefused(
          await refusal(connections[name], (channel) => channel.assertExchange(exchange, 'topic', { durable: true })),
          `${name} declaring ${exchange}`,
        );
        assertRefused(
          await refusal(connections[name], (channel) => channel.bindExchange(QueueNames.park(queueOf(name)), exchange, '#')),
          `${name} binding ${exchange} to its own exchange`,
        );
      }
      assertRefused(
        await refusal(connections[name], (channel) => channel.assertExchange('shop.rogue', 'fanout', { durable: false })),
        `${name} declaring an exchange of its own choosing`,
      );
      assertRefused(
        await refusal(connections[name], (channel) => channel.assertQueue('rogue', { durable: false })),
        `${name} declaring a queue of its own choosing`,
      );
    });
  });

  test("when a service connects to another service's database, then PostgreSQL refuses it; in its own it is no superuser", async () => {
    for (const name of SERVICE_NAMES) {
      const own = new URL(access[name].databaseUrl);
      const client = new pg.Client({ connectionString: own.toString() });
      await client.connect();
      try {
        const { rows } = await client.query<{ rolsuper: boolean; rolcreatedb: boolean; rolcreaterole: boolean; owner: boolean }>(
          `SELECT rolsuper, rolcreatedb, rolcreaterole,
                  (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()) = current_user AS owner
             FROM pg_roles WHERE rolname = current_user`,
        );
        assert.deepEqual(rows[0], { rolsuper: false, rolcreatedb: false, rolcreaterole: false, owner: true }, `${name}'s role`);
        await assert.rejects(client.query('CREATE DATABASE shop_rogue'), /permission denied/, `${name} creating a database`);
      } finally {
        await client.end();
      }
      for (const other of SERVICE_NAMES.filter((candidate) => candidate !== name)) {
        const foreign = new URL(own);
        foreign.pathname = new URL(access[other].databaseUrl).pathname;
        const intruder = new pg.Client({ connectionString: foreign.toString() });
        await assert.rejects(
          intruder.connect(),
          (error: Error & { code?: string }) => error.code === '42501' && /permission denied for database/.test(error.message),
          `${name} connecting to ${other}'s database`,
        );
        await intruder.end().catch(() => undefined);
      }
    }
  });
});
