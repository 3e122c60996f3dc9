import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { dashboardExpressions, ROOT, rules } from './monitoring-files';
import { namesIn, withGrafanaVariables } from './promql-names';

/**
 * Every PromQL expression of the alert and recording rules and of the Grafana dashboards parses,
 * and names only metrics and labels that docs/metrics.md names: the contract between the
 * services, RabbitMQ, the postgres exporter and what reads their series. Checked without a
 * running stack; prometheus-on-the-stack.test.ts checks the same names against one.
 */

const HISTOGRAM_SERIES = /_(bucket|count|sum)$/;

/** Every name docs/metrics.md writes as code; `prefix_*` stands for every name that starts with the prefix. */
function documentedNames(): { exact: Set<string>; prefixes: string[] } {
  const doc = readFileSync(path.join(ROOT, 'docs', 'metrics.md'), 'utf8');
  const words = [...doc.matchAll(/`([^`]+)`/g)].flatMap(([, code]) => code!.match(/[A-Za-z_:][\w:]*\*?/g) ?? []);
  return {
    exact: new Set(words.filter((word) => !word.endsWith('*'))),
    prefixes: words.filter((word) => word.endsWith('*')).map((word) => word.slice(0, -1)),
  };
}

describe('the PromQL of the rules and dashboards, against docs/metrics.md', () => {
  const expressions = [
    ...rules().map((rule) => ({ where: `${rule.file}: ${rule.record ?? rule.alert}`, expr: rule.expr })),
    ...dashboardExpressions().map(({ where, expr }) => ({ where, expr: withGrafanaVariables(expr) })),
  ];
  const documented = documentedNames();
  const isDocumented = (name: string) =>
    documented.exact.has(name) ||
    documented.exact.has(name.replace(HISTOGRAM_SERIES, '')) ||
    documented.prefixes.some((prefix) => name.startsWith(prefix));

  test('when parsed, then every expression is valid PromQL', () => {
    assert.ok(expressions.length > 0);
    const invalid = expressions.flatMap(({ where, expr }) => {
      try {
        namesIn(expr);
        return [];
      } catch (error) {
        return [`${where}: ${(error as Error).message}`];
      }
    });
    assert.deepEqual(invalid, []);
  });

  test('when an expression reads a metric or a label, then docs/metrics.md names it', () => {
    const unknown = expressions.flatMap(({ where, expr }) => {
      const { selectors, grouping } = namesIn(expr);
      const labels = [...selectors.flatMap((selector) => selector.labels), ...grouping];
      return [
        ...selectors.filter(({ metric }) => !isDocumented(metric)).map(({ metric }) => `${where}: metric ${metric}`),
        ...labels.filter((label) => !isDocumented(label)).map((label) => `${where}: label ${label}`),
      ];
    });
    assert.deepEqual(unknown, []);
  });

  test('when a rule records a series, then docs/metrics.md names it', () => {
    const recorded = rules().flatMap((rule) => (rule.record ? [rule.record] : []));
    assert.ok(recorded.length > 0);
    assert.deepEqual(
      recorded.filter((name) => !documented.exact.has(name)),
      [],
    );
  });
});
