/**
 * ops/: every metric the Grafana dashboard and the Prometheus alert rules name exists in the
 * keeper's registry (with the default process metrics), and the registry follows Prometheus
 * naming (counters end in _total, nothing else does; units in the name).
 */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import yaml from "js-yaml";
import { KeeperMetrics } from "../../src/server/metrics";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const RULES = path.join(ROOT, "ops", "prometheus", "keeper-alerts.yml");
const GRAFANA = path.join(ROOT, "ops", "grafana", "sif-keeper-dashboard.json");

/** Series Prometheus makes itself, not the keeper. */
const PROMETHEUS_SYNTHETIC = new Set(["up"]);
/** PromQL words that look like metric names. */
const PROMQL_WORDS = new Set([
  "sum", "by", "without", "rate", "increase", "irate", "time", "abs", "or", "and", "unless", "on", "ignoring", "group_left",
  "group_right", "histogram_quantile", "avg", "min", "max", "count", "topk", "bottomk", "le", "offset", "bool",
]);

/** Metric names in a PromQL expression (label matchers, strings and functions removed). */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"[^"]*"/g, '""')
    .replace(/\{[^}]*\}/g, "")
    .replace(/\[[^\]]*\]/g, "")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "");
  const names = stripped.match(/\b[a-zA-Z_:][a-zA-Z0-9_:]*\b/g) ?? [];
  return [...new Set(names.filter((n) => !PROMQL_WORDS.has(n) && !/^\d/.test(n) && !n.startsWith("$")))];
}

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: { summary: string };
}

function exposedNames(metrics: KeeperMetrics): Set<string> {
  const names = new Set<string>();
  for (const m of metrics.registry.getMetricsAsArray()) {
    const { name, type } = m as unknown as { name: string; type: string };
    names.add(name);
    if (type === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(`${name}${suffix}`);
    if (type === "summary") for (const suffix of ["_sum", "_count"]) names.add(`${name}${suffix}`);
  }
  return names;
}

describe("ops/ (Grafana dashboard, Prometheus alert rules)", () => {
  const metrics = new KeeperMetrics();
  const known = exposedNames(metrics);

  it("extracts metric names from PromQL, ignoring labels, ranges, functions and grouping", () => {
    expect(metricNamesIn('histogram_quantile(0.95, sum by (le, loop) (rate(keeper_cycle_duration_seconds_bucket{loop="risk"}[1h]))) > 120')).to.deep.equal([
      "keeper_cycle_duration_seconds_bucket",
    ]);
    expect(metricNamesIn("time() - keeper_loop_last_success_timestamp_seconds{loop=\"risk\"} > 2 * 3600 or up == 0")).to.deep.equal([
      "keeper_loop_last_success_timestamp_seconds",
      "up",
    ]);
  });

  it("every alert rule has a severity the keeper routes, a summary, and only metrics the registry exposes", () => {
    const doc = yaml.load(readFileSync(RULES, "utf8")) as { groups: { name: string; rules: Rule[] }[] };
    const rules = doc.groups.flatMap((g) => g.rules);
    expect(rules.length).to.be.at.least(15);
    const unknown: string[] = [];
    for (const rule of rules) {
      expect(rule.alert, JSON.stringify(rule)).to.match(/^[A-Z][A-Za-z]+$/);
      expect(["info", "warning", "critical"], rule.alert).to.include(rule.labels.severity);
      expect(rule.annotations.summary, rule.alert).to.be.a("string").and.not.be.empty;
      for (const name of metricNamesIn(rule.expr)) {
        if (!known.has(name) && !PROMETHEUS_SYNTHETIC.has(name)) unknown.push(`${rule.alert}: ${name}`);
      }
    }
    expect(unknown, "metrics named by alert rules but not exposed by the keeper").to.deep.equal([]);
  });

  it("every Grafana panel query names only metrics the registry exposes", () => {
    const dashboard = JSON.parse(readFileSync(GRAFANA, "utf8")) as { uid: string; panels: { title: string; targets: { expr: string }[] }[] };
    expect(dashboard.uid).to.equal("sif-keeper");
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, expr: t.expr })));
    expect(exprs.length).to.be.at.least(20);
    const unknown = exprs.flatMap(({ panel, expr }) => metricNamesIn(expr).filter((n) => !known.has(n)).map((n) => `${panel}: ${n}`));
    expect(unknown, "metrics named by Grafana panels but not exposed by the keeper").to.deep.equal([]);
    // The dashboard covers the status metrics.
    const used = new Set(exprs.flatMap(({ expr }) => metricNamesIn(expr)));
    for (const name of ["keeper_risk_score", "keeper_coverage_ratio", "keeper_coverage_usd", "keeper_account_balance_eth", "keeper_pending_tx_age_seconds", "keeper_nonce_gap", "keeper_latest_block_age_seconds", "keeper_open_incidents", "keeper_budget_used_usd", "keeper_reserve_ok", "keeper_cycle_duration_seconds_bucket"]) {
      expect(used.has(name), name).to.equal(true);
    }
  });

  it("the keeper's metrics follow Prometheus naming: counters end in _total, gauges and histograms never do", () => {
    const keeperMetrics = metrics.registry.getMetricsAsArray().map((m) => m as unknown as { name: string; type: string }).filter((m) => m.name.startsWith("keeper_"));
    expect(keeperMetrics.length).to.be.at.least(25);
    for (const { name, type } of keeperMetrics) {
      if (type === "counter") expect(name, name).to.match(/_total$/);
      else expect(name, `${type} ${name}`).not.to.match(/_total$/);
      expect(name, name).to.match(/^keeper_[a-z0-9_]+$/);
    }
    expect(keeperMetrics.filter((m) => m.name.startsWith("keeper_cycle_") && m.type === "histogram").map((m) => m.name)).to.deep.equal(["keeper_cycle_duration_seconds"]);
    expect(known.has("process_cpu_seconds_total") && known.has("nodejs_heap_size_used_bytes"), "default process metrics").to.equal(true);
  });
});
