/**
 * One incident-watch tick: detect → store (dedupe) → evidence pack → plan claims → file → monitor.
 *
 * - Detection (`detectIncidents`): TVL drop over the risk source's TVL history, new hacks-feed
 *   entries, and manual incidents (`keeper incident add` writes them to the incidents table).
 * - Evidence: the pack's canonical JSON is written to `paths.evidenceDir`; those exact UTF-8
 *   bytes are passed as `submitClaim(..., evidence)`, so the fund's stored
 *   `evidenceHash = keccak256(evidence)` equals the keccak256 of the file on disk (anyone can
 *   verify a claim against the file; the ClaimSubmitted event carries the bytes too).
 * - Filing (`planClaims`): file now, schedule at the first allowed moment (a later tick files it),
 *   or report too late. One claim per (incident, coverage): the claims table's UNIQUE row plus the
 *   journal's idempotency key `claim:<incident>:<cover>` (TxSender never signs a key twice).
 * - Monitor (`decideClaimFollowUps`): settle accepted / draw / denied-upstream claims before the
 *   redemption window closes; alert on denials, closed windows and close deadlines.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { Contract, type Provider } from "ethers";
import type { StablecoinInsuranceFund } from "../../../typechain-types/contracts/StablecoinInsuranceFund";
import type { KeeperConfig } from "../config";
import type { ProtocolConfig } from "../config/schema";
import type { SendResult, TxSender } from "../execution/txSender";
import {
  claimIdempotencyKey,
  decideClaimFollowUps,
  planClaims,
  type ClaimIncident,
  type ClaimObservation,
  type ClaimPlan,
  type ClaimWindow,
  type FiledClaim,
  type ProviderClaimStatus,
} from "../policy/claims";
import { buildEvidencePack } from "../policy/evidence";
import {
  detectIncidents,
  type DetectedIncident,
  type IncidentRules,
  type KnownIncident,
} from "../policy/incidents";
import { DAY_SEC } from "../policy/money";
import type { OnChainCoverage } from "../policy/coverage";
import type { HacksFeedSource, Incident as FeedIncident } from "../sources/hacksFeedSource";
import { storeEvidence } from "../sources/evidenceStore";
import type { RiskDataSource, TvlPoint } from "../sources/types";
import type { StateDb } from "../state";
import type { IncidentRecord } from "../state/incidents";
import type { Alerter } from "./alerts";
import type { CoverageCycle } from "./coverageCycle";
import type { Logger } from "../lib/logger";

const PROVIDER_ABI = [
  "function claimDeposit(uint256 providerCoverId, uint256 amount) view returns (uint256)",
  "function claimWindow(uint256 providerCoverId) view returns (uint256 earliest, uint256 latest)",
  "function claimStatus(uint256 providerClaimId) view returns (uint8 status, uint256 payout, uint256 redeemableUntil)",
];
const PROVIDER_STATUS: readonly ProviderClaimStatus[] = ["None", "Pending", "Accepted", "Denied", "Draw", "Redeemed", "Expired"];
/** Claim rows in these states count as filed (never filed again). */
const FILED_STATES = ["filing", "filed", "settled", "paid", "denied", "draw", "expired", "done"];
/** Incidents older than this are not claimed for any more (seconds). */
const INCIDENT_HORIZON_SEC = 400 * DAY_SEC;

export function incidentRulesOf(config: Pick<KeeperConfig, "incidents">): IncidentRules {
  const r = config.incidents;
  return {
    tvlDrop: {
      enabled: r.tvlDropEnabled,
      minDropFraction: r.tvlDropPercent / 100,
      windowSec: Math.round(r.tvlDropWindowHours * 3600),
      maxAgeSec: Math.round(r.tvlDropMaxAgeDays * DAY_SEC),
    },
    hacksFeed: { enabled: r.hacksFeedEnabled, maxAgeSec: Math.round(r.hacksMaxAgeDays * DAY_SEC) },
    manual: { enabled: r.manualEnabled },
  };
}

/** What an incident row's `details` holds (the detector's output). */
type StoredIncidentDetails = Partial<DetectedIncident> & { readonly occurredAt?: number };

export interface ClaimsCycleDeps {
  readonly provider: Provider;
  readonly fund: StablecoinInsuranceFund;
  readonly coverage: CoverageCycle;
  readonly config: Pick<KeeperConfig, "protocols" | "positions" | "incidents" | "paths">;
  readonly state: StateDb;
  readonly source: RiskDataSource;
  readonly hacksFeed: HacksFeedSource | undefined;
  readonly txSender: TxSender | undefined;
  readonly alerter: Alerter;
  readonly logger: Logger;
}

export interface ClaimsCycleSummary {
  readonly now: number;
  readonly dryRun: boolean;
  readonly newIncidents: readonly string[];
  readonly plans: readonly { kind: ClaimPlan["kind"]; incidentKey: string; coverId: string; at?: number; detail?: string }[];
  readonly filed: readonly { incidentKey: string; coverId: string; status: SendResult["status"]; claimId?: string; hash?: string; error?: string }[];
  readonly followUps: readonly { claimId: string; kind: string; status?: SendResult["status"]; detail?: string }[];
  readonly alerts: number;
  readonly gasUsed: string;
}

export class ClaimsCycle {
  private readonly adapters = new Map<number, string>();

  constructor(private readonly deps: ClaimsCycleDeps) {}

  async run(options: { dryRun?: boolean } = {}): Promise<ClaimsCycleSummary> {
    const { deps } = this;
    const dryRun = options.dryRun === true || deps.txSender === undefined;
    const { incidents: incidentRepo, claims: claimRepo } = deps.state;
    let alerts = 0;
    let gasUsed = 0n;
    const alert = async (severity: "info" | "warning" | "critical", title: string, message: string, at: number, protocol?: string) => {
      alerts += 1;
      if (dryRun) deps.logger.info({ title, message }, "dry run: would alert");
      else await deps.alerter.send({ severity, title, message, at, ...(protocol !== undefined ? { protocol } : {}) });
    };

    const positions = await deps.coverage.positions();
    const protocolById = new Map(deps.config.protocols.map((p) => [p.id, p]));
    const coveredIds = [...new Set(deps.config.positions.map((p) => p.protocol))];
    const coveredRefs = coveredIds.map((id) => protocolById.get(id)).filter((p): p is ProtocolConfig => p !== undefined);

    const rows = claimRepo.list();
    const snapshot = await deps.coverage.snapshot(positions, {
      coverIds: rows.map((r) => BigInt(r.coverageId)),
      claimIds: rows.filter((r) => r.fundClaimId !== undefined).map((r) => BigInt(r.fundClaimId as string)),
    });
    const now = snapshot.now;

    // 1. Detection.
    const tvlHistories = new Map<string, readonly TvlPoint[]>();
    if (coveredRefs.length > 0) {
      try {
        for (const m of await deps.source.fetchMetrics(coveredRefs, now)) {
          const history = m.tvlHistory?.value;
          if (Array.isArray(history)) tvlHistories.set(m.protocol, history as TvlPoint[]);
        }
      } catch (err) {
        deps.logger.warn({ err: (err as Error).message }, "incident watch: risk source failed; TVL rule skipped this tick");
      }
    }
    const feedIncidents = new Map<string, readonly FeedIncident[]>();
    if (deps.hacksFeed !== undefined && coveredRefs.length > 0) {
      try {
        for (const [id, match] of await deps.hacksFeed.fetchIncidents(coveredRefs, now)) feedIncidents.set(id, match.incidents);
      } catch (err) {
        deps.logger.warn({ err: (err as Error).message }, "incident watch: hacks feed failed");
      }
    }
    const stored = incidentRepo.list();
    const known: KnownIncident[] = stored.map((i) => ({
      dedupeKey: i.dedupeKey,
      kind: i.kind as KnownIncident["kind"],
      protocolId: i.protocol,
      occurredAt: occurredAtOf(i),
    }));
    const detection = detectIncidents(
      { coveredProtocols: coveredIds, tvlHistories, feedIncidents, manual: [], known },
      incidentRulesOf(deps.config),
      now,
    );
    const newIncidents: string[] = [];
    for (const incident of detection.incidents) {
      if (dryRun) {
        deps.logger.info({ incident: incident.dedupeKey }, "dry run: would record incident");
        newIncidents.push(incident.dedupeKey);
        continue;
      }
      const { created } = incidentRepo.record({
        protocol: incident.protocolId,
        kind: incident.kind,
        detectedAt: now,
        dedupeKey: incident.dedupeKey,
        details: incident,
      });
      if (!created) continue;
      newIncidents.push(incident.dedupeKey);
      deps.logger.warn({ incident: incident.dedupeKey, description: incident.description }, "incident detected");
      await alert("critical", `incident: ${incident.protocolId}`, `${incident.description} (${incident.dedupeKey})`, now, incident.protocolId);
    }

    // 2. Evidence packs and claim plans over every stored, recent incident.
    const incidents = incidentRepo.list().filter((i) => occurredAtOf(i) >= now - INCIDENT_HORIZON_SEC && protocolById.has(i.protocol));
    const coverages = [...snapshot.coverages.values()];
    for (const incident of incidents) {
      if (incident.evidencePath !== undefined || dryRun) continue;
      const protocol = protocolById.get(incident.protocol) as ProtocolConfig;
      const details = incident.details as StoredIncidentDetails;
      const occurredAt = occurredAtOf(incident);
      const affected = coverages.filter((c) => sameAddr(c.protocol, protocol.address) && c.start <= occurredAt && occurredAt <= c.end);
      const tvl = tvlHistories.get(incident.protocol) ?? [];
      const pack = buildEvidencePack({
        incident: {
          dedupeKey: incident.dedupeKey,
          kind: incident.kind as DetectedIncident["kind"],
          protocolId: incident.protocol,
          occurredAt,
          detectedAt: incident.detectedAt,
          description: details.description ?? incident.kind,
          sourceRef: details.sourceRef ?? incident.kind,
          ...(details.exploitTxHash !== undefined ? { exploitTxHash: details.exploitTxHash } : {}),
          ...(details.lossUsd !== undefined ? { lossUsd: details.lossUsd } : {}),
          ...(details.link !== undefined ? { link: details.link } : {}),
        },
        tvlHistory: tvl,
        sources: [
          {
            name: incident.kind,
            url: details.sourceRef ?? incident.kind,
            fetchedAt: now,
            sha256: createHash("sha256").update(JSON.stringify({ tvl, details })).digest("hex"),
          },
        ],
        coverages: affected.map((c) => ({
          coverId: c.id,
          protocol: c.protocol,
          asset: c.asset,
          providerId: c.providerId,
          providerCoverId: c.providerCoverId,
          amount: c.amount,
          claimed: c.claimed,
          start: c.start,
          end: c.end,
        })),
        positions: positions
          .filter((p) => p.protocolId === incident.protocol)
          .map((p) => ({ protocolId: p.protocolId, asset: p.asset, beneficiary: p.beneficiary, targetAmount: p.targetAmount })),
      });
      const saved = await storeEvidence(deps.config.paths.evidenceDir, pack);
      incidentRepo.setEvidence(incident.id, saved.path, saved.keccak256);
      deps.logger.info({ incident: incident.dedupeKey, path: saved.path, keccak256: saved.keccak256 }, "evidence pack stored");
    }

    const claimIncidents: ClaimIncident[] = incidents.map((i) => ({
      dedupeKey: i.dedupeKey,
      protocol: (protocolById.get(i.protocol) as ProtocolConfig).address,
      occurredAt: occurredAtOf(i),
    }));
    const incidentByKey = new Map(incidentRepo.list().map((i) => [i.dedupeKey, i]));
    const filedClaims: FiledClaim[] = [];
    for (const row of claimRepo.list()) {
      if (!FILED_STATES.includes(row.state)) continue;
      const incident = incidentRepo.get(row.incidentId);
      if (incident !== undefined) filedClaims.push({ incidentKey: incident.dedupeKey, coverId: BigInt(row.coverageId) });
    }
    const relevant = coverages.filter((c) => claimIncidents.some((i) => sameAddr(i.protocol, c.protocol)));
    const windows = new Map<string, ClaimWindow>();
    for (const c of relevant) {
      if (c.providerId === 0) continue;
      try {
        const adapter = await this.providerContract(c.providerId);
        const [earliest, latest] = (await adapter.getFunction("claimWindow").staticCall(c.providerCoverId)) as [bigint, bigint];
        windows.set(c.id.toString(), { earliest: Number(earliest), latest: Number(latest) });
      } catch (err) {
        deps.logger.warn({ coverId: c.id.toString(), err: (err as Error).message }, "provider claim window unreadable");
      }
    }
    const plans = planClaims(claimIncidents, relevant, filedClaims, windows, { claimGracePeriodSec: snapshot.coverage.params.claimGracePeriodSec }, now);

    const planReports: ClaimsCycleSummary["plans"][number][] = [];
    const filed: ClaimsCycleSummary["filed"][number][] = [];
    for (const plan of plans) {
      const incident = incidentByKey.get(plan.incidentKey);
      if (incident === undefined) continue;
      const coverId = plan.coverId.toString();
      planReports.push({
        kind: plan.kind,
        incidentKey: plan.incidentKey,
        coverId,
        ...(plan.kind === "schedule" ? { at: plan.at } : {}),
        ...(plan.kind === "blocked" ? { detail: plan.detail } : plan.kind === "too-late" ? { detail: plan.alert } : {}),
      });
      if (plan.kind === "already-filed" || plan.kind === "blocked") continue;
      if (dryRun) {
        deps.logger.info({ plan: plan.kind, incident: plan.incidentKey, coverId }, "dry run: claim plan");
        continue;
      }
      if (plan.kind === "schedule") {
        const { created } = claimRepo.schedule({ incidentId: incident.id, coverageId: coverId, state: "scheduled", fileAfter: plan.at, details: { amount: plan.amount.toString() } });
        if (created) deps.logger.info({ incident: plan.incidentKey, coverId, at: plan.at }, "claim scheduled at the first allowed moment");
        continue;
      }
      if (plan.kind === "too-late") {
        const { claim, created } = claimRepo.schedule({ incidentId: incident.id, coverageId: coverId, state: "too-late", details: { earliest: plan.window.earliest, latest: plan.window.latest } });
        if (created || claim.state !== "too-late") {
          claimRepo.update(claim.id, { state: "too-late" });
          await alert("critical", "claim window closed", plan.alert, now, incident.protocol);
        }
        continue;
      }
      // file-now
      const coverage = snapshot.coverages.get(coverId) as OnChainCoverage;
      const { claim } = claimRepo.schedule({ incidentId: incident.id, coverageId: coverId, state: "scheduled", details: { amount: plan.amount.toString() } });
      const result = await this.fileClaim(plan, coverage, incident, now);
      const claimId = await this.claimIdFrom(result);
      if (result.status === "confirmed" || (result.status === "skipped" && claimId !== undefined)) {
        claimRepo.update(claim.id, { state: "filed", ...(claimId !== undefined ? { fundClaimId: claimId.toString() } : {}), details: { amount: plan.amount.toString(), hash: result.hash } });
        if (result.status === "confirmed") gasUsed += result.gasUsed;
        await alert("warning", `claim filed: ${incident.protocol}`, `claim ${claimId ?? "?"} on coverage ${coverId} for ${plan.incidentKey}, amount ${plan.amount}`, now, incident.protocol);
      } else if (result.status === "pending") {
        claimRepo.update(claim.id, { state: "filing", details: { amount: plan.amount.toString(), hash: result.hash } });
      } else if (result.status === "failed") {
        claimRepo.update(claim.id, { details: { amount: plan.amount.toString(), lastError: result.error } });
        await alert("critical", "claim filing failed", `coverage ${coverId}, incident ${plan.incidentKey}: ${result.error}`, now, incident.protocol);
      }
      filed.push({
        incidentKey: plan.incidentKey,
        coverId,
        status: result.status,
        ...(claimId !== undefined ? { claimId: claimId.toString() } : {}),
        ...("hash" in result && result.hash !== undefined ? { hash: result.hash } : {}),
        ...(result.status === "failed" ? { error: result.error } : {}),
      });
    }

    // 3. Claim monitor.
    const followUpReports: ClaimsCycleSummary["followUps"][number][] = [];
    const open = claimRepo.list().filter((r) => (r.state === "filed" || r.state === "filing") && r.fundClaimId === undefined);
    for (const row of open) {
      // A filing interrupted before its claim id was read: recover it from the journal.
      const incident = incidentRepo.get(row.incidentId);
      if (incident === undefined || deps.txSender === undefined) continue;
      const entry = deps.state.journal.byKey(claimIdempotencyKey(incident.dedupeKey, BigInt(row.coverageId)));
      if (entry?.state !== "confirmed" || entry.txHash === undefined) continue;
      const id = await this.claimIdFrom({ status: "skipped", key: entry.key, state: "confirmed", hash: entry.txHash });
      if (id !== undefined) claimRepo.update(row.id, { state: "filed", fundClaimId: id.toString() });
    }
    const monitored = claimRepo.list().filter((r) => r.state === "filed" && r.fundClaimId !== undefined);
    const observations: ClaimObservation[] = [];
    for (const row of monitored) {
      const fundClaim = snapshot.claims.get(row.fundClaimId as string);
      const coverage = snapshot.coverages.get(row.coverageId);
      if (fundClaim === undefined || coverage === undefined) continue;
      let upstream: ClaimObservation["provider"];
      if (coverage.providerId !== 0 && fundClaim.status === "Pending") {
        try {
          const adapter = await this.providerContract(coverage.providerId);
          const [status, payout, until] = (await adapter.getFunction("claimStatus").staticCall(fundClaim.providerClaimId)) as [bigint, bigint, bigint];
          upstream = { status: PROVIDER_STATUS[Number(status)] ?? "None", payout, redeemableUntil: Number(until) };
        } catch (err) {
          deps.logger.warn({ claimId: row.fundClaimId, err: (err as Error).message }, "upstream claim status unreadable");
        }
      }
      observations.push({
        claimId: fundClaim.id,
        coverId: coverage.id,
        providerId: coverage.providerId,
        fundStatus: fundClaim.status,
        ...(upstream !== undefined ? { provider: upstream } : {}),
      });
    }
    const followUps = decideClaimFollowUps(observations, now, { redeemAlertLeadSec: Math.round(deps.config.incidents.redeemAlertLeadHours * 3600) });
    const rowByClaim = new Map(monitored.map((r) => [r.fundClaimId as string, r]));
    for (const f of followUps) {
      const row = rowByClaim.get(f.claimId.toString());
      if (f.kind === "wait") {
        followUpReports.push({ claimId: f.claimId.toString(), kind: "wait", detail: f.reason });
        continue;
      }
      if (f.kind === "alert") {
        followUpReports.push({ claimId: f.claimId.toString(), kind: "alert", detail: f.message });
        await alert(f.severity === "error" ? "critical" : "warning", `claim ${f.claimId}`, f.message, now);
        continue;
      }
      if (f.kind === "done") {
        followUpReports.push({ claimId: f.claimId.toString(), kind: "done", detail: f.outcome });
        if (row !== undefined && !dryRun) claimRepo.update(row.id, { state: f.outcome.toLowerCase() });
        continue;
      }
      if (f.alert !== undefined) await alert("warning", `claim ${f.claimId}`, f.alert, now);
      const result = await this.send(
        { kind: "settle-claim", key: f.idempotencyKey, to: await deps.fund.getAddress(), data: deps.fund.interface.encodeFunctionData("settleClaim", [f.claimId]), payload: { claimId: f.claimId, reason: f.reason, at: now } },
        dryRun,
      );
      if (result.status === "confirmed") gasUsed += result.gasUsed;
      followUpReports.push({ claimId: f.claimId.toString(), kind: "settle", status: result.status, detail: result.status === "failed" ? result.error : f.reason });
      if ((result.status === "confirmed" || result.status === "skipped") && row !== undefined && !dryRun) {
        const after = await deps.fund.getClaim(f.claimId);
        const outcome = ["None", "Pending", "Accepted", "Denied", "Paid", "Draw", "Expired"][Number(after.status)] ?? "None";
        if (outcome !== "Pending" && outcome !== "Accepted") claimRepo.update(row.id, { state: outcome.toLowerCase() });
        await alert(outcome === "Paid" ? "info" : "warning", `claim ${f.claimId} settled`, `claim ${f.claimId}: ${outcome} (payout ${after.payout})`, now);
      } else if (result.status === "failed") {
        await alert("critical", `claim ${f.claimId} settlement failed`, result.error, now);
      }
    }

    return { now, dryRun, newIncidents, plans: planReports, filed, followUps: followUpReports, alerts, gasUsed: gasUsed.toString() };
  }

  private async fileClaim(plan: Extract<ClaimPlan, { kind: "file-now" }>, coverage: OnChainCoverage, incident: IncidentRecord, now: number): Promise<SendResult> {
    const { deps } = this;
    // The time of loss, clamped into the coverage's term (the fund rejects anything outside it or in the future).
    const incidentAt = Math.max(coverage.start, Math.min(occurredAtOf(incident), coverage.end, now));
    const pack = incident.evidencePath !== undefined ? await readFile(incident.evidencePath) : Buffer.from(incident.dedupeKey, "utf8");
    let deposit = 0n;
    let evidence: Uint8Array = pack;
    if (coverage.providerId !== 0) {
      const adapter = await this.providerContract(coverage.providerId);
      // A renewal may have replaced the upstream cover: the deposit is the one of the cover in force at incidentAt.
      const providerCoverId = await deps.fund.upstreamCoverAt(coverage.id, incidentAt);
      deposit = (await adapter.getFunction("claimDeposit").staticCall(providerCoverId, plan.amount)) as bigint;
      // Hedged claims lead with a 34-byte sha2-256 multihash (the Nexus adapter passes its digest as
      // ipfsMetadata); here the digest of the evidence pack itself.
      evidence = Buffer.concat([Buffer.from([0x12, 0x20]), createHash("sha256").update(pack).digest(), pack]);
    }
    const reason = `${incident.kind}: ${incident.dedupeKey}`.slice(0, 200);
    const data = deps.fund.interface.encodeFunctionData("submitClaim", [plan.coverId, plan.amount, incidentAt, reason, evidence]);
    return this.send(
      {
        kind: "file-claim",
        key: plan.idempotencyKey,
        to: await deps.fund.getAddress(),
        data,
        value: deposit,
        payload: { incident: plan.incidentKey, coverId: plan.coverId, amount: plan.amount, deposit, evidenceHash: incident.evidenceHash },
      },
      false,
    );
  }

  private async send(tx: { kind: string; key: string; to: string; data: string; value?: bigint; payload: unknown }, dryRun: boolean): Promise<SendResult> {
    if (this.deps.txSender === undefined) return { status: "skipped", key: tx.key, state: "planned" };
    return this.deps.txSender.send(tx, { dryRun });
  }

  /** The fund's claim id from a filing transaction's ClaimSubmitted event. */
  private async claimIdFrom(result: SendResult): Promise<bigint | undefined> {
    const hash = result.status === "confirmed" || result.status === "skipped" ? result.hash : undefined;
    if (hash === undefined) return undefined;
    const receipt = await this.deps.provider.getTransactionReceipt(hash);
    if (receipt === null || receipt.status !== 1) return undefined;
    for (const log of receipt.logs) {
      try {
        const parsed = this.deps.fund.interface.parseLog(log);
        if (parsed?.name === "ClaimSubmitted") return parsed.args[0] as bigint;
      } catch {
        // another contract's event
      }
    }
    return undefined;
  }

  private async providerContract(providerId: number): Promise<Contract> {
    let address = this.adapters.get(providerId);
    if (address === undefined) {
      [address] = await this.deps.fund.providerAdapter(providerId);
      this.adapters.set(providerId, address);
    }
    return new Contract(address, PROVIDER_ABI, this.deps.provider);
  }
}

function occurredAtOf(incident: IncidentRecord): number {
  const details = incident.details as StoredIncidentDetails | null;
  return typeof details?.occurredAt === "number" ? details.occurredAt : incident.detectedAt;
}

function sameAddr(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
