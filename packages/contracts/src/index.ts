import * as inventory from './inventory';
import * as order from './order';
import * as payment from './payment';
import * as warehouse from './warehouse';

export * from './message-contract';
export * from './queue-names';
export * from './shared-schemas';
export { inventory, payment, warehouse, order };
