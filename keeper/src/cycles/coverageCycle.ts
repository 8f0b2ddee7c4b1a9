/**
 * One coverage cycle: chain snapshot → `planCoverage` → agent check → provider quotes →
 * `chooseProvider` → `applyBudget` (spend history from the journal) → premium-token approvals →
 * TxSender (expire batches, renewals, purchases, increases, reductions — in priority order).
 * Every action that is not sent (deferred by budget, unfundable, keeper not an agent) is reported
 * in the summary and logged, never dropped silently.
 */
import { Contract, MaxUint256, parseUnits, type Provider } from "ethers";
import type { FundLens } from "../../../typechain-types/contracts/FundLens";
import type { StablecoinInsuranceFund } from "../../../typechain-types/contracts/StablecoinInsuranceFund";
import type { KeeperConfig, PositionConfig } from "../config";
import type { SendResult, TxSender } from "../execution/txSender";
import { applyBudget, type BudgetLimits, type SpendRecord } from "../policy/budget";
import { chooseProvider } from "../policy/providerChoice";
import {
  DEFAULT_COVERAGE_POLICY,
  planCoverage,
  type CoverageAction,
  type CoveragePlan,
  type CoveragePolicyParams,
  type CoveragePosition,
  type LiveValue,
  type PremiumAction,
  type PurchaseAction,
  type RenewAction,
  targetFromPosition,
} from "../policy/coverage";
import { heldCovers, lapseAlert, lapseAlertDue, type HeldCover, type UnsentAction } from "../policy/coverageHeld";
import { formatChainTime, keeperCommand } from "../lib/format";
import { positionReadsOf, type PositionValueReader, type ReadSnapshot } from "../sources/positions";
import { DAY_SEC, sameAddress } from "../policy/money";
import type { ActionJournal } from "../state/actionJournal";
import type { Alerter } from "../alerting";
import { readChainSnapshot, type ChainSnapshot } from "./chainState";
import type { Logger } from "../lib/logger";
import type { ProviderQuoter } from "./providerQuotes";

/** Journal kinds of premium-paying actions (their `detail.maxPremiumWad` feeds the day budget). */
export const PREMIUM_KINDS = ["buy-coverage", "renew-coverage"] as const;
const ERC20_ABI = [
  "function decimals() view returns (uint8)",
  "function allowance(address owner, address spender) view returns (uint256)",
  "function approve(address spender, uint256 amount) returns (bool)",
];

export type ActionOutcome = SendResult["status"] | "not-sent";

export interface CoverageActionReport {
  readonly key: string;
  readonly kind: CoverageAction["kind"] | "approve";
  readonly protocolId?: string;
  readonly providerId?: number;
  readonly status: ActionOutcome;
  readonly hash?: string;
  readonly error?: string;
  readonly gasUsed?: string;
}

export interface CoverageCycleSummary {
  readonly now: number;
  readonly dryRun: boolean;
  readonly positions: number;
  readonly planned: number;
  readonly actions: readonly CoverageActionReport[];
  readonly deferred: readonly { key: string; kind: string; protocolId?: string; reason: string; detail: string }[];
  readonly unfundable: readonly UnfundableAction[];
  readonly notAgent: readonly { key: string; beneficiary: string; protocolId: string; asset: string; coverEnd: number }[];
  /**
   * Every coverage the keeper cannot buy or renew this cycle, with its reason by name, the fix and
   * when the position's cover lapses (the status line, `keeper status`, the dashboard, /healthz).
   */
  readonly held: readonly HeldCover[];
  readonly skipped: CoveragePlan["skipped"];
  readonly committedPremiumWad: string;
  readonly gasUsed: string;
  readonly plan: CoveragePlan;
}

export interface CoverageCycleDeps {
  readonly provider: Provider & { getBlock(tag: "latest"): Promise<{ number: number; timestamp: number } | null> };
  readonly fund: StablecoinInsuranceFund;
  readonly lens: FundLens;
  readonly config: Pick<KeeperConfig, "positions" | "protocols" | "coverage" | "budget">;
  /** Where the held coverages and the lapse alerts' memory are kept (the state database's kv). */
  readonly kv?: { get<T>(key: string): T | undefined; set(key: string, value: unknown): void };
  readonly quoter: ProviderQuoter;
  readonly journal: ActionJournal | undefined;
  readonly txSender: TxSender | undefined;
  /** The keeper's address (the buyer and agent). */
  readonly keeperAddress: string | undefined;
  readonly alerter: Alerter;
  readonly logger: Logger;
  /** Protocol addresses with a suspected or confirmed incident (the state database's view). */
  readonly haltedProtocols?: () => readonly string[];
  /** Reads the live values of positions that name where they live (one multicall per cycle). */
  readonly positionReader?: PositionValueReader;
}

export function coveragePolicyOf(config: Pick<KeeperConfig, "coverage">): CoveragePolicyParams {
  return {
    ...DEFAULT_COVERAGE_POLICY,
    renewWithinSec: Math.round(config.coverage.renewWithinDays * DAY_SEC),
    purchaseDurationSec: config.coverage.purchaseDurationDays * DAY_SEC,
    premiumSlippageBps: config.coverage.premiumSlippageBps,
    expireBatchSize: config.coverage.expireBatchSize,
    increaseBelowBps: Math.round(config.coverage.increaseBelowPercent * 100),
    reduceAboveBps: Math.round(config.coverage.reduceAbovePercent * 100),
  };
}

export function budgetLimitsOf(config: Pick<KeeperConfig, "budget">): BudgetLimits {
  const wad = (usd: number): bigint => parseUnits(usd.toFixed(6), 18);
  return { maxPerCycleWad: wad(config.budget.maxPremiumPerCycleUsd), maxPerDayWad: wad(config.budget.maxPremiumPerDayUsd) };
}

/** Premium committed by sent/confirmed premium actions (the budget's history). */
export function spendHistory(journal: ActionJournal | undefined): SpendRecord[] {
  if (journal === undefined) return [];
  const out: SpendRecord[] = [];
  for (const kind of PREMIUM_KINDS) {
    for (const entry of journal.list({ kind })) {
      if (entry.state === "failed" || entry.state === "planned") continue;
      const detail = (entry.payload as { detail?: { maxPremiumWad?: string; at?: number } } | null)?.detail;
      if (detail?.maxPremiumWad === undefined || detail.at === undefined) continue;
      out.push({ at: detail.at, amountWad: BigInt(detail.maxPremiumWad) });
    }
  }
  return out;
}

interface Priced {
  readonly action: PremiumAction;
  readonly providerId: number;
  readonly coverData: string;
}

type PricedOrExpire = Priced | { action: Extract<CoverageAction, { kind: "expire" }> };

/** A planned purchase, increase or renewal no provider can fund. */
export interface UnfundableAction {
  readonly key: string;
  readonly kind: string;
  readonly protocolId: string;
  readonly asset: string;
  readonly beneficiary: string;
  readonly reasons: readonly string[];
  /** The renewed coverage's end (a renewal), chain time. */
  readonly coverEnd?: number;
}

/** The planned actions, priced or held with the reason. */
interface PricedActions {
  readonly priced: PricedOrExpire[];
  readonly unfundable: UnfundableAction[];
  readonly notAgent: CoverageCycleSummary["notAgent"][number][];
}

/** The kv key of the last cycle's held coverages (`keeper status`, the dashboard). */
export const HELD_KV_KEY = "coverage:held";
/** The kv key of the lapse alerts' memory (alert key → chain time of the last alert). */
const LAPSE_ALERTS_KV_KEY = "coverage:lapseAlerts";
/** A lapse alert repeats at most once a day (chain time) while the coverage stays held. */
const LAPSE_ALERT_REPEAT_SEC = DAY_SEC;

export class CoverageCycle {
  private readonly decimals = new Map<string, number>();
  private fundAddress: string | undefined;

  constructor(private readonly deps: CoverageCycleDeps) {}

  /**
   * Positions with their decimals and targets (decimals read once per asset). Positions that name
   * where they live are valued in one multicall (or from `readings` when the caller already read
   * them this tick); the target is the fixed override, else the live value, else the last known
   * one (see `targetFromPosition`).
   */
  async positions(readings?: ReadSnapshot): Promise<CoveragePosition[]> {
    const byId = new Map(this.deps.config.protocols.map((p) => [p.id, p]));
    const reads = positionReadsOf(this.deps.config.positions);
    let snapshot = readings;
    if (snapshot === undefined && reads.length > 0 && this.deps.positionReader !== undefined) {
      snapshot = await this.deps.positionReader.read({ positions: reads, balances: [] });
    }
    const readByIndex = new Map(reads.map((r) => [r.index, r]));
    const out: CoveragePosition[] = [];
    for (const [index, p] of this.deps.config.positions.entries()) {
      const protocol = byId.get(p.protocol);
      if (protocol === undefined) continue;
      const decimals = await this.decimalsOf(p);
      const read = readByIndex.get(index);
      const reading = read !== undefined ? snapshot?.positions.get(read.id) : undefined;
      const liveValue: LiveValue | undefined =
        reading?.last === undefined
          ? undefined
          : { amount: reading.last.value, block: reading.last.block, timestamp: reading.last.timestamp, status: reading.status === "fresh" ? "fresh" : "stale" };
      const target = targetFromPosition(p.targetAmount !== undefined ? parseUnits(p.targetAmount, decimals) : undefined, liveValue);
      out.push({
        protocolId: p.protocol,
        protocol: protocol.address,
        asset: p.asset,
        assetDecimals: decimals,
        targetAmount: target.targetAmount,
        targetSource: target.targetSource,
        ...(liveValue !== undefined ? { liveValue } : {}),
        beneficiary: p.beneficiary,
        preferredProviders: p.providers,
        allowSelfInsure: p.allowSelfInsure,
      });
    }
    return out;
  }

  async snapshot(positions: readonly CoveragePosition[], extra: { coverIds?: bigint[]; claimIds?: bigint[] } = {}): Promise<ChainSnapshot> {
    const fundAddress = (this.fundAddress ??= await this.deps.fund.getAddress());
    const protocols = [...new Map(positions.map((p) => [p.protocol.toLowerCase(), p.protocol])).values()];
    const assets = [...new Map(positions.map((p) => [p.asset.toLowerCase(), { address: p.asset, decimals: p.assetDecimals }])).values()];
    return readChainSnapshot(
      { provider: this.deps.provider, fund: this.deps.fund, lens: this.deps.lens, fundAddress },
      { protocols, assets, ...(extra.coverIds !== undefined ? { extraCoverIds: extra.coverIds } : {}), ...(extra.claimIds !== undefined ? { claimIds: extra.claimIds } : {}) },
    );
  }

  async run(options: { dryRun?: boolean } = {}): Promise<CoverageCycleSummary> {
    const dryRun = options.dryRun === true || this.deps.txSender === undefined;
    const positions = await this.positions();
    const snapshot = await this.snapshot(positions);
    const now = snapshot.now;
    const plan = this.planActions(positions, snapshot);
    await this.alertHaltLapses(plan, positions, snapshot, dryRun);
    const { priced, unfundable, notAgent } = await this.priceActions(plan.actions, positions, snapshot);
    await this.reportNotAgent(notAgent, now, dryRun);
    const { budget, deferred } = this.budgetActions(priced, now);
    const { reports, gasUsed } = await this.sendApproved(budget.approved.map((b) => b.item), snapshot.blockNumber, now, dryRun);
    const held = this.heldOf(positions, plan, snapshot, unfundable, notAgent, budget.deferred.map((d) => d.action.item));
    await this.reportHeld(held, now, dryRun);
    return {
      now,
      dryRun,
      positions: positions.length,
      planned: plan.actions.length,
      actions: reports,
      deferred,
      unfundable,
      notAgent,
      held,
      skipped: plan.skipped,
      committedPremiumWad: budget.committedWad.toString(),
      gasUsed: gasUsed.toString(),
      plan,
    };
  }

  /** `planCoverage` over the snapshot, with no purchase, increase or renewal on a halted protocol. */
  private planActions(positions: readonly CoveragePosition[], snapshot: ChainSnapshot): CoveragePlan {
    const { deps } = this;
    const halted = new Set((deps.haltedProtocols?.() ?? []).map((a) => a.toLowerCase()));
    const plan = planCoverage(positions, snapshot.coverage, snapshot.now, coveragePolicyOf(deps.config), halted);
    for (const skip of plan.skipped.filter((k) => k.reason === "incident-halt")) {
      deps.logger.warn({ protocolId: skip.protocolId }, "incident on this protocol: no purchase, increase or renewal this cycle");
    }
    return plan;
  }

  /** Prices every planned action: a provider and its cover data, or why it cannot be sent (unfundable, keeper not an agent). */
  private async priceActions(actions: readonly CoverageAction[], positions: readonly CoveragePosition[], snapshot: ChainSnapshot): Promise<PricedActions> {
    const out: PricedActions = { priced: [], unfundable: [], notAgent: [] };
    const agentOf = await this.agentsOf(positions);
    const positionOf = (protocol: string, beneficiary: string): CoveragePosition | undefined =>
      positions.find((p) => sameAddress(p.protocol, protocol) && sameAddress(p.beneficiary, beneficiary));
    for (const action of actions) {
      if (action.kind === "expire") {
        out.priced.push({ action });
      } else if (action.kind === "renew" || action.kind === "reduce") {
        // Renewals need the keeper to be the beneficiary's agent.
        const beneficiary = snapshot.coverages.get(action.coverId.toString())?.beneficiary ?? "";
        if (this.deps.keeperAddress !== undefined && agentOf.get(beneficiary.toLowerCase()) !== true) {
          out.notAgent.push({ key: action.idempotencyKey, beneficiary, protocolId: action.protocolId, asset: action.asset, coverEnd: action.end });
          continue;
        }
        const coverData = await this.renewalCoverData(action, positionOf(action.protocol, beneficiary), snapshot.now);
        if (typeof coverData !== "string") {
          out.unfundable.push({ key: action.idempotencyKey, kind: action.kind, protocolId: action.protocolId, asset: action.asset, beneficiary, reasons: [coverData.error], coverEnd: action.end });
        }
        else out.priced.push({ action, providerId: action.providerId, coverData });
      } else {
        const purchase = action as PurchaseAction;
        const choice = await this.choose(purchase, snapshot, positionOf(purchase.protocol, purchase.beneficiary));
        if (choice.kind === "unfundable") {
          out.unfundable.push({ key: action.idempotencyKey, kind: action.kind, protocolId: action.protocolId, asset: purchase.asset, beneficiary: purchase.beneficiary, reasons: choice.reasons });
        }
        else out.priced.push({ action, providerId: choice.providerId, coverData: choice.kind === "provider" ? (choice.coverData ?? "0x") : "0x" });
      }
    }
    return out;
  }

  /** Whether the keeper is an agent of each beneficiary (lower-cased address); empty without a keeper address. */
  private async agentsOf(positions: readonly CoveragePosition[]): Promise<Map<string, boolean>> {
    const agentOf = new Map<string, boolean>();
    const keeper = this.deps.keeperAddress;
    if (keeper === undefined) return agentOf;
    for (const beneficiary of new Set(positions.map((p) => p.beneficiary))) {
      agentOf.set(beneficiary.toLowerCase(), await this.deps.fund.isAgent(beneficiary, keeper));
    }
    return agentOf;
  }

  /**
   * A purchase, increase or renewal skipped because of an incident: a critical alert naming the
   * date the operator's cover lapses (the latest end of the position's live coverages), so the
   * operator decides (dismiss or resolve the incident, or accept the lapse) before it happens.
   */
  private async alertHaltLapses(plan: CoveragePlan, positions: readonly CoveragePosition[], snapshot: ChainSnapshot, dryRun: boolean): Promise<void> {
    const { deps } = this;
    for (const skip of plan.skipped.filter((k) => k.reason === "incident-halt")) {
      const mine = positions.filter((p) => p.protocolId === skip.protocolId);
      const state = snapshot.coverage.protocols.find((p) => p.protocol.toLowerCase() === skip.protocol.toLowerCase());
      const live = (state?.coverages ?? []).filter((c) => c.end > snapshot.now && mine.some((p) => p.beneficiary.toLowerCase() === c.beneficiary.toLowerCase() && p.asset.toLowerCase() === c.asset.toLowerCase()));
      const lapse = live.length === 0 ? undefined : Math.max(...live.map((c) => c.end));
      const when = lapse === undefined ? "the position has no live cover now" : `its cover lapses at ${formatChainTime(lapse)}`;
      const message =
        `An incident halts ${skip.protocolId}: the keeper buys, increases and renews no cover there, and ${when}. ` +
        `Review the incident (\`${keeperCommand("incident list")}\`): dismiss a false alarm or resolve an ended exploit (\`${keeperCommand("incident resolve <id>")}\`), and have the admin clear the on-chain halt (\`${keeperCommand(`clear-incident ${skip.protocolId}`)}\`, ADMIN_PRIVATE_KEY), or accept the lapse.`;
      if (dryRun) deps.logger.info({ protocolId: skip.protocolId, lapse }, "dry run: would alert (cover held by an incident)");
      else await deps.alerter.send({ severity: "critical", title: `cover held by an incident: ${skip.protocolId}`, message, at: snapshot.now, protocol: skip.protocolId, dedupKey: `incident-lapse:${skip.protocolId}:${lapse ?? "none"}` });
    }
  }

  /** Logs each renewal held because the keeper is not the beneficiary's agent; one alert (not in a dry run). */
  private async reportNotAgent(notAgent: PricedActions["notAgent"], now: number, dryRun: boolean): Promise<void> {
    const { deps } = this;
    for (const n of notAgent) {
      deps.logger.error({ key: n.key, beneficiary: n.beneficiary, keeper: deps.keeperAddress }, "keeper is not an agent of the beneficiary: renewal not sent");
    }
    if (notAgent.length > 0 && !dryRun) {
      await deps.alerter.send({
        severity: "warning",
        title: "keeper is not an approved agent",
        message: `Beneficiaries ${[...new Set(notAgent.map((n) => n.beneficiary))].join(", ")} must approve the keeper ${deps.keeperAddress ?? ""} as their agent so it can renew and claim: each runs \`${keeperCommand(`set-agent${deps.keeperAddress !== undefined ? ` ${deps.keeperAddress}` : ""}`)}\` with its own key (BENEFICIARY_PRIVATE_KEY), or sends fund.setAgent(keeper, true) from its Safe (\`--safe-json\`).`,
        at: now,
      });
    }
  }

  /** The coverages this cycle cannot buy or renew, by reason (see policy/coverageHeld.ts). */
  private heldOf(
    positions: readonly CoveragePosition[],
    plan: CoveragePlan,
    snapshot: ChainSnapshot,
    unfundable: readonly UnfundableAction[],
    notAgent: PricedActions["notAgent"],
    deferred: readonly PricedOrExpire[],
  ): HeldCover[] {
    const unsent: UnsentAction[] = [
      ...unfundable.map((u) => ({ protocolId: u.protocolId, asset: u.asset, beneficiary: u.beneficiary, kind: u.kind, reason: "unfundable" as const, reasons: u.reasons, ...(u.coverEnd !== undefined ? { coverEnd: u.coverEnd } : {}) })),
      ...notAgent.map((n) => ({ protocolId: n.protocolId, asset: n.asset, beneficiary: n.beneficiary, kind: "renew", reason: "not-agent" as const, reasons: ["the keeper is not the beneficiary's agent"], coverEnd: n.coverEnd })),
      ...deferred.flatMap((d): UnsentAction[] => {
        const a = d.action;
        if (a.kind === "expire") return [];
        const beneficiary = "beneficiary" in a ? a.beneficiary : (snapshot.coverages.get(a.coverId.toString())?.beneficiary ?? "");
        return [{ protocolId: a.protocolId, asset: a.asset, beneficiary, kind: a.kind, reason: "budget", reasons: ["deferred by the premium budget"], ...("end" in a ? { coverEnd: a.end } : {}) }];
      }),
    ];
    return heldCovers({
      positions,
      skipped: plan.skipped,
      unsent,
      chain: snapshot.coverage,
      now: snapshot.now,
      ...(this.deps.keeperAddress !== undefined ? { keeperAddress: this.deps.keeperAddress } : {}),
    });
  }

  /**
   * Logs every held coverage with its reason, keeps them in kv for `keeper status` and the
   * dashboard, and raises a critical alert for each one whose cover ends within
   * `coverage.lapseAlertDays` (or that has none): once per position, reason and lapse date, repeated
   * at most daily (chain time) while it stays held.
   */
  private async reportHeld(held: readonly HeldCover[], now: number, dryRun: boolean): Promise<void> {
    const { deps } = this;
    for (const h of held) deps.logger.warn({ protocolId: h.protocolId, beneficiary: h.beneficiary, reason: h.reason, detail: h.detail, lapseAt: h.lapseAt, fix: h.fix }, "coverage cannot be bought or renewed");
    try {
      deps.kv?.set(HELD_KV_KEY, { at: now, held });
    } catch (err) {
      deps.logger.warn({ err: (err as Error).message }, "could not store the held coverages");
    }
    const lapseAlertDays = deps.config.coverage.lapseAlertDays;
    const last = (dryRun ? undefined : deps.kv?.get<Record<string, number>>(LAPSE_ALERTS_KV_KEY)) ?? {};
    const next: Record<string, number> = {};
    for (const h of held) {
      if (!lapseAlertDue(h, now, lapseAlertDays)) continue;
      const alert = lapseAlert(h, now);
      const previous = last[alert.dedupKey];
      if (previous !== undefined && now - previous < LAPSE_ALERT_REPEAT_SEC) {
        next[alert.dedupKey] = previous;
        continue;
      }
      if (dryRun) {
        deps.logger.info({ protocolId: h.protocolId, reason: h.reason, lapseAt: h.lapseAt }, "dry run: would alert (cover lapses)");
        continue;
      }
      next[alert.dedupKey] = now;
      await deps.alerter.send({ severity: "critical", title: alert.title, message: alert.message, at: now, protocol: h.protocolId, dedupKey: alert.dedupKey });
    }
    if (!dryRun) {
      try {
        deps.kv?.set(LAPSE_ALERTS_KV_KEY, next);
      } catch (err) {
        deps.logger.warn({ err: (err as Error).message }, "could not store the lapse alerts' memory");
      }
    }
  }

  /** The premium budget over the priced actions: what may be sent this cycle, and what is deferred (logged). */
  private budgetActions(priced: readonly PricedOrExpire[], now: number) {
    const budgetable = priced.map((p) => ({
      priority: p.action.priority,
      idempotencyKey: p.action.idempotencyKey,
      ...("maxPremiumWad" in p.action ? { maxPremiumWad: p.action.maxPremiumWad } : {}),
      item: p,
    }));
    const budget = applyBudget(budgetable, budgetLimitsOf(this.deps.config), spendHistory(this.deps.journal), now);
    const deferred: CoverageCycleSummary["deferred"][number][] = budget.deferred.map((d) => ({
      key: d.action.idempotencyKey,
      kind: d.action.item.action.kind,
      ...("protocolId" in d.action.item.action ? { protocolId: d.action.item.action.protocolId } : {}),
      reason: d.reason,
      detail: d.detail,
    }));
    for (const d of deferred) this.deps.logger.warn(d, "coverage action deferred by the premium budget");
    return { budget, deferred };
  }

  /** Premium approvals first, then each approved action in budget order. */
  private async sendApproved(approved: readonly PricedOrExpire[], blockNumber: number, now: number, dryRun: boolean): Promise<{ reports: CoverageActionReport[]; gasUsed: bigint }> {
    const reports: CoverageActionReport[] = [];
    let gasUsed = 0n;
    const record = (report: CoverageActionReport, result?: SendResult): void => {
      if (result?.status === "confirmed") gasUsed += result.gasUsed;
      reports.push(report);
    };
    const approving = new Set<string>();
    if (approved.length > 0) {
      for (const asset of await this.ensureAllowances(approved, now, blockNumber, dryRun, record)) approving.add(asset.toLowerCase());
    }
    for (const item of approved) {
      if (dryRun && item.action.kind !== "expire" && approving.has(item.action.asset.toLowerCase())) {
        // Its simulation would fail on the allowance the (unsent) approval grants.
        this.deps.logger.info({ key: item.action.idempotencyKey, kind: item.action.kind }, "dry run: would send after the approval (not simulated)");
        record({ key: item.action.idempotencyKey, kind: item.action.kind, protocolId: item.action.protocolId, ...("providerId" in item ? { providerId: item.providerId } : {}), status: "not-sent", error: "dry run: needs the premium approval first" });
        continue;
      }
      const result = await this.send(item, now, dryRun);
      record(
        {
          key: item.action.idempotencyKey,
          kind: item.action.kind,
          ...("protocolId" in item.action ? { protocolId: item.action.protocolId } : {}),
          ...("providerId" in item ? { providerId: item.providerId } : {}),
          status: result.status,
          ...(result.status === "confirmed" || result.status === "pending" ? { hash: result.hash } : {}),
          ...(result.status === "failed" ? { error: result.error } : {}),
          ...(result.status === "confirmed" ? { gasUsed: result.gasUsed.toString() } : {}),
        },
        result,
      );
    }
    return { reports, gasUsed };
  }

  private async choose(action: PurchaseAction, snapshot: ChainSnapshot, position: CoveragePosition | undefined) {
    const quotes = [];
    for (const providerId of action.preferredProviders) {
      quotes.push(
        await this.deps.quoter.quote({
          providerId,
          protocolId: action.protocolId,
          protocol: action.protocol,
          asset: action.asset,
          ...(this.symbolOf(action.asset) !== undefined ? { assetSymbol: this.symbolOf(action.asset) as string } : {}),
          amount: action.amount,
          periodSec: action.durationSec,
        }),
      );
    }
    const pool = snapshot.coverage.pools.find((p) => sameAddress(p.asset, action.asset));
    const choice = chooseProvider({
      preferredProviders: action.preferredProviders,
      quotes,
      fundPremium: action.premiumEstimate,
      amount: action.amount,
      allowSelfInsure: position?.allowSelfInsure ?? action.allowSelfInsure,
      selfInsurance: { pool: pool?.pool ?? 0n, selfInsured: pool?.selfInsured ?? 0n, reserveRatioBps: snapshot.coverage.params.reserveRatioBps },
    });
    this.deps.logger.info(
      { key: action.idempotencyKey, choice: choice.kind, providerId: "providerId" in choice ? choice.providerId : undefined, rejected: choice.rejected },
      "provider chosen",
    );
    return choice;
  }

  /** coverData for a hedged renewal (Nexus needs fresh pool allocations); "0x" for the pool. */
  private async renewalCoverData(action: RenewAction, position: CoveragePosition | undefined, now: number): Promise<string | { error: string }> {
    if (action.providerId === 0) return "0x";
    const quote = await this.deps.quoter.quote({
      providerId: action.providerId,
      protocolId: action.protocolId,
      protocol: action.protocol,
      asset: action.asset,
      ...(this.symbolOf(action.asset) !== undefined ? { assetSymbol: this.symbolOf(action.asset) as string } : {}),
      amount: action.newAmount,
      periodSec: action.extraDurationSec,
      renewal: { providerCoverId: action.providerCoverId, newEnd: action.end + action.extraDurationSec, now },
    });
    if (quote.status === "ok" && quote.upstreamPremium > action.premiumEstimate) {
      return { error: `provider ${action.providerId}: upstream renewal premium ${quote.upstreamPremium} > fund premium ${action.premiumEstimate}` };
    }
    if (quote.status === "ok") return quote.coverData ?? "0x";
    void position;
    return { error: `provider ${action.providerId}: ${quote.status}${"detail" in quote && quote.detail !== undefined ? ` (${quote.detail})` : ""}` };
  }

  private async send(item: Priced | { action: Extract<CoverageAction, { kind: "expire" }> }, now: number, dryRun: boolean): Promise<SendResult> {
    const { fund } = this.deps;
    const to = (this.fundAddress ??= await fund.getAddress());
    const action = item.action;
    if (action.kind === "expire") {
      return this.sendTx({ kind: "expire-coverages", key: action.idempotencyKey, to, data: fund.interface.encodeFunctionData("expireCoverages", [[...action.coverIds]]), payload: { coverIds: action.coverIds, at: now } }, dryRun);
    }
    const priced = item as Priced;
    const detail = { action: action.kind, protocolId: action.protocolId, providerId: priced.providerId, maxPremium: action.maxPremium, maxPremiumWad: action.maxPremiumWad, at: now };
    if (action.kind === "purchase" || action.kind === "increase") {
      const data = fund.interface.encodeFunctionData("purchaseProtocolCoverage", [
        action.protocol,
        action.asset,
        action.amount,
        action.durationSec,
        action.maxPremium,
        action.beneficiary,
        priced.providerId,
        priced.coverData,
      ]);
      // The key names the UTC day; the scope (key without the day) keeps a purchase still in flight
      // at midnight from being bought again under the next day's key.
      const scope = action.idempotencyKey.replace(/:\d+$/, "");
      return this.sendTx({ kind: "buy-coverage", key: action.idempotencyKey, scope, to, data, payload: { ...detail, amount: action.amount } }, dryRun);
    }
    const renewal = action as RenewAction;
    const data = fund.interface.encodeFunctionData("renewCoverage", [renewal.coverId, renewal.extraDurationSec, renewal.newAmount, renewal.maxPremium, priced.coverData]);
    return this.sendTx({ kind: "renew-coverage", key: action.idempotencyKey, to, data, payload: { ...detail, coverId: renewal.coverId, newAmount: renewal.newAmount } }, dryRun);
  }

  private async sendTx(tx: { kind: string; key: string; scope?: string; to: string; data: string; payload: unknown }, dryRun: boolean): Promise<SendResult> {
    const sender = this.deps.txSender;
    if (sender === undefined) {
      this.deps.logger.info({ key: tx.key, kind: tx.kind }, "dry run (no key): would send");
      return { status: "skipped", key: tx.key, state: "planned" };
    }
    return sender.send(tx, { dryRun });
  }

  /**
   * The keeper pays premiums: the fund needs an allowance of at least the approved actions'
   * `maxPremium` per asset. USDT-like tokens refuse a change from non-zero to non-zero, so a
   * short allowance is reset to 0 first. Approvals are journaled like every other action.
   */
  private async ensureAllowances(
    items: readonly (Priced | { action: Extract<CoverageAction, { kind: "expire" }> })[],
    now: number,
    blockNumber: number,
    dryRun: boolean,
    record: (report: CoverageActionReport, result?: SendResult) => void,
  ): Promise<string[]> {
    const keeper = this.deps.keeperAddress;
    const approved: string[] = [];
    if (keeper === undefined) return approved;
    const fundAddress = (this.fundAddress ??= await this.deps.fund.getAddress());
    const needs = new Map<string, bigint>();
    for (const item of items) {
      if (item.action.kind === "expire") continue;
      const a = item.action;
      needs.set(a.asset, (needs.get(a.asset) ?? 0n) + a.maxPremium);
    }
    for (const [asset, needed] of needs) {
      const token = new Contract(asset, ERC20_ABI, this.deps.provider);
      const allowance = (await token.getFunction("allowance").staticCall(keeper, fundAddress)) as bigint;
      if (allowance >= needed) continue;
      approved.push(asset);
      const steps: [string, bigint][] = allowance > 0n ? [["reset", 0n], ["max", MaxUint256]] : [["max", MaxUint256]];
      for (const [label, amount] of steps) {
        const key = `approve:${asset.toLowerCase()}:${label}:${blockNumber}`;
        const result = await this.sendTx(
          { kind: "approve", key, to: asset, data: token.interface.encodeFunctionData("approve", [fundAddress, amount]), payload: { asset, spender: fundAddress, amount, needed, at: now } },
          dryRun,
        );
        record({ key, kind: "approve", status: result.status, ...(result.status === "failed" ? { error: result.error } : {}), ...(result.status === "confirmed" ? { hash: result.hash, gasUsed: result.gasUsed.toString() } : {}) }, result);
      }
    }
    return approved;
  }

  private symbolOf(asset: string): string | undefined {
    return this.deps.config.positions.find((p) => sameAddress(p.asset, asset))?.assetSymbol;
  }

  private async decimalsOf(position: PositionConfig): Promise<number> {
    if (position.assetDecimals !== undefined) return position.assetDecimals;
    const key = position.asset.toLowerCase();
    const cached = this.decimals.get(key);
    if (cached !== undefined) return cached;
    const token = new Contract(position.asset, ERC20_ABI, this.deps.provider);
    const decimals = Number(await token.getFunction("decimals").staticCall());
    this.decimals.set(key, decimals);
    return decimals;
  }
}
