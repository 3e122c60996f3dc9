import { loadConfigOrExit } from '@shop/config';
import { createPool, ensureDatabase, migrate } from '@shop/db';
import { messagingMigrations } from '@shop/messaging';
import { inventoryConfigSchema } from './config';
import { inventoryMigrations } from './data-access/migrations';
import { stockRepository } from './data-access/stock-repository';

/** `npm run reset-stock`: every product's stock back to its seeded amount. */
async function main(): Promise<void> {
  const config = loadConfigOrExit('reset-stock', inventoryConfigSchema);
  await ensureDatabase(config.DATABASE_URL);
  const pool = createPool(config.DATABASE_URL);
  try {
    await migrate(pool, [...messagingMigrations, ...inventoryMigrations]);
    const count = await stockRepository.resetStock(pool);
    process.stdout.write(`stock of ${count} products reset to the seeded amounts\n`);
  } finally {
    await pool.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`reset-stock: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
