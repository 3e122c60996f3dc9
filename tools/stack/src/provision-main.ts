import { SERVICE_NAMES } from '@shop/catalog';
import { loadConfig, url, z } from '@shop/config';
import { provisionShopAccess } from '@shop/testing';

/**
 * `node tools/stack/dist/src/provision-main.js`: provisions the vhost of RABBITMQ_URL (an admin's)
 * and the databases `<STACK_DATABASE_PREFIX><service>` on POSTGRES_URL (a superuser's) as
 * `npm run stack` does, with a user and a role per service and new passwords, and prints one
 * line per service: its name, its RABBITMQ_URL and its DATABASE_URL, separated by tabs. For
 * running the services some other way (the image check runs them as containers).
 */
async function main(): Promise<void> {
  const config = loadConfig(
    z.object({
      RABBITMQ_URL: url(['amqp', 'amqps']),
      POSTGRES_URL: url(['postgres', 'postgresql']),
      STACK_DATABASE_PREFIX: z
        .string()
        .regex(/^[A-Za-z0-9_]*$/, 'expected letters, digits and underscores')
        .default('shop_'),
    }),
  );
  const access = await provisionShopAccess({
    rabbitmqUrl: config.RABBITMQ_URL,
    postgresUrl: config.POSTGRES_URL,
    services: SERVICE_NAMES.map((name) => ({ name, database: `${config.STACK_DATABASE_PREFIX}${name}` })),
  });
  for (const name of SERVICE_NAMES) process.stdout.write(`${name}\t${access[name]!.rabbitmqUrl}\t${access[name]!.databaseUrl}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`provision: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
