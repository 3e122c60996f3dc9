export { startWarehouseService } from './warehouse-service';
export { warehouseConfigSchema, type WarehouseConfig } from './config';
