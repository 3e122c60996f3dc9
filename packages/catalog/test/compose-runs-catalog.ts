import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { composeDatabaseUrl, composePublishedPort, composeRabbitmqUrl } from '../src/deployment';
import type { ServiceEntry } from '../src/index';

interface ComposeService {
  working_dir?: string;
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition?: string }>;
}

export type Compose = { services: Record<string, ComposeService> };

/** A compose file read as compose reads it: anchors resolved and `<<` merged. */
export const parseCompose = (text: string) => parse(text, { merge: true }) as Compose;

/**
 * The compose file runs every catalog service in its folder of the image, with its port, its own
 * database and role and its own broker user, and runs no folder of services/ that the catalog
 * does not name.
 */
export function assertComposeRunsCatalog(compose: Compose, catalog: readonly ServiceEntry[]): void {
  for (const service of catalog) {
    const entry = compose.services[service.name];
    assert.ok(entry, `docker-compose.yml has a ${service.name} service`);
    assert.equal(entry.working_dir, `/app/services/${service.name}`, `${service.name} runs in its own folder`);
    assert.equal(entry.environment?.PORT, String(service.port), `${service.name} listens on ${service.port}`);
    assert.equal(
      entry.environment?.DATABASE_URL,
      composeDatabaseUrl(service.name, service.database),
      `${service.name} uses ${service.database} as its own role`,
    );
    assert.equal(entry.environment?.RABBITMQ_URL, composeRabbitmqUrl(service.name), `${service.name} uses its own broker user`);
    assert.deepEqual(
      entry.ports,
      [composePublishedPort(service, service === catalog[0])],
      `${service.name} publishes ${service.port} on a host port for each replica`,
    );
    assert.equal((entry as { container_name?: string }).container_name, undefined, `${service.name} has no fixed container name`);
  }
  const run = Object.entries(compose.services).filter(([, entry]) => entry.working_dir?.startsWith('/app/services/'));
  assert.deepEqual(
    run.map(([name]) => name).sort(),
    catalog.map((service) => service.name).sort(),
    'compose runs no service the catalog does not name',
  );
}
