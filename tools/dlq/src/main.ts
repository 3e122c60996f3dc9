import { loadConfig, url, z } from '@shop/config';
import { DeadLetterStore } from './dead-letter-store';
import { parseArguments, runCommand, UsageError } from './dlq-command';

/** `npm run dlq -- list | show [id] | replay [id] [--queue q] | purge --queue q|--all` */
async function main(): Promise<void> {
  const parsed = parseArguments(process.argv.slice(2));
  const { RABBITMQ_URL } = loadConfig(z.object({ RABBITMQ_URL: url(['amqp', 'amqps']).default('amqp://guest:guest@127.0.0.1:5672/shop') }));
  const store = await DeadLetterStore.connect(RABBITMQ_URL);
  try {
    await runCommand(parsed, store, (line) => process.stdout.write(`${line}\n`));
  } finally {
    await store.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`dlq: ${error instanceof UsageError ? error.message : error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof UsageError ? 2 : 1);
});
