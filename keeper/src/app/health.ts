/**
 * Observability on 127.0.0.1: `/healthz` (200 when every loop succeeded within 2 of its
 * intervals — counted from the daemon's start before a first success — else 503 with JSON
 * detail) and `/metrics` in the Prometheus text exposition format (hand-written, v0.0.4).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { RpcStats } from "../execution/rpc";

export const LOOP_NAMES = ["risk", "coverage", "incident"] as const;
export type LoopName = (typeof LOOP_NAMES)[number];

interface CycleStats {
  count: number;
  failures: number;
  sumSec: number;
  lastSec: number;
  lastSuccessMs: number | undefined;
  lastError: string | undefined;
}

/** In-process counters the daemon updates and `/metrics` renders. */
export class KeeperMetrics {
  readonly startedAtMs: number;
  private readonly cycles = new Map<LoopName, CycleStats>();
  private readonly actions = new Map<string, number>();
  private gasUsed = 0n;
  private coverageWad = 0n;
  private premiumWad = 0n;
  private openClaims = 0;
  /** Component → why it is degraded (e.g. claims that cannot be filed, a stale RPC node). */
  private readonly degraded = new Map<string, string>();

  constructor(
    private readonly rpcStats: () => RpcStats | undefined = () => undefined,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.startedAtMs = nowMs();
    for (const loop of LOOP_NAMES) this.cycles.set(loop, { count: 0, failures: 0, sumSec: 0, lastSec: 0, lastSuccessMs: undefined, lastError: undefined });
  }

  recordCycle(loop: LoopName, durationMs: number, ok: boolean, error?: string): void {
    const s = this.cycles.get(loop) as CycleStats;
    s.count += 1;
    s.sumSec += durationMs / 1000;
    s.lastSec = durationMs / 1000;
    if (ok) {
      s.lastSuccessMs = this.nowMs();
      s.lastError = undefined;
    } else {
      s.failures += 1;
      s.lastError = error;
    }
  }

  recordAction(kind: string, result: string, gasUsed?: bigint): void {
    const key = `${kind}\u0000${result}`;
    this.actions.set(key, (this.actions.get(key) ?? 0) + 1);
    if (gasUsed !== undefined) this.gasUsed += gasUsed;
  }

  setTotals(totals: { coverageWad?: bigint; premiumWad?: bigint; openClaims?: number }): void {
    if (totals.coverageWad !== undefined) this.coverageWad = totals.coverageWad;
    if (totals.premiumWad !== undefined) this.premiumWad = totals.premiumWad;
    if (totals.openClaims !== undefined) this.openClaims = totals.openClaims;
  }

  /** Marks a component degraded (reason) or healthy again (undefined); /healthz is 503 while any is degraded. */
  setDegraded(component: string, reason: string | undefined): void {
    if (reason === undefined) this.degraded.delete(component);
    else this.degraded.set(component, reason);
  }

  lastSuccessMs(loop: LoopName): number | undefined {
    return this.cycles.get(loop)?.lastSuccessMs;
  }

  /** Health: every loop succeeded within 2 intervals (the start counts as a success for the grace). */
  health(intervalsMs: Readonly<Record<LoopName, number>>): { ok: boolean; loops: Record<string, unknown> } {
    const now = this.nowMs();
    const loops: Record<string, unknown> = {};
    let ok = true;
    for (const loop of LOOP_NAMES) {
      const s = this.cycles.get(loop) as CycleStats;
      const since = s.lastSuccessMs ?? this.startedAtMs;
      const limitMs = 2 * intervalsMs[loop];
      const healthy = now - since <= limitMs;
      ok &&= healthy;
      loops[loop] = {
        healthy,
        lastSuccess: s.lastSuccessMs === undefined ? null : new Date(s.lastSuccessMs).toISOString(),
        secondsSinceSuccess: s.lastSuccessMs === undefined ? null : Math.round((now - s.lastSuccessMs) / 1000),
        limitSeconds: Math.round(limitMs / 1000),
        cycles: s.count,
        failures: s.failures,
        ...(s.lastError !== undefined ? { lastError: s.lastError } : {}),
      };
    }
    for (const [component, reason] of this.degraded) loops[component] = { ...(loops[component] as object | undefined), healthy: false, degraded: reason };
    return { ok: ok && this.degraded.size === 0, loops };
  }

  /** Prometheus text format. */
  render(): string {
    const lines: string[] = [];
    const metric = (name: string, type: "counter" | "gauge", help: string, samples: readonly [Record<string, string>, number | string][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`${name}${formatLabels(labels)} ${value}`);
    };
    const loops = LOOP_NAMES.map((loop) => [loop, this.cycles.get(loop) as CycleStats] as const);
    metric("keeper_cycle_duration_seconds_sum", "counter", "Total seconds spent in cycles per loop.", loops.map(([l, s]) => [{ loop: l }, round(s.sumSec)]));
    metric("keeper_cycle_duration_seconds_count", "counter", "Cycles run per loop.", loops.map(([l, s]) => [{ loop: l }, s.count]));
    metric("keeper_cycle_last_duration_seconds", "gauge", "Duration of the last cycle per loop.", loops.map(([l, s]) => [{ loop: l }, round(s.lastSec)]));
    metric("keeper_cycle_failures_total", "counter", "Failed cycles per loop.", loops.map(([l, s]) => [{ loop: l }, s.failures]));
    metric(
      "keeper_loop_last_success_timestamp_seconds",
      "gauge",
      "Unix time of the last successful cycle per loop (0 = never).",
      loops.map(([l, s]) => [{ loop: l }, s.lastSuccessMs === undefined ? 0 : Math.floor(s.lastSuccessMs / 1000)]),
    );
    metric(
      "keeper_actions_total",
      "counter",
      "Keeper actions by type and result.",
      [...this.actions.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, n]) => {
        const [kind, result] = key.split("\u0000");
        return [{ kind: kind ?? "", result: result ?? "" }, n];
      }),
    );
    const rpc = this.rpcStats();
    metric("keeper_rpc_calls_total", "counter", "JSON-RPC calls answered, per URL host.", rpc === undefined ? [] : Object.entries(rpc.byUrl).map(([url, s]) => [{ url }, s.calls]));
    metric("keeper_rpc_errors_total", "counter", "JSON-RPC transport errors, per URL host.", rpc === undefined ? [] : Object.entries(rpc.byUrl).map(([url, s]) => [{ url }, s.errors]));
    metric("keeper_rpc_failovers_total", "counter", "Times the preferred RPC URL changed.", [[{}, rpc?.failovers ?? 0]]);
    metric("keeper_gas_used_total", "counter", "Gas used by confirmed keeper transactions.", [[{}, this.gasUsed.toString()]]);
    metric("keeper_coverage_total_usd", "gauge", "Live coverage of the positions, USD.", [[{}, wadToDecimal(this.coverageWad)]]);
    metric("keeper_premium_paid_total_usd", "gauge", "Premiums paid for the positions' coverages, USD.", [[{}, wadToDecimal(this.premiumWad)]]);
    metric("keeper_open_claims", "gauge", "Claims filed and not yet settled.", [[{}, this.openClaims]]);
    return `${lines.join("\n")}\n`;
  }
}

function formatLabels(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return "";
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`).join(",")}}`;
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** USD wad → decimal string with 2 decimals. */
function wadToDecimal(wad: bigint): string {
  const cents = wad / 10n ** 16n;
  return `${cents / 100n}.${(cents % 100n).toString().padStart(2, "0")}`;
}

export interface HealthServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** Serves /healthz and /metrics on 127.0.0.1 only. */
export async function startHealthServer(
  metrics: KeeperMetrics,
  intervalsMs: Readonly<Record<LoopName, number>>,
  port: number,
): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET") {
      res.writeHead(405, { allow: "GET" }).end();
      return;
    }
    if (path === "/healthz") {
      const health = metrics.health(intervalsMs);
      res.writeHead(health.ok ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: health.ok ? "ok" : "unhealthy", loops: health.loops }));
      return;
    }
    if (path === "/metrics") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
      res.end(metrics.render());
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found: use /healthz or /metrics\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    port: bound,
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
