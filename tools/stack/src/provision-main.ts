import { provisionStackAccess } from './stack-access';
import { loadStackSettings } from './stack-settings';

/**
 * `node tools/stack/dist/src/provision-main.js`: provisions what `npm run stack` provisions at its
 * start, from the same settings (RABBITMQ_URL, POSTGRES_URL, STACK_DATABASE_PREFIX), and prints one
 * line per service: its name, its RABBITMQ_URL and its DATABASE_URL, separated by tabs. For
 * running the services some other way (the image check runs them as containers).
 */
async function main(): Promise<void> {
  const access = await provisionStackAccess(loadStackSettings());
  for (const [name, { rabbitmqUrl, databaseUrl }] of Object.entries(access))
    process.stdout.write(`${name}\t${rabbitmqUrl}\t${databaseUrl}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`provision: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
