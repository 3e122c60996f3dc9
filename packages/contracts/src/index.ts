import * as inventory from './inventory';
import * as order from './order';
import * as payment from './payment';
import * as warehouse from './warehouse';
import type { MessageContract } from './message-contract';

export * from './message-contract';
export * from './shared-schemas';
export { inventory, payment, warehouse, order };

/** Every contract, for tools that must understand any message (the dead-letter CLI, tests). */
export const allContracts: readonly MessageContract[] = [inventory, payment, warehouse, order].flatMap((module) =>
  Object.values(module as Record<string, MessageContract>),
);
