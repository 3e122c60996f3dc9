import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { renderPrometheusConfig, serviceCatalog, type PrometheusConfigOptions, type ServiceEntry } from '../src/index';

interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  params?: Record<string, string[]>;
  static_configs?: Array<{ targets: string[] }>;
  dns_sd_configs?: Array<{ names: string[]; type: string; port: number }>;
}

interface PrometheusConfig {
  global: { scrape_interval: string; evaluation_interval: string };
  rule_files: string[];
  scrape_configs: ScrapeConfig[];
}

const render = (options: PrometheusConfigOptions, catalog?: readonly ServiceEntry[]) =>
  parse(renderPrometheusConfig(options, catalog)) as PrometheusConfig;

/** The addresses `npm run stack` gives: one port per service on the loopback, from 9464 in catalog order. */
const native: PrometheusConfigOptions = {
  interval: '1s',
  services: Object.fromEntries(serviceCatalog.map((service, index) => [service.name, [`127.0.0.1:${9464 + index}`]])),
  rabbitmq: ['127.0.0.1:15692'],
  rabbitmqVhost: 'shop-test',
  postgres: ['127.0.0.1:9187'],
};

const jobNamed = (config: PrometheusConfig, name: string) => {
  const job = config.scrape_configs.find((candidate) => candidate.job_name === name);
  assert.ok(job, `a ${name} job`);
  return job;
};

describe('prometheus.yml rendered from the catalog', () => {
  test('when given the native addresses, then each service is a job of its own name scraping its port, next to RabbitMQ and PostgreSQL', () => {
    const config = render(native);
    assert.deepEqual(config.global, { scrape_interval: '1s', evaluation_interval: '1s' });
    assert.deepEqual(config.rule_files, ['rules/*.yml']);
    assert.deepEqual(
      config.scrape_configs.map((job) => job.job_name),
      [...serviceCatalog.map((service) => service.name), 'rabbitmq', 'rabbitmq-aggregate', 'postgres'],
    );
    assert.deepEqual(jobNamed(config, 'payment').static_configs, [{ targets: ['127.0.0.1:9466'] }]);
    assert.deepEqual(jobNamed(config, 'postgres').static_configs, [{ targets: ['127.0.0.1:9187'] }]);
  });

  test("when rendered, then the rabbitmq job asks the plugin's detailed endpoint for the per-queue families", () => {
    const rabbitmq = jobNamed(render(native), 'rabbitmq');
    assert.equal(rabbitmq.metrics_path, '/metrics/detailed');
    assert.ok(rabbitmq.params?.family?.includes('queue_coarse_metrics'));
    assert.ok(rabbitmq.params?.family?.includes('queue_consumer_count'));
    assert.deepEqual(rabbitmq.params?.vhost, ['shop-test'], 'only the shop vhost’s queues');
    assert.deepEqual(rabbitmq.static_configs, [{ targets: ['127.0.0.1:15692'] }]);
    assert.equal(jobNamed(render(native), 'rabbitmq-aggregate').metrics_path, '/metrics');
  });

  test('when a service has replicas or DNS discovery is asked for, then every replica is scraped', () => {
    const replicas = render({ ...native, services: { ...native.services, order: ['10.0.0.1:9464', '10.0.0.2:9464'] } });
    assert.deepEqual(jobNamed(replicas, 'order').static_configs, [{ targets: ['10.0.0.1:9464', '10.0.0.2:9464'] }]);

    const dns = render({ ...native, services: { ...native.services, order: ['order:9464'] }, serviceDiscovery: 'dns' });
    assert.deepEqual(jobNamed(dns, 'order').dns_sd_configs, [{ names: ['order'], type: 'A', port: 9464 }]);
    assert.ok(jobNamed(dns, 'rabbitmq').static_configs, 'the infrastructure is scraped at its address either way');
  });

  test('when RabbitMQ or the postgres exporter has no address, then its jobs are left out', () => {
    const jobs = (options: PrometheusConfigOptions) => render(options).scrape_configs.map((job) => job.job_name);
    assert.ok(!jobs({ ...native, postgres: [] }).includes('postgres'));
    assert.ok(jobs({ ...native, postgres: [] }).includes('rabbitmq'));
    assert.deepEqual(
      jobs({ ...native, rabbitmq: [], postgres: [] }),
      serviceCatalog.map((service) => service.name),
    );
  });

  test('when the rules live elsewhere or the catalog gains a service, then the configuration follows', () => {
    assert.deepEqual(render({ ...native, rules: 'shop-rules/*.yml' }).rule_files, ['shop-rules/*.yml']);
    const loyalty: ServiceEntry = { name: 'loyalty', port: 3099, database: 'shop_loyalty', consumes: [], publishes: [] };
    const config = render({ ...native, services: { ...native.services, loyalty: ['127.0.0.1:9469'] } }, [...serviceCatalog, loyalty]);
    assert.deepEqual(jobNamed(config, 'loyalty').static_configs, [{ targets: ['127.0.0.1:9469'] }]);
  });

  test('when a service has no endpoint, or an address or interval is malformed, then nothing is rendered', () => {
    const { email: _email, ...withoutEmail } = native.services;
    assert.throws(() => renderPrometheusConfig({ ...native, services: withoutEmail }), /no metrics endpoint given for email/);
    assert.throws(() => renderPrometheusConfig({ ...native, services: { ...native.services, fraud: ['x:1'] } }), /does not name: fraud/);
    assert.throws(() => renderPrometheusConfig({ ...native, rabbitmq: ['127.0.0.1'] }), /rabbitmq: target "127.0.0.1" is not host:port/);
    assert.throws(() => renderPrometheusConfig({ ...native, postgres: ['db:9187\n  - evil:1'] }), /is not host:port/);
    assert.throws(() => renderPrometheusConfig({ ...native, services: { ...native.services, order: [] } }), /order: no targets/);
    assert.throws(() => renderPrometheusConfig({ ...native, interval: '5 seconds' }), /not a Prometheus duration/);
    assert.throws(() => renderPrometheusConfig({ ...native, rules: 'rules/*.yml # x' }), /rules/);
    assert.throws(() => renderPrometheusConfig({ ...native, rules: '*.yml' }), /rules/);
  });
});
