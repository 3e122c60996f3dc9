import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dashboards, panelsOf, provisionedDataSourceUids } from './monitoring-files';

/** RabbitMQ's per-queue series, and the series recorded from them: each carries `vhost`. */
const VHOST_SERIES = /\b(rabbitmq_detailed_\w+|shop:queue_\w+:\w+|shop:dead_letter_queue:\w+)/;

/** The dashboards Grafana provisions from infra/grafana/dashboards, checked as files. */
describe('the Grafana dashboards', () => {
  const all = dashboards();

  test('when Grafana loads them, then each is a dashboard with its own uid and panels', () => {
    assert.ok(all.length > 0, 'infra/grafana/dashboards has dashboards');
    for (const { file, dashboard } of all) {
      assert.equal(typeof dashboard.uid, 'string', `${file} has a uid`);
      assert.ok(dashboard.schemaVersion >= 39, `${file}: schemaVersion ${dashboard.schemaVersion}`);
      assert.ok(dashboard.panels.length > 0, `${file} has panels`);
    }
    const uids = all.map(({ dashboard }) => dashboard.uid);
    assert.equal(new Set(uids).size, uids.length, `dashboard uids repeat: ${uids.join(', ')}`);
  });

  test('when a dashboard has panels, then no two share an id, rows included', () => {
    for (const { file, dashboard } of all) {
      const ids = panelsOf(dashboard).map((panel) => panel.id);
      const repeated = ids.filter((id, index) => ids.indexOf(id) !== index);
      assert.deepEqual(repeated, [], `${file}: panel ids given twice`);
      assert.ok(
        ids.every((id) => Number.isInteger(id)),
        `${file}: every panel has an integer id`,
      );
    }
  });

  test('when a panel, target or variable names a data source, then it is one Grafana is provisioned with, by uid', () => {
    const provisioned = provisionedDataSourceUids();
    assert.ok(provisioned.includes('prometheus') && provisioned.includes('jaeger'), `provisioned: ${provisioned.join(', ')}`);
    for (const { file, dashboard } of all) {
      for (const panel of panelsOf(dashboard)) {
        if (panel.type === 'row') continue;
        const where = `${file}: "${panel.title}"`;
        assert.ok(panel.targets && panel.targets.length > 0, `${where} has targets`);
        for (const target of panel.targets) {
          const uid = target.datasource?.uid ?? panel.datasource?.uid;
          assert.ok(uid !== undefined && provisioned.includes(uid), `${where} ${target.refId}: data source uid ${uid}`);
        }
      }
      for (const variable of dashboard.templating.list) {
        const uid = variable.datasource?.uid;
        assert.ok(uid === undefined || provisioned.includes(uid), `${file}: variable ${variable.name}, data source uid ${uid}`);
      }
    }
  });

  test('when a target reads per-queue RabbitMQ series, then its dashboard has a vhost variable and the target filters on it', () => {
    for (const { file, dashboard } of all) {
      for (const panel of panelsOf(dashboard)) {
        for (const target of panel.targets ?? []) {
          if (!target.expr || !VHOST_SERIES.test(target.expr)) continue;
          assert.ok(
            dashboard.templating.list.some((variable) => variable.name === 'vhost'),
            `${file} has a vhost variable for "${panel.title}"`,
          );
          assert.ok(target.expr.includes('vhost=~"$vhost"'), `${file}: "${panel.title}" ${target.refId} filters on $vhost: ${target.expr}`);
        }
      }
    }
  });
});
