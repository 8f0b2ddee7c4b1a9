/**
 * `keeper run`: the single daemon of a state database. Takes the daemon lock (a second daemon
 * refuses), reconciles the action journal with the chain, then runs three loops — risk,
 * coverage, incident watch — each on its own interval with jitter, never overlapping itself.
 * The first cycles run once in order (risk → coverage → incident) so coverage decisions use
 * fresh scores; after that the loops are independent. Chain time is the one clock: every cycle reads the latest block's timestamp from the same
 * provider, and the loops' last successes are stored in kv with it.
 * `stop()` (SIGINT/SIGTERM): no new cycle starts, the in-flight cycle finishes its current action
 * (bounded by `shutdownGraceMs`; anything still unmined stays `sent` in the journal for the next
 * start's reconcile), timers stop, the health server and the database close.
 */
import type { ReadSnapshot } from "../sources/positions";
import type { KeeperConfig } from "../config";
import type { SendResult, TickReconciliation } from "../execution/txSender";
import type { RpcHealth, RpcStats } from "../execution/rpc";
import { buildCoverageReport, type CoverageReport } from "../policy/report";
import type { DaemonLock } from "../state/daemonLock";
import { pruneSummary, type PruneResult, type StateDb } from "../state";
import type { ClaimsCycleSummary } from "../cycles/claimsCycle";
import type { CoverageCycleSummary } from "../cycles/coverageCycle";
import { startHealthServer, type DashboardSource, type HealthServer } from "../server/health";
import { KeeperMetrics, LOOP_NAMES, type LoopName } from "../server/metrics";
import type { KeeperContainer } from "./container";
import { DashboardCollector } from "../server/dashboard/collector";
import type { DashboardSnapshot, LoopView } from "../server/dashboard/snapshot";
import type { Logger } from "../lib/logger";
import type { RiskCycleSummary } from "../cycles/riskCycle";
import { heldLine } from "../policy/coverageHeld";
import { formatIsoUtc } from "../lib/format";

export interface LoopResult {
  /** One status line for stdout. */
  readonly line: string;
  /** Chain time of the cycle. */
  readonly now: number;
  readonly actions: readonly { kind: string; result: string; gasUsed?: bigint }[];
  /** Why this loop is degraded although its cycle ran (e.g. claims that cannot be filed); /healthz turns 503. */
  readonly degraded?: string;
  /** Premium the cycle committed (coverage loop), USD wad; the dashboard's per-cycle budget. */
  readonly premiumCommittedWad?: bigint;
  /** Composite scores the cycle assessed (a standby's read-only scoring): its `keeper_risk_score` gauges. */
  readonly scores?: Readonly<Record<string, number>>;
}

export type LoopRunner = () => Promise<LoopResult>;

export interface DaemonOptions {
  readonly dryRun?: boolean;
  /** Max wait for the in-flight cycle on shutdown (default 20 s). */
  readonly shutdownGraceMs?: number;
  readonly random?: () => number;
  readonly out?: (line: string) => void;
}

export function intervalsMs(config: Pick<KeeperConfig, "intervals">): Record<LoopName, number> {
  return {
    risk: config.intervals.riskSec * 1000,
    coverage: config.intervals.coverageSec * 1000,
    incident: config.intervals.incidentWatchSec * 1000,
  };
}

/** interval × (1 ± jitter), uniformly. */
export function jittered(intervalMs: number, jitterFraction: number, random: () => number): number {
  return Math.max(0, Math.round(intervalMs * (1 + jitterFraction * (2 * random() - 1))));
}

/** The three loops over a container's cycles; each returns its status line and actions. */
export function containerLoops(container: KeeperContainer, dryRun: boolean): Record<LoopName, LoopRunner> {
  return {
    risk: async () => {
      const s: RiskCycleSummary = await container.riskCycle({ dryRun }).run({ dryRun });
      return {
        now: s.now,
        line: `risk chain=${formatIsoUtc(s.now)} protocols=${s.protocols} planned=${s.planned} txs=${s.transactions.length} failures=${s.failures.length} alerts=${s.alerts}${dryRun ? " dry-run" : ""}`,
        actions: [
          ...s.transactions.map((t) => ({ kind: "risk-push", result: "confirmed", gasUsed: BigInt(t.gasUsed) })),
          ...s.failures.map(() => ({ kind: "risk-push", result: "failed" })),
        ],
      };
    },
    coverage: async () => {
      const s: CoverageCycleSummary = await container.coverageCycle({ dryRun }).run({ dryRun });
      const count = (status: string) => s.actions.filter((a) => a.status === status).length;
      return {
        now: s.now,
        line: `coverage chain=${formatIsoUtc(s.now)} positions=${s.positions} planned=${s.planned} confirmed=${count("confirmed")} failed=${count("failed")} deferred=${s.deferred.length} unfundable=${s.unfundable.length} not-agent=${s.notAgent.length}${haltedLine(s)}${dryRun ? " dry-run" : ""}${heldText(s)}`,
        ...(s.held.length > 0 ? { degraded: `${s.held.length} coverage(s) cannot be bought or renewed: ${s.held.map((h) => heldLine(h, s.now)).join(" | ")}` } : {}),
        actions: s.actions.map((a) => ({ kind: a.kind, result: a.status, ...(a.gasUsed !== undefined ? { gasUsed: BigInt(a.gasUsed) } : {}) })),
        ...(dryRun ? {} : { premiumCommittedWad: BigInt(s.committedPremiumWad) }),
      };
    },
    incident: async () => {
      const s: ClaimsCycleSummary = await container.claimsCycle({ dryRun }).run({ dryRun });
      const scheduled = s.plans.filter((p) => p.kind === "schedule").length;
      const unfileable = s.unfileable.length;
      return {
        now: s.now,
        line:
          `incident chain=${formatIsoUtc(s.now)}${s.watch !== undefined && s.watch.rpcCalls > 0 ? ` watch block=${s.watch.block ?? "-"} reads=${s.watch.rpcCalls} drains=${s.watch.signals.length}` : ""} new=${s.newIncidents.length} suspected=${s.incidents.suspected} confirmed=${s.incidents.confirmed} halts=${s.halts.length} ` +
          `filed=${s.filed.filter((f) => f.status === "confirmed").length} scheduled=${scheduled} adopted=${s.adopted.length} unfileable=${unfileable} ` +
          `follow-ups=${s.followUps.filter((f) => f.kind === "settle").length} alerts=${s.alerts}${dryRun ? " dry-run" : ""}` +
          (unfileable > 0 ? ` (cannot file: ${[...new Set(s.unfileable.map((u) => u.reason))].join("; ")})` : ""),
        ...degradedOf([
          unfileable > 0 ? `${unfileable} claim(s) cannot be filed: ${[...new Set(s.unfileable.map((u) => u.reason))].join("; ")}` : undefined,
          unreadableChains(s.watch?.readings),
        ]),
        actions: [
          ...(s.watch?.reports ?? []).map((r) => ({ kind: "report-incident", result: r.status })),
          ...s.filed.map((f) => ({ kind: "file-claim", result: f.status })),
          ...s.halts.filter((h) => h.status !== undefined).map((h) => ({ kind: "report-incident", result: h.status as string })),
          ...s.followUps.filter((f) => f.status !== undefined).map((f) => ({ kind: "settle-claim", result: f.status as SendResult["status"] })),
        ],
      };
    },
  };
}

/** The other chains (`chains.<id>`) whose batch failed this tick: their positions keep their last values. */
function unreadableChains(readings: ReadSnapshot | undefined): string | undefined {
  const failed = (readings?.chains ?? []).filter((c) => c.chainId !== undefined && c.error !== undefined);
  if (failed.length === 0) return undefined;
  return `chain ${failed.map((c) => `${c.chainId} unreadable (${c.error})`).join(", chain ")}: its positions keep their last values and its drains are not seen`;
}

function degradedOf(reasons: readonly (string | undefined)[]): { degraded?: string } {
  const present = reasons.filter((r): r is string => r !== undefined);
  return present.length === 0 ? {} : { degraded: present.join("; ") };
}

/** " — cannot cover: aave-v3: no-quote-source — …; cover lapses … | …" (every held coverage by reason). */
function heldText(s: CoverageCycleSummary): string {
  // Incident halts are named by haltedLine.
  const held = s.held.filter((h) => h.reason !== "incident-halt");
  return held.length === 0 ? "" : ` — cannot cover: ${held.map((h) => heldLine(h, s.now)).join(" | ")}`;
}

/**
 * A standby's read-only loops: scoring (the risk cycle in a dry run — no push, no alert, no
 * assessment stored) and the exploit watch (a dry-run tick — observations in memory only, no
 * alert, no report, nothing stored). Coverage and claims do not run: they exist to act.
 */
export function standbyLoops(container: KeeperContainer): Partial<Record<LoopName, LoopRunner>> {
  return {
    risk: async () => {
      const s: RiskCycleSummary = await container.riskCycle({ dryRun: true }).run({ dryRun: true });
      const scores = Object.entries(s.scores).map(([id, score]) => `${id}=${score}`).join(",");
      return {
        now: s.now,
        line: `standby risk chain=${formatIsoUtc(s.now)} protocols=${s.protocols} scores=${scores !== "" ? scores : "-"} would-push=${s.planned} source-failures=${s.sourceFailures} read-only`,
        actions: [],
        scores: s.scores,
      };
    },
    incident: async () => {
      const w = await container.exploitWatch().tick({ dryRun: true });
      return {
        now: w.timestamp ?? 0,
        line: `standby watch block=${w.block ?? "-"} reads=${w.rpcCalls} signals=${w.signals.length} read-only`,
        actions: [],
        ...degradedOf([w.block === undefined && w.rpcCalls > 0 ? "exploit watch read failed" : undefined, unreadableChains(w.readings)]),
      };
    },
  };
}

/** " halted=aave-v3,..." when an incident stopped buying on some protocols. */
function haltedLine(s: CoverageCycleSummary): string {
  const ids = [...new Set(s.skipped.filter((k) => k.reason === "incident-halt").map((k) => k.protocolId))];
  return ids.length > 0 ? ` halted=${ids.join(",")} (incident: nothing bought, increased or renewed)` : "";
}

export interface DaemonHooks {
  /** Settles what a previous process left in flight (TxSender.reconcile). */
  readonly reconcile?: () => Promise<readonly SendResult[]>;
  /** Non-blocking pass over pending transactions, before every cycle (TxSender.reconcileTick). */
  readonly reconcileTick?: () => Promise<TickReconciliation>;
  /** Node freshness (FailoverJsonRpcProvider.health): a stale chain degrades /healthz. */
  readonly rpcHealth?: () => RpcHealth;
  readonly rpcStats?: () => RpcStats | undefined;
  /**
   * Reads the keeper's status (dashboard snapshot) after each successful cycle; it feeds the
   * status gauges of /metrics and the dashboard. `loops` is the daemon's own loop health.
   */
  readonly status?: (loops: () => readonly LoopView[]) => Promise<DashboardSnapshot>;
  /** After a prune that dropped stored drain signals: the exploit watch re-reads them. */
  readonly afterPrune?: (result: PruneResult) => void;
  /**
   * PostgreSQL standby: the read-only loops (scoring, the exploit watch) it runs on their intervals
   * while another keeper leads. They read sources and the chain and compute (warm caches, live
   * /metrics), but write nothing to the shared state, send no alert and never sign.
   */
  readonly readOnlyLoops?: Partial<Record<LoopName, LoopRunner>>;
  /** When a standby starts to lead, before its reconcile: re-read what the old leader stored (the watch's signals). */
  readonly onLead?: () => void;
}

/** Something that wants to see each daemon (an entry point serving its dashboard, e.g. the demo). */
export interface DaemonObserver {
  /** Called when a daemon is constructed. */
  readonly created?: (daemon: KeeperDaemon) => void;
}

const observers = new Set<DaemonObserver>();

/** Registers an observer of every daemon this process builds; returns the unregister function. */
export function observeDaemons(observer: DaemonObserver): () => void {
  observers.add(observer);
  return () => observers.delete(observer);
}

/** The coverage report at chain time from one snapshot. */
export async function currentCoverageReport(container: KeeperContainer): Promise<CoverageReport> {
  const coverage = container.coverageCycle({ dryRun: true });
  const positions = await coverage.positions();
  const snapshot = await coverage.snapshot(positions);
  return buildCoverageReport(positions, snapshot.coverage, snapshot.now);
}

/** Wires a daemon over a container: its loops, reconcile, RPC stats and report totals. */
export function daemonFor(container: KeeperContainer, options: DaemonOptions = {}): KeeperDaemon {
  const dryRun = options.dryRun === true;
  const provider = container.provider as { stats?: () => RpcStats; health?: () => RpcHealth };
  return new KeeperDaemon(
    container.config,
    container.state(),
    containerLoops(container, dryRun),
    container.logger,
    {
      ...(container.signer !== undefined
        ? { reconcile: () => container.txSender().reconcile(), reconcileTick: () => container.txSender().reconcileTick() }
        : {}),
      ...(typeof provider.stats === "function" ? { rpcStats: () => provider.stats?.() } : {}),
      ...(typeof provider.health === "function" ? { rpcHealth: () => provider.health?.() as RpcHealth } : {}),
      ...(container.fund !== undefined && container.lens !== undefined
        ? {
            status: (() => {
              let collector: DashboardCollector | undefined;
              return (loops: () => readonly LoopView[]) => {
                collector ??= new DashboardCollector({
                  config: container.config,
                  state: container.state(),
                  provider: container.provider,
                  fund: container.fund as NonNullable<KeeperContainer["fund"]>,
                  lens: container.lens as NonNullable<KeeperContainer["lens"]>,
                  coverage: container.coverageCycle({ dryRun: true }),
                  keeperAddress: container.keeperAddress,
                  loops,
                });
                return collector.collect();
              };
            })(),
          }
        : {}),
      afterPrune: (result) => {
        if (result.watchSignalIds.length > 0) container.exploitWatch().forget(result.watchSignalIds);
      },
      ...(container.state().dialect === "postgres" && container.fund !== undefined && container.lens !== undefined
        ? { readOnlyLoops: standbyLoops(container), onLead: () => container.exploitWatch().reload() }
        : {}),
    },
    options,
  );
}

export class KeeperDaemon {
  readonly metrics: KeeperMetrics;
  private lock: DaemonLock | undefined;
  private stopHeartbeat: (() => void) | undefined;
  private standbyTimer: NodeJS.Timeout | undefined;
  /** The standby's read-only loops: their timers and in-flight runs (stopped when this process leads). */
  private readonly standbyTimers = new Map<LoopName, NodeJS.Timeout>();
  private readonly standbyInFlight = new Map<LoopName, Promise<void>>();
  private standingBy = false;
  private health: HealthServer | undefined;
  private readonly timers = new Map<LoopName, NodeJS.Timeout>();
  private retentionTimer: NodeJS.Timeout | undefined;
  private pruning: Promise<PruneResult | undefined> | undefined;
  private readonly inFlight = new Map<LoopName, Promise<void>>();
  private stopping = false;
  /** Set when another process took the lock; the daemon has stopped (exit non-zero). */
  lockLost = false;
  private resolveDone: (reason: string) => void = () => undefined;
  /** Resolves with the stop reason once the daemon has stopped (signal, lock lost). */
  readonly done: Promise<string> = new Promise((resolve) => {
    this.resolveDone = resolve;
  });
  private stopped: Promise<void> | undefined;
  private readonly out: (line: string) => void;
  private readonly random: () => number;
  private readonly intervals: Record<LoopName, number>;

  constructor(
    private readonly config: KeeperConfig,
    private readonly state: StateDb,
    private readonly loops: Record<LoopName, LoopRunner>,
    private readonly logger: Logger,
    private readonly hooks: DaemonHooks = {},
    private readonly options: DaemonOptions = {},
  ) {
    this.metrics = new KeeperMetrics(hooks.rpcStats !== undefined ? { rpcStats: hooks.rpcStats } : {});
    this.out = options.out ?? ((line) => process.stdout.write(`${line}\n`));
    this.random = options.random ?? Math.random;
    this.intervals = intervalsMs(config);
    for (const observer of observers) observer.created?.(this);
  }

  get healthUrl(): string | undefined {
    return this.health?.url;
  }

  /** Each loop's interval (what /healthz measures against). */
  get loopIntervalsMs(): Readonly<Record<LoopName, number>> {
    return this.intervals;
  }

  /** The dashboard's data: the newest status snapshot. */
  readonly dashboard: DashboardSource = { latest: () => this.latestStatus };
  private latestStatus: DashboardSnapshot | undefined;
  private statusRead: Promise<void> | undefined;

  /** The loops as the dashboard shows them. */
  loopViews(): LoopView[] {
    const health = this.metrics.health(this.intervals);
    return LOOP_NAMES.map((loop) => {
      const h = health.loops[loop];
      const stored = this.state.db.open ? this.state.kv.get<{ chainTimeSec?: number; chainTime?: number }>(`loop:${loop}:lastSuccess`) : undefined;
      return {
        loop,
        healthy: h.healthy,
        lastSuccessMs: h.lastSuccessMs,
        lastChainTime: stored?.chainTimeSec ?? stored?.chainTime ?? null,
        cycles: h.cycles,
        failures: h.failures,
        lastError: h.lastError ?? null,
        intervalSec: Math.round(this.intervals[loop] / 1000),
      };
    });
  }

  /** Reads the status now (one read at a time); a failed read is logged and keeps the previous snapshot. */
  refreshStatus(): Promise<void> {
    const read = this.hooks.status;
    if (read === undefined) return Promise.resolve();
    this.statusRead ??= (async () => {
      try {
        const snapshot = await read(() => this.loopViews());
        this.latestStatus = snapshot;
        this.metrics.updateStatus(snapshot);
        if (snapshot.errors.length > 0) this.logger.warn({ errors: snapshot.errors }, "status read: some sections unavailable");
      } catch (err) {
        this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, "status read failed; the dashboard keeps the previous snapshot");
      } finally {
        this.statusRead = undefined;
      }
    })();
    return this.statusRead;
  }

  /**
   * Lock → reconcile → health server → loops (each runs once at once, then on its interval).
   * On PostgreSQL (state.url) the process may be a standby: the health server and dashboard start
   * at once, the read-only loops (hooks.readOnlyLoops: scoring, the watch) run while it waits,
   * `start()` returns, and the lock → reconcile → loops part runs once this process leads
   * (another keeper's session or lease ended) — the same reconcile as a restart.
   */
  async start(): Promise<void> {
    if (this.state.dialect === "postgres") {
      await this.startHealth();
      void this.leadWhenPossible();
      return;
    }
    this.holdLock(this.state.acquireDaemonLock({ logger: this.logger, staleAfterSec: this.config.state.lockStaleAfterSec }));
    const lock = this.lock as DaemonLock;
    try {
      if (this.hooks.reconcile !== undefined && this.options.dryRun !== true) {
        const results = await this.hooks.reconcile();
        for (const r of results) this.metrics.recordAction("reconcile", r.status);
      }
      await this.startHealth();
    } catch (err) {
      this.stopHeartbeat?.();
      lock.release();
      throw err;
    }
    this.logger.info({ intervalsMs: this.intervals, jitter: this.config.intervals.jitterFraction, dryRun: this.options.dryRun === true }, "keeper daemon started");
    // First cycles run in order (fresh scores before coverage decisions), then each loop on its own timer.
    void this.bootstrap();
  }

  /** True while this process holds the signing lock (on PostgreSQL: leads). */
  get leading(): boolean {
    return this.lock !== undefined && !this.lockLost;
  }

  private holdLock(lock: DaemonLock): void {
    this.lock = lock;
    this.stopHeartbeat = lock.startHeartbeat(Math.max(1000, Math.floor((this.config.state.lockStaleAfterSec * 1000) / 4)), (err) => {
      // Another process holds the database now: signing on would race it. Stop.
      this.lockLost = true;
      this.logger.error({ err: err.message }, "daemon lock lost: stopping");
      this.out(`${new Date().toISOString()} daemon lock lost — stopping: ${err.message}`);
      void this.stop("daemon lock lost");
    });
  }

  /** PostgreSQL: standby until this process leads, then reconcile (as after a restart) and the loops. */
  private async leadWhenPossible(): Promise<void> {
    const takeoverSeconds = this.config.ha.takeoverSeconds;
    try {
      const lock = await this.state.awaitLeadership({
        logger: this.logger,
        staleAfterSec: this.config.state.lockStaleAfterSec,
        takeoverSeconds,
        stopping: () => this.stopping,
        onStandby: () => {
          this.metrics.setStandby(true);
          // The dashboard of a standby: the shared state and the chain, read every 30 s.
          void this.refreshStatus();
          this.standbyTimer = setInterval(() => void this.refreshStatus(), 30_000);
          this.standbyTimer.unref();
          this.startStandbyLoops();
          this.logger.info({ state: this.state.path, takeoverSeconds }, "standby: another keeper leads; taking over when its session or lease ends");
          this.out(`${new Date().toISOString()} standby: another keeper leads (state ${this.state.path}); takeover within ${takeoverSeconds}s of its end`);
        },
      });
      if (lock === undefined || this.stopping) {
        lock?.release();
        return;
      }
      clearInterval(this.standbyTimer);
      await this.stopStandbyLoops();
      this.holdLock(lock);
      this.metrics.setStandby(false);
      this.hooks.onLead?.();
      this.out(`${new Date().toISOString()} leader: signing lock taken (fence ${lock.fence?.token ?? "-"})`);
      if (this.hooks.reconcile !== undefined && this.options.dryRun !== true) {
        const results = await this.hooks.reconcile();
        for (const r of results) this.metrics.recordAction("reconcile", r.status);
      }
    } catch (err) {
      this.logger.error({ err: (err as Error).message }, "leadership or reconcile failed: stopping");
      this.out(`${new Date().toISOString()} leadership failed — stopping: ${(err as Error).message}`);
      this.lockLost = true;
      void this.stop("leadership failed");
      return;
    }
    this.logger.info({ intervalsMs: this.intervals, jitter: this.config.intervals.jitterFraction, dryRun: this.options.dryRun === true }, "keeper daemon started (leader)");
    void this.bootstrap();
  }

  /** Standby: each read-only loop once at once, then on its interval (jittered), never overlapping itself. */
  private startStandbyLoops(): void {
    const loops = this.hooks.readOnlyLoops ?? {};
    this.standingBy = true;
    for (const loop of LOOP_NAMES) {
      const runner = loops[loop];
      if (runner === undefined) continue;
      const tick = (delayMs: number): void => {
        if (!this.standingBy || this.stopping) return;
        const timer = setTimeout(() => {
          this.standbyTimers.delete(loop);
          if (!this.standingBy || this.stopping) return;
          const run = this.runReadOnly(loop, runner);
          this.standbyInFlight.set(loop, run);
          void run.finally(() => {
            this.standbyInFlight.delete(loop);
            tick(jittered(this.intervals[loop], this.config.intervals.jitterFraction, this.random));
          });
        }, delayMs);
        timer.unref?.();
        this.standbyTimers.set(loop, timer);
      };
      tick(0);
    }
  }

  private async stopStandbyLoops(): Promise<void> {
    this.standingBy = false;
    for (const timer of this.standbyTimers.values()) clearTimeout(timer);
    this.standbyTimers.clear();
    await Promise.allSettled([...this.standbyInFlight.values()]);
  }

  /**
   * One read-only cycle of a standby: its metrics (cycles, duration, failures) and a stdout line,
   * but no kv write, no reconcile and no action — the shared state belongs to the leader.
   */
  private async runReadOnly(loop: LoopName, runner: LoopRunner): Promise<void> {
    const started = Date.now();
    try {
      const result = await runner();
      this.metrics.setDegraded(loop, result.degraded);
      if (result.scores !== undefined) this.metrics.setAssessedScores(result.scores);
      const ms = Date.now() - started;
      this.metrics.recordCycle(loop, ms, true);
      this.out(`${new Date().toISOString()} ${result.line} (${ms} ms)`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.metrics.recordCycle(loop, Date.now() - started, false, message);
      this.logger.warn({ loop, err: message }, "standby read-only cycle failed; retrying at the next interval");
      this.out(`${new Date().toISOString()} standby ${loop} FAILED: ${message}`);
    }
  }

  private async startHealth(): Promise<void> {
    {
      if (this.config.health.enabled) {
        const health = this.config.health;
        this.health = await startHealthServer({
          metrics: this.metrics,
          intervalsMs: this.intervals,
          host: health.host,
          port: health.port,
          ...(health.bearerToken !== undefined ? { bearerToken: health.bearerToken } : {}),
          ...(health.allowedHosts !== undefined ? { allowedHosts: health.allowedHosts } : {}),
          ...(health.dashboard ? { dashboard: this.dashboard } : {}),
          logger: this.logger,
        });
        this.logger.info({ url: this.health.url, host: health.host, auth: health.bearerToken !== undefined }, "health, metrics and dashboard listening");
        if (health.dashboard) this.out(`dashboard: ${this.health.url}/${health.bearerToken !== undefined ? " (the browser asks for a password: HEALTH_BEARER_TOKEN, any user name)" : ""}`);
      }
    }
  }

  private async bootstrap(): Promise<void> {
    for (const loop of LOOP_NAMES) {
      if (this.stopping) return;
      const run = this.runLoop(loop).then(() => undefined);
      this.inFlight.set(loop, run);
      await run;
      this.inFlight.delete(loop);
      this.schedule(loop, jittered(this.intervals[loop], this.config.intervals.jitterFraction, this.random));
    }
    // Retention: once after the first cycles (a daemon restarted often still prunes), then on its interval.
    if (this.options.dryRun !== true && this.config.state.retention.intervalHours > 0) {
      await this.prune();
      this.scheduleRetention();
    }
  }

  /**
   * Applies the retention rules once (state.retention), in batches that yield to the loops; logs
   * what went. One prune at a time; a failure is logged and retried at the next interval.
   */
  prune(options: { dryRun?: boolean } = {}): Promise<PruneResult | undefined> {
    this.pruning ??= (async () => {
      try {
        if (!this.state.db.open) return undefined;
        const { intervalHours: _interval, ...policy } = this.config.state.retention;
        const chainNowSec = this.state.retention.lastChainTime();
        const result = await this.state.retention.prune(policy, { ...options, ...(chainNowSec !== undefined ? { chainNowSec } : {}), pause: () => new Promise((resolve) => setImmediate(resolve)) });
        this.logger.info({ retention: result }, "state retention: pruned");
        this.out(`${new Date().toISOString()} retention ${pruneSummary(result)}`);
        if (!result.dryRun) this.hooks.afterPrune?.(result);
        return result;
      } catch (err) {
        this.logger.error({ err: err instanceof Error ? err.message : String(err) }, "state retention failed; retried at the next interval");
        return undefined;
      } finally {
        this.pruning = undefined;
      }
    })();
    return this.pruning;
  }

  private scheduleRetention(): void {
    if (this.stopping) return;
    this.retentionTimer = setTimeout(() => {
      this.retentionTimer = undefined;
      if (this.stopping) return;
      void this.prune().finally(() => this.scheduleRetention());
    }, Math.min(this.config.state.retention.intervalHours * 3_600_000, 2_147_483_647)); // setTimeout's ceiling: ~24.8 days
    this.retentionTimer.unref?.();
  }

  /** Graceful stop; idempotent. */
  stop(reason = "stop requested"): Promise<void> {
    this.stopped ??= this.shutdown(reason);
    return this.stopped;
  }

  private async shutdown(reason: string): Promise<void> {
    this.stopping = true;
    clearInterval(this.standbyTimer);
    await this.stopStandbyLoops();
    this.logger.info({ reason, inFlight: [...this.inFlight.keys()] }, "keeper daemon stopping");
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    if (this.retentionTimer !== undefined) clearTimeout(this.retentionTimer);
    await this.pruning;
    const grace = this.options.shutdownGraceMs ?? 20_000;
    const pending = Promise.allSettled([...this.inFlight.values()]);
    let graceTimer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      pending.then(() => false),
      new Promise<boolean>((resolve) => {
        graceTimer = setTimeout(() => resolve(true), grace);
      }),
    ]);
    if (graceTimer !== undefined) clearTimeout(graceTimer);
    if (timedOut) this.logger.warn({ graceMs: grace }, "in-flight cycle did not finish in time: its action stays journaled for the next start's reconcile");
    this.stopHeartbeat?.();
    await this.statusRead;
    await this.health?.close();
    this.state.close(); // releases the daemon lock (only if still ours: the release is token-checked)
    this.logger.info({}, "keeper daemon stopped");
    this.resolveDone(reason);
  }

  /** Runs one loop's cycle now (tests, `keeper once`). */
  async runLoop(loop: LoopName): Promise<LoopResult | undefined> {
    const started = Date.now();
    try {
      if (this.hooks.reconcileTick !== undefined && this.options.dryRun !== true) {
        try {
          const tick = await this.hooks.reconcileTick();
          for (const r of tick.settled) this.metrics.recordAction("reconcile", r.status);
        } catch (err) {
          this.logger.warn({ loop, err: (err as Error).message }, "pending-transaction reconcile failed; the cycle runs anyway");
        }
      }
      const result = await this.loops[loop]();
      this.metrics.setDegraded(loop, result.degraded);
      if (this.hooks.rpcHealth !== undefined) {
        const rpc = this.hooks.rpcHealth();
        this.metrics.setDegraded("rpc", rpc.ok ? undefined : rpc.detail ?? "every RPC node is stale");
      }
      const ms = Date.now() - started;
      this.metrics.recordCycle(loop, ms, true);
      for (const a of result.actions) this.metrics.recordAction(a.kind, a.result, a.gasUsed);
      if (!this.stopping || this.state.db.open) {
        this.state.kv.set(`loop:${loop}:lastSuccess`, { chainTimeSec: result.now, wallMs: Date.now(), durationMs: ms });
        if (result.premiumCommittedWad !== undefined) this.state.kv.set("budget:lastCycle", { at: result.now, committedWad: result.premiumCommittedWad.toString() });
      }
      this.out(`${new Date().toISOString()} ${result.line} (${ms} ms)`);
      if (this.state.db.open) await this.refreshStatus();
      return result;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.metrics.recordCycle(loop, Date.now() - started, false, message);
      this.logger.error({ loop, err: message }, "cycle failed; retrying at the next interval");
      if (this.state.db.open) this.state.kv.set(`loop:${loop}:lastFailure`, { wallMs: Date.now(), error: message });
      this.out(`${new Date().toISOString()} ${loop} FAILED: ${message}`);
      return undefined;
    }
  }

  private schedule(loop: LoopName, delayMs: number): void {
    if (this.stopping) return;
    const timer = setTimeout(() => {
      this.timers.delete(loop);
      if (this.stopping) return;
      const run = this.runLoop(loop).then(() => undefined);
      this.inFlight.set(loop, run);
      void run.finally(() => {
        this.inFlight.delete(loop);
        this.schedule(loop, jittered(this.intervals[loop], this.config.intervals.jitterFraction, this.random));
      });
    }, delayMs);
    this.timers.set(loop, timer);
  }
}
