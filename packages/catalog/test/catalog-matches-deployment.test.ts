import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { serviceCatalog } from '../src/index';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

interface ComposeService {
  working_dir?: string;
  environment?: Record<string, string>;
  ports?: string[];
}

/** What is deployed or developed outside the catalog must say the same as the catalog. */
describe('the service catalog', () => {
  test('when a service folder exists, then the catalog names it, and every service it names has a folder', () => {
    const folders = readdirSync(path.join(ROOT, 'services'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    assert.deepEqual(folders, serviceCatalog.map((service) => service.name).sort());
  });

  test('when docker-compose.yml runs a service, then it runs its folder of the image, with its port and its own database', () => {
    const compose = parse(read('docker-compose.yml')) as { services: Record<string, ComposeService> };
    for (const service of serviceCatalog) {
      const entry = compose.services[service.name];
      assert.ok(entry, `docker-compose.yml has a ${service.name} service`);
      assert.equal(entry.working_dir, `/app/services/${service.name}`, `${service.name} runs in its own folder`);
      assert.equal(entry.environment?.PORT, String(service.port), `${service.name} listens on ${service.port}`);
      assert.match(entry.environment?.DATABASE_URL ?? '', new RegExp(`/${service.database}$`), `${service.name} uses ${service.database}`);
      assert.ok(
        entry.ports?.some((mapping) => mapping.endsWith(`:${service.port}:${service.port}`)),
        `${service.name} publishes ${service.port}`,
      );
    }
    const run = Object.entries(compose.services).filter(([, entry]) => entry.working_dir?.startsWith('/app/services/'));
    assert.deepEqual(
      run.map(([name]) => name).sort(),
      serviceCatalog.map((service) => service.name).sort(),
      'compose runs no service the catalog does not name',
    );
  });

  test("when the PostgreSQL init script runs, then it creates exactly the services' databases", () => {
    const created = [...read('infra/postgres/01-create-databases.sql').matchAll(/^CREATE DATABASE (\w+);/gm)].map((match) => match[1]);
    assert.deepEqual(created.sort(), serviceCatalog.map((service) => service.database).sort());
  });

  test("every queue, port and database is its service's alone, and every command has one queue", () => {
    const unique = (values: unknown[]) => assert.equal(new Set(values).size, values.length, `duplicates in ${values.join(', ')}`);
    unique(serviceCatalog.map((service) => service.port));
    unique(serviceCatalog.map((service) => service.database));
    unique(serviceCatalog.flatMap((service) => service.consumes.map((consumed) => consumed.queue)));
    unique(
      serviceCatalog.flatMap((service) =>
        service.consumes.flatMap((consumed) => consumed.messages.filter((m) => m.kind === 'command').map((m) => m.type)),
      ),
    );
  });
});
