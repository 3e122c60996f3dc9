import { parser } from '@prometheus-io/lezer-promql';

/** What a PromQL expression reads: the metrics it selects with the labels it matches on, and the labels it groups by. */
export interface ExpressionNames {
  selectors: Array<{ metric: string; labels: string[] }>;
  /** Labels named in `by (...)`, `without (...)`, `on (...)`, `ignoring (...)`, `group_left (...)`. */
  grouping: string[];
  /** Labels an expression makes itself (label_replace, label_join): any string argument of theirs. */
  introduced: string[];
  /** Labels only tested for presence (`label=""`, `label!=""`). */
  presence: string[];
}

/**
 * The names an expression uses, read with Prometheus's own PromQL grammar (lezer-promql, the
 * parser of Prometheus's web UI), so a name in a string, a function or a keyword is never
 * mistaken for a metric. Throws on an expression that does not parse.
 */
export function namesIn(expression: string): ExpressionNames {
  const tree = parser.parse(expression);
  const names: ExpressionNames = { selectors: [], grouping: [], introduced: [], presence: [] };
  const text = (from: number, to: number) => expression.slice(from, to);
  let labelFunctionDepth = 0;
  tree.iterate({
    enter(node) {
      if (node.type.isError) throw new Error(`does not parse at ${node.from}: ${expression}`);
      switch (node.name) {
        case 'VectorSelector': {
          const identifier = node.node.getChild('Identifier');
          const labels: string[] = [];
          for (const matcher of node.node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
            const label = matcher.getChild('LabelName');
            const value = matcher.getChild('StringLiteral');
            if (!label) continue;
            // `label=""` and `label!=""` ask whether a series has the label at all (error_type is set
            // on failures only): they name no label that must exist.
            if (value && /^(""|'')$/.test(text(value.from, value.to))) names.presence.push(text(label.from, label.to));
            else labels.push(text(label.from, label.to));
          }
          if (identifier) names.selectors.push({ metric: text(identifier.from, identifier.to), labels });
          break;
        }
        case 'GroupingLabels':
          for (const label of node.node.getChildren('LabelName')) names.grouping.push(text(label.from, label.to));
          break;
        case 'LabelReplace':
        case 'LabelJoin':
          labelFunctionDepth += 1;
          break;
        case 'StringLiteral':
          if (labelFunctionDepth > 0) names.introduced.push(JSON.parse(text(node.from, node.to).replace(/^'|'$/g, '"')) as string);
          break;
      }
      return undefined;
    },
    leave(node) {
      if (node.name === 'FunctionCall' && /^label_(replace|join)\(/.test(text(node.from, node.to))) labelFunctionDepth -= 1;
    },
  });
  return names;
}

/** Grafana's variables in a panel's expression, replaced by values that parse. */
export function withGrafanaVariables(expression: string): string {
  return expression
    .replace(/\$__(rate_interval|interval|range)\b/g, '1m')
    .replace(/\$\{?(\w+)\}?/g, (_match, name: string) => (name === 'vhost' ? '.*' : 'x'));
}
