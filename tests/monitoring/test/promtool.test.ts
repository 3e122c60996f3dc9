import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { renderPrometheusConfig, serviceCatalog } from '@shop/catalog';
import { filesIn, PROMETHEUS_DIR, ROOT, ruleFiles } from './monitoring-files';

/**
 * Prometheus's own checks of the monitoring configuration, offline: promtool (Debian's
 * `prometheus` package) reads prometheus.yml and the rule files as Prometheus would, and runs the
 * rules' unit tests (infra/prometheus/tests) against their synthetic series.
 */
function promtool(...args: string[]): void {
  const run = spawnSync('promtool', args, { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    assert.fail("promtool is not installed: install Debian's prometheus package (apt-get install --no-install-recommends prometheus)");
  }
  if (run.error) throw run.error;
  assert.equal(run.status, 0, `promtool ${args.join(' ')} exited with ${run.status}:\n${run.stdout}${run.stderr}`);
}

const relative = (file: string) => path.relative(ROOT, file);

describe('promtool', () => {
  test('when it reads the compose prometheus.yml, then the configuration and the rule files it names are valid', () => {
    promtool('check', 'config', relative(path.join(PROMETHEUS_DIR, 'prometheus.yml')));
  });

  test('when it reads a configuration rendered for the native stack next to a link to the rules, then that is valid too', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'shop-prometheus-'));
    try {
      symlinkSync(path.join(PROMETHEUS_DIR, 'rules'), path.join(dir, 'rules'));
      const services = Object.fromEntries(serviceCatalog.map((service, index) => [service.name, [`127.0.0.1:${9464 + index}`]]));
      const config = renderPrometheusConfig({
        interval: '1s',
        services,
        rabbitmq: ['127.0.0.1:15692'],
        rabbitmqVhost: '/',
        postgres: ['127.0.0.1:9187'],
      });
      writeFileSync(path.join(dir, 'prometheus.yml'), config);
      promtool('check', 'config', path.join(dir, 'prometheus.yml'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('when it checks the rule files, then every rule parses and is well formed', () => {
    const files = ruleFiles();
    assert.ok(files.length > 0, 'infra/prometheus/rules has rule files');
    promtool('check', 'rules', ...files.map(relative));
  });

  test("when it runs the rules' unit tests, then every alert fires when it should and stays quiet when it should not", () => {
    const files = filesIn(path.join(PROMETHEUS_DIR, 'tests'), '.yml');
    assert.ok(files.length > 0, 'infra/prometheus/tests has unit tests');
    promtool('test', 'rules', ...files.map(relative));
  });
});
