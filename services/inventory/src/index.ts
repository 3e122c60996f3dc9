export { startInventoryService } from './inventory-service';
export { inventoryConfigSchema, type InventoryConfig } from './config';
