/**
 * One incident-watch tick. The chain is the truth for coverages and claims; the state database
 * remembers incidents, signals and what the keeper decided.
 *
 * 1. Signals: TVL drops over the risk source's history, hacks-feed rows, DefiLlama hallmarks,
 *    on-chain drains (exploit watch), manual reports (`keeper incident add`, already stored) →
 *    `reconcileIncidents` merges them into one incident per protocol and event window and moves
 *    it suspected → confirmed / dismissed. Editing a feed row does not open a second incident
 *    (signals are keyed by `sourceId`).
 * 2. Halts: a suspected or confirmed incident is reported on-chain (`fund.reportIncident`) so
 *    nobody buys cover into it, with a critical alert; a dismissed one raises an alert that the
 *    admin may clear the halt.
 * 3. Claims adopted from the chain: an open claim on a coverage of an incident's protocol whose
 *    claimant is the keeper, or whose evidence hash matches an incident's pack, is followed as
 *    ours (a crash between broadcast and the database update loses nothing); a claim row is never
 *    left `scheduled` when its coverage already has an open claim.
 * 4. Claims for claimable incidents (confirmed; suspected only where the protocol opted in) over
 *    every coverage that covered the incident — ended ones too, until their claim window closes
 *    (`getProtocolCoverages` lists them). Amount = min(measured loss, remaining coverage)
 *    (`planClaims`); `incidentAt` = the incident's `occurredAt`. The evidence pack lists every
 *    signal and each amount's derivation; its bytes are the claim's `evidence` (for a hedged
 *    claim prefixed with the CIDv0 multihash of the pack, as the Nexus adapter requires).
 *    A claim that cannot be filed (keeper not an agent, no ETH for the deposit, a revert) is
 *    counted as `unfileable` with its reason — visible in the status line, `keeper status` and
 *    /healthz — and retried next tick.
 * 5. Monitor (`decideClaimFollowUps`): settle accepted / draw / denied-upstream claims; alert on
 *    denials, vetoes, closed windows and close deadlines.
 */
import { readFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { Contract, keccak256, toUtf8Bytes, type Provider } from "ethers";
import type { StablecoinInsuranceFund } from "../../../typechain-types/contracts/StablecoinInsuranceFund";
import type { KeeperConfig } from "../config";
import type { ProtocolConfig } from "../config/schema";
import type { SendResult, TxSender } from "../execution/txSender";
import {
  claimIdempotencyKey,
  decideClaimFollowUps,
  planClaims,
  positionKeyOf,
  positionLoss,
  type ClaimDerivation,
  type ClaimIncident,
  type ClaimObservation,
  type ClaimPlan,
  type ClaimWindow,
  type FiledClaim,
  type PositionLoss,
  type PositionLossMeasurer,
  type ProviderClaimStatus,
} from "../policy/claims";
import { buildEvidencePack, canonicalJson } from "../policy/evidence";
import {
  collectSignals,
  EXPLOIT_HALLMARK,
  haltsSales,
  isClaimable,
  reconcileIncidents,
  type IncidentChange,
  type IncidentRules,
} from "../policy/incidents";
import type { IncidentSignal } from "../policy/incidentSignals";
import { DAY_SEC } from "../policy/money";
import type { OnChainCoverage } from "../policy/coverage";
import type { FeedIncident } from "../domain/types";
import type { HacksFeedSource } from "../sources/hacksFeedSource";
import { claimEvidenceFor, nexusEvidenceHashes } from "../sources/claimEvidence";
import { evidenceFileStem } from "../sources/evidenceStore";
import { type ExploitReport, type TvlPoint } from "../domain/types";
import { hasExploitReports, type ExploitReportSource, type RiskDataSource } from "../sources/types";
import type { StateDb } from "../state";
import type { IncidentRecord } from "../state/incidents";
import type { ClaimRecord } from "../state/claims";
import type { Alerter, AlertSeverity } from "../alerting";
import { toFundClaim, type FundClaim } from "./chainState";
import type { CoverageCycle } from "./coverageCycle";
import type { ExploitWatch, WatchTickSummary } from "./exploitWatch";
import type { Logger } from "../lib/logger";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

const PROVIDER_ABI = [
  "function claimDeposit(uint256 providerCoverId, uint256 amount) view returns (uint256)",
  "function claimWindow(uint256 providerCoverId) view returns (uint256 earliest, uint256 latest)",
  "function claimStatus(uint256 providerClaimId) view returns (uint8 status, uint256 payout, uint256 redeemableUntil)",
];
const PROVIDER_STATUS: readonly ProviderClaimStatus[] = ["None", "Pending", "Accepted", "Denied", "Draw", "Redeemed", "Expired"];
/** Claim rows in these states count as filed (never filed again for the same incident and coverage). */
export const FILED_STATES = ["filed", "settled", "paid", "denied", "draw", "expired", "withdrawn", "vetoed", "done"];
/** Claim rows still waiting on the keeper (shown by `keeper status`). */
export const OPEN_ROW_STATES = ["scheduled", "filed", "unfileable", "blocked"];
/** Incidents older than this are not claimed for any more (seconds). */
const INCIDENT_HORIZON_SEC = 400 * DAY_SEC;
/** Page size of `getProtocolCoverages`. */
const COVERAGE_PAGE = 100n;

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
    hallmarks: { enabled: r.hallmarksEnabled, maxAgeSec: Math.round(r.hacksMaxAgeDays * DAY_SEC), pattern: EXPLOIT_HALLMARK },
    manual: { enabled: r.manualEnabled },
    mergeWindowSec: Math.round(r.mergeWindowHours * 3600),
    corroborationTimeoutSec: Math.round(r.corroborationTimeoutHours * 3600),
  };
}

export interface ClaimsCycleDeps {
  readonly provider: Provider;
  readonly fund: StablecoinInsuranceFund;
  readonly coverage: CoverageCycle;
  readonly config: Pick<KeeperConfig, "protocols" | "positions" | "incidents" | "paths" | "providers">;
  readonly state: StateDb;
  readonly source: RiskDataSource;
  readonly hacksFeed: HacksFeedSource | undefined;
  readonly txSender: TxSender | undefined;
  /** The keeper's address (claimant of its claims; reporter of halts). */
  readonly keeperAddress?: string | undefined;
  /** Position readers: value before − after the incident. Without one the configured size is claimed. */
  readonly lossMeasurer?: PositionLossMeasurer;
  readonly alerter: Alerter;
  readonly logger: Logger;
  /** On-chain exploit watch, run first in every tick (positions + watched balances in one multicall). */
  readonly watch?: ExploitWatch;
}

export interface ClaimsCycleSummary {
  readonly now: number;
  readonly dryRun: boolean;
  readonly newIncidents: readonly string[];
  /** Incidents by state after this tick (within the claim horizon). */
  readonly incidents: { readonly suspected: number; readonly confirmed: number; readonly dismissed: number };
  readonly transitions: readonly { incidentKey: string; from: string; to: string; by: string }[];
  readonly halts: readonly { incidentKey: string; protocol: string; status?: SendResult["status"] | "already-halted"; error?: string }[];
  readonly adopted: readonly { claimId: string; coverId: string; incidentKey: string; claimant: string }[];
  readonly plans: readonly { kind: ClaimPlan["kind"]; incidentKey: string; coverId: string; at?: number; amount?: string; detail?: string }[];
  readonly filed: readonly { incidentKey: string; coverId: string; status: SendResult["status"]; claimId?: string; hash?: string; amount?: string; error?: string }[];
  /** Claims that could not be filed this tick, with the reason an operator can act on. */
  readonly unfileable: readonly { incidentKey: string; coverId: string; reason: string }[];
  readonly followUps: readonly { claimId: string; kind: string; status?: SendResult["status"]; detail?: string }[];
  readonly alerts: number;
  readonly gasUsed: string;
  /** The exploit watch's part of the tick (drain signals are `suspected` only: never claimed on their own). */
  readonly watch?: WatchTickSummary;
}

interface ClaimRowDetails {
  amount?: string;
  reason?: string;
  derivation?: ClaimDerivation;
  adopted?: boolean;
  claimant?: string;
  hash?: string;
}

export class ClaimsCycle {
  private readonly adapters = new Map<number, string>();
  private claimEvidence: ReturnType<typeof claimEvidenceFor> | undefined;

  constructor(private readonly deps: ClaimsCycleDeps) {}

  async run(options: { dryRun?: boolean } = {}): Promise<ClaimsCycleSummary> {
    const { deps } = this;
    const dryRun = options.dryRun === true || deps.txSender === undefined;
    const { incidents: incidentRepo, claims: claimRepo } = deps.state;
    let alerts = 0;
    let gasUsed = 0n;
    const alert = async (severity: AlertSeverity, title: string, message: string, at: number, protocol?: string, key?: string) => {
      alerts += 1;
      if (dryRun) deps.logger.info({ title, message }, "dry run: would alert");
      else await deps.alerter.send({ severity, title, message, at, ...(protocol !== undefined ? { protocol } : {}), ...(key !== undefined ? { dedupKey: key } : {}) });
    };
    const keeper = deps.keeperAddress ?? (deps.txSender !== undefined ? await deps.txSender.from() : undefined);

    const watch = deps.watch !== undefined ? await deps.watch.tick({ dryRun }) : undefined;
    if (watch !== undefined) alerts += watch.alerts;
    const positions = await deps.coverage.positions(watch?.readings.block !== undefined ? watch.readings : undefined);
    const protocolById = new Map(deps.config.protocols.map((p) => [p.id, p]));
    const coveredIds = [...new Set(deps.config.positions.map((p) => p.protocol))];
    const coveredRefs = coveredIds.map((id) => protocolById.get(id)).filter((p): p is ProtocolConfig => p !== undefined);
    const autoClaim = new Set(deps.config.incidents.autoClaimOnSuspected);

    const rows = claimRepo.list();
    const first = await deps.coverage.snapshot(positions, {
      coverIds: rows.map((r) => BigInt(r.coverageId)),
      claimIds: rows.filter((r) => r.fundClaimId !== undefined).map((r) => BigInt(r.fundClaimId as string)),
    });
    const now = first.now;
    // Coverages seen live on a covered protocol: once their claim window has closed the fund no
    // longer lists them, but an incident inside their term must still raise the too-late alert.
    const seen = this.rememberCoverages(first, now);

    // 1. Signals → incidents.
    const tvlHistories = new Map<string, readonly TvlPoint[]>();
    const sourceHashes = new Map<string, string>();
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
    const rules = incidentRulesOf(deps.config);
    // Sources that keep exploit reports with stable ids (DefiLlama hallmarks via the composite
    // source; the Pro hacks feed) are the signal of record; the raw feed rows are mapped only when
    // the feed does not offer reports.
    const reports: ExploitReport[] = [];
    const feedReports = deps.hacksFeed !== undefined && hasExploitReports(deps.hacksFeed);
    for (const id of coveredIds) {
      if (hasExploitReports(deps.source)) reports.push(...deps.source.exploitReports(id));
      if (feedReports) reports.push(...(deps.hacksFeed as unknown as ExploitReportSource).exploitReports(id));
    }
    const signals: IncidentSignal[] = [
      ...collectSignals({ coveredProtocols: coveredIds, tvlHistories, feedIncidents: feedReports ? new Map() : feedIncidents }, rules, now),
      ...reportSignals(reports, rules, now),
    ];
    // On-chain drains seen by the exploit watch (every one it remembers: a signal already attached
    // is known and changes nothing, one missed by a crash after the watch stored it is picked up).
    if (deps.watch !== undefined) {
      signals.push(...deps.watch.storedSignals().map((d) => d.signal).filter((x) => coveredIds.includes(x.protocolId)));
    }
    for (const [id, history] of tvlHistories) sourceHashes.set(id, createHash("sha256").update(JSON.stringify(history)).digest("hex"));

    const reconciliation = reconcileIncidents(incidentRepo.views(), signals, rules, now);
    const newIncidents: string[] = [];
    const transitions: ClaimsCycleSummary["transitions"][number][] = [];
    if (dryRun) {
      for (const c of reconciliation.changes) if (c.kind === "open") newIncidents.push(c.key);
      if (reconciliation.changes.length > 0) deps.logger.info({ changes: reconciliation.changes.map(describeChange) }, "dry run: would record incident changes");
    } else if (reconciliation.changes.length > 0) {
      const touched = incidentRepo.apply(reconciliation.changes, now);
      for (const change of reconciliation.changes) {
        const incident = touched.get(change.key);
        if (incident === undefined) continue;
        if (change.kind === "open") {
          newIncidents.push(change.key);
          deps.logger.warn({ incident: change.key, state: change.state, description: change.signal.description }, "incident opened");
          await alert(
            "critical",
            `${change.state} incident: ${incident.protocol}`,
            change.state === "suspected"
              ? `${change.signal.description}. Suspected (${change.signal.kind}, not corroborated): sales of ${incident.protocol} are being halted on-chain; no claim is filed unless it is confirmed — ` +
                  `\`keeper incident confirm ${incident.id}\` or \`keeper incident dismiss ${incident.id}\`.`
              : `${change.signal.description}. Confirmed by ${change.signal.kind}: sales are halted and claims are filed for the affected coverages.`,
            now,
            incident.protocol,
            `incident:${change.key}:${change.state}`,
          );
        } else if (change.kind === "transition") {
          transitions.push({ incidentKey: change.key, from: change.from, to: change.to, by: change.by });
          deps.logger.warn({ incident: change.key, from: change.from, to: change.to, by: change.by }, "incident state changed");
          if (change.to === "confirmed") {
            await alert("critical", `incident confirmed: ${incident.protocol}`, `${change.reason} (incident ${incident.id}, ${change.key}): claims are filed for the affected coverages.`, now, incident.protocol, `incident:${change.key}:confirmed`);
          }
        }
      }
    }

    const horizon = now - INCIDENT_HORIZON_SEC;
    const incidents = incidentRepo.list().filter((i) => i.occurredAt >= horizon && protocolById.has(i.protocol));
    const protocolOf = (i: IncidentRecord): ProtocolConfig => protocolById.get(i.protocol) as ProtocolConfig;

    // 2. Halts on-chain; alert on dismissals.
    const halts: ClaimsCycleSummary["halts"][number][] = [];
    for (const incident of incidents) {
      const protocol = protocolOf(incident);
      if (haltsSales(incident) && incident.haltReportedAt === undefined) {
        const report = await this.reportHalt(incident, protocol, now, dryRun);
        halts.push({ incidentKey: incident.dedupeKey, protocol: incident.protocol, ...report });
        if (report.status === "confirmed" || report.status === "already-halted") {
          if (!dryRun) incidentRepo.setHaltReported(incident.id, now);
          if (report.status === "confirmed") {
            gasUsed += report.gasUsed ?? 0n;
            await alert("critical", `sales halted: ${incident.protocol}`, `fund.reportIncident(${protocol.address}, ${incident.occurredAt}) mined: no purchase, increase or renewal of ${incident.protocol} cover until the admin clears it.`, now, incident.protocol, `halt:${incident.dedupeKey}`);
          }
        } else if (report.status === "failed") {
          await alert("critical", `halt not reported: ${incident.protocol}`, `fund.reportIncident failed: ${report.error ?? "unknown error"} — check the keeper's RISK_ORACLE_ROLE; retried next tick.`, now, incident.protocol, `halt-failed:${incident.dedupeKey}`);
        }
      }
      if (incident.state === "dismissed" && incident.dismissAlertedAt === undefined && !dryRun) {
        let active = false;
        try {
          active = (await deps.fund.getIncident(protocol.address)).active;
        } catch (err) {
          deps.logger.warn({ err: (err as Error).message }, "getIncident unreadable");
        }
        await alert(
          "warning",
          `incident dismissed: ${incident.protocol}`,
          `Incident ${incident.id} (${incident.dedupeKey}) was dismissed (${incident.stateBy}: ${incident.stateReason ?? "no reason"}); no claim is filed. ` +
            (active ? `Sales of ${incident.protocol} are still halted on-chain: the admin may clear the halt (fund.clearIncident(${protocol.address})).` : "No halt is active on-chain."),
          now,
          incident.protocol,
          `incident:${incident.dedupeKey}:dismissed`,
        );
        incidentRepo.setDismissAlerted(incident.id, now);
      }
    }

    // 3. Coverages that can still be claimed for the incidents' protocols (ended ones included), and their open claims.
    const incidentProtocols = [...new Set(incidents.filter((i) => i.state !== "dismissed").map((i) => protocolOf(i).address.toLowerCase()))];
    const claimableIds: bigint[] = [];
    for (const address of incidentProtocols) claimableIds.push(...(await this.claimableCoverageIds(address)));
    const knownIds = new Set(first.coverages.keys());
    const seenOnIncidentProtocols = seen.filter((c) => incidentProtocols.includes(c.protocol)).map((c) => BigInt(c.id));
    const wanted = [...claimableIds, ...seenOnIncidentProtocols];
    const snapshot =
      wanted.some((id) => !knownIds.has(id.toString()))
        ? await deps.coverage.snapshot(positions, {
            coverIds: [...rows.map((r) => BigInt(r.coverageId)), ...wanted],
            claimIds: rows.filter((r) => r.fundClaimId !== undefined).map((r) => BigInt(r.fundClaimId as string)),
          })
        : first;
    const coverages = [...snapshot.coverages.values()].filter((c) => incidentProtocols.includes(c.protocol.toLowerCase()));
    const fundClaims = new Map(snapshot.claims);
    for (const c of coverages) {
      if (c.openClaimId === 0n || fundClaims.has(c.openClaimId.toString())) continue;
      try {
        fundClaims.set(c.openClaimId.toString(), toFundClaim(await deps.fund.getClaim(c.openClaimId), c.openClaimId));
      } catch (err) {
        deps.logger.warn({ claimId: c.openClaimId.toString(), err: (err as Error).message }, "open claim unreadable");
      }
    }

    // 4. Adopt open claims from the chain; no row left scheduled on a coverage with an open claim.
    const adopted: ClaimsCycleSummary["adopted"][number][] = [];
    if (!dryRun) {
      const tracked = new Set(claimRepo.list().filter((r) => r.fundClaimId !== undefined).map((r) => r.fundClaimId as string));
      for (const c of coverages) {
        if (c.openClaimId === 0n) continue;
        const claim = fundClaims.get(c.openClaimId.toString());
        if (claim === undefined || tracked.has(claim.id.toString())) continue;
        const candidates = incidents.filter((i) => sameAddr(protocolOf(i).address, c.protocol) && i.state !== "dismissed" && c.start <= i.occurredAt && i.occurredAt <= c.end);
        let byHash: IncidentRecord | undefined;
        for (const i of candidates) if (byHash === undefined && (await evidenceHashesOf(i)).includes(claim.evidenceHash.toLowerCase())) byHash = i;
        const byTime = claim.incidentAt !== undefined ? candidates.find((i) => i.occurredAt === claim.incidentAt) : undefined;
        const ours = keeper !== undefined && sameAddr(claim.claimant, keeper);
        const incident = byHash ?? byTime ?? (ours ? candidates.sort((a, b) => Math.abs(a.occurredAt - claim.submittedAt) - Math.abs(b.occurredAt - claim.submittedAt))[0] : undefined);
        if (incident !== undefined && (ours || byHash !== undefined || byTime !== undefined)) {
          const { claim: row } = claimRepo.schedule({ incidentId: incident.id, coverageId: c.id.toString(), state: "filed", details: { amount: claim.amount.toString(), adopted: true, claimant: claim.claimant } });
          claimRepo.update(row.id, { state: "filed", fundClaimId: claim.id.toString(), details: { ...(row.details as ClaimRowDetails), adopted: true, claimant: claim.claimant } });
          tracked.add(claim.id.toString());
          adopted.push({ claimId: claim.id.toString(), coverId: c.id.toString(), incidentKey: incident.dedupeKey, claimant: claim.claimant });
          deps.logger.warn({ claimId: claim.id.toString(), coverId: c.id.toString(), incident: incident.dedupeKey, claimant: claim.claimant }, "open claim adopted from the chain");
          continue;
        }
        // Someone else's claim for another event: our rows on this coverage wait, saying why.
        for (const row of claimRepo.list({ coverageId: c.id.toString(), states: ["scheduled", "unfileable"] })) {
          claimRepo.update(row.id, { state: "blocked", details: { ...(row.details as ClaimRowDetails), reason: `claim ${claim.id} by ${claim.claimant} is open on coverage ${c.id}` } });
        }
      }
      // Rows whose filing went through but whose claim id was never stored (crash after broadcast).
      for (const row of claimRepo.list({ states: ["scheduled", "unfileable", "blocked"] })) {
        const incident = incidentRepo.get(row.incidentId);
        if (incident === undefined) continue;
        const entry = deps.state.journal.byKey(claimIdempotencyKey(incident.dedupeKey, BigInt(row.coverageId)));
        if (entry?.state !== "confirmed" || entry.txHash === undefined) continue;
        const id = await this.claimIdFrom(entry.txHash);
        if (id !== undefined) {
          claimRepo.update(row.id, { state: "filed", fundClaimId: id.toString() });
          if (!fundClaims.has(id.toString())) {
            try {
              fundClaims.set(id.toString(), toFundClaim(await deps.fund.getClaim(id), id));
            } catch {
              // read again next tick
            }
          }
        }
      }
      // Rows of incidents that are no longer claimable (dismissed) are cancelled, not left scheduled.
      for (const row of claimRepo.list({ states: ["scheduled", "unfileable", "blocked"] })) {
        const incident = incidentRepo.get(row.incidentId);
        if (incident !== undefined && !isClaimable({ state: incident.state, protocolId: incident.protocol }, autoClaim)) {
          claimRepo.update(row.id, { state: "cancelled", details: { ...(row.details as ClaimRowDetails), reason: `incident ${incident.state}` } });
        }
      }
    }

    // 5. Plan and file claims for claimable incidents.
    const claimable = incidents.filter((i) => isClaimable({ state: i.state, protocolId: i.protocol }, autoClaim));
    const claimIncidents: ClaimIncident[] = [];
    const unmeasured = new Map<string, string>();
    for (const incident of claimable) {
      const protocol = protocolOf(incident);
      const lossByPosition = new Map<string, PositionLoss>();
      for (const p of positions.filter((x) => x.protocolId === incident.protocol)) {
        const claimPosition = { protocolId: p.protocolId, protocol: p.protocol, asset: p.asset, beneficiary: p.beneficiary, targetAmount: p.targetAmount };
        let measured: PositionLoss | undefined;
        if (deps.lossMeasurer !== undefined) {
          try {
            measured = await deps.lossMeasurer.measureLoss(claimPosition, { protocolId: incident.protocol, occurredAt: incident.occurredAt }, now);
          } catch (err) {
            // A position with a reader whose read failed: no claim this tick (never a made-up amount).
            const reason = `the position's loss could not be measured (${(err as Error).message}) — check the RPC serves state at past blocks (archive); retried next tick`;
            unmeasured.set(`${incident.dedupeKey}|${positionKeyOf(claimPosition)}`, reason);
            deps.logger.warn({ incident: incident.dedupeKey, err: (err as Error).message }, "position loss unmeasurable: claim held");
            continue;
          }
        }
        lossByPosition.set(positionKeyOf(claimPosition), positionLoss(claimPosition, measured));
      }
      claimIncidents.push({ dedupeKey: incident.dedupeKey, protocol: protocol.address, occurredAt: incident.occurredAt, lossByPosition });
    }
    const incidentByKey = new Map(incidents.map((i) => [i.dedupeKey, i]));
    const filedClaims: FiledClaim[] = [];
    const filedKeys = new Set<string>();
    for (const row of claimRepo.list()) {
      if (!FILED_STATES.includes(row.state)) continue;
      const incident = incidentRepo.get(row.incidentId);
      if (incident === undefined) continue;
      const amount = fundClaims.get(row.fundClaimId ?? "")?.amount ?? parseAmount((row.details as ClaimRowDetails).amount);
      filedClaims.push({ incidentKey: incident.dedupeKey, coverId: BigInt(row.coverageId), ...(amount !== undefined ? { amount } : {}) });
      filedKeys.add(claimIdempotencyKey(incident.dedupeKey, BigInt(row.coverageId)));
    }
    // The journal too: a filing confirmed or in flight counts even before its row says so.
    for (const entry of deps.state.journal.list({ kind: "file-claim" })) {
      if (entry.state === "failed" || filedKeys.has(entry.key)) continue;
      const detail = (entry.payload as { detail?: { incident?: string; coverId?: string; amount?: string } } | null)?.detail;
      if (detail?.incident === undefined || detail.coverId === undefined) continue;
      if (entry.state === "planned" && deps.state.journal.attempts(entry.id).length === 0) continue;
      filedClaims.push({ incidentKey: detail.incident, coverId: BigInt(detail.coverId), ...(detail.amount !== undefined ? { amount: BigInt(detail.amount) } : {}) });
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
    const unfileable: ClaimsCycleSummary["unfileable"][number][] = [];
    const derivationsByIncident = new Map<string, (ClaimDerivation & { coverId: bigint })[]>();
    for (const plan of plans) {
      if (plan.kind === "file-now" || plan.kind === "schedule") {
        derivationsByIncident.set(plan.incidentKey, [...(derivationsByIncident.get(plan.incidentKey) ?? []), { ...plan.derivation, coverId: plan.coverId }]);
      }
    }
    for (const plan of plans) {
      const incident = incidentByKey.get(plan.incidentKey);
      if (incident === undefined) continue;
      const coverId = plan.coverId.toString();
      planReports.push({
        kind: plan.kind,
        incidentKey: plan.incidentKey,
        coverId,
        ...(plan.kind === "schedule" ? { at: plan.at } : {}),
        ...(plan.kind === "schedule" || plan.kind === "file-now" ? { amount: plan.amount.toString() } : {}),
        ...(plan.kind === "blocked" ? { detail: plan.detail } : plan.kind === "too-late" ? { detail: plan.alert } : {}),
      });
      if (plan.kind === "already-filed") continue;
      if (dryRun) {
        deps.logger.info({ plan: plan.kind, incident: plan.incidentKey, coverId }, "dry run: claim plan");
        continue;
      }
      const unmeasuredReason = plan.kind === "blocked" && plan.reason === "no-position" ? unmeasured.get(`${plan.incidentKey}|${positionKeyOf(snapshot.coverages.get(coverId) ?? { protocol: "", asset: "", beneficiary: "" })}`) : undefined;
      if (unmeasuredReason !== undefined) {
        const { claim } = claimRepo.schedule({ incidentId: incident.id, coverageId: coverId, state: "unfileable", details: { reason: unmeasuredReason } });
        claimRepo.update(claim.id, { state: "unfileable", details: { ...(claim.details as ClaimRowDetails), reason: unmeasuredReason } });
        unfileable.push({ incidentKey: plan.incidentKey, coverId, reason: unmeasuredReason });
        await alert("critical", `claim cannot be filed: coverage ${coverId}`, `${unmeasuredReason} (incident ${incident.dedupeKey}).`, now, incident.protocol, `unfileable:${plan.incidentKey}:${coverId}`);
        continue;
      }
      if (plan.kind === "blocked") {
        const row = claimRepo.byIncidentAndCoverage(incident.id, coverId);
        if (row !== undefined && (row.state === "scheduled" || row.state === "unfileable")) {
          claimRepo.update(row.id, { state: plan.reason === "claim-open" ? "blocked" : "cancelled", details: { ...(row.details as ClaimRowDetails), reason: plan.detail } });
        }
        continue;
      }
      if (plan.kind === "schedule") {
        const { claim, created } = claimRepo.schedule({ incidentId: incident.id, coverageId: coverId, state: "scheduled", fileAfter: plan.at, details: { amount: plan.amount.toString(), derivation: plan.derivation } });
        if (!created && claim.state !== "scheduled") claimRepo.update(claim.id, { state: "scheduled", details: { amount: plan.amount.toString(), derivation: plan.derivation } });
        if (created) deps.logger.info({ incident: plan.incidentKey, coverId, at: plan.at }, "claim scheduled at the first allowed moment");
        continue;
      }
      if (plan.kind === "too-late") {
        const { claim, created } = claimRepo.schedule({ incidentId: incident.id, coverageId: coverId, state: "too-late", details: { earliest: plan.window.earliest, latest: plan.window.latest } });
        if (created || claim.state !== "too-late") {
          claimRepo.update(claim.id, { state: "too-late", details: { earliest: plan.window.earliest, latest: plan.window.latest, reason: plan.alert } });
          await alert("critical", "claim window closed", plan.alert, now, incident.protocol, `too-late:${plan.incidentKey}:${coverId}`);
        }
        continue;
      }
      // file-now
      const coverage = snapshot.coverages.get(coverId) as OnChainCoverage;
      const { claim } = claimRepo.schedule({ incidentId: incident.id, coverageId: coverId, state: "scheduled", details: { amount: plan.amount.toString(), derivation: plan.derivation } });
      const evidence = await this.evidenceFor(incident, derivationsByIncident.get(plan.incidentKey) ?? [], coverages, positions, tvlHistories.get(incident.protocol) ?? [], sourceHashes, now);
      const blocker = await this.fileabilityIssue(coverage, plan.amount, incident.occurredAt, keeper);
      if (blocker !== undefined) {
        claimRepo.update(claim.id, { state: "unfileable", details: { amount: plan.amount.toString(), derivation: plan.derivation, reason: blocker } });
        unfileable.push({ incidentKey: plan.incidentKey, coverId, reason: blocker });
        await alert("critical", `claim cannot be filed: coverage ${coverId}`, `${blocker} (incident ${incident.dedupeKey}); retried every tick until fixed.`, now, incident.protocol, `unfileable:${plan.incidentKey}:${coverId}`);
        continue;
      }
      const result = await this.fileClaim(plan, coverage, incident, evidence, now);
      const claimId = result.status === "confirmed" || result.status === "skipped" ? await this.claimIdFrom(result.hash) : undefined;
      if (result.status === "confirmed" || (result.status === "skipped" && claimId !== undefined)) {
        claimRepo.update(claim.id, { state: "filed", ...(claimId !== undefined ? { fundClaimId: claimId.toString() } : {}), details: { amount: plan.amount.toString(), derivation: plan.derivation, hash: result.hash } });
        if (result.status === "confirmed") gasUsed += result.gasUsed;
        await alert("info", `claim filed: coverage ${coverId}`, `claim ${claimId ?? "?"} for ${plan.amount} (min of the position's loss and the remaining cover) on incident ${incident.dedupeKey}`, now, incident.protocol, `filed:${plan.incidentKey}:${coverId}`);
      } else if (result.status === "failed") {
        const reason = fileFailureReason(result.error);
        claimRepo.update(claim.id, { state: "unfileable", details: { amount: plan.amount.toString(), derivation: plan.derivation, reason } });
        unfileable.push({ incidentKey: plan.incidentKey, coverId, reason });
        await alert("critical", `claim filing failed: coverage ${coverId}`, `${reason} (incident ${incident.dedupeKey}); retried next tick.`, now, incident.protocol, `unfileable:${plan.incidentKey}:${coverId}`);
      }
      filed.push({
        incidentKey: plan.incidentKey,
        coverId,
        status: result.status,
        amount: plan.amount.toString(),
        ...(claimId !== undefined ? { claimId: claimId.toString() } : {}),
        ...("hash" in result && result.hash !== undefined ? { hash: result.hash } : {}),
        ...(result.status === "failed" ? { error: result.error } : {}),
      });
    }

    // 6. Claim monitor.
    const followUpReports: ClaimsCycleSummary["followUps"][number][] = [];
    const monitored = claimRepo.list().filter((r) => r.state === "filed" && r.fundClaimId !== undefined);
    for (const row of monitored) {
      if (fundClaims.has(row.fundClaimId as string)) continue;
      try {
        fundClaims.set(row.fundClaimId as string, toFundClaim(await deps.fund.getClaim(BigInt(row.fundClaimId as string)), BigInt(row.fundClaimId as string)));
      } catch (err) {
        deps.logger.warn({ claimId: row.fundClaimId, err: (err as Error).message }, "claim unreadable");
      }
    }
    const observations: ClaimObservation[] = [];
    const waitingChallenge = new Map<string, number>();
    for (const row of monitored) {
      const fundClaim = fundClaims.get(row.fundClaimId as string);
      const coverage = snapshot.coverages.get(row.coverageId) ?? coverages.find((c) => c.id.toString() === row.coverageId);
      if (fundClaim === undefined) continue;
      const providerId = coverage?.providerId ?? 0;
      let upstream: ClaimObservation["provider"];
      if (providerId !== 0 && fundClaim.status === "Pending") {
        try {
          const adapter = await this.providerContract(providerId);
          const [status, payout, until] = (await adapter.getFunction("claimStatus").staticCall(fundClaim.providerClaimId)) as [bigint, bigint, bigint];
          upstream = { status: PROVIDER_STATUS[Number(status)] ?? "None", payout, redeemableUntil: Number(until) };
        } catch (err) {
          deps.logger.warn({ claimId: row.fundClaimId, err: (err as Error).message }, "upstream claim status unreadable");
        }
      }
      if (fundClaim.status === "Accepted" && fundClaim.payableAt !== undefined && fundClaim.payableAt > now) {
        waitingChallenge.set(fundClaim.id.toString(), fundClaim.payableAt);
        continue;
      }
      if (fundClaim.status === "Accepted" && fundClaim.confirmationRequired === true) {
        followUpReports.push({ claimId: fundClaim.id.toString(), kind: "wait", detail: "accepted above the daily payout limit: awaiting the admin's confirmPayout" });
        await alert("warning", `claim ${fundClaim.id} awaits confirmation`, `claim ${fundClaim.id} was accepted above the fund's daily payout limit: the admin must call confirmPayout(${fundClaim.id}) before it can be settled.`, now, undefined, `confirm:${fundClaim.id}`);
        continue;
      }
      observations.push({
        claimId: fundClaim.id,
        coverId: fundClaim.coverageId,
        providerId,
        fundStatus: fundClaim.status,
        ...(upstream !== undefined ? { provider: upstream } : {}),
      });
    }
    for (const [claimId, payableAt] of waitingChallenge) followUpReports.push({ claimId, kind: "wait", detail: `accepted; payable after the challenge period (${payableAt})` });
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
        await alert(f.severity === "error" ? "critical" : "warning", `claim ${f.claimId}`, f.message, now, undefined, `claim:${f.claimId}:${f.message}`);
        continue;
      }
      if (f.kind === "done") {
        followUpReports.push({ claimId: f.claimId.toString(), kind: "done", detail: f.outcome });
        if (row !== undefined && !dryRun) claimRepo.update(row.id, { state: f.outcome.toLowerCase() });
        continue;
      }
      if (f.alert !== undefined) await alert("warning", `claim ${f.claimId}`, f.alert, now, undefined, `claim:${f.claimId}:deadline`);
      const result = await this.send(
        { kind: "settle-claim", key: f.idempotencyKey, to: await deps.fund.getAddress(), data: deps.fund.interface.encodeFunctionData("settleClaim", [f.claimId]), payload: { claimId: f.claimId, reason: f.reason, at: now } },
        dryRun,
      );
      if (result.status === "confirmed") gasUsed += result.gasUsed;
      followUpReports.push({ claimId: f.claimId.toString(), kind: "settle", status: result.status, detail: result.status === "failed" ? result.error : f.reason });
      if ((result.status === "confirmed" || result.status === "skipped") && row !== undefined && !dryRun) {
        const after = toFundClaim(await deps.fund.getClaim(f.claimId), f.claimId);
        if (after.status !== "Pending" && after.status !== "Accepted") claimRepo.update(row.id, { state: after.status.toLowerCase() });
        await alert(after.status === "Paid" ? "info" : "warning", `claim ${f.claimId} settled`, `claim ${f.claimId}: ${after.status} (payout ${after.payout})`, now, undefined, `settled:${f.claimId}`);
      } else if (result.status === "failed") {
        await alert("critical", `claim ${f.claimId} settlement failed`, result.error, now, undefined, `settle-failed:${f.claimId}`);
      }
    }

    const live = incidentRepo.list().filter((i) => i.occurredAt >= horizon);
    return {
      now,
      dryRun,
      newIncidents,
      incidents: {
        suspected: live.filter((i) => i.state === "suspected").length,
        confirmed: live.filter((i) => i.state === "confirmed").length,
        dismissed: live.filter((i) => i.state === "dismissed").length,
      },
      transitions,
      halts,
      adopted,
      plans: planReports,
      filed,
      unfileable,
      followUps: followUpReports,
      alerts,
      gasUsed: gasUsed.toString(),
      ...(watch !== undefined ? { watch } : {}),
    };
  }

  /** Adds this tick's live coverages to the remembered ones (kv), dropping those ended over the horizon ago. */
  private rememberCoverages(snapshot: { coverages: ReadonlyMap<string, OnChainCoverage> }, now: number): { id: string; protocol: string; end: number }[] {
    const kv = this.deps.state.kv;
    const key = "claims:seenCoverages";
    const byId = new Map((kv.get<{ id: string; protocol: string; end: number }[]>(key) ?? []).map((c) => [c.id, c]));
    for (const c of snapshot.coverages.values()) byId.set(c.id.toString(), { id: c.id.toString(), protocol: c.protocol.toLowerCase(), end: c.end });
    const kept = [...byId.values()].filter((c) => c.end >= now - INCIDENT_HORIZON_SEC);
    kv.set(key, kept);
    return kept;
  }

  /** `reportIncident` unless the fund already halts the protocol for an event at or before ours. */
  private async reportHalt(
    incident: IncidentRecord,
    protocol: ProtocolConfig,
    now: number,
    dryRun: boolean,
  ): Promise<{ status?: SendResult["status"] | "already-halted"; error?: string; gasUsed?: bigint }> {
    const { deps } = this;
    try {
      const onChain = await deps.fund.getIncident(protocol.address);
      if (onChain.active && Number(onChain.occurredAt) <= incident.occurredAt) return { status: "already-halted" };
    } catch (err) {
      deps.logger.warn({ err: (err as Error).message }, "getIncident unreadable; reporting anyway");
    }
    const evidenceHash = keccak256(toUtf8Bytes(canonicalJson({ incident: incident.dedupeKey, protocol: protocol.address, occurredAt: incident.occurredAt, signals: deps.state.incidents.signals(incident.id).map((s) => s.signal) })));
    const occurredAt = Math.min(incident.occurredAt, now);
    const result = await this.send(
      {
        kind: "report-incident",
        key: `report-incident:${incident.dedupeKey}`,
        to: await deps.fund.getAddress(),
        data: deps.fund.interface.encodeFunctionData("reportIncident", [protocol.address, occurredAt, evidenceHash]),
        payload: { incident: incident.dedupeKey, protocol: protocol.address, occurredAt, evidenceHash, state: incident.state },
      },
      dryRun,
    );
    if (result.status === "confirmed") return { status: "confirmed", gasUsed: result.gasUsed };
    if (result.status === "failed") return { status: "failed", error: result.error };
    return { status: result.status };
  }

  /** Ids of the protocol's active and still-claimable coverages (the fund's paginated view). */
  private async claimableCoverageIds(protocol: string): Promise<bigint[]> {
    const ids: bigint[] = [];
    let cursor = 0n;
    for (let page = 0; page < 1000; page += 1) {
      const [chunk, next] = await this.deps.fund.getProtocolCoverages(protocol, cursor, COVERAGE_PAGE);
      ids.push(...chunk);
      if (next === 0n) break;
      cursor = next;
    }
    return ids;
  }

  /**
   * Why this claim cannot be filed now, in words an operator can act on (or undefined): the
   * keeper must be the beneficiary or its agent, and hold the claim deposit (hedged) plus gas.
   */
  private async fileabilityIssue(coverage: OnChainCoverage, amount: bigint, incidentOccurredAt: number, keeper: string | undefined): Promise<string | undefined> {
    const { deps } = this;
    if (keeper === undefined) return undefined;
    if (!sameAddr(coverage.beneficiary, keeper)) {
      const agent = await deps.fund.isAgent(coverage.beneficiary, keeper);
      if (!agent) return `the keeper ${keeper} is not an agent of beneficiary ${coverage.beneficiary} — run \`fund.setAgent(${keeper}, true)\` from the beneficiary`;
    }
    if (coverage.providerId !== 0) {
      const deposit = await this.claimDeposit(coverage, amount, incidentAtFor(coverage, incidentOccurredAt, await this.chainNowOr(coverage.end)));
      const balance = await deps.provider.getBalance(keeper);
      if (balance <= deposit) return `the keeper ${keeper} holds ${balance} wei, not enough for the claim deposit of ${deposit} wei plus gas — send ETH to it`;
    } else if ((await deps.provider.getBalance(keeper)) === 0n) {
      return `the keeper ${keeper} has no ETH for gas — send ETH to it`;
    }
    return undefined;
  }

  /** Builds (first time) and stores the incident's evidence pack; returns its bytes. */
  private async evidenceFor(
    incident: IncidentRecord,
    derivations: readonly (ClaimDerivation & { coverId: bigint })[],
    coverages: readonly OnChainCoverage[],
    positions: Awaited<ReturnType<CoverageCycle["positions"]>>,
    tvl: readonly TvlPoint[],
    sourceHashes: ReadonlyMap<string, string>,
    now: number,
  ): Promise<Buffer> {
    const { deps } = this;
    if (incident.evidencePath !== undefined) {
      try {
        return await readFile(incident.evidencePath);
      } catch (err) {
        deps.logger.warn({ path: incident.evidencePath, err: (err as Error).message }, "evidence pack missing on disk: rebuilding");
      }
    }
    const signals = deps.state.incidents.signals(incident.id).map((s) => s.signal);
    const opening = signals[0];
    const protocol = deps.config.protocols.find((p) => p.id === incident.protocol) as ProtocolConfig;
    const affected = coverages.filter((c) => sameAddr(c.protocol, protocol.address) && c.start <= incident.occurredAt && incident.occurredAt <= c.end);
    const withTx = signals.find((s) => s.exploitTxHash !== undefined);
    const withLoss = signals.find((s) => s.lossUsd !== undefined);
    const withLink = signals.find((s) => s.link !== undefined);
    const pack = buildEvidencePack({
      incident: {
        dedupeKey: incident.dedupeKey,
        kind: incident.kind as IncidentSignal["kind"],
        protocolId: incident.protocol,
        occurredAt: incident.occurredAt,
        detectedAt: incident.detectedAt,
        description: signals.map((s) => s.description).join(" | ") || (opening?.description ?? incident.kind),
        sourceRef: opening?.sourceRef ?? incident.kind,
        ...(withTx?.exploitTxHash !== undefined ? { exploitTxHash: withTx.exploitTxHash } : {}),
        ...(withLoss?.lossUsd !== undefined ? { lossUsd: withLoss.lossUsd } : {}),
        ...(withLink?.link !== undefined ? { link: withLink.link } : {}),
      },
      tvlHistory: tvl,
      sources: signals.map((s) => ({ name: s.kind, url: s.sourceRef, fetchedAt: s.observedAt, sha256: s.kind === "tvl-drop" ? sourceHashes.get(incident.protocol) ?? sha256(s) : sha256(s) })),
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
      signals,
      state: `${incident.state} by ${incident.stateBy}`,
      claims: derivations,
    });
    const json = canonicalJson(pack);
    await mkdir(deps.config.paths.evidenceDir, { recursive: true });
    const file = path.join(deps.config.paths.evidenceDir, `${evidenceFileStem(incident.dedupeKey)}.json`);
    await writeFile(file, json, "utf8");
    const hash = keccak256(toUtf8Bytes(json));
    deps.state.incidents.setEvidence(incident.id, file, hash);
    deps.logger.info({ incident: incident.dedupeKey, path: file, keccak256: hash, at: now }, "evidence pack stored");
    return Buffer.from(json, "utf8");
  }

  private async fileClaim(plan: Extract<ClaimPlan, { kind: "file-now" }>, coverage: OnChainCoverage, incident: IncidentRecord, pack: Buffer, now: number): Promise<SendResult> {
    const { deps } = this;
    const incidentAt = incidentAtFor(coverage, incident.occurredAt, now);
    const deposit = await this.claimDeposit(coverage, plan.amount, incidentAt);
    // Hedged Nexus claims: multihash(Nexus claim proof) ‖ pack (sources/claimEvidence.ts); others: the pack.
    const providerCoverId = coverage.providerId === 0 ? coverage.providerCoverId : await deps.fund.upstreamCoverAt(coverage.id, incidentAt);
    const packPath = deps.state.incidents.get(incident.id)?.evidencePath ?? incident.evidencePath;
    const prepared = await (this.claimEvidence ??= claimEvidenceFor(deps.config, deps.logger))({
      packPath,
      fallback: pack.toString("utf8"),
      coverage: { ...coverage, providerCoverId },
      amount: plan.amount,
    });
    if (!prepared.ok) return { status: "failed", key: plan.idempotencyKey, stage: "simulate", error: prepared.error };
    const evidence = Buffer.from(prepared.evidence);
    const reason = `${incident.kind}: ${incident.dedupeKey}`.slice(0, 200);
    const data = deps.fund.interface.encodeFunctionData("submitClaim", [plan.coverId, plan.amount, incidentAt, reason, evidence]);
    return this.send(
      {
        kind: "file-claim",
        key: plan.idempotencyKey,
        to: await deps.fund.getAddress(),
        data,
        value: deposit,
        payload: { incident: plan.incidentKey, coverId: plan.coverId, amount: plan.amount, incidentAt, deposit, evidenceHash: keccak256(evidence), derivation: plan.derivation },
      },
      false,
    );
  }

  /** The hedged claim deposit, of the upstream cover in force at `incidentAt` (a renewal may have replaced it). */
  private async claimDeposit(coverage: OnChainCoverage, amount: bigint, incidentAt: number): Promise<bigint> {
    if (coverage.providerId === 0) return 0n;
    const adapter = await this.providerContract(coverage.providerId);
    const providerCoverId = await this.deps.fund.upstreamCoverAt(coverage.id, incidentAt);
    return (await adapter.getFunction("claimDeposit").staticCall(providerCoverId, amount)) as bigint;
  }

  private async chainNowOr(fallback: number): Promise<number> {
    return (await this.deps.provider.getBlock("latest"))?.timestamp ?? fallback;
  }

  private async send(tx: { kind: string; key: string; to: string; data: string; value?: bigint; payload: unknown }, dryRun: boolean): Promise<SendResult> {
    if (this.deps.txSender === undefined) return { status: "skipped", key: tx.key, state: "planned" };
    return this.deps.txSender.send(tx, { dryRun });
  }

  /** The fund's claim id from a filing transaction's ClaimSubmitted event. */
  private async claimIdFrom(hash: string | undefined): Promise<bigint | undefined> {
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


/**
 * Exploit reports as incident signals: within the rule's age, not in the future, hallmarks only
 * when their text describes an exploit; one signal per (kind, sourceId).
 */
export function reportSignals(reports: readonly ExploitReport[], rules: IncidentRules, now: number): IncidentSignal[] {
  const seen = new Set<string>();
  const out: IncidentSignal[] = [];
  for (const r of reports) {
    const rule = r.kind === "hallmark" ? rules.hallmarks : rules.hacksFeed;
    if (!rule.enabled || r.occurredAt > now || r.occurredAt < now - rule.maxAgeSec) continue;
    if (r.kind === "hallmark" && !rules.hallmarks.pattern.test(r.description)) continue;
    const key = `${r.kind}\u0000${r.sourceId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ...r, observedAt: now });
  }
  return out;
}

/** The claim's time of loss: the incident's `occurredAt`, clamped into the coverage's term and not after now (the fund rejects either). */
export function incidentAtFor(coverage: Pick<OnChainCoverage, "start" | "end">, occurredAt: number, now: number): number {
  return Math.max(coverage.start, Math.min(occurredAt, coverage.end, now));
}

/** The evidence hashes a claim built from this incident's pack carries: the pack's (self-insured) and multihash(proof) ‖ pack per Nexus proof written (hedged). */
async function evidenceHashesOf(incident: IncidentRecord): Promise<string[]> {
  if (incident.evidenceHash === undefined) return [];
  const hashes = [incident.evidenceHash.toLowerCase()];
  if (incident.evidencePath !== undefined) {
    try {
      const pack = await readFile(incident.evidencePath);
      hashes.push(...(await nexusEvidenceHashes(incident.evidencePath, pack)));
    } catch {
      // pack gone: only the stored hash can match
    }
  }
  return hashes;
}

/** Turns a decoded revert into what the operator must fix. */
export function fileFailureReason(error: string): string {
  if (/FundNotBeneficiaryOrAgent/.test(error)) return `the keeper is not the beneficiary's agent (${error}) — run fund.setAgent(keeper, true) from the beneficiary`;
  if (/insufficient funds/i.test(error)) return `the keeper has too little ETH for the claim deposit and gas (${error}) — send ETH to it`;
  if (/FundClaimDeposit|deposit/i.test(error)) return `claim deposit rejected (${error})`;
  return error;
}

function parseAmount(value: string | undefined): bigint | undefined {
  return value !== undefined && /^\d+$/.test(value) ? BigInt(value) : undefined;
}

function sha256(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}

function describeChange(c: IncidentChange): string {
  return c.kind === "transition" ? `${c.key}: ${c.from} -> ${c.to} (${c.by})` : `${c.kind} ${c.key} <- ${c.signal.kind}:${c.signal.sourceId}`;
}

function sameAddr(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

export type { ClaimRecord };
