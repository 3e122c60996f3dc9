import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Exchanges, QueueNames } from '@shop/contracts';
import { brokerDefinitions, brokerPermissions, queueOf, SERVICE_NAMES, serviceCatalog, serviceNamed } from '../src/index';

const matches = (pattern: string, name: string) => new RegExp(pattern).test(name);
const everyContract = [
  ...new Map(serviceCatalog.flatMap((s) => [...s.publishes, ...s.consumes.flatMap((c) => c.messages)]).map((c) => [c.type, c])).values(),
];

/**
 * The permissions follow from the contracts: each routing key has exactly the publishers and
 * binders the catalog names. (The broker test in tests/hostile-input tries them on RabbitMQ.)
 */
describe('the broker permissions derived from the catalog', () => {
  test('when a contract is published, then exactly the services that publish it may write its routing key on its exchange', () => {
    for (const contract of everyContract) {
      const writers = SERVICE_NAMES.filter((name) => {
        const permissions = brokerPermissions(serviceNamed(name));
        const topic = permissions.topics.find((entry) => entry.exchange === contract.exchange)!;
        return matches(permissions.write, contract.exchange) && matches(topic.write, contract.routingKey);
      });
      const publishers = SERVICE_NAMES.filter((name) => serviceNamed(name).publishes.some((c) => c.type === contract.type));
      assert.deepEqual(writers, publishers, contract.type);
    }
  });

  test('the shapes the issue names: inventory publishes only inventory replies, the order service only commands and order events', () => {
    const inventory = brokerPermissions(serviceNamed('inventory'));
    const order = brokerPermissions(serviceNamed('order'));
    const keys = (kind: string, prefix?: string) =>
      everyContract.filter((c) => c.kind === kind && (prefix === undefined || c.type.startsWith(prefix))).map((c) => c.routingKey);
    const topic = (permissions: typeof inventory, exchange: string) => permissions.topics.find((entry) => entry.exchange === exchange)!;
    for (const key of keys('reply'))
      assert.equal(matches(topic(inventory, Exchanges.replies).write, key), key.startsWith('inventory.'), key);
    assert.ok(!matches(inventory.write, Exchanges.commands) && !matches(inventory.write, Exchanges.events));
    for (const key of [...keys('command'), ...keys('event')]) {
      const exchange = everyContract.find((c) => c.routingKey === key)!.exchange;
      assert.ok(matches(order.write, exchange) && matches(topic(order, exchange).write, key), key);
    }
    assert.ok(!matches(order.write, Exchanges.replies), 'the order service publishes no reply');
  });

  test('when a service binds, then it may bind only the routing keys its queue consumes', () => {
    for (const name of SERVICE_NAMES) {
      const permissions = brokerPermissions(serviceNamed(name));
      const consumed = new Set(serviceNamed(name).consumes.flatMap(({ messages }) => messages.map((m) => m.type)));
      for (const contract of everyContract) {
        const topic = permissions.topics.find((entry) => entry.exchange === contract.exchange)!;
        const mayBind = matches(permissions.read, contract.exchange) && matches(topic.read, contract.routingKey);
        assert.equal(mayBind, consumed.has(contract.type), `${name} binding ${contract.routingKey}`);
      }
      for (const topic of permissions.topics) for (const wildcard of ['#', '*', '*.*']) assert.ok(!matches(topic.read, wildcard));
    }
  });

  test('when a service configures, then only its own queue, retry queues, dead-letter queue and park exchange match', () => {
    for (const name of SERVICE_NAMES) {
      const { configure, read } = brokerPermissions(serviceNamed(name));
      const queue = queueOf(name);
      for (const own of [
        queue,
        QueueNames.deadLetter(queue),
        QueueNames.retry(queue, 50),
        QueueNames.retry(queue, 30_000),
        QueueNames.park(queue),
      ]) {
        assert.ok(matches(configure, own) && matches(read, own), `${name} owns ${own}`);
      }
      for (const other of SERVICE_NAMES.filter((candidate) => candidate !== name)) {
        const theirs = queueOf(other);
        for (const foreign of [theirs, QueueNames.deadLetter(theirs), QueueNames.retry(theirs, 50), QueueNames.park(theirs)]) {
          assert.ok(!matches(configure, foreign) && !matches(read, foreign), `${name} must not own ${foreign}`);
        }
      }
      for (const foreign of [
        ...Object.values(Exchanges),
        '',
        'amq.default',
        `${queue}x`,
        `x${queue}`,
        `${queue}.retry.ms`,
        `${queue}.retry.1ms.x`,
      ]) {
        assert.ok(!matches(configure, foreign), `${name} must not configure ${JSON.stringify(foreign)}`);
      }
    }
  });

  test('the definitions hold the vhost, its three exchanges and a user per service with a topic permission on every exchange', () => {
    const definitions = brokerDefinitions({ vhost: 'v', passwords: { order: 'p1', email: 'p2' }, admin: { user: 'boss', password: 'p0' } });
    assert.deepEqual(definitions.vhosts, [{ name: 'v' }]);
    assert.deepEqual(
      definitions.users.map((user) => user.name),
      ['boss', 'v-order', 'v-email'],
    );
    assert.deepEqual(definitions.exchanges.map((exchange) => exchange.name).sort(), Object.values(Exchanges).sort());
    assert.equal(definitions.topic_permissions.length, 2 * Object.values(Exchanges).length);
    assert.deepEqual(definitions.permissions[0], { user: 'boss', vhost: 'v', configure: '.*', write: '.*', read: '.*' });
    const withoutPassword = brokerDefinitions({ vhost: 'v', passwords: {}, admin: { user: 'guest' } });
    assert.deepEqual(withoutPassword.users, [], 'an admin without a password is given permissions, not created');
    assert.equal(withoutPassword.permissions.length, 1);
  });
});
