import { loadConfigOrExit } from '@shop/config';
import { runMain } from '@shop/runtime';
import { inventoryConfigSchema } from './config';
import { startInventoryService } from './inventory-service';

const config = loadConfigOrExit('inventory', inventoryConfigSchema);
runMain('inventory', () => startInventoryService(config), config.SHUTDOWN_TIMEOUT_MS);
