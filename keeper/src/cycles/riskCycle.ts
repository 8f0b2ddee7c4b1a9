/**
 * One risk cycle: chain time → metrics → assessments → ONE batched read of the on-chain risk
 * state (FundLens) → push plan (stepped, chunked) → pushes → alerts on big moves.
 *
 * RPC reads per cycle do not depend on the portfolio size: `eth_getBlockByNumber(latest)` for
 * `now`, one `eth_call` to `FundLens.getProtocolStates`, plus `fund.parameters()` once per process.
 */
import type { FundLens } from "../../../typechain-types/contracts/FundLens";
import type { StablecoinInsuranceFund } from "../../../typechain-types/contracts/StablecoinInsuranceFund";
import type { ProtocolConfig } from "../config/schema";
import {
  COMPONENT_KEYS,
  chunkPushes,
  detectRiskAlerts,
  planRiskPushes,
  type OnChainRiskState,
  type PlannedPush,
  type PushReason,
  type RiskPushParams,
  type RiskPushPlan,
  type RiskSnapshot,
  type SkipReason,
} from "../policy/riskPush";
import { assessProtocol, compositeRisk, failedAssessment } from "../scoring";
import type { ComponentRisks, RiskAssessment } from "../scoring/types";
import type { ProtocolMetrics } from "../domain/types";
import type { RiskDataSource } from "../sources/types";
import type { RiskPusher, FailedChunk, PushedTransaction } from "../execution/riskPusher";
import { riskComponentsOf } from "./chainState";
import { riskAlertToAlert, type Alert, type Alerter } from "../alerting";
import { mergeIncidentExploits, type IncidentForScoring } from "../policy/incidentExploits";
import type { Logger } from "../lib/logger";
import type { AssessmentRepository } from "../state/assessments";


/** The part of an ethers Provider the cycle needs: the latest block's timestamp is `now`. */
export interface ChainClock {
  getBlock(blockTag: "latest"): Promise<{ readonly timestamp: number } | null>;
}

export async function chainNow(clock: ChainClock): Promise<number> {
  const block = await clock.getBlock("latest");
  if (block === null) throw new Error("the RPC returned no latest block");
  return block.timestamp;
}

export interface AssessedProtocol {
  readonly protocol: ProtocolConfig;
  /** Undefined when the source failed for this protocol. */
  readonly metrics: ProtocolMetrics | undefined;
  /** Keyed by the protocol id (as the scorer returns it). */
  readonly assessment: RiskAssessment;
}

/**
 * Fetches and scores every protocol at `now`. A source failure (throw, or no entry for a protocol)
 * becomes `failedAssessment` — every component at its high-risk default, never a low score.
 */
export async function assessProtocols(
  source: RiskDataSource,
  protocols: readonly ProtocolConfig[],
  now: number,
  logger: Logger,
): Promise<AssessedProtocol[]> {
  let fetched: ProtocolMetrics[] | undefined;
  let failure: string | undefined;
  try {
    fetched = await source.fetchMetrics(protocols, now);
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
    logger.error({ source: source.name, err: failure }, "risk data source failed: every protocol scored with high-risk defaults");
  }
  const byId = new Map((fetched ?? []).map((m) => [m.protocol, m]));
  return protocols.map((protocol) => {
    const metrics = byId.get(protocol.id);
    const assessment =
      metrics !== undefined
        ? assessProtocol(metrics, now)
        : failedAssessment(protocol.id, now, failure !== undefined ? `source failed: ${failure}` : "source returned no metrics");
    if (assessment.missing.length > 0) {
      logger.warn(
        { protocol: protocol.id, confidence: assessment.confidence, missing: assessment.missing },
        "assessment used high-risk defaults for missing or invalid metrics",
      );
    }
    return { protocol, metrics, assessment };
  });
}

/** One planned push as the summary shows it. */
export interface PlannedPushSummary {
  /** Protocol id from the config. */
  readonly protocol: string;
  readonly address: string;
  readonly values: ComponentRisks;
  readonly target: ComponentRisks;
  readonly current: ComponentRisks;
  readonly reasons: readonly PushReason[];
  readonly stepped: boolean;
}

export type RiskCycleParams = Omit<RiskPushParams, "maxDecreasePerDay">;

export interface RiskCycleDeps {
  readonly clock: ChainClock;
  readonly fund: StablecoinInsuranceFund;
  readonly lens: FundLens;
  readonly source: RiskDataSource;
  readonly pusher: RiskPusher;
  readonly alerter: Alerter;
  readonly protocols: readonly ProtocolConfig[];
  readonly params: RiskCycleParams;
  /** Alert when a composite moves by more than this (default 10). */
  readonly alertThresholdPoints?: number;
  /**
   * The state database's assessment history: the previous assessment of each protocol is read
   * from it (so a cron `keeper once` alerts on a move since the last run) and this cycle's are
   * stored (the dashboard's risk history; not written in a dry run). Without it the previous
   * assessments live in memory only.
   */
  readonly assessments?: Pick<AssessmentRepository, "latest" | "record">;
  readonly logger: Logger;
  /** Stored incidents: confirmed ones count as exploits in the exploit-history component. */
  readonly incidents?: () => readonly IncidentForScoring[];
}

export interface RiskCycleSummary {
  readonly now: number;
  readonly dryRun: boolean;
  readonly protocols: number;
  /** Protocols scored with every metric missing (source failure). */
  readonly sourceFailures: number;
  /** Protocols with at least one missing or invalid metric. */
  readonly degraded: number;
  readonly planned: number;
  readonly skipped: Readonly<Partial<Record<SkipReason, number>>>;
  readonly chunks: number;
  readonly pushes: readonly PlannedPushSummary[];
  readonly transactions: readonly PushedTransaction[];
  readonly failures: readonly FailedChunk[];
  readonly itemsPushed: number;
  readonly gasUsed: string;
  readonly alerts: number;
  readonly maxDecreasePerDay: number;
  /** Protocols whose rise the outage policy held back (a source failed or confidence is low). */
  readonly heldRises: number;
  /** This cycle's assessed composite score (0-100) per protocol id. */
  readonly scores: Readonly<Record<string, number>>;
}

/** Runs risk cycles; keeps the previous assessments in memory for the alert rule. */
export class RiskCycle {
  private maxDecreasePerDay: number | undefined;
  private previous = new Map<string, RiskSnapshot>();
  /** Held components last alerted per protocol, so an outage alerts once, not every cycle. */
  private heldAlerted = new Map<string, string>();
  private fundAddress: string | undefined;
  private byAddress: Map<string, ProtocolConfig> | undefined;

  constructor(private readonly deps: RiskCycleDeps) {}

  async run(options: { dryRun?: boolean } = {}): Promise<RiskCycleSummary> {
    const { deps } = this;
    const dryRun = options.dryRun === true;
    const now = await chainNow(deps.clock);
    const assessed = await assessProtocols(this.sourceWithIncidents(), deps.protocols, now, deps.logger);
    const { onChain, maxDecreasePerDay } = await this.readOnChainRisk();
    // The policy keys protocols by their fund address.
    const byAddress = assessed.map((a) => ({ ...a.assessment, protocol: a.protocol.address }));
    const params: RiskPushParams = { ...deps.params, maxDecreasePerDay };
    const plan = planRiskPushes(onChain, byAddress, now, params);
    const chunks = chunkPushes(plan.pushes, params);
    const skipped = countSkips(plan);
    deps.logger.info({ now, planned: plan.pushes.length, chunks: chunks.length, skipped, dryRun }, "risk push plan");
    this.logStepping(plan.pushes, maxDecreasePerDay);
    const result = await deps.pusher.push(chunks, { dryRun, cycleKey: String(now) });
    const before = this.previousAssessments(byAddress);
    await this.alertHeldRises(plan, assessed, now, dryRun);
    const alerts = await this.alertRiskMoves(before, byAddress, assessed, plan, dryRun);
    return {
      now,
      dryRun,
      protocols: deps.protocols.length,
      sourceFailures: assessed.filter((a) => a.metrics === undefined).length,
      degraded: assessed.filter((a) => a.assessment.missing.length > 0).length,
      planned: plan.pushes.length,
      skipped,
      chunks: chunks.length,
      pushes: plan.pushes.map((p) => this.pushSummary(p)),
      transactions: result.transactions,
      failures: result.failures,
      itemsPushed: result.itemsPushed,
      gasUsed: result.gasUsed.toString(),
      alerts,
      maxDecreasePerDay,
      heldRises: plan.heldRises.length,
      scores: Object.fromEntries(assessed.map((a) => [a.protocol.id, a.assessment.composite])),
    };
  }

  /** The risk source, with the stored incidents merged in as exploits when there are any. */
  private sourceWithIncidents(): RiskDataSource {
    const { deps } = this;
    const incidents = deps.incidents?.() ?? [];
    return incidents.length === 0
      ? deps.source
      : { name: deps.source.name, fetchMetrics: async (p, at) => (await deps.source.fetchMetrics(p, at)).map((m) => mergeIncidentExploits(m, incidents, at)) };
  }

  /** The fund's current risk components per protocol, and its decrease limit. */
  private async readOnChainRisk(): Promise<{ onChain: OnChainRiskState[]; maxDecreasePerDay: number }> {
    const { deps } = this;
    const fundAddress = (this.fundAddress ??= await deps.fund.getAddress());
    const addresses = deps.protocols.map((p) => p.address);
    const [states, maxDecreasePerDay] = await Promise.all([deps.lens.getProtocolStates(fundAddress, addresses, 0), this.decreaseLimit()]);
    const onChain: OnChainRiskState[] = states.map((s) => ({
      protocol: s.protocol,
      components: riskComponentsOf(s.risk),
      lastUpdated: Number(s.risk.lastUpdated),
      score: Number(s.riskScore),
    }));
    return { onChain, maxDecreasePerDay };
  }

  /**
   * One line per push the fund's decrease limit holds above its assessment: the keeper is stepping
   * towards the assessed score and later ticks go on.
   */
  private logStepping(pushes: readonly PlannedPush[], maxDecreasePerDay: number): void {
    for (const push of pushes) {
      if (!push.stepped) continue;
      const assessed = compositeRisk(push.target);
      const pushing = compositeRisk(push.values);
      const components = COMPONENT_KEYS.filter((k) => push.values[k] !== push.target[k]).map((k) => `${k} ${push.target[k]}→${push.values[k]}`);
      this.deps.logger.info(
        { protocol: this.protocolAt(push.protocol)?.id ?? push.protocol, assessed, pushing, components, firstScore: push.isNew },
        `score (assessed) ${assessed}, pushing ${pushing} on-chain: the fund lowers a score by at most ${maxDecreasePerDay}/day` +
          (push.isNew ? " (a first score counts from 90)" : ""),
      );
    }
  }

  /** The configured protocol at a fund address. */
  private protocolAt(address: string): ProtocolConfig | undefined {
    this.byAddress ??= new Map(this.deps.protocols.map((p) => [p.address.toLowerCase(), p]));
    return this.byAddress.get(address.toLowerCase());
  }

  private pushSummary(p: PlannedPush): PlannedPushSummary {
    return { protocol: this.protocolAt(p.protocol)?.id ?? p.protocol, address: p.protocol, values: p.values, target: p.target, current: p.current, reasons: p.reasons, stepped: p.stepped };
  }

  /**
   * The previous assessment: from the state database when it has one (so a cron `keeper once`
   * compares with the last run), else from this process's memory.
   */
  private previousAssessments(byAddress: readonly RiskAssessment[]): ReadonlyMap<string, RiskSnapshot> {
    const { deps } = this;
    if (deps.assessments === undefined) return this.previous;
    const stored = new Map<string, RiskSnapshot>();
    for (const a of byAddress) {
      // Stored assessments are keyed by protocol id (the dashboard's risk history reads them so).
      const last = deps.assessments.latest(this.protocolAt(a.protocol)?.id ?? a.protocol);
      if (last !== undefined) stored.set(a.protocol, { composite: last.composite, category: last.category });
    }
    return stored;
  }

  /** One alert per held rise (an outage alerts once, not every cycle). */
  private async alertHeldRises(plan: RiskPushPlan, assessed: readonly AssessedProtocol[], now: number, dryRun: boolean): Promise<void> {
    const { deps } = this;
    const heldNow = new Map<string, string>();
    for (const entry of plan.heldRises) {
      const protocol = this.protocolAt(entry.protocol);
      const signature = entry.held.map((h) => `${h.component}:${h.wanted}`).join(",") || "unscored";
      heldNow.set(entry.protocol, signature);
      if (this.heldAlerted.get(entry.protocol) === signature) continue;
      const missing = assessed.find((a) => a.protocol.address.toLowerCase() === entry.protocol.toLowerCase())?.assessment.missing ?? [];
      const alert: Alert = {
        severity: "warning",
        title: `${protocol?.name ?? entry.protocol}: risk rise held back (data degraded, confidence ${entry.confidence})`,
        message:
          entry.held.length > 0
            ? `Kept on-chain: ${entry.held.map((h) => `${h.component} ${h.kept} (assessment wants ${h.wanted}: ${h.why})`).join("; ")}. Missing: ${missing.map((m) => m.field).join(", ") || "none"}.`
            : `Not scored on-chain: confidence ${entry.confidence} is below riskPush.minConfidenceForRise. Missing: ${missing.map((m) => m.field).join(", ") || "none"}.`,
        ...(protocol !== undefined ? { protocol: protocol.id } : {}),
        at: now,
      };
      deps.logger.warn({ protocol: protocol?.id ?? entry.protocol, confidence: entry.confidence, held: entry.held }, "outage policy: risk rise held back");
      if (dryRun) deps.logger.info({ alert }, "dry run: would send alert");
      else await deps.alerter.send(alert);
    }
    if (!dryRun) this.heldAlerted = heldNow;
  }

  /**
   * Alerts on composite moves since the previous assessment, stores this cycle's assessments and
   * remembers them. Held protocols keep their last good assessment (a move made of high-risk
   * defaults is reported by the held-rise alert, and the recovery is not a move either).
   */
  private async alertRiskMoves(before: ReadonlyMap<string, RiskSnapshot>, byAddress: readonly RiskAssessment[], assessed: readonly AssessedProtocol[], plan: RiskPushPlan, dryRun: boolean): Promise<number> {
    const { deps } = this;
    const heldSet = new Set(plan.heldRises.map((h) => h.protocol.toLowerCase()));
    const riskAlerts = detectRiskAlerts(before, byAddress, deps.alertThresholdPoints ?? 10).filter((a) => !heldSet.has(a.protocol.toLowerCase()));
    if (deps.assessments !== undefined && !dryRun) {
      deps.assessments.record(assessed.filter((a) => !heldSet.has(a.protocol.address.toLowerCase())).map((a) => a.assessment));
    }
    for (const riskAlert of riskAlerts) {
      const alert = riskAlertToAlert(riskAlert, this.protocolAt(riskAlert.protocol)?.name);
      if (dryRun) deps.logger.info({ alert }, "dry run: would send alert");
      else await deps.alerter.send(alert);
    }
    const previous = this.previous;
    this.previous = new Map(
      byAddress.map((a) => {
        const kept = heldSet.has(a.protocol.toLowerCase()) ? previous.get(a.protocol) : undefined;
        return [a.protocol, kept ?? { composite: a.composite, category: a.category }];
      }),
    );
    return riskAlerts.length;
  }

  /** The fund's `maxRiskDecreasePerDay`, read once per process. */
  private async decreaseLimit(): Promise<number> {
    if (this.maxDecreasePerDay === undefined) {
      const parameters = await this.deps.fund.parameters();
      this.maxDecreasePerDay = Number(parameters.maxRiskDecreasePerDay);
    }
    return this.maxDecreasePerDay;
  }
}

/** Skipped protocols counted by reason. */
function countSkips(plan: RiskPushPlan): Partial<Record<SkipReason, number>> {
  const skipped: Partial<Record<SkipReason, number>> = {};
  for (const skip of plan.skipped) skipped[skip.reason] = (skipped[skip.reason] ?? 0) + 1;
  return skipped;
}
