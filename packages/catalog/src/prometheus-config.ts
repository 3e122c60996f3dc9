import { serviceCatalog, type ServiceEntry } from './service-catalog';

/**
 * prometheus.yml for the shop: one scrape job per catalog service (named after it, so `job` is
 * the service's name), RabbitMQ's per-queue and node-wide figures, and the postgres exporter.
 * `npm run generate` writes the compose variant to infra/prometheus/prometheus.yml; `npm run
 * stack` renders one with its own addresses next to the same rules. docs/metrics.md lists what
 * each job exposes.
 */
export interface PrometheusConfigOptions {
  /** How often Prometheus scrapes and evaluates the rules, as a Prometheus duration: `5s`, `1m`. */
  interval: string;
  /** Each catalog service's metrics endpoints, by service name: `host:port`, one per replica. */
  services: Readonly<Record<string, readonly string[]>>;
  /**
   * `static` scrapes the addresses as given; `dns` resolves each host's A records at every
   * refresh and scrapes every address found on the given port, which under compose finds every
   * replica of a scaled service. Static unless given.
   */
  serviceDiscovery?: 'static' | 'dns';
  /** RabbitMQ's Prometheus plugin: `host:15692`. None leaves out the `rabbitmq` and `rabbitmq-aggregate` jobs. */
  rabbitmq: readonly string[];
  /**
   * The shop's vhost: the per-queue series are asked for this vhost only, so the queues of other
   * vhosts on the same broker (a test run's, say) neither fill the dashboards nor fire the alerts.
   */
  rabbitmqVhost: string;
  /** The postgres exporter: `host:9187`. None leaves out the `postgres` job. */
  postgres: readonly string[];
  /** The rule files, a path or glob relative to the configuration file. `rules/*.yml` unless given. */
  rules?: string;
}

/**
 * The per-queue families the `rabbitmq` job asks /metrics/detailed for (verified on RabbitMQ
 * 3.10.8; docs/metrics.md lists the series each gives).
 */
const RABBITMQ_FAMILIES = [
  'queue_coarse_metrics',
  'queue_consumer_count',
  'channel_exchange_metrics',
  'channel_queue_metrics',
  'channel_queue_exchange_metrics',
];

const DURATION = /^([0-9]+(ms|s|m|h|d|w|y))+$/;
const HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;
/** A path YAML reads as written: no leading `*`, which would be an alias. */
const RULES = /^[\w./-][\w./*-]*$/;

/**
 * How often Prometheus scrapes every target under compose, in seconds. `npm run stack` scrapes
 * every second instead, so that `npm run top` moves with each second of a load run; the bench
 * measures what metrics cost at this interval (docs/performance.md, "Metrics cost").
 */
export const COMPOSE_SCRAPE_INTERVAL_SECONDS = 5;

/** The YAML text of prometheus.yml. */
export function renderPrometheusConfig(options: PrometheusConfigOptions, catalog: readonly ServiceEntry[] = serviceCatalog): string {
  const interval = checkedDuration(options.interval);
  const rules = options.rules ?? 'rules/*.yml';
  if (!RULES.test(rules)) throw new Error(`rules ${JSON.stringify(rules)} does not match ${RULES}`);
  return [
    'global:',
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    '',
    'rule_files:',
    `  - ${rules}`,
    '',
    'scrape_configs:',
    ...serviceJobs(options, catalog),
    ...optionalJob('rabbitmq', options.rabbitmq, [
      '    metrics_path: /metrics/detailed',
      '    params:',
      '      family:',
      ...RABBITMQ_FAMILIES.map((family) => `        - ${family}`),
      '      vhost:',
      `        - ${JSON.stringify(checkedVhost(options.rabbitmqVhost))}`,
    ]),
    ...optionalJob('rabbitmq-aggregate', options.rabbitmq, ['    metrics_path: /metrics']),
    ...optionalJob('postgres', options.postgres, []),
    '',
  ].join('\n');
}

function serviceJobs(options: PrometheusConfigOptions, catalog: readonly ServiceEntry[]): string[] {
  const names = catalog.map((service) => service.name);
  const unknown = Object.keys(options.services).filter((name) => !names.includes(name));
  if (unknown.length > 0) throw new Error(`services the catalog does not name: ${unknown.join(', ')}`);
  return catalog.flatMap((service) => {
    const targets = options.services[service.name];
    if (!targets) throw new Error(`no metrics endpoint given for ${service.name}`);
    return options.serviceDiscovery === 'dns' ? dnsJob(service.name, targets) : job(service.name, targets, []);
  });
}

/** A job of the infrastructure: none when it has no targets (it does not run). */
function optionalJob(name: string, targets: readonly string[], settings: readonly string[]): string[] {
  return targets.length === 0 ? [] : job(name, targets, settings);
}

/** A job scraping `targets` as given, with the lines of `settings` before them. */
function job(name: string, targets: readonly string[], settings: readonly string[]): string[] {
  return [
    `  - job_name: ${name}`,
    ...settings,
    '    static_configs:',
    '      - targets:',
    ...checkedTargets(name, targets).map(({ host, port }) => `          - ${host}:${port}`),
  ];
}

/** A job scraping every address each target's host resolves to, on the target's port. */
function dnsJob(name: string, targets: readonly string[]): string[] {
  return [
    `  - job_name: ${name}`,
    '    dns_sd_configs:',
    ...checkedTargets(name, targets).flatMap(({ host, port }) => [
      '      - names:',
      `          - ${host}`,
      '        type: A',
      `        port: ${port}`,
    ]),
  ];
}

function checkedTargets(job: string, targets: readonly string[]): Array<{ host: string; port: number }> {
  if (targets.length === 0) throw new Error(`${job}: no targets`);
  return targets.map((target) => {
    const [host = '', port = '', ...rest] = target.split(':');
    const number = Number(port);
    if (rest.length > 0 || !HOST.test(host) || !/^[0-9]+$/.test(port) || number < 1 || number > 65535) {
      throw new Error(`${job}: target ${JSON.stringify(target)} is not host:port`);
    }
    return { host, port: number };
  });
}

function checkedVhost(vhost: string): string {
  if (!/^[\w./-]+$/.test(vhost)) throw new Error(`vhost ${JSON.stringify(vhost)}: expected letters, digits and _ . / -`);
  return vhost;
}

function checkedDuration(value: string): string {
  if (!DURATION.test(value)) throw new Error(`interval ${JSON.stringify(value)} is not a Prometheus duration such as 5s or 1m`);
  return value;
}
