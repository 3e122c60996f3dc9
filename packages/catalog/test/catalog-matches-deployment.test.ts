import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { generatedDeployment } from '../src/deployment';
import { serviceCatalog } from '../src/index';
import { assertComposeRunsCatalog, parseCompose } from './compose-runs-catalog';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** What is deployed or developed outside the catalog must say the same as the catalog. */
describe('the service catalog', () => {
  test('when a service folder exists, then the catalog names it, and every service it names has a folder', () => {
    const folders = readdirSync(path.join(ROOT, 'services'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    assert.deepEqual(folders, serviceCatalog.map((service) => service.name).sort());
  });

  test('docker-compose.yml, the init SQL and prometheus.yml are exactly what the catalog generates (run `npm run generate`)', () => {
    const differences = generatedDeployment(ROOT).flatMap(({ file, content }) => {
      if (!existsSync(path.join(ROOT, file))) return [`${file} is missing`];
      const found = read(file).split('\n');
      const expected = content.split('\n');
      const lines = Math.max(found.length, expected.length);
      const first = Array.from({ length: lines }, (_, index) => index).find((index) => found[index] !== expected[index]);
      return first === undefined
        ? []
        : [`${file} line ${first + 1} is ${JSON.stringify(found[first])}, the catalog gives ${JSON.stringify(expected[first])}`];
    });
    assert.equal(differences.length, 0, `run \`npm run generate\`:\n${differences.join('\n')}`);
  });

  test('when docker-compose.yml runs a service, then it runs its folder of the image, with its port and its own database', () => {
    assertComposeRunsCatalog(parseCompose(read('docker-compose.yml')), serviceCatalog);
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
