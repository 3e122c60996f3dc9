import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { renderInitScript, withGeneratedServices } from '../src/deployment';
import { generate } from '../src/generate-deployment';
import { serviceCatalog, type ServiceEntry } from '../src/index';
import { assertComposeRunsCatalog, parseCompose } from './compose-runs-catalog';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const compose = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');

/** A made-up participant, added to the real catalog. */
const loyalty: ServiceEntry = {
  name: 'loyalty',
  port: 3099,
  database: 'shop_loyalty',
  consumes: [],
  publishes: [],
  compose: { environment: { LOYALTY_RULES: 'strict mode: on', LOYALTY_LIMIT: '500' }, dependsOn: ['jaeger'] },
};
const withLoyalty: readonly ServiceEntry[] = [...serviceCatalog, loyalty];

describe('the deployment rendered from the catalog', () => {
  test('when the catalog gains an entry, then compose runs it, the orchestrator waits for it and the init SQL creates its database', () => {
    const generated = parseCompose(withGeneratedServices(compose, withLoyalty));
    assertComposeRunsCatalog(generated, withLoyalty);

    const block = generated.services.loyalty!;
    assert.equal(block.environment?.OTEL_SERVICE_NAME, 'loyalty');
    assert.equal(block.environment?.LOYALTY_RULES, 'strict mode: on', 'an extra value that YAML would misread is quoted');
    assert.equal(block.environment?.LOYALTY_LIMIT, '500', 'a number stays a string');
    assert.equal(
      block.environment?.RABBITMQ_URL,
      'amqp://shop-loyalty:${LOYALTY_RABBITMQ_PASSWORD:-change-me-rabbitmq-loyalty}@rabbitmq:5672/shop',
      'its own broker user, in the shop vhost, with its password from .env or else .env.example',
    );
    assert.equal(
      block.environment?.DATABASE_URL,
      'postgres://shop_loyalty:${LOYALTY_POSTGRES_PASSWORD:-change-me-postgres-loyalty}@postgres:5432/shop_loyalty',
      'its own role, which owns its database',
    );
    assert.equal(block.environment?.LOG_LEVEL, 'info', 'the shared environment is merged in');
    assert.deepEqual(Object.keys(block.depends_on ?? {}).sort(), ['jaeger', 'postgres', 'rabbitmq']);

    const orchestrator = generated.services[serviceCatalog[0].name]!;
    assert.deepEqual(
      Object.keys(orchestrator.depends_on ?? {}),
      ['rabbitmq', 'postgres', ...withLoyalty.slice(1).map((service) => service.name)],
      'the orchestrator waits for the infrastructure and every other service',
    );
    assert.ok(Object.values(orchestrator.depends_on ?? {}).every((dependency) => dependency.condition === 'service_healthy'));

    const script = renderInitScript(withLoyalty);
    assert.match(script, /^CREATE ROLE shop_loyalty LOGIN PASSWORD :'LOYALTY_POSTGRES_PASSWORD';$/m);
    assert.match(script, /^CREATE DATABASE shop_loyalty OWNER shop_loyalty;$/m);
    assert.match(script, /^REVOKE CONNECT, TEMPORARY ON DATABASE shop_loyalty FROM PUBLIC;$/m);
    assert.match(script, /^ {2}-v LOYALTY_POSTGRES_PASSWORD="\$\{LOYALTY_POSTGRES_PASSWORD:\?/m, 'psql reads the password from .env');
    assert.equal(script.match(/^CREATE DATABASE /gm)?.length, withLoyalty.length);
    assert.match(
      script,
      /^CREATE ROLE shop_monitor LOGIN PASSWORD :'MONITOR_POSTGRES_PASSWORD' IN ROLE pg_monitor;$/m,
      'the exporter gets a role that reads statistics only',
    );
  });

  test('when the catalog is unchanged, then rendering again changes nothing', () => {
    const once = withGeneratedServices(compose);
    assert.equal(withGeneratedServices(once), once);
  });

  test('when docker-compose.yml has lost a marker line, then nothing is rendered and the error names the lines it needs', () => {
    const withoutEnd = compose.replace('  # ---- end of generated services ----\n', '');
    assert.throws(() => withGeneratedServices(withoutEnd), /once each and in this order/);
  });

  test('when an entry sets what its block derives, or repeats a name, then rendering refuses it', () => {
    const settingPort: ServiceEntry = { ...loyalty, compose: { environment: { PORT: '1' } } };
    assert.throws(() => withGeneratedServices(compose, [...serviceCatalog, settingPort]), /PORT follows from the catalog entry/);
    assert.throws(
      () => withGeneratedServices(compose, [...serviceCatalog, { ...loyalty, name: 'email' }]),
      /service name given more than once: email/,
    );
    assert.throws(() => renderInitScript([...serviceCatalog, { ...loyalty, database: 'shop; DROP' }]), /database name/);
  });

  test('when a file differs, then a check reports it and writes nothing, and a run without --check writes it', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'catalog-generate-'));
    try {
      mkdirSync(path.join(root, 'infra', 'postgres'), { recursive: true });
      // The services that exist have their own package.json, which generating never touches.
      for (const service of serviceCatalog) {
        mkdirSync(path.join(root, 'services', service.name), { recursive: true });
        writeFileSync(path.join(root, 'services', service.name, 'package.json'), '{"name":"kept as it is"}');
      }
      const sqlFile = path.join(root, 'infra', 'postgres', '01-create-databases.sh');
      writeFileSync(path.join(root, 'docker-compose.yml'), withGeneratedServices(compose));
      writeFileSync(sqlFile, renderInitScript());

      assert.deepEqual(generate(root, true, withLoyalty), [
        { file: 'docker-compose.yml', state: 'differs' },
        { file: 'infra/postgres/01-create-databases.sh', state: 'differs' },
        { file: 'infra/rabbitmq/definitions.json', state: 'missing' },
        { file: 'infra/prometheus/prometheus.yml', state: 'missing' },
        { file: 'services/loyalty/package.json', state: 'missing' },
        { file: 'services/loyalty/tsconfig.json', state: 'missing' },
      ]);
      assert.equal(readFileSync(sqlFile, 'utf8'), renderInitScript(), '--check writes nothing');

      assert.deepEqual(
        generate(root, false, withLoyalty).map(({ state }) => state),
        ['written', 'written', 'written', 'written', 'written', 'written'],
      );
      const scaffolded = JSON.parse(readFileSync(path.join(root, 'services', 'loyalty', 'package.json'), 'utf8')) as { name: string };
      assert.equal(scaffolded.name, '@shop/loyalty-service', 'the name the end-to-end tests load it by');
      assert.equal(readFileSync(path.join(root, 'services', 'email', 'package.json'), 'utf8'), '{"name":"kept as it is"}');
      assert.match(readFileSync(sqlFile, 'utf8'), /^CREATE DATABASE shop_loyalty OWNER shop_loyalty;$/m);
      assert.match(readFileSync(path.join(root, 'infra', 'rabbitmq', 'definitions.json'), 'utf8'), /"name": "shop-loyalty"/);
      assert.ok(parseCompose(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')).services.loyalty);
      assert.match(readFileSync(path.join(root, 'infra', 'prometheus', 'prometheus.yml'), 'utf8'), /^ {2}- job_name: loyalty$/m);
      assert.deepEqual(
        generate(root, true, withLoyalty).map(({ state }) => state),
        ['up to date', 'up to date', 'up to date', 'up to date'],
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
