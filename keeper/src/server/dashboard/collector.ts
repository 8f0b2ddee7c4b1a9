/**
 * Reads the keeper's status (chain + state database) into one `DashboardSnapshot`. Read-only: it
 * calls views and the state repositories, never a signer. Each section is read on its own, so a
 * failing read leaves that section empty and names it in `errors` instead of failing the rest.
 *
 * Chain reads per collection: latest block, chain id, the keeper's balance and two nonces, one
 * FundLens protocol-state call, the coverage snapshot (FundLens), and per filed hedged claim the
 * provider's claim window and (Nexus) claim details.
 */
import { Contract, formatEther, type Provider } from "ethers";
import { ICoverProvider__factory } from "../../../../typechain-types/factories/contracts/interfaces/ICoverProvider__factory";
import { INexusClaims__factory } from "../../../../typechain-types/factories/contracts/interfaces/nexus/INexusClaims__factory";
import type { FundLens } from "../../../../typechain-types/contracts/FundLens";
import type { StablecoinInsuranceFund } from "../../../../typechain-types/contracts/StablecoinInsuranceFund";
import type { KeeperConfig } from "../../config";
import { spentInLastDay } from "../../policy/budget";
import { claimWindowFor } from "../../policy/claims";
import type { CoveragePosition } from "../../policy/coverage";
import { toWad } from "../../policy/money";
import { buildCoverageReport } from "../../policy/report";
import { compositeRisk } from "../../scoring/composite";
import type { ComponentRisks } from "../../scoring/types";
import type { ClaimRecord, StateDb } from "../../state";
import { riskComponentsOf, type ChainSnapshot } from "../../cycles/chainState";
import { HELD_KV_KEY } from "../../cycles/coverageCycle";
import type { HeldCover } from "../../policy/coverageHeld";
import { spendHistory } from "../../cycles/coverageCycle";
import type {
  ClaimTimelineView,
  CoverageRowView,
  DashboardSnapshot,
  IncidentView,
  LoopView,
  ProtocolRiskView,
  ReserveView,
  RiskPushView,
} from "./snapshot";
import { formatIncidentName } from "../../lib/format";

/**
 * Risk history shown per protocol: the HISTORY_DAYS up to its newest assessment, downsampled to at most HISTORY_POINTS
 * points; the newest PUSHES_SHOWN confirmed risk pushes. Every read is bounded, whatever the
 * state database holds (a year of hourly assessments reads as many rows as a week's).
 */
export const HISTORY_POINTS = 240;
export const HISTORY_DAYS = 90;
export const PUSHES_SHOWN = 200;
/** The coverage policy's band around the optimal coverage. */
const RATIO_BAND: readonly [number, number] = [0.8, 1.2];
/** Claim states after which nothing more happens. */
const TERMINAL_CLAIM_STATES = new Set(["paid", "denied", "draw", "expired", "too-late", "dismissed"]);
const NEXUS_CLAIMS_ABI = ["function nexusClaims() view returns (address)"];

export interface CollectorDeps {
  readonly config: KeeperConfig;
  readonly state: StateDb;
  readonly provider: Provider;
  /** Read-only fund (views only). */
  readonly fund: StablecoinInsuranceFund;
  readonly lens: FundLens;
  readonly coverage: {
    positions(): Promise<CoveragePosition[]>;
    snapshot(positions: readonly CoveragePosition[], extra?: { coverIds?: bigint[]; claimIds?: bigint[] }): Promise<ChainSnapshot>;
  };
  readonly keeperAddress: string | undefined;
  /** The daemon's loop health (metrics). */
  readonly loops: () => readonly LoopView[];
  readonly nowMs?: () => number;
}

export class DashboardCollector {
  private readonly nowMs: () => number;
  private fundAddress: string | undefined;

  constructor(private readonly deps: CollectorDeps) {
    this.nowMs = deps.nowMs ?? Date.now;
  }

  async collect(): Promise<DashboardSnapshot> {
    const { deps } = this;
    const errors: string[] = [];
    const attempt = async <T>(section: string, read: () => Promise<T>, fallback: T): Promise<T> => {
      try {
        return await read();
      } catch (err) {
        errors.push(`${section}: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
        return fallback;
      }
    };

    const claimRows = deps.state.claims.list();
    const positions = await attempt("positions", () => deps.coverage.positions(), [] as CoveragePosition[]);
    const snapshot = await attempt(
      "chain snapshot",
      () =>
        deps.coverage.snapshot(positions, {
          coverIds: claimRows.map((c) => BigInt(c.coverageId)),
          claimIds: claimRows.flatMap((c) => (c.fundClaimId !== undefined ? [BigInt(c.fundClaimId)] : [])),
        }),
      undefined as ChainSnapshot | undefined,
    );
    const now = snapshot?.now ?? Math.floor(this.nowMs() / 1000);

    const [chain, keeper, risk, incidents] = await Promise.all([
      attempt("chain", () => this.chainView(snapshot), null),
      attempt("keeper account", () => this.keeperView(), null),
      attempt("risk", () => this.riskViews(), [] as ProtocolRiskView[]),
      attempt("incidents", () => this.incidentViews(snapshot, now), [] as IncidentView[]),
    ]);
    return {
      generatedAtMs: this.nowMs(),
      chain,
      keeper,
      loops: deps.loops(),
      coverage: snapshot === undefined ? null : this.coverageView(positions, snapshot),
      risk,
      incidents,
      budget: this.budgetView(now),
      reserves: snapshot === undefined ? [] : this.reserveViews(snapshot),
      coverageHeld: this.heldView(),
      errors,
    };
  }

  /** The last coverage cycle's held coverages (reason, fix, lapse), from the state database. */
  private heldView(): DashboardSnapshot["coverageHeld"] {
    const stored = this.deps.state.kv.get<{ at: number; held: HeldCover[] }>(HELD_KV_KEY);
    return (stored?.held ?? []).map((h) => ({ protocol: h.protocolId, beneficiary: h.beneficiary, action: h.action, reason: h.reason, detail: h.detail, fix: h.fix, lapseAt: h.lapseAt }));
  }

  private async chainView(snapshot: ChainSnapshot | undefined): Promise<DashboardSnapshot["chain"]> {
    const network = await this.deps.provider.getNetwork();
    if (snapshot !== undefined) return { chainId: Number(network.chainId), blockNumber: snapshot.blockNumber, blockTimestamp: snapshot.now };
    const block = await this.deps.provider.getBlock("latest");
    if (block === null) throw new Error("the RPC returned no latest block");
    return { chainId: Number(network.chainId), blockNumber: block.number, blockTimestamp: block.timestamp };
  }

  private async keeperView(): Promise<DashboardSnapshot["keeper"]> {
    const address = this.deps.keeperAddress;
    if (address === undefined) return null;
    const [balance, nonceLatest, noncePending] = await Promise.all([
      this.deps.provider.getBalance(address),
      this.deps.provider.getTransactionCount(address, "latest"),
      this.deps.provider.getTransactionCount(address, "pending"),
    ]);
    const inFlight = [...this.deps.state.journal.list({ state: "sent" }), ...this.deps.state.journal.list({ state: "replaced" })];
    const oldest = inFlight.reduce((min, e) => Math.min(min, e.createdAt), Number.POSITIVE_INFINITY);
    return {
      address,
      balanceEth: Number(formatEther(balance)),
      nonceLatest,
      noncePending,
      pendingTxs: inFlight.length,
      oldestPendingAgeSec: inFlight.length === 0 ? 0 : Math.max(0, Math.round((this.nowMs() - oldest) / 1000)),
    };
  }

  private coverageView(positions: readonly CoveragePosition[], snapshot: ChainSnapshot): DashboardSnapshot["coverage"] {
    const report = buildCoverageReport(positions, snapshot.coverage, snapshot.now);
    const names = new Map(this.deps.config.protocols.map((p) => [p.id, p.name]));
    const rows: CoverageRowView[] = report.rows.map((row) => {
      const optimalWad = row.targetWad;
      return {
        protocol: row.protocolId,
        name: names.get(row.protocolId) ?? row.protocolId,
        riskScore: row.riskScore,
        category: row.category,
        positionUsd: wadToUsd(row.positionWad),
        coverageUsd: wadToUsd(row.coverageWad),
        optimalUsd: wadToUsd(optimalWad),
        ratio: optimalWad === 0n ? null : Number((row.coverageWad * 1_000_000n) / optimalWad) / 1_000_000,
        premiumPaidUsd: wadToUsd(row.premiumPaidWad),
        nextEnd: row.nextEnd ?? null,
      };
    });
    return {
      at: report.timestamp,
      band: RATIO_BAND,
      rows,
      totalCoverageUsd: wadToUsd(report.totalCoverageWad),
      totalPremiumPaidUsd: wadToUsd(report.totalPremiumPaidWad),
    };
  }

  private async riskViews(): Promise<ProtocolRiskView[]> {
    const { config, state, lens } = this.deps;
    const fundAddress = (this.fundAddress ??= await this.deps.fund.getAddress());
    const onChain = await lens.getProtocolStates(fundAddress, config.protocols.map((p) => p.address), 0);
    const onChainByAddress = new Map(
      onChain.map((s) => [
        s.protocol.toLowerCase(),
        {
          score: Number(s.riskScore),
          lastUpdated: Number(s.risk.lastUpdated),
          components: riskComponentsOf(s.risk),
        },
      ]),
    );
    const pushesByAddress = new Map<string, RiskPushView[]>();
    for (const entry of state.dashboard.recentConfirmed("risk-push", PUSHES_SHOWN)) {
      // TxSender journals the action's own payload under `detail`.
      const payload = (entry.payload as { detail?: { at?: unknown; values?: unknown } | null } | null)?.detail;
      if (typeof payload?.at !== "number" || !Array.isArray(payload.values)) continue;
      for (const value of payload.values as (Partial<ComponentRisks> & { protocol?: unknown })[]) {
        if (typeof value.protocol !== "string" || !isComponents(value)) continue;
        const components: ComponentRisks = { tvl: value.tvl, audit: value.audit, time: value.time, exploit: value.exploit, team: value.team };
        const list = pushesByAddress.get(value.protocol.toLowerCase()) ?? [];
        list.push({ t: payload.at, composite: compositeRisk(components), components, hash: entry.txHash ?? null });
        pushesByAddress.set(value.protocol.toLowerCase(), list);
      }
    }
    return config.protocols.map((p) => {
      const history = state.dashboard.riskHistory(p.id, { days: HISTORY_DAYS, maxPoints: HISTORY_POINTS });
      const latest = history[history.length - 1] ?? state.assessments.latest(p.id);
      return {
        protocol: p.id,
        name: p.name,
        address: p.address,
        latest:
          latest === undefined
            ? null
            : {
                t: latest.assessedAt,
                composite: latest.composite,
                components: latest.components,
                category: latest.category,
                confidence: latest.confidence,
                missing: latest.missing.map((m) => m.field),
              },
        onChain: onChainByAddress.get(p.address.toLowerCase()) ?? null,
        history: history.map((a) => ({ t: a.assessedAt, composite: a.composite, components: a.components })),
        pushes: (pushesByAddress.get(p.address.toLowerCase()) ?? []).sort((a, b) => a.t - b.t),
      };
    });
  }

  private async incidentViews(snapshot: ChainSnapshot | undefined, now: number): Promise<IncidentView[]> {
    const { state } = this.deps;
    const names = new Map(this.deps.config.protocols.map((p) => [p.id, p.name]));
    const claimRows = state.claims.list();
    const timelines = new Map<number, ClaimTimelineView[]>();
    for (const row of claimRows) {
      const view = await this.claimTimeline(row, snapshot, now);
      const list = timelines.get(row.incidentId) ?? [];
      list.push(view);
      timelines.set(row.incidentId, list);
    }
    return state.incidents.list().map((incident) => {
      const claims = timelines.get(incident.id) ?? [];
      const details = (incident.details ?? {}) as { state?: unknown; occurredAt?: unknown };
      const stated = typeof details.state === "string" ? details.state : undefined;
      const derived =
        claims.length === 0 ? "detected" : claims.every((c) => TERMINAL_CLAIM_STATES.has(c.state)) ? "closed" : "claiming";
      const incidentState = stated ?? derived;
      const occurredAt = typeof details.occurredAt === "number" ? details.occurredAt : incident.detectedAt;
      return {
        id: incident.id,
        name: formatIncidentName({ protocolName: names.get(incident.protocol) ?? incident.protocol, kind: incident.kind, occurredAt }),
        protocol: incident.protocol,
        kind: incident.kind,
        state: incidentState,
        open: !["closed", "dismissed", "resolved"].includes(incidentState),
        detectedAt: incident.detectedAt,
        occurredAt,
        dedupeKey: incident.dedupeKey,
        claims,
      };
    });
  }

  private async claimTimeline(
    row: ClaimRecord,
    snapshot: ChainSnapshot | undefined,
    now: number,
  ): Promise<ClaimTimelineView> {
    const coverage = snapshot?.coverages.get(row.coverageId);
    const fundClaim = row.fundClaimId !== undefined ? snapshot?.claims.get(row.fundClaimId) : undefined;
    const details = (row.details ?? {}) as { amount?: unknown; earliest?: unknown; latest?: unknown };
    let window: ClaimTimelineView["window"] =
      typeof details.earliest === "number" && typeof details.latest === "number" ? { earliest: details.earliest, latest: details.latest } : null;
    let votingStart: number | null = null;
    let votingEnd: number | null = null;
    let cooldownEnd: number | null = null;
    let redeemableUntil: number | null = null;
    let providerStatus: string | null = null;
    if (coverage !== undefined) {
      let providerWindow: { earliest: number; latest: number } | undefined;
      if (coverage.providerId !== 0) {
        const [adapterAddress] = await this.deps.fund.providerAdapter(coverage.providerId);
        const adapter = ICoverProvider__factory.connect(adapterAddress, this.deps.provider);
        const [earliest, latest] = await adapter.claimWindow(coverage.providerCoverId).catch(() => [0n, 0n] as const);
        if (latest > 0n) providerWindow = { earliest: Number(earliest), latest: Number(latest) };
        if (fundClaim !== undefined) {
          const [status, , until] = await adapter.claimStatus(fundClaim.providerClaimId);
          providerStatus = ["None", "Pending", "Accepted", "Denied", "Draw", "Redeemed", "Expired"][Number(status)] ?? null;
          if (until > 0n) redeemableUntil = Number(until);
          const nexus = await this.nexusDetails(adapterAddress, fundClaim.providerClaimId);
          if (nexus !== undefined) {
            votingStart = nexus.start;
            votingEnd = nexus.votingEnd;
            cooldownEnd = nexus.votingEnd + nexus.cooldown;
            redeemableUntil ??= nexus.votingEnd + nexus.cooldown + nexus.redemptionPeriod - 1;
          }
        }
      }
      const computed = claimWindowFor(coverage, providerWindow);
      window ??= computed ?? null;
    }
    const fundStatus = fundClaim?.status ?? null;
    return {
      claimRow: row.id,
      coverageId: row.coverageId,
      state: row.state,
      fundClaimId: row.fundClaimId ?? null,
      providerId: coverage?.providerId ?? null,
      amount: typeof details.amount === "string" ? details.amount : null,
      fundStatus,
      providerStatus,
      fileAfter: row.fileAfter ?? null,
      window,
      submittedAt: fundClaim?.submittedAt ?? null,
      votingStart,
      votingEnd,
      cooldownEnd,
      redeemableUntil,
      next: nextStep({ state: row.state, fileAfter: row.fileAfter ?? null, window, fundStatus, providerStatus, providerId: coverage?.providerId ?? null, votingEnd, cooldownEnd, redeemableUntil }, now),
    };
  }

  /** Nexus assessment times through the adapter's `nexusClaims()`; undefined for other providers. */
  private async nexusDetails(adapter: string, providerClaimId: bigint): Promise<{ start: number; votingEnd: number; cooldown: number; redemptionPeriod: number } | undefined> {
    let claimsAddress: string;
    try {
      claimsAddress = (await new Contract(adapter, NEXUS_CLAIMS_ABI, this.deps.provider).getFunction("nexusClaims").staticCall()) as string;
    } catch {
      return undefined; // not a Nexus adapter
    }
    const details = await INexusClaims__factory.connect(claimsAddress, this.deps.provider).getClaimDetails(providerClaimId);
    return {
      start: Number(details.assessment.start),
      votingEnd: Number(details.assessment.votingEnd),
      cooldown: Number(details.assessment.cooldownPeriod),
      redemptionPeriod: Number(details.claim.payoutRedemptionPeriod),
    };
  }

  private budgetView(now: number): DashboardSnapshot["budget"] {
    const { config, state } = this.deps;
    const history = spendHistory(state.journal);
    const perDay = new Map<string, bigint>();
    for (const r of history) {
      const day = new Date(r.at * 1000).toISOString().slice(0, 10);
      perDay.set(day, (perDay.get(day) ?? 0n) + r.amountWad);
    }
    const lastCycle = state.kv.get<{ committedWad?: string }>("budget:lastCycle");
    return {
      cycleUsedUsd: lastCycle?.committedWad !== undefined ? wadToUsd(BigInt(lastCycle.committedWad)) : 0,
      cycleLimitUsd: config.budget.maxPremiumPerCycleUsd,
      dayUsedUsd: wadToUsd(spentInLastDay(history, now)),
      dayLimitUsd: config.budget.maxPremiumPerDayUsd,
      perDay: [...perDay.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([day, wad]) => ({ day, usd: wadToUsd(wad) })),
    };
  }

  private reserveViews(snapshot: ChainSnapshot): ReserveView[] {
    const symbols = new Map(this.deps.config.positions.map((p) => [p.asset.toLowerCase(), p.assetSymbol ?? p.asset.slice(0, 8)]));
    const ratioBps = BigInt(snapshot.coverage.params.reserveRatioBps);
    return snapshot.coverage.pools.map((pool) => {
      const poolWad = toWad(pool.pool, pool.decimals);
      const selfWad = toWad(pool.selfInsured, pool.decimals);
      const requiredWad = (selfWad * ratioBps) / 10_000n;
      return {
        asset: pool.asset,
        symbol: symbols.get(pool.asset.toLowerCase()) ?? pool.asset,
        poolUsd: wadToUsd(poolWad),
        selfInsuredUsd: wadToUsd(selfWad),
        requiredUsd: wadToUsd(requiredWad),
        ratio: selfWad === 0n ? null : Number((poolWad * 10_000n) / selfWad) / 10_000,
        ok: poolWad >= requiredWad,
      };
    });
  }
}

/** What the keeper does next for one claim, and when (chain time). */
export function nextStep(
  c: {
    state: string;
    fileAfter: number | null;
    window: { earliest: number; latest: number } | null;
    fundStatus: string | null;
    providerStatus: string | null;
    providerId: number | null;
    votingEnd: number | null;
    cooldownEnd: number | null;
    redeemableUntil: number | null;
  },
  now: number,
): ClaimTimelineView["next"] {
  if (TERMINAL_CLAIM_STATES.has(c.state)) return { action: `done (${c.state})`, at: null, deadline: null };
  if (c.state === "scheduled") return { action: "file the claim", at: c.fileAfter ?? c.window?.earliest ?? null, deadline: c.window?.latest ?? null };
  if (c.state === "filing") return { action: "confirm the filing transaction", at: null, deadline: c.window?.latest ?? null };
  if (c.fundStatus === "Pending" && c.providerId === 0) return { action: "wait for the fund's claims assessor", at: null, deadline: null };
  if (c.fundStatus === "Accepted" && c.providerId === 0) return { action: "settle (credit the payout)", at: null, deadline: null };
  if (c.providerStatus === "Pending") {
    if (c.votingEnd !== null && now < c.votingEnd) return { action: "wait for the upstream vote", at: c.votingEnd, deadline: null };
    if (c.cooldownEnd !== null && now <= c.cooldownEnd) return { action: "wait for the upstream cooldown", at: c.cooldownEnd + 1, deadline: null };
    return { action: "wait for the upstream decision", at: null, deadline: null };
  }
  if (c.providerStatus === "Accepted") return { action: "settle (redeem the upstream payout)", at: null, deadline: c.redeemableUntil };
  if (c.providerStatus === "Draw") return { action: "settle (retrieve the deposit)", at: null, deadline: null };
  return { action: "watch", at: null, deadline: null };
}

function isComponents<T extends Partial<ComponentRisks>>(v: T): v is T & ComponentRisks {
  return [v.tvl, v.audit, v.time, v.exploit, v.team].every((n) => typeof n === "number");
}

/** USD wad → a plain number of dollars (display precision: 1e-6). */
export function wadToUsd(wad: bigint): number {
  return Number(wad / 10n ** 12n) / 1e6;
}
