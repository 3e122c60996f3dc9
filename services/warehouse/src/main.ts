import { loadConfigOrExit } from '@shop/config';
import { runMain } from '@shop/runtime';
import { warehouseConfigSchema } from './config';
import { startWarehouseService } from './warehouse-service';

const config = loadConfigOrExit('warehouse', warehouseConfigSchema);
runMain('warehouse', () => startWarehouseService(config), config.SHUTDOWN_TIMEOUT_MS);
