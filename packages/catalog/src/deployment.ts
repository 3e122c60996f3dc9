import { readFileSync } from 'node:fs';
import path from 'node:path';
import { brokerDefinitions, brokerUserName, databaseRoleName } from './access';
import { COMPOSE_SCRAPE_INTERVAL_SECONDS, renderPrometheusConfig } from './prometheus-config';
import { serviceCatalog, type ServiceEntry } from './service-catalog';

/**
 * The parts of the deployment that follow from the catalog: the services' blocks of
 * docker-compose.yml (between two marker lines; the rest of the file is written by hand), the
 * PostgreSQL init script and Prometheus's configuration for compose. `npm run generate` writes
 * them (src/generate-deployment.ts); the catalog test fails while any of them differs from what
 * is rendered here.
 */

const COMPOSE_BEGIN = '  # ---- generated from packages/catalog by `npm run generate`: edit the catalog, not these lines ----';
const COMPOSE_END = '  # ---- end of generated services ----';

const INIT_SCRIPT_HEADER = [
  '#!/bin/sh',
  '# Generated from packages/catalog by `npm run generate`: edit the catalog, not this file.',
  '# Runs once, when the postgres container initialises an empty data directory',
  '# (docker-entrypoint-initdb.d), with the passwords docker-compose.yml passes from .env.',
  '# One role per service, which owns its database and can connect to no other: CONNECT is',
  "# revoked from PUBLIC on every database, so only a database's owner (and superusers) get in.",
  "# The postgres exporter logs in as shop_monitor, which reads the server's statistics through",
  "# pg_monitor and can read no service's tables.",
  'set -eu',
];

/** The vhost of the shop under compose, and the operator user that no service has. */
export const COMPOSE_VHOST = 'shop';
export const COMPOSE_BROKER_ADMIN = 'shop-admin';

/**
 * The environment variable (from .env under compose) that holds a service's password for the
 * broker or the database, or the admin's. The passwords go into URLs, so they are restricted to
 * characters a URL carries as they are.
 */
export function passwordVariable(owner: string, system: 'RABBITMQ' | 'POSTGRES'): string {
  return `${owner.toUpperCase().replace(/-/g, '_')}_${system}_PASSWORD`;
}

/**
 * How compose reads a password: from .env, or else the value .env.example gives it
 * (`change-me-<system>-<owner>`), so that `docker compose up` and `docker-compose config` work on a
 * fresh clone. Those values are for a laptop, where every port is published on 127.0.0.1 only.
 */
export function composePassword(owner: string, system: 'RABBITMQ' | 'POSTGRES'): string {
  return `\${${passwordVariable(owner, system)}:-change-me-${system.toLowerCase()}-${owner}}`;
}

const PROMETHEUS_HEADER = [
  '# Generated from packages/catalog by `npm run generate` (src/prometheus-config.ts): edit the',
  '# catalog or the renderer, not this file. Prometheus under docker-compose.yml: every service',
  '# exports on 9464 in its container, found through DNS so that every replica of a scaled',
  "# service is scraped; RabbitMQ's Prometheus plugin on 15692, the postgres exporter on 9187.",
  '# The alert and recording rules are in rules/; docs/metrics.md describes every series.',
];

/** Where each service's container serves its metrics under compose (OTEL_EXPORTER_PROMETHEUS_PORT's default). */
const COMPOSE_METRICS_PORT = 9464;

const COMPOSE_NAME = /^[a-z][a-z0-9-]*$/;
const DATABASE_NAME = /^[a-z_][a-z0-9_]*$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
/** A value YAML reads as the same string when written plain: no spaces, quotes, `#`, `$`, nor a `:` ending a word. */
const PLAIN_VALUE = /^[A-Za-z][\w./@-]*(:[\w./@-]+)*$/;
const YAML_KEYWORD = /^(true|false|yes|no|on|off|y|n|null)$/i;

/** Every variable a service's block sets itself, which its catalog entry cannot set again. */
const OWN_ENV = ['PORT', 'RABBITMQ_URL', 'DATABASE_URL', 'OTEL_SERVICE_NAME'];

export interface GeneratedFile {
  /** Relative to the repository's root. */
  file: string;
  content: string;
}

/** What `npm run generate` writes, given the repository's root (whose docker-compose.yml keeps its hand-written parts). */
export function generatedDeployment(root: string, catalog: readonly ServiceEntry[] = serviceCatalog): GeneratedFile[] {
  const compose = readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
  return [
    { file: 'docker-compose.yml', content: withGeneratedServices(compose, catalog) },
    { file: 'infra/postgres/01-create-databases.sh', content: renderInitScript(catalog) },
    { file: 'infra/rabbitmq/definitions.json', content: renderComposeDefinitions(catalog) },
    { file: 'infra/prometheus/prometheus.yml', content: renderComposePrometheusConfig(catalog) },
  ];
}

/** prometheus.yml for compose: the services by their compose names, scraped every COMPOSE_SCRAPE_INTERVAL_SECONDS. */
function renderComposePrometheusConfig(catalog: readonly ServiceEntry[]): string {
  const config = renderPrometheusConfig(
    {
      interval: `${COMPOSE_SCRAPE_INTERVAL_SECONDS}s`,
      services: Object.fromEntries(catalog.map((service) => [service.name, [`${service.name}:${COMPOSE_METRICS_PORT}`]])),
      serviceDiscovery: 'dns',
      rabbitmq: ['rabbitmq:15692'],
      rabbitmqVhost: COMPOSE_VHOST,
      postgres: ['postgres-exporter:9187'],
    },
    catalog,
  );
  return [...PROMETHEUS_HEADER, config].join('\n');
}

const PASSWORDS_BEGIN = '# ---- generated from packages/catalog by `npm run generate`: the passwords from .env ----';
const PASSWORDS_END = '# ---- end of generated passwords ----';

/**
 * `compose` with the lines between each pair of marker lines replaced by what the catalog
 * gives: the services' blocks under `services:`, and at the top level the passwords the
 * rabbitmq and postgres containers are given (two anchors their environments merge).
 */
export function withGeneratedServices(compose: string, catalog: readonly ServiceEntry[] = serviceCatalog): string {
  const withPasswords = replaceBetween(compose, PASSWORDS_BEGIN, PASSWORDS_END, renderPasswordAnchors(catalog), 'at the top level');
  return replaceBetween(
    withPasswords,
    COMPOSE_BEGIN,
    COMPOSE_END,
    renderComposeServices(catalog),
    "under services:, the catalog's services",
  );
}

function replaceBetween(text: string, begin: string, end: string, content: string[], where: string): string {
  const lines = text.split('\n');
  const first = lines.indexOf(begin);
  const last = lines.indexOf(end);
  if (first < 0 || last < first || lines.lastIndexOf(begin) !== first || lines.lastIndexOf(end) !== last) {
    throw new Error(`docker-compose.yml needs these two lines ${where} go between them, once each and in this order:\n${begin}\n${end}`);
  }
  return [...lines.slice(0, first + 1), ...content, ...lines.slice(last)].join('\n');
}

/** The passwords each infrastructure container is given (composePassword). */
function renderPasswordAnchors(catalog: readonly ServiceEntry[]): string[] {
  const password = (owner: string, system: 'RABBITMQ' | 'POSTGRES') =>
    `  ${passwordVariable(owner, system)}: "${composePassword(owner, system)}"`;
  const names = catalog.map((service) => checked(service.name, COMPOSE_NAME, 'service name'));
  return [
    '# RabbitMQ renders its definitions with these (infra/rabbitmq/start-with-definitions.sh).',
    'x-rabbitmq-passwords: &rabbitmq-passwords',
    ...['admin', ...names].map((owner) => password(owner, 'RABBITMQ')),
    "# PostgreSQL's init script creates the roles with these (infra/postgres).",
    'x-postgres-passwords: &postgres-passwords',
    ...[...names, 'monitor'].map((owner) => password(owner, 'POSTGRES')),
  ];
}

/**
 * The init script: one role and one database per service, in catalog order, and the monitoring
 * role. psql reads the passwords as variables (`:'name'` quotes them as SQL literals).
 */
export function renderInitScript(catalog: readonly ServiceEntry[] = serviceCatalog): string {
  unique(
    catalog.map((service) => service.database),
    'database',
  );
  const services = catalog.map((service) => {
    const database = checked(service.database, DATABASE_NAME, 'database name');
    return { database, role: databaseRoleName(database), variable: passwordVariable(service.name, 'POSTGRES') };
  });
  const monitor = passwordVariable('monitor', 'POSTGRES');
  const variables = [...services.map(({ variable }) => variable), monitor];
  return [
    ...INIT_SCRIPT_HEADER,
    'psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \\',
    ...variables.map((variable) => `  -v ${variable}="\${${variable}:?${variable} is not set: see .env.example}" \\`),
    "  <<'SQL'",
    'REVOKE CONNECT, TEMPORARY ON DATABASE postgres FROM PUBLIC;',
    ...services.flatMap(({ database, role, variable }) => [
      `CREATE ROLE ${role} LOGIN PASSWORD :'${variable}';`,
      `CREATE DATABASE ${database} OWNER ${role};`,
      `REVOKE CONNECT, TEMPORARY ON DATABASE ${database} FROM PUBLIC;`,
    ]),
    `CREATE ROLE shop_monitor LOGIN PASSWORD :'${monitor}' IN ROLE pg_monitor;`,
    'GRANT CONNECT ON DATABASE postgres TO shop_monitor;',
    'SQL',
    '',
  ].join('\n');
}

/**
 * RabbitMQ's definitions under compose, loaded at boot (infra/rabbitmq/rabbitmq.conf): the shop's
 * vhost, its exchanges, the admin and a user per service. Each password is a `${VARIABLE}` that
 * infra/rabbitmq/start-with-definitions.sh fills in from the environment before RabbitMQ starts.
 */
function renderComposeDefinitions(catalog: readonly ServiceEntry[]): string {
  const definitions = brokerDefinitions(
    {
      vhost: COMPOSE_VHOST,
      passwords: Object.fromEntries(catalog.map((service) => [service.name, `\${${passwordVariable(service.name, 'RABBITMQ')}}`])),
      admin: { user: COMPOSE_BROKER_ADMIN, password: `\${${passwordVariable('admin', 'RABBITMQ')}}` },
    },
    catalog,
  );
  return `${JSON.stringify(definitions, null, 2)}\n`;
}

/**
 * The service blocks, a blank line between two: the participants in catalog order, then the
 * orchestrator (the catalog's first entry), which waits for every participant to be healthy.
 */
function renderComposeServices(catalog: readonly ServiceEntry[]): string[] {
  const [orchestrator, ...participants] = catalog;
  if (!orchestrator) throw new Error('the catalog names no service');
  unique(
    catalog.map((service) => service.name),
    'service name',
  );
  const blocks = [
    ...participants.map((service) => serviceBlock(service, [], false)),
    serviceBlock(
      orchestrator,
      participants.map((service) => service.name),
      true,
    ),
  ];
  return blocks.flatMap((block, index) => (index === 0 ? block : ['', ...block]));
}

/**
 * A participant's CPU weight under compose against the default 1024 of everything else: the weight
 * Linux gives a process at nice PARTICIPANT_NICE (10), so `POST /orders` gets the CPU first, as
 * under `npm run stack`.
 */
const PARTICIPANT_CPU_SHARES = 110;

function serviceBlock(service: ServiceEntry, waitsFor: readonly string[], orchestrator: boolean): string[] {
  const name = checked(service.name, COMPOSE_NAME, 'service name');
  const database = checked(service.database, DATABASE_NAME, 'database name');
  if (!Number.isInteger(service.port) || service.port < 1 || service.port > 65535)
    throw new Error(`${name}: port ${service.port} is no TCP port`);
  const port = service.port;
  const environment = Object.entries(service.compose?.environment ?? {});
  for (const [key] of environment) {
    checked(key, ENV_NAME, `${name}'s environment variable`);
    if (OWN_ENV.includes(key)) throw new Error(`${name}: ${key} follows from the catalog entry and cannot be set in compose.environment`);
  }
  const dependsOn = [...(service.compose?.dependsOn ?? []), ...waitsFor];
  unique(dependsOn, `${name}'s depends_on entry`);
  return [
    `  ${name}:`,
    '    <<: *service',
    `    working_dir: /app/services/${name}`,
    ...(orchestrator ? [] : [`    cpu_shares: ${PARTICIPANT_CPU_SHARES}`]),
    '    environment:',
    '      <<: *service-env',
    `      PORT: "${port}"`,
    `      RABBITMQ_URL: ${yamlString(composeRabbitmqUrl(name))}`,
    `      DATABASE_URL: ${yamlString(composeDatabaseUrl(name, database))}`,
    `      OTEL_SERVICE_NAME: ${name}`,
    ...environment.map(([key, value]) => `      ${key}: ${yamlString(value)}`),
    '    ports:',
    `      - "${composePublishedPort(service, orchestrator)}"`,
    '    healthcheck:',
    `      test: ["CMD", "node", "-e", "fetch('http://127.0.0.1:${port}/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]`,
    '      interval: 5s',
    '      timeout: 5s',
    '      retries: 20',
    '      start_period: 10s',
    ...(dependsOn.length === 0
      ? ['    depends_on: *infrastructure']
      : [
          '    depends_on:',
          '      <<: *infrastructure',
          ...dependsOn.flatMap((other) => [
            `      ${checked(other, COMPOSE_NAME, `${name}'s depends_on entry`)}:`,
            '        condition: service_healthy',
          ]),
        ]),
  ];
}

/** How many replicas of the orchestrator's API compose gives a host port of their own, from its port up. */
export const COMPOSE_API_REPLICA_PORTS = 10;

/**
 * A service's published port under compose, which `docker compose up --scale <service>=N` must be
 * able to give every replica: the orchestrator's API (the shop's entry point) the next free port
 * from its own up, so a single replica is at its usual port; a participant an ephemeral port per
 * replica (`docker compose port --index N <service> <port>` names it).
 */
export function composePublishedPort(service: ServiceEntry, orchestrator: boolean): string {
  return orchestrator
    ? `127.0.0.1:${service.port}-${service.port + COMPOSE_API_REPLICA_PORTS - 1}:${service.port}`
    : `127.0.0.1::${service.port}`;
}

/** A service's broker URL under compose: its own user, in the shop's vhost, with its password from .env. */
export function composeRabbitmqUrl(service: string): string {
  return `amqp://${brokerUserName(COMPOSE_VHOST, service)}:${composePassword(service, 'RABBITMQ')}@rabbitmq:5672/${COMPOSE_VHOST}`;
}

/** A service's database URL under compose: its own role, which owns the database. */
export function composeDatabaseUrl(service: string, database: string): string {
  return `postgres://${databaseRoleName(database)}:${composePassword(service, 'POSTGRES')}@postgres:5432/${database}`;
}

/** Plain where YAML reads it back as the same string, double-quoted (JSON's escapes are YAML's too) otherwise. */
function yamlString(value: string): string {
  return PLAIN_VALUE.test(value) && !YAML_KEYWORD.test(value) ? value : JSON.stringify(value);
}

function checked(value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw new Error(`${what} ${JSON.stringify(value)} does not match ${pattern}`);
  return value;
}

function unique(values: readonly string[], what: string): void {
  const repeated = values.filter((value, index) => values.indexOf(value) !== index);
  if (repeated.length > 0) throw new Error(`${what} given more than once: ${[...new Set(repeated)].join(', ')}`);
}
