import { Exchanges, QueueNames, type MessageContract } from '@shop/contracts';
import { serviceCatalog, type ServiceEntry } from './service-catalog';

/**
 * Who may do what on the broker, derived from the catalog and so from the contracts: the one
 * source of every service's RabbitMQ permissions. RabbitMQ's definitions under compose
 * (infra/rabbitmq/definitions.json, written by `npm run generate`) and the provisioning of the
 * native stack and the tests (@shop/testing) are both rendered by `brokerDefinitions`.
 *
 * A service may
 * - configure (declare, delete) only its own objects: its work queues, their retry and
 *   dead-letter queues and their park exchanges;
 * - write to its own objects (a binding needs write on the queue; parking publishes to the park
 *   exchange) and to the shared exchanges it publishes to, and there, by topic permission, only
 *   the routing keys of the contracts it publishes;
 * - read its own objects (consume; bind to the park exchange) and the shared exchanges it binds
 *   to, and there, by topic permission, bind only the routing keys of the contracts it consumes.
 * It has no permission on the default exchange, which routes to every queue of the vhost.
 */

export interface TopicPermission {
  exchange: string;
  write: string;
  read: string;
}

export interface BrokerPermissions {
  configure: string;
  write: string;
  read: string;
  /** One entry per shared exchange: RabbitMQ allows every routing key on an exchange with none. */
  topics: TopicPermission[];
}

/** A regular expression no resource name or routing key of the shop matches. */
const NOTHING = '^$';

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const exactly = (patterns: readonly string[]) => (patterns.length === 0 ? NOTHING : `^(?:${[...new Set(patterns)].join('|')})$`);
const keysOn = (contracts: readonly MessageContract[], exchange: string) =>
  contracts.filter((contract) => contract.exchange === exchange).map((contract) => escapeRegex(contract.routingKey));

/** The names of a work queue's own objects, as patterns: the retry queues' delay is any number. */
function ownObjects(queue: string): string[] {
  const anyDelay = 4_294_967_295;
  return [
    escapeRegex(queue),
    escapeRegex(QueueNames.deadLetter(queue)),
    escapeRegex(QueueNames.retry(queue, anyDelay)).replace(String(anyDelay), '\\d+'),
    escapeRegex(QueueNames.park(queue)),
  ];
}

export function brokerPermissions(service: ServiceEntry): BrokerPermissions {
  const own = service.consumes.flatMap(({ queue }) => ownObjects(queue));
  const consumed = service.consumes.flatMap(({ messages }) => messages);
  const exchangesOf = (contracts: readonly MessageContract[]) => contracts.map((contract) => escapeRegex(contract.exchange));
  return {
    configure: exactly(own),
    write: exactly([...own, ...exchangesOf(service.publishes)]),
    read: exactly([...own, ...exchangesOf(consumed)]),
    topics: Object.values(Exchanges).map((exchange) => ({
      exchange,
      write: exactly(keysOn(service.publishes, exchange)),
      read: exactly(keysOn(consumed, exchange)),
    })),
  };
}

/** A service's RabbitMQ user in a vhost. Users are global to the broker, so the vhost's name prefixes them. */
export function brokerUserName(vhost: string, service: string): string {
  return `${vhost}-${service}`;
}

/** A service's PostgreSQL role: named as the database it owns. */
export function databaseRoleName(database: string): string {
  return database;
}

export interface BrokerAccess {
  vhost: string;
  /** Each service's password, by service name; a service without one gets no user. */
  passwords: Readonly<Record<string, string>>;
  /**
   * An operator with every permission on the vhost, which no service has (`npm run dlq`, the
   * RabbitMQ UI, the tests' own clients). Without a password the user must exist already.
   */
  admin?: { user: string; password?: string };
}

/**
 * RabbitMQ definitions (the format of `rabbitmqctl import_definitions` and of `load_definitions`
 * at boot): the vhost, its three shared exchanges, and a user per service with its permissions.
 */
export function brokerDefinitions(access: BrokerAccess, catalog: readonly ServiceEntry[] = serviceCatalog) {
  const { vhost, passwords, admin } = access;
  const services = catalog.filter((service) => passwords[service.name] !== undefined);
  const users = services.map((service) => ({ service, user: brokerUserName(vhost, service.name), ...brokerPermissions(service) }));
  return {
    vhosts: [{ name: vhost }],
    users: [
      ...(admin?.password === undefined ? [] : [{ name: admin.user, password: admin.password, tags: ['administrator'] }]),
      ...users.map(({ user, service }) => ({ name: user, password: passwords[service.name]!, tags: [] as string[] })),
    ],
    permissions: [
      ...(admin ? [{ user: admin.user, vhost, configure: '.*', write: '.*', read: '.*' }] : []),
      ...users.map(({ user, configure, write, read }) => ({ user, vhost, configure, write, read })),
    ],
    topic_permissions: users.flatMap(({ user, topics }) => topics.map((topic) => ({ user, vhost, ...topic }))),
    exchanges: Object.values(Exchanges).map((name) => ({
      name,
      vhost,
      type: 'topic',
      durable: true,
      auto_delete: false,
      internal: false,
      arguments: {},
    })),
  };
}

export type BrokerDefinitions = ReturnType<typeof brokerDefinitions>;
