import { readFileSync } from 'node:fs';
import path from 'node:path';
import { renderPrometheusConfig } from './prometheus-config';
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

const SQL_HEADER = [
  '-- Generated from packages/catalog by `npm run generate`: edit the catalog, not this file.',
  '-- Runs once, when the postgres container initialises an empty data directory',
  '-- (docker-entrypoint-initdb.d). One database per service: each service owns its data',
  '-- and reaches it only through DATABASE_URL. The services would also create a missing',
  '-- database themselves; creating them here makes a fresh `docker compose up` predictable.',
];

/** The postgres exporter's login in compose: it reads the server's statistics and no table. */
const MONITORING_ROLE = [
  '-- The postgres exporter logs in as shop_monitor (docker-compose.yml), which reads the',
  "-- server's statistics through pg_monitor and can read no service's tables.",
  "CREATE ROLE shop_monitor LOGIN PASSWORD 'shop-monitor' IN ROLE pg_monitor;",
];

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
const OWN_ENV = ['PORT', 'DATABASE_URL', 'OTEL_SERVICE_NAME'];

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
    { file: 'infra/postgres/01-create-databases.sql', content: renderInitSql(catalog) },
    { file: 'infra/prometheus/prometheus.yml', content: renderComposePrometheusConfig(catalog) },
  ];
}

/** prometheus.yml for compose: the services by their compose names, scraped every 5 seconds. */
function renderComposePrometheusConfig(catalog: readonly ServiceEntry[]): string {
  const config = renderPrometheusConfig(
    {
      interval: '5s',
      services: Object.fromEntries(catalog.map((service) => [service.name, [`${service.name}:${COMPOSE_METRICS_PORT}`]])),
      serviceDiscovery: 'dns',
      rabbitmq: ['rabbitmq:15692'],
      rabbitmqVhost: '/',
      postgres: ['postgres-exporter:9187'],
    },
    catalog,
  );
  return [...PROMETHEUS_HEADER, config].join('\n');
}

/** `compose` with the lines between its two marker lines replaced by the catalog's service blocks. */
export function withGeneratedServices(compose: string, catalog: readonly ServiceEntry[] = serviceCatalog): string {
  const lines = compose.split('\n');
  const begin = lines.indexOf(COMPOSE_BEGIN);
  const end = lines.indexOf(COMPOSE_END);
  if (begin < 0 || end < begin || lines.lastIndexOf(COMPOSE_BEGIN) !== begin || lines.lastIndexOf(COMPOSE_END) !== end) {
    throw new Error(
      `docker-compose.yml needs these two lines under services:, once each and in this order; the catalog's services go between them:\n${COMPOSE_BEGIN}\n${COMPOSE_END}`,
    );
  }
  return [...lines.slice(0, begin + 1), ...renderComposeServices(catalog), ...lines.slice(end)].join('\n');
}

/** The init script: one database per service, in catalog order, and the monitoring role. */
export function renderInitSql(catalog: readonly ServiceEntry[] = serviceCatalog): string {
  unique(
    catalog.map((service) => service.database),
    'database',
  );
  return [
    ...SQL_HEADER,
    ...catalog.map((service) => `CREATE DATABASE ${checked(service.database, DATABASE_NAME, 'database name')};`),
    '',
    ...MONITORING_ROLE,
    '',
  ].join('\n');
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
    ...participants.map((service) => serviceBlock(service, [])),
    serviceBlock(
      orchestrator,
      participants.map((service) => service.name),
    ),
  ];
  return blocks.flatMap((block, index) => (index === 0 ? block : ['', ...block]));
}

function serviceBlock(service: ServiceEntry, waitsFor: readonly string[]): string[] {
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
    '    environment:',
    '      <<: *service-env',
    `      PORT: "${port}"`,
    `      DATABASE_URL: postgres://postgres@postgres:5432/${database}`,
    `      OTEL_SERVICE_NAME: ${name}`,
    ...environment.map(([key, value]) => `      ${key}: ${yamlString(value)}`),
    '    ports:',
    `      - "127.0.0.1:${port}:${port}"`,
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
