import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

/** The repository's root, from this file compiled to tests/monitoring/dist/test/. */
export const ROOT = path.resolve(__dirname, '..', '..', '..', '..');

export const PROMETHEUS_DIR = path.join(ROOT, 'infra', 'prometheus');
const RULES_DIR = path.join(PROMETHEUS_DIR, 'rules');
const DASHBOARDS_DIR = path.join(ROOT, 'infra', 'grafana', 'dashboards');
const DATASOURCES_FILE = path.join(ROOT, 'infra', 'grafana', 'provisioning', 'datasources', 'datasources.yml');

/** The files of `dir` ending in `extension`, as absolute paths, sorted. */
export function filesIn(dir: string, extension: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(extension))
    .sort()
    .map((name) => path.join(dir, name));
}

export const ruleFiles = () => filesIn(RULES_DIR, '.yml');
export const dashboardFiles = () => filesIn(DASHBOARDS_DIR, '.json');

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  /** How long an alert's expression must hold before it fires, as a Prometheus duration. */
  for?: string;
}

/** Every rule of every rule file, with the file it is in. */
export function rules(): Array<Rule & { file: string }> {
  return ruleFiles().flatMap((file) => {
    const { groups } = parse(readFileSync(file, 'utf8')) as { groups: Array<{ rules: Rule[] }> };
    return groups.flatMap((group) => group.rules.map((rule) => ({ ...rule, file: path.basename(file) })));
  });
}

export interface DataSourceRef {
  type?: string;
  uid?: string;
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: DataSourceRef;
  targets?: Array<{ refId: string; datasource?: DataSourceRef; expr?: string }>;
  /** A row's panels, when it is collapsed. */
  panels?: Panel[];
}

export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Array<{ name: string; datasource?: DataSourceRef }> };
}

/** Each dashboard file, parsed; a file that is no JSON throws with its name. */
export function dashboards(): Array<{ file: string; dashboard: Dashboard }> {
  return dashboardFiles().map((file) => {
    try {
      return { file: path.basename(file), dashboard: JSON.parse(readFileSync(file, 'utf8')) as Dashboard };
    } catch (error) {
      throw new Error(`${path.basename(file)} is no valid JSON: ${(error as Error).message}`, { cause: error });
    }
  });
}

/** Every panel, the panels of rows included. */
export function panelsOf(dashboard: Dashboard): Panel[] {
  return dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

/** Every PromQL expression of every panel target, with where it is. */
export function dashboardExpressions(): Array<{ where: string; expr: string }> {
  return dashboards().flatMap(({ file, dashboard }) =>
    panelsOf(dashboard).flatMap((panel) =>
      (panel.targets ?? [])
        .filter((target) => target.expr !== undefined)
        .map((target) => ({ where: `${file}: "${panel.title}" ${target.refId}`, expr: target.expr! })),
    ),
  );
}

/** The uids of the data sources Grafana is provisioned with. */
export function provisionedDataSourceUids(): string[] {
  const { datasources } = parse(readFileSync(DATASOURCES_FILE, 'utf8')) as { datasources: Array<{ uid: string }> };
  return datasources.map((source) => source.uid);
}
