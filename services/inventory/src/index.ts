export { startInventoryService } from './inventory-service';
export { inventoryConfigSchema, type InventoryConfig } from './config';
export { catalogSeed } from './domain/catalog-seed';
