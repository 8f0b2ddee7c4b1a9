/**
 * The keeper's Prometheus metrics (prom-client, one registry per daemon) with the default Node
 * process metrics. Naming follows Prometheus conventions: base units in the name (`_seconds`,
 * `_usd`, `_eth`), counters end in `_total`, gauges never do, one `keeper_cycle_duration_seconds`
 * histogram per loop. Status gauges (coverage, risk, balances, reserves, ...) are set from the
 * dashboard snapshot the daemon collects after its cycles.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { RpcStats } from "../execution/rpc";
import type { DashboardSnapshot } from "./dashboard/snapshot";

export const LOOP_NAMES = ["risk", "coverage", "incident"] as const;
export type LoopName = (typeof LOOP_NAMES)[number];

/** Cycle duration buckets, seconds: a steady risk cycle is ~0.1 s, a 200-position first coverage cycle ~20 s. */
const CYCLE_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

interface CycleStats {
  count: number;
  failures: number;
  lastSec: number;
  lastSuccessMs: number | undefined;
  lastError: string | undefined;
}

export interface KeeperMetricsOptions {
  readonly rpcStats?: () => RpcStats | undefined;
  readonly nowMs?: () => number;
  /** Node process metrics (default true). */
  readonly defaultMetrics?: boolean;
}

/** Every metric name the keeper registers besides the default process ones (ops/ is checked against the registry). */
export class KeeperMetrics {
  readonly registry = new Registry();
  readonly startedAtMs: number;
  private readonly cycles = new Map<LoopName, CycleStats>();
  private readonly nowMs: () => number;
  private readonly rpcStats: () => RpcStats | undefined;
  private readonly rpcSeen = { calls: new Map<string, number>(), errors: new Map<string, number>(), failovers: 0 };
  private latestBlockTimestamp: number | undefined;
  /** Component (a loop, or "rpc") → why it is degraded although it runs; /healthz is 503 while any is. */
  private readonly degradedBy = new Map<string, string>();
  private readonly degradedGauge: Gauge<"component">;
  private latestBlockSeenMs: number | undefined;

  private readonly cycleDuration: Histogram<"loop">;
  private readonly cycleFailures: Counter<"loop">;
  private readonly lastSuccess: Gauge<"loop">;
  private readonly actions: Counter<"kind" | "result">;
  private readonly gasUsed: Counter;
  private readonly gauges: Record<string, Gauge<string>> = {};

  constructor(options: KeeperMetricsOptions = {}) {
    this.nowMs = options.nowMs ?? Date.now;
    this.rpcStats = options.rpcStats ?? (() => undefined);
    this.startedAtMs = this.nowMs();
    const registers = [this.registry];
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });

    this.cycleDuration = new Histogram({ name: "keeper_cycle_duration_seconds", help: "Duration of keeper cycles per loop.", labelNames: ["loop"], buckets: CYCLE_BUCKETS, registers });
    this.cycleFailures = new Counter({ name: "keeper_cycle_failures_total", help: "Failed cycles per loop.", labelNames: ["loop"], registers });
    this.lastSuccess = new Gauge({ name: "keeper_loop_last_success_timestamp_seconds", help: "Unix time (wall clock) of the last successful cycle per loop; 0 = never.", labelNames: ["loop"], registers });
    this.actions = new Counter({ name: "keeper_actions_total", help: "Keeper actions by kind and result.", labelNames: ["kind", "result"], registers });
    this.degradedGauge = new Gauge({ name: "keeper_degraded", help: "1 while a component is degraded (claims that cannot be filed, a stale RPC node), else 0.", labelNames: ["component"], registers });
    this.gasUsed = new Counter({ name: "keeper_gas_used_total", help: "Gas used by confirmed keeper transactions.", registers });
    for (const loop of LOOP_NAMES) {
      this.cycles.set(loop, { count: 0, failures: 0, lastSec: 0, lastSuccessMs: undefined, lastError: undefined });
      this.cycleFailures.inc({ loop }, 0);
      this.lastSuccess.set({ loop }, 0);
    }

    const seen = this.rpcSeen;
    const stats = () => this.rpcStats();
    new Counter({
      name: "keeper_rpc_calls_total",
      help: "JSON-RPC calls answered, per URL host (redacted).",
      labelNames: ["url"],
      registers,
      collect() {
        for (const [url, s] of Object.entries(stats()?.byUrl ?? {})) {
          this.inc({ url }, Math.max(0, s.calls - (seen.calls.get(url) ?? 0)));
          seen.calls.set(url, Math.max(s.calls, seen.calls.get(url) ?? 0));
        }
      },
    });
    new Counter({
      name: "keeper_rpc_errors_total",
      help: "JSON-RPC transport errors, per URL host (redacted).",
      labelNames: ["url"],
      registers,
      collect() {
        for (const [url, s] of Object.entries(stats()?.byUrl ?? {})) {
          this.inc({ url }, Math.max(0, s.errors - (seen.errors.get(url) ?? 0)));
          seen.errors.set(url, Math.max(s.errors, seen.errors.get(url) ?? 0));
        }
      },
    });
    new Counter({
      name: "keeper_rpc_failovers_total",
      help: "Times the preferred RPC URL changed.",
      registers,
      collect() {
        const now = stats()?.failovers ?? 0;
        this.inc(Math.max(0, now - seen.failovers));
        seen.failovers = Math.max(now, seen.failovers);
      },
    });
    const self = this;
    new Gauge({
      name: "keeper_latest_block_age_seconds",
      help: "Wall-clock seconds since the latest block's timestamp, as of the last status read (chain time may be ahead on a dev chain).",
      registers,
      collect() {
        if (self.latestBlockTimestamp === undefined || self.latestBlockSeenMs === undefined) return;
        this.set(Math.round(self.nowMs() / 1000 - self.latestBlockTimestamp));
      },
    });

    const gauge = (name: string, help: string, labelNames: string[] = []) => {
      this.gauges[name] = new Gauge({ name, help, labelNames, registers });
    };
    gauge("keeper_open_claims", "Claims filed and not yet settled.");
    gauge("keeper_coverage_usd", "Live coverage of the operator's positions per protocol, USD.", ["protocol"]);
    gauge("keeper_position_usd", "Position the operator protects per protocol, USD.", ["protocol"]);
    gauge("keeper_target_coverage_usd", "Target (position × risk multiplier) per protocol, USD; see docs/keeper.md#vocabulary.", ["protocol"]);
    gauge("keeper_optimal_coverage_usd", "Deprecated alias of keeper_target_coverage_usd (the target: position × risk multiplier), USD.", ["protocol"]);
    gauge("keeper_coverage_ratio", "Coverage / target per protocol (the policy keeps it within 0.8-1.2).", ["protocol"]);
    gauge("keeper_premium_paid_usd", "Premiums paid for the positions' coverages per protocol, USD.", ["protocol"]);
    gauge("keeper_risk_score", "Score (assessed): composite risk 0-100 of the keeper's newest assessment per protocol.", ["protocol"]);
    gauge("keeper_onchain_risk_score", "Score (on-chain): composite risk 0-100 the fund holds per protocol (what premiums and the target use).", ["protocol"]);
    gauge("keeper_account_balance_eth", "Native balance of the keeper's signing account, ETH.");
    gauge("keeper_pending_transactions", "Keeper transactions sent and not yet mined (journal).");
    gauge("keeper_pending_tx_age_seconds", "Age of the oldest keeper transaction sent and not yet mined; 0 when none.");
    gauge("keeper_nonce_gap", "Pending minus latest nonce of the keeper's account (transactions in the mempool).");
    gauge("keeper_latest_block_number", "Latest block number seen by the last status read.");
    gauge("keeper_open_incidents", "Open incidents by state.", ["state"]);
    gauge("keeper_budget_used_usd", "Premium committed in the window (cycle = last coverage cycle, day = rolling 24 h), USD.", ["window"]);
    gauge("keeper_budget_limit_usd", "Premium budget per window, USD.", ["window"]);
    gauge("keeper_reserve_pool_usd", "The fund's self-insurance pool per asset, USD.", ["asset"]);
    gauge("keeper_reserve_required_usd", "Pool the reserve ratio requires for the self-insured coverage per asset, USD.", ["asset"]);
    gauge("keeper_reserve_ok", "1 when the pool meets the reserve ratio for the asset, else 0.", ["asset"]);
    gauge("keeper_status_timestamp_seconds", "Unix time (wall clock) of the last status read that fed these gauges.");
  }

  recordCycle(loop: LoopName, durationMs: number, ok: boolean, error?: string): void {
    const s = this.cycles.get(loop) as CycleStats;
    s.count += 1;
    s.lastSec = durationMs / 1000;
    this.cycleDuration.observe({ loop }, durationMs / 1000);
    if (ok) {
      s.lastSuccessMs = this.nowMs();
      s.lastError = undefined;
      this.lastSuccess.set({ loop }, Math.floor(s.lastSuccessMs / 1000));
    } else {
      s.failures += 1;
      s.lastError = error;
      this.cycleFailures.inc({ loop });
    }
  }

  recordAction(kind: string, result: string, gasUsed?: bigint): void {
    this.actions.inc({ kind, result });
    if (gasUsed !== undefined && gasUsed > 0n) this.gasUsed.inc(Number(gasUsed));
  }

  /** Sets the status gauges from a snapshot; gauges of sections that could not be read keep their last value. */
  updateStatus(s: DashboardSnapshot): void {
    const g = this.gauges;
    const set = (name: string, value: number, labels: Record<string, string> = {}) => g[name]?.set(labels, value);
    if (s.coverage !== null) {
      for (const name of ["keeper_coverage_usd", "keeper_position_usd", "keeper_target_coverage_usd", "keeper_optimal_coverage_usd", "keeper_coverage_ratio", "keeper_premium_paid_usd"]) g[name]?.reset();
      for (const row of s.coverage.rows) {
        const labels = { protocol: row.protocol };
        set("keeper_coverage_usd", row.coverageUsd, labels);
        set("keeper_position_usd", row.positionUsd, labels);
        set("keeper_target_coverage_usd", row.optimalUsd, labels);
        set("keeper_optimal_coverage_usd", row.optimalUsd, labels);
        if (row.ratio !== null) set("keeper_coverage_ratio", row.ratio, labels);
        set("keeper_premium_paid_usd", row.premiumPaidUsd, labels);
      }
    }
    for (const p of s.risk) {
      if (p.latest !== null) set("keeper_risk_score", p.latest.composite, { protocol: p.protocol });
      if (p.onChain !== null) set("keeper_onchain_risk_score", p.onChain.score, { protocol: p.protocol });
    }
    if (s.keeper !== null) {
      set("keeper_account_balance_eth", s.keeper.balanceEth);
      set("keeper_pending_transactions", s.keeper.pendingTxs);
      set("keeper_pending_tx_age_seconds", s.keeper.oldestPendingAgeSec);
      set("keeper_nonce_gap", Math.max(0, s.keeper.noncePending - s.keeper.nonceLatest));
    }
    if (s.chain !== null) {
      set("keeper_latest_block_number", s.chain.blockNumber);
      this.latestBlockTimestamp = s.chain.blockTimestamp;
      this.latestBlockSeenMs = s.generatedAtMs;
    }
    g["keeper_open_incidents"]?.reset();
    const byState = new Map<string, number>();
    for (const incident of s.incidents) if (incident.open) byState.set(incident.state, (byState.get(incident.state) ?? 0) + 1);
    for (const [state, n] of byState) set("keeper_open_incidents", n, { state });
    const openClaims = s.incidents.flatMap((i) => i.claims).filter((c) => c.fundClaimId !== null && (c.state === "filed" || c.state === "filing")).length;
    set("keeper_open_claims", openClaims);
    set("keeper_budget_used_usd", s.budget.cycleUsedUsd, { window: "cycle" });
    set("keeper_budget_used_usd", s.budget.dayUsedUsd, { window: "day" });
    set("keeper_budget_limit_usd", s.budget.cycleLimitUsd, { window: "cycle" });
    set("keeper_budget_limit_usd", s.budget.dayLimitUsd, { window: "day" });
    for (const r of s.reserves) {
      set("keeper_reserve_pool_usd", r.poolUsd, { asset: r.symbol });
      set("keeper_reserve_required_usd", r.requiredUsd, { asset: r.symbol });
      set("keeper_reserve_ok", r.ok ? 1 : 0, { asset: r.symbol });
    }
    set("keeper_status_timestamp_seconds", Math.floor(s.generatedAtMs / 1000));
  }

  /** A cycle's own assessed scores (a standby's read-only scoring): `keeper_risk_score` per protocol. */
  setAssessedScores(scores: Readonly<Record<string, number>>): void {
    for (const [protocol, score] of Object.entries(scores)) this.gauges["keeper_risk_score"]?.set({ protocol }, score);
  }

  lastSuccessMs(loop: LoopName): number | undefined {
    return this.cycles.get(loop)?.lastSuccessMs;
  }

  /** Cycles run by a loop (bench and tests). */
  cycleCount(loop: LoopName): number {
    return this.cycles.get(loop)?.count ?? 0;
  }

  /** Duration of a loop's last cycle, seconds (bench and tests). */
  lastCycleSeconds(loop: LoopName): number {
    return this.cycles.get(loop)?.lastSec ?? 0;
  }

  /**
   * A standby (PostgreSQL, another keeper leads) runs only its read-only loops: its loops are healthy while it waits,
   * and the grace restarts when it leads (/healthz stays 200: a standby is ready to take over).
   */
  setStandby(standby: boolean): void {
    if (this.standbySinceMs !== undefined && !standby) this.leadingSinceMs = this.nowMs();
    this.standbySinceMs = standby ? this.nowMs() : undefined;
  }
  private standbySinceMs: number | undefined;
  private leadingSinceMs: number | undefined;

  /** Health: every loop succeeded within 2 intervals (the start counts as a success for the grace). */
  /** Marks a component degraded (reason) or healthy again (undefined). */
  setDegraded(component: string, reason: string | undefined): void {
    if (reason === undefined) this.degradedBy.delete(component);
    else this.degradedBy.set(component, reason);
    this.degradedGauge.set({ component }, reason === undefined ? 0 : 1);
  }

  health(intervalsMs: Readonly<Record<LoopName, number>>): {
    ok: boolean;
    loops: Record<LoopName, LoopHealth>;
    degraded: Record<string, string>;
  } {
    const now = this.nowMs();
    const loops = {} as Record<LoopName, LoopHealth>;
    let ok = true;
    for (const loop of LOOP_NAMES) {
      const s = this.cycles.get(loop) as CycleStats;
      const since = this.standbySinceMs !== undefined ? now : s.lastSuccessMs ?? this.leadingSinceMs ?? this.startedAtMs;
      const limitMs = 2 * intervalsMs[loop];
      const healthy = now - since <= limitMs;
      ok &&= healthy;
      loops[loop] = {
        healthy,
        lastSuccess: s.lastSuccessMs === undefined ? null : new Date(s.lastSuccessMs).toISOString(),
        lastSuccessMs: s.lastSuccessMs ?? null,
        secondsSinceSuccess: s.lastSuccessMs === undefined ? null : Math.round((now - s.lastSuccessMs) / 1000),
        limitSeconds: Math.round(limitMs / 1000),
        cycles: s.count,
        failures: s.failures,
        ...(s.lastError !== undefined ? { lastError: s.lastError } : {}),
        ...(this.degradedBy.has(loop) ? { degraded: this.degradedBy.get(loop) as string } : {}),
      };
    }
    return { ok: ok && this.degradedBy.size === 0, loops, degraded: Object.fromEntries(this.degradedBy) };
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

export interface LoopHealth {
  readonly healthy: boolean;
  readonly lastSuccess: string | null;
  readonly lastSuccessMs: number | null;
  readonly secondsSinceSuccess: number | null;
  readonly limitSeconds: number;
  readonly cycles: number;
  readonly failures: number;
  readonly lastError?: string;
  /** Why the loop is degraded although its cycles succeed (e.g. claims that cannot be filed). */
  readonly degraded?: string;
}
