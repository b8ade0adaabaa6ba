/**
 * deploy/grafana/dativo.json and deploy/prometheus/alerts.yaml query only what we export: every
 * metric named is in the registry (host/observability/metrics.ts), and every label a selector
 * filters on is one of that metric's labels. A renamed metric or label fails here, not on a
 * dashboard that silently shows "No data".
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { metricsRegistry } from '../../../host/observability/metrics.js';
import { REPO } from '../../helpers/cli.js';

const exported = new Map(
  metricsRegistry
    .getMetricsAsArray()
    .map((m) => [m.name, new Set((m as unknown as { labelNames: string[] }).labelNames ?? [])]),
);

function dashboardQueries(): string[] {
  const dash = JSON.parse(readFileSync(`${REPO}/deploy/grafana/dativo.json`, 'utf8'));
  const targets = dash.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((t) => t.expr));
  const vars = dash.templating.list
    .filter((v: { type: string }) => v.type === 'query')
    .map((v: { query: string }) => v.query);
  return [...targets, ...vars];
}

function alertQueries(): string[] {
  const rules = parse(readFileSync(`${REPO}/deploy/prometheus/alerts.yaml`, 'utf8'));
  return rules.groups.flatMap((g: { rules: { expr: string }[] }) => g.rules.map((r) => r.expr));
}

/** Each `dativo_…` metric of a PromQL expression with the label names its selector uses. */
function selectors(expr: string): { metric: string; labels: string[] }[] {
  const out: { metric: string; labels: string[] }[] = [];
  for (const m of expr.matchAll(/\b(dativo_[a-z0-9_]+)\s*(\{[^}]*\})?/g)) {
    const labels = [...(m[2] ?? '').matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1]!);
    out.push({ metric: m[1]!, labels });
  }
  return out;
}

function check(queries: string[]): void {
  expect(queries.length).toBeGreaterThan(0);
  for (const q of queries) {
    const found = selectors(q);
    expect(found.length, `no dativo metric in: ${q}`).toBeGreaterThan(0);
    for (const { metric, labels } of found) {
      const base = metric.replace(/_(bucket|sum|count)$/, '');
      const name = exported.has(metric) ? metric : base;
      expect(exported.has(name), `${metric} is not exported (in: ${q})`).toBe(true);
      const allowed = new Set([...exported.get(name)!, ...(metric.endsWith('_bucket') ? ['le'] : [])]);
      for (const l of labels) expect(allowed.has(l), `${metric} has no label ${l} (in: ${q})`).toBe(true);
    }
  }
}

describe('dashboards and alerts name only exported metrics and labels', () => {
  it('grafana dashboard', () => {
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThanOrEqual(12);
    check(queries);
  });

  it('prometheus alerts: run failed and job stale are there', () => {
    const rules = parse(readFileSync(`${REPO}/deploy/prometheus/alerts.yaml`, 'utf8'));
    const names = rules.groups.flatMap((g: { rules: { alert: string }[] }) => g.rules.map((r) => r.alert));
    expect(names).toEqual(expect.arrayContaining(['DativoRunFailed', 'DativoJobStale']));
    check(alertQueries());
  });

  it('the check itself catches a metric or a label we do not export', () => {
    expect(() => check(['rate(dativo_rows_writen_total[5m])'])).toThrow(/not exported/);
    expect(() => check(['dativo_runs_total{state="failed"}'])).toThrow(/has no label state/);
  });
});
