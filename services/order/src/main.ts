import { loadConfigOrExit } from '@shop/config';
import { runMain } from '@shop/runtime';
import { orderConfigSchema } from './config';
import { startOrderService } from './order-service';

const config = loadConfigOrExit('order', orderConfigSchema);
runMain('order', () => startOrderService(config), config.SHUTDOWN_TIMEOUT_MS);
