import { parser } from '@prometheus-io/lezer-promql';

/** One series selector of a PromQL expression: `name{label="value", other=~"a|b"}`. */
export interface Selector {
  metric: string;
  matchers: { label: string; op: string; value: string }[];
}

/**
 * The selectors of a PromQL expression, parsed by Prometheus' own grammar (the one its web UI uses).
 * Throws, naming the position, if the expression does not parse.
 */
export function selectorsOf(expr: string): Selector[] {
  const tree = parser.parse(expr);
  const errors: number[] = [];
  tree.iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(node.from);
    },
  });
  if (errors.length > 0) {
    throw new Error(`PromQL does not parse at ${errors[0]}: ${expr.slice(0, errors[0])} ⟨here⟩ ${expr.slice(errors[0])}`);
  }
  const text = (node: { from: number; to: number }) => expr.slice(node.from, node.to);
  const selectors: Selector[] = [];
  tree.iterate({
    enter: (ref) => {
      if (ref.name !== 'VectorSelector') return;
      const node = ref.node;
      const identifier = node.getChild('Identifier');
      if (identifier === null) throw new Error(`selector without a metric name in ${expr}: ${text(node)}`);
      const matchers: Selector['matchers'] = [];
      for (const matcher of node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
        const label = matcher.getChild('LabelName');
        const op = matcher.getChild('MatchOp');
        const value = matcher.getChild('StringLiteral');
        if (label === null || op === null || value === null) throw new Error(`unexpected matcher in ${expr}: ${text(matcher)}`);
        matchers.push({ label: text(label), op: text(op), value: JSON.parse(text(value)) as string });
      }
      selectors.push({ metric: text(identifier), matchers });
    },
  });
  return selectors;
}

/** Grafana's variables replaced as Grafana does before a query reaches Prometheus (`$instance` by a regex matching all). */
export function expandGrafanaVariables(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '30s')
    .replaceAll('$__range', '1h')
    .replace(/\$\{?(\w+)\}?/g, '.*');
}
