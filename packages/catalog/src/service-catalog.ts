import { inventory, order, payment, warehouse, type MessageContract } from '@shop/contracts';

/** A queue a service consumes, and the messages bound to it (their routing keys are their types). */
export interface ConsumedQueue {
  queue: string;
  messages: readonly MessageContract[];
}

export interface ServiceEntry {
  name: string;
  /** Its HTTP port in compose and, by its place in the catalog, under `npm run stack` (STACK_BASE_PORT + index). */
  port: number;
  /** Its own database: no service reads another's. */
  database: string;
  consumes: readonly ConsumedQueue[];
  publishes: readonly MessageContract[];
  /** What its docker-compose.yml block adds to every service's: environment variables, and the compose services it waits for. */
  compose?: ComposeExtras;
}

export interface ComposeExtras {
  environment?: Readonly<Record<string, string>>;
  /** Compose services (outside the catalog) that must report healthy before it starts. */
  dependsOn?: readonly string[];
}

const all = (module: Record<string, MessageContract>, kind: MessageContract['kind']) =>
  Object.values(module).filter((c) => c.kind === kind);

/**
 * Every service of the shop, in start-up and port order; the first is the orchestrator, which
 * compose starts after all the others. The stack, the tests, the load, bench and chaos tools read
 * it; the service blocks of docker-compose.yml and the PostgreSQL init script are generated from
 * it by `npm run generate` (src/deployment.ts). Adding a participant: docs/adding-a-service.md.
 */
export const serviceCatalog = [
  {
    name: 'order',
    port: 3000,
    database: 'shop_order',
    consumes: [
      {
        queue: 'order.saga-replies',
        messages: [...all(inventory, 'reply'), ...all(payment, 'reply'), ...all(warehouse, 'reply')],
      },
    ],
    publishes: [...all(inventory, 'command'), ...all(payment, 'command'), ...all(warehouse, 'command'), ...all(order, 'event')],
  },
  {
    name: 'inventory',
    port: 3001,
    database: 'shop_inventory',
    consumes: [{ queue: 'inventory.commands', messages: all(inventory, 'command') }],
    publishes: all(inventory, 'reply'),
  },
  {
    name: 'payment',
    port: 3002,
    database: 'shop_payment',
    consumes: [{ queue: 'payment.commands', messages: all(payment, 'command') }],
    publishes: all(payment, 'reply'),
    compose: { environment: { PAYMENT_PROVIDER_URL: 'http://payment-provider:4010' }, dependsOn: ['payment-provider'] },
  },
  {
    name: 'warehouse',
    port: 3003,
    database: 'shop_warehouse',
    consumes: [{ queue: 'warehouse.commands', messages: all(warehouse, 'command') }],
    publishes: all(warehouse, 'reply'),
  },
  {
    name: 'email',
    port: 3004,
    database: 'shop_email',
    consumes: [{ queue: 'email.on-order-outcome', messages: all(order, 'event') }],
    publishes: [],
    compose: { environment: { SMTP_URL: 'smtp://mailpit:1025', EMAIL_FROM: 'shop@example.test' }, dependsOn: ['mailpit'] },
  },
] as const satisfies readonly ServiceEntry[];

export type ServiceName = (typeof serviceCatalog)[number]['name'];

export const SERVICE_NAMES: readonly ServiceName[] = serviceCatalog.map((service) => service.name);

/** The services the order service's saga drives, and the email service: everyone but the orchestrator. */
export const PARTICIPANTS: readonly ServiceName[] = SERVICE_NAMES.filter((name) => name !== 'order');

export function serviceNamed(name: ServiceName): ServiceEntry {
  return serviceCatalog.find((service) => service.name === name)!;
}

/** Every queue a service consumes: the dead-letter tools and the chaos run look at each one's companions. */
export const CONSUMER_QUEUES: readonly string[] = serviceCatalog.flatMap((service) => service.consumes.map(({ queue }) => queue));

/** The queue a service consumes, by the service's name (each service here consumes one). */
export function queueOf(name: ServiceName): string {
  return serviceNamed(name).consumes[0]!.queue;
}

const queueByMessage = new Map<string, string>(
  serviceCatalog.flatMap((service) =>
    service.consumes.flatMap(({ queue, messages }) => messages.map((message) => [message.type, queue] as const)),
  ),
);

/** The queue a command is consumed from: the commands queue of the participant it is for. */
export function queueOfCommand(command: MessageContract): string | undefined {
  return command.kind === 'command' ? queueByMessage.get(command.type) : undefined;
}
