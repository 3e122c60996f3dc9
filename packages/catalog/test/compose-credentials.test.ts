import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { parseCompose } from './compose-runs-catalog';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const SCRIPT = path.join(ROOT, 'infra', 'rabbitmq', 'start-with-definitions.sh');

/** The names of the variables a text reads as `${NAME}` or `${NAME:?message}` (as compose and sh write them). */
const variablesIn = (text: string) => new Set([...text.matchAll(/\$\{([A-Z0-9_]+)(?::[?-][^}]*)?\}/g)].map((match) => match[1]!));
const environmentOf = (service: string) => parseCompose(read('docker-compose.yml')).services[service]?.environment ?? {};

/** Compose's credentials go from .env to the containers that need them, and nowhere else. */
describe('the credentials under compose', () => {
  const values = new Map(
    read('.env.example')
      .split('\n')
      .filter((line) => /^[A-Z]/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const),
  );
  const example = new Set(values.keys());
  /** From .env, or else the value .env.example gives it. */
  const fromEnv = (name: string) => `\${${name}:-${values.get(name)}}`;

  test('when RabbitMQ renders its definitions, then its container is given every password they name, from .env', () => {
    const environment = environmentOf('rabbitmq');
    const needed = variablesIn(read('infra/rabbitmq/definitions.json'));
    assert.ok(needed.size >= 6, 'the admin and a user per service');
    for (const name of needed) {
      assert.ok(example.has(name), `.env.example names ${name}`);
      assert.equal(environment[name], fromEnv(name), `rabbitmq is given ${name}`);
    }
  });

  test('when PostgreSQL runs its init script, then its container is given every password it reads, from .env', () => {
    const environment = environmentOf('postgres');
    const needed = variablesIn(read('infra/postgres/01-create-databases.sh'));
    assert.ok(needed.size >= 6, 'a role per service and the monitoring role');
    for (const name of needed) {
      assert.ok(example.has(name), `.env.example names ${name}`);
      assert.equal(environment[name], fromEnv(name), `postgres is given ${name}`);
    }
    assert.equal(environment.POSTGRES_HOST_AUTH_METHOD, 'scram-sha-256');
  });

  test("every variable docker-compose.yml reads is in .env.example, and no service is given another service's password", () => {
    const compose = read('docker-compose.yml');
    const optional = new Set([
      'RABBITMQ_PORT',
      'RABBITMQ_MANAGEMENT_PORT',
      'RABBITMQ_PROMETHEUS_PORT',
      'POSTGRES_PORT',
      'PROMETHEUS_PORT',
      'GRAFANA_PORT',
      'PROVIDER_LATENCY_MS',
    ]);
    for (const name of variablesIn(compose)) if (!optional.has(name)) assert.ok(example.has(name), `.env.example names ${name}`);
    // Without .env, a password is the value .env.example gives it, so a fresh clone runs as documented.
    for (const [, name, fallback] of compose.matchAll(/\$\{([A-Z0-9_]+(?:_PASSWORD|_TOKEN)):?-([^}]*)\}/g))
      assert.equal(fallback, values.get(name!), `${name}'s value without .env is .env.example's`);
    assert.ok(!/guest:guest|HOST_AUTH_METHOD: trust|postgres:\/\/postgres@/.test(compose), 'no guest login, no trust, no superuser URL');
    const services = parseCompose(compose).services;
    for (const [name, service] of Object.entries(services)) {
      if (!service.working_dir?.startsWith('/app/services/')) continue;
      const own = name.toUpperCase();
      const passwords = [...variablesIn(JSON.stringify(service.environment))].filter((variable) => variable.endsWith('_PASSWORD'));
      assert.deepEqual(passwords.sort(), [`${own}_POSTGRES_PASSWORD`, `${own}_RABBITMQ_PASSWORD`], `${name}'s passwords`);
    }
  });

  test("when Prometheus asks RabbitMQ for the queues' series, then it asks for the vhost the definitions create", () => {
    const definitions = JSON.parse(read('infra/rabbitmq/definitions.json')) as { vhosts: Array<{ name: string }> };
    assert.deepEqual(definitions.vhosts, [{ name: 'shop' }]);
    const config = parse(read('infra/prometheus/prometheus.yml')) as {
      scrape_configs: Array<{ job_name: string; params?: Record<string, string[]> }>;
    };
    const rabbitmq = config.scrape_configs.filter((job) => job.params?.vhost);
    assert.ok(rabbitmq.length > 0, 'a job asks RabbitMQ for one vhost');
    for (const job of rabbitmq) assert.deepEqual(job.params!.vhost, ['shop'], job.job_name);
    const dashboard = read('infra/grafana/dashboards/queues.json');
    assert.match(dashboard, /"value": \[\s*"shop"\s*\]/, "the queues dashboard opens on the shop's vhost");
  });

  describe('start-with-definitions.sh', () => {
    const passwords = Object.fromEntries(
      [...variablesIn(read('infra/rabbitmq/definitions.json'))].map((name) => [name, `pw-${name.toLowerCase()}`]),
    );
    const runScript = (env: Record<string, string>) => {
      const folder = mkdtempSync(path.join(tmpdir(), 'definitions-'));
      const rendered = path.join(folder, 'definitions.json');
      const result = spawnSync('sh', [SCRIPT, 'sh', '-c', 'echo started "$@"', '--', 'rabbitmq-server'], {
        env: { PATH: process.env.PATH, SHOP_DEFINITIONS_FILE: rendered, ...env },
        encoding: 'utf8',
      });
      return { folder, rendered, ...result };
    };

    test('when every password is set, then the definitions get them, readable by their owner only, and the command runs', () => {
      const { folder, rendered, status, stdout } = runScript(passwords);
      try {
        assert.equal(status, 0);
        assert.equal(stdout.trim(), 'started rabbitmq-server');
        const definitions = JSON.parse(readFileSync(rendered, 'utf8')) as { users: Array<{ name: string; password: string }> };
        assert.deepEqual(definitions.users.map((user) => user.password).sort(), Object.values(passwords).sort());
        assert.equal(statSync(rendered).mode & 0o777, 0o600);
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    });

    test('when a password is missing or holds a character a URL would change, then RabbitMQ does not start and the variable is named', () => {
      const { ORDER_RABBITMQ_PASSWORD: _missing, ...withoutOrder } = passwords;
      const missing = runScript(withoutOrder);
      assert.equal(missing.status, 1);
      assert.match(missing.stderr, /ORDER_RABBITMQ_PASSWORD is not set/);
      assert.doesNotMatch(missing.stdout, /started/);
      for (const bad of ['a"b', 'a b', 'a|b', 'a@b', 'a/b']) {
        const rejected = runScript({ ...passwords, EMAIL_RABBITMQ_PASSWORD: bad });
        assert.equal(rejected.status, 1, bad);
        assert.match(rejected.stderr, /EMAIL_RABBITMQ_PASSWORD may hold only/);
        rmSync(rejected.folder, { recursive: true, force: true });
      }
      rmSync(missing.folder, { recursive: true, force: true });
    });

    test('the script is valid POSIX sh', () => {
      execFileSync('sh', ['-n', SCRIPT]);
      execFileSync('sh', ['-n', path.join(ROOT, 'infra', 'postgres', '01-create-databases.sh')]);
    });
  });
});
