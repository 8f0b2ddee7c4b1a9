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
 *
 * `run` is that pipeline, one named step each: startTick → gatherSignals → updateIncidents (1) →
 * syncHalts (2) → readIncidentCoverages → adoptFromChain (3) → planIncidentClaims → actOnPlans (4)
 * → followUpClaims (5) → summarize. The steps share one `ClaimsTick` (claims/types.ts).
 */
import { formatToken, keeperCommand } from "../lib/format";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import path from "node:path";
import { Contract, keccak256, toUtf8Bytes } from "ethers";
import type { ProtocolConfig } from "../config/schema";
import { explainSendFailure } from "../execution/revertDecoder";
import type { SendResult } from "../execution/txSender";
import {
  claimIdempotencyKey,
  decideClaimFollowUps,
  planClaims,
  positionKeyOf,
  positionLoss,
  type ClaimDerivation,
  type ClaimFollowUp,
  type ClaimIncident,
  type ClaimObservation,
  type ClaimPlan,
  type ClaimWindow,
  type FiledClaim,
  type PositionLoss,
  type ProviderClaimStatus,
} from "../policy/claims";
import { buildEvidencePack, canonicalJson } from "../policy/evidence";
import { collectSignals, haltsSales, isClaimable, operatorApproved, reconcileIncidents, tvlDataErrors, type IncidentChange } from "../policy/incidents";
import type { IncidentSignal } from "../policy/incidentSignals";
import { DAY_SEC } from "../policy/money";
import type { CoveragePosition, OnChainCoverage } from "../policy/coverage";
import type { ExploitReport, FeedIncident, TvlPoint } from "../domain/types";
import { claimEvidenceFor } from "../sources/claimEvidence";
import { evidenceFileStem } from "../sources/evidenceStore";
import { hasExploitReports, type ExploitReportSource } from "../sources/types";
import type { IncidentRecord } from "../state/incidents";
import type { ClaimRecord } from "../state/claims";
import type { AlertSeverity } from "../alerting";
import { toFundClaim, type FundClaim } from "./chainState";
import { evidenceHashesOf, sha256 } from "./claims/evidence";
import { claimPositionId, LossNotReadyError, operatorAmountKey, type OperatorAmount } from "./positionLoss";
import { zeroLossNeedsOperator } from "../policy/positionLossRule";
import { fileFailureReason, incidentAtFor } from "./claims/filing";
import { derivationsByIncident, fundClaimIdsOf, FILED_STATES, parseAmount, planReport } from "./claims/rows";
import { describeChange, incidentRulesOf, reportSignals } from "./claims/signals";
import type {
  ClaimRowDetails,
  ClaimsCycleDeps,
  ClaimsCycleSummary,
  ClaimsTick,
  FileNowPlan,
  IncidentCoverages,
  TickPlanning,
  TickSignals,
} from "./claims/types";

export { fileFailureReason, incidentAtFor } from "./claims/filing";
export { FILED_STATES, OPEN_ROW_STATES } from "./claims/rows";
export { incidentRulesOf, reportSignals } from "./claims/signals";
export type { ClaimsCycleDeps, ClaimsCycleSummary } from "./claims/types";

const PROVIDER_ABI = [
  "function claimDeposit(uint256 providerCoverId, uint256 amount) view returns (uint256)",
  "function claimWindow(uint256 providerCoverId) view returns (uint256 earliest, uint256 latest)",
  "function claimStatus(uint256 providerClaimId) view returns (uint8 status, uint256 payout, uint256 redeemableUntil)",
];
const PROVIDER_STATUS: readonly ProviderClaimStatus[] = ["None", "Pending", "Accepted", "Denied", "Draw", "Redeemed", "Expired"];
/** Incidents older than this are not claimed for any more (seconds). */
const INCIDENT_HORIZON_SEC = 400 * DAY_SEC;
/** Page size of `getProtocolCoverages`. */
const COVERAGE_PAGE = 100n;

export class ClaimsCycle {
  private readonly adapters = new Map<number, string>();
  private claimEvidence: ReturnType<typeof claimEvidenceFor> | undefined;

  constructor(private readonly deps: ClaimsCycleDeps) {}

  async run(options: { dryRun?: boolean } = {}): Promise<ClaimsCycleSummary> {
    const t = await this.startTick(options);
    const signals = await this.gatherSignals(t);
    await this.updateIncidents(t, signals.signals);
    const incidents = this.incidentsInHorizon(t);
    await this.syncHalts(t, incidents);
    const chain = await this.readIncidentCoverages(t, incidents);
    if (!t.dryRun) await this.adoptFromChain(t, incidents, chain);
    const planning = await this.planIncidentClaims(t, incidents, chain);
    await this.actOnPlans(t, incidents, chain, signals, planning);
    await this.followUpClaims(t, chain);
    return this.summarize(t);
  }

  // ─── Step 0: the tick's starting point ─────────────────────────────────────────────────────

  /** Runs the exploit watch, reads the positions and the first snapshot (which fixes `now`). */
  private async startTick(options: { dryRun?: boolean }): Promise<ClaimsTick> {
    const { deps } = this;
    const dryRun = options.dryRun === true || deps.txSender === undefined;
    // Alerts not yet acknowledged (a sink outage, a restart) are retried every tick.
    if (!dryRun) await deps.alerter.flush?.();
    const keeper = deps.keeperAddress ?? (deps.txSender !== undefined ? await deps.txSender.from() : undefined);
    const watch = deps.watch !== undefined ? await deps.watch.tick({ dryRun }) : undefined;
    const positions = await deps.coverage.positions(watch?.readings.block !== undefined ? watch.readings : undefined);
    const protocolById = new Map(deps.config.protocols.map((p) => [p.id, p]));
    const coveredIds = [...new Set(deps.config.positions.map((p) => p.protocol))];
    const rows = deps.state.claims.list();
    const first = await deps.coverage.snapshot(positions, { coverIds: rows.map((r) => BigInt(r.coverageId)), claimIds: fundClaimIdsOf(rows) });
    return {
      dryRun,
      now: first.now,
      keeper,
      watch,
      positions,
      first,
      rows,
      // Coverages seen live on a covered protocol: once their claim window has closed the fund no
      // longer lists them, but an incident inside their term must still raise the too-late alert.
      seen: this.rememberCoverages(first, first.now),
      protocolById,
      coveredIds,
      coveredRefs: coveredIds.map((id) => protocolById.get(id)).filter((p): p is ProtocolConfig => p !== undefined),
      autoClaim: new Set(deps.config.incidents.autoClaimOnSuspected),
      rules: incidentRulesOf(deps.config),
      alerts: watch?.alerts ?? 0,
      gasUsed: 0n,
      report: { newIncidents: [], transitions: [], halts: [], adopted: [], plans: [], filed: [], unfileable: [], followUps: [] },
    };
  }

  /** Counts the alert; sends it (a dry run only logs it). */
  private async alert(t: ClaimsTick, severity: AlertSeverity, title: string, message: string, protocol?: string, key?: string): Promise<void> {
    t.alerts += 1;
    if (t.dryRun) this.deps.logger.info({ title, message }, "dry run: would alert");
    else await this.deps.alerter.send({ severity, title, message, at: t.now, ...(protocol !== undefined ? { protocol } : {}), ...(key !== undefined ? { dedupKey: key } : {}) });
  }

  private protocolOf(t: ClaimsTick, incident: IncidentRecord): ProtocolConfig {
    return t.protocolById.get(incident.protocol) as ProtocolConfig;
  }

  // ─── Step 1: signals → incidents ───────────────────────────────────────────────────────────

  /** TVL drops, hacks-feed rows, exploit reports and the watch's on-chain drains, as incident signals. */
  private async gatherSignals(t: ClaimsTick): Promise<TickSignals> {
    const { deps } = this;
    const tvlHistories = await this.fetchTvlHistories(t);
    const feedIncidents = await this.fetchFeedIncidents(t);
    // Sources that keep exploit reports with stable ids (DefiLlama hallmarks via the composite
    // source; the Pro hacks feed) are the signal of record; the raw feed rows are mapped only when
    // the feed does not offer reports.
    const reports: ExploitReport[] = [];
    const feedReports = deps.hacksFeed !== undefined && hasExploitReports(deps.hacksFeed);
    for (const id of t.coveredIds) {
      if (hasExploitReports(deps.source)) reports.push(...deps.source.exploitReports(id));
      if (feedReports) reports.push(...(deps.hacksFeed as unknown as ExploitReportSource).exploitReports(id));
    }
    const signals: IncidentSignal[] = [
      ...collectSignals({ coveredProtocols: [...t.coveredIds], tvlHistories, feedIncidents: feedReports ? new Map() : feedIncidents }, t.rules, t.now),
      ...reportSignals(reports, t.rules, t.now),
    ];
    // On-chain drains seen by the exploit watch (every one it remembers: a signal already attached
    // is known and changes nothing, one missed by a crash after the watch stored it is picked up).
    if (deps.watch !== undefined) {
      signals.push(...deps.watch.storedSignals().map((d) => d.signal).filter((x) => t.coveredIds.includes(x.protocolId)));
    }
    const sourceHashes = new Map<string, string>();
    for (const [id, history] of tvlHistories) {
      sourceHashes.set(id, createHash("sha256").update(JSON.stringify(history)).digest("hex"));
      // A 0 or negative point is a data error: logged, never a signal (findTvlDrops leaves it out).
      const errors = tvlDataErrors(history, t.now);
      if (errors.length > 0) deps.logger.warn({ protocolId: id, points: errors.slice(-5) }, "TVL history: data error (0 or invalid point) ignored; not a signal");
    }
    return { signals, tvlHistories, sourceHashes };
  }

  /** The covered protocols' TVL histories from the risk source (none when it fails). */
  private async fetchTvlHistories(t: ClaimsTick): Promise<Map<string, readonly TvlPoint[]>> {
    const tvlHistories = new Map<string, readonly TvlPoint[]>();
    if (t.coveredRefs.length === 0) return tvlHistories;
    try {
      for (const m of await this.deps.source.fetchMetrics(t.coveredRefs, t.now)) {
        const history = m.tvlHistory?.value;
        if (Array.isArray(history)) tvlHistories.set(m.protocol, history as TvlPoint[]);
      }
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message }, "incident watch: risk source failed; TVL rule skipped this tick");
    }
    return tvlHistories;
  }

  /** The hacks feed's rows per covered protocol (none when there is no feed or it fails). */
  private async fetchFeedIncidents(t: ClaimsTick): Promise<Map<string, readonly FeedIncident[]>> {
    const { deps } = this;
    const feedIncidents = new Map<string, readonly FeedIncident[]>();
    if (deps.hacksFeed === undefined || t.coveredRefs.length === 0) return feedIncidents;
    try {
      for (const [id, match] of await deps.hacksFeed.fetchIncidents(t.coveredRefs, t.now)) feedIncidents.set(id, match.incidents);
    } catch (err) {
      deps.logger.warn({ err: (err as Error).message }, "incident watch: hacks feed failed");
    }
    return feedIncidents;
  }

  /** Merges the signals into incidents (`reconcileIncidents`) and records the changes, with their alerts. */
  private async updateIncidents(t: ClaimsTick, signals: readonly IncidentSignal[]): Promise<void> {
    const { deps } = this;
    const reconciliation = reconcileIncidents(deps.state.incidents.views(), signals, t.rules, t.now);
    if (t.dryRun) {
      for (const c of reconciliation.changes) if (c.kind === "open") t.report.newIncidents.push(c.key);
      if (reconciliation.changes.length > 0) deps.logger.info({ changes: reconciliation.changes.map(describeChange) }, "dry run: would record incident changes");
      return;
    }
    if (reconciliation.changes.length === 0) return;
    const touched = deps.state.incidents.apply(reconciliation.changes, t.now);
    for (const change of reconciliation.changes) {
      if (change.kind === "refused") {
        await this.reportRefused(t, change);
        continue;
      }
      const incident = touched.get(change.key);
      if (incident !== undefined) await this.reportIncidentChange(t, change, incident);
    }
  }

  /** A signal in the window of a closed incident opened a new one: the operator hears of it. */
  private async reportRefused(t: ClaimsTick, change: Extract<IncidentChange, { kind: "refused" }>): Promise<void> {
    const { deps } = this;
    const closed = deps.state.incidents.byDedupeKey(change.key);
    const opened = deps.state.incidents.byDedupeKey(change.openedKey);
    deps.logger.warn({ incident: change.key, state: change.state, signal: change.signal.sourceId, opened: change.openedKey }, "signal not attached to a closed incident: a new incident was opened");
    if (change.state !== "dismissed") return;
    await this.alert(
      t,
      "critical",
      `new signal after a dismissed incident: ${change.signal.protocolId}`,
      `${change.signal.description} (${change.signal.kind}) falls within the window of dismissed incident ${closed?.id ?? "?"} (${change.key}). ` +
        `It was not attached: incident ${opened?.id ?? "?"} (${change.openedKey}) was opened as ${opened?.state ?? "suspected"} and sales are halted again. ` +
        `Review it: \`${keeperCommand(`incident confirm ${opened?.id ?? change.openedKey}`)}\` or \`${keeperCommand(`incident dismiss ${opened?.id ?? change.openedKey}`)}\`.`,
      change.signal.protocolId,
      `incident-refused:${change.key}:${change.signal.kind}:${change.signal.sourceId}`,
    );
  }

  /** Logs and alerts one recorded incident change (an opening, or a transition). */
  private async reportIncidentChange(t: ClaimsTick, change: IncidentChange, incident: IncidentRecord): Promise<void> {
    const { deps } = this;
    if ((change.kind === "open" || change.kind === "attach") && change.signal.kind === "hacks-feed" && change.signal.coverVerdict?.confirms === false) {
      // A feed row the wording does not pay on its own (keys, front end, phishing, returned funds, unknown): the operator decides.
      await this.alert(
        t,
        "critical",
        `hacks feed reports ${incident.protocol}: operator decision needed`,
        `${change.signal.description}: ${change.signal.coverVerdict.reason}. Incident ${incident.id} (${incident.dedupeKey}) is ${incident.state}; sales are halted, no claim is filed until you decide — ` +
          `\`${keeperCommand(`incident confirm ${incident.id}`)}\` (a loss the cover pays) or \`${keeperCommand(`incident dismiss ${incident.id}`)}\`.`,
        incident.protocol,
        `feed-verdict:${change.signal.sourceId}`,
      );
    }
    if (change.kind === "open") {
      t.report.newIncidents.push(change.key);
      deps.logger.warn({ incident: change.key, state: change.state, description: change.signal.description }, "incident opened");
      await this.alert(
        t,
        "critical",
        `${change.state} incident: ${incident.protocol}`,
        change.state === "suspected"
          ? `${change.signal.description}. Suspected (${change.signal.kind}, not corroborated): sales of ${incident.protocol} are being halted on-chain; no claim is filed unless it is confirmed — ` +
              `\`${keeperCommand(`incident confirm ${incident.id}`)}\` or \`${keeperCommand(`incident dismiss ${incident.id}`)}\`.`
          : `${change.signal.description}. Confirmed by ${change.signal.kind}: sales are halted. Each affected position's loss is measured at the end of the drain window; a claim is filed where a loss is measured, and a position whose loss is 0 or cannot be measured is held with its own alert until you decide.`,
        incident.protocol,
        `incident:${change.key}:${change.state}`,
      );
    } else if (change.kind === "transition") {
      t.report.transitions.push({ incidentKey: change.key, from: change.from, to: change.to, by: change.by });
      deps.logger.warn({ incident: change.key, from: change.from, to: change.to, by: change.by }, "incident state changed");
      if (change.to === "confirmed") {
        await this.alert(t, "critical", `incident confirmed: ${incident.protocol}`, `${change.reason} (incident ${incident.id}, ${change.key}): each affected position's loss is measured at the end of the drain window; a claim is filed where a loss is measured, and a position whose loss is 0 or cannot be measured is held with its own alert until you decide.`, incident.protocol, `incident:${change.key}:confirmed`);
      } else if (change.to === "resolved") {
        await this.alert(t, "warning", `incident resolved: ${incident.protocol}`, `${change.reason} (incident ${incident.id}, ${change.key}). Claims already under way continue; new cover on ${incident.protocol} follows its risk score once the admin clears the on-chain halt.`, incident.protocol, `incident:${change.key}:resolved`);
      }
    }
  }

  /** Incidents of configured protocols that occurred within the claim horizon. */
  private incidentsInHorizon(t: ClaimsTick): IncidentRecord[] {
    const horizon = t.now - INCIDENT_HORIZON_SEC;
    return this.deps.state.incidents.list().filter((i) => i.occurredAt >= horizon && t.protocolById.has(i.protocol));
  }

  // ─── Step 2: halts on-chain; alerts on dismissals ──────────────────────────────────────────

  /**
   * Keeps the fund's halt in step with the incidents, every tick, from the chain's view: a
   * suspected or confirmed incident whose halt is not active on chain (never reported, or cleared
   * by the admin) is reported (again); a dismissed or resolved incident on a protocol that nothing
   * else halts tells the admin, once, that the halt can be cleared and how.
   */
  private async syncHalts(t: ClaimsTick, incidents: readonly IncidentRecord[]): Promise<void> {
    for (const incident of incidents) {
      if (haltsSales(incident)) await this.keepHalted(t, incident);
    }
    if (t.dryRun) return;
    for (const incident of incidents) {
      if ((incident.state === "dismissed" || incident.state === "resolved") && incident.dismissAlertedAt === undefined) {
        const stillHalting = incidents.some((i) => i.protocol === incident.protocol && haltsSales(i));
        await this.alertClearable(t, incident, stillHalting);
      }
    }
  }

  /** The fund's halt of the incident's protocol (undefined when unreadable). */
  private async onChainHalt(protocolAddress: string): Promise<{ active: boolean; occurredAt: number } | undefined> {
    try {
      const onChain = await this.deps.fund.getIncident(protocolAddress);
      return { active: onChain.active, occurredAt: Number(onChain.occurredAt) };
    } catch (err) {
      this.deps.logger.warn({ protocol: protocolAddress, err: (err as Error).message }, "getIncident unreadable");
      return undefined;
    }
  }

  /** Reports the incident on-chain unless the fund already halts the protocol for an event at or before ours. */
  private async keepHalted(t: ClaimsTick, incident: IncidentRecord): Promise<void> {
    const protocol = this.protocolOf(t, incident);
    const onChain = await this.onChainHalt(protocol.address);
    if (onChain === undefined && incident.haltReportedAt !== undefined) return; // unreadable: nothing changes on a guess
    if (onChain !== undefined && onChain.active && onChain.occurredAt <= incident.occurredAt) {
      if (incident.haltReportedAt === undefined) {
        t.report.halts.push({ incidentKey: incident.dedupeKey, protocol: incident.protocol, status: "already-halted" });
        if (!t.dryRun) this.deps.state.incidents.setHaltReported(incident.id, t.now);
      }
      return;
    }
    await this.haltSales(t, incident, incident.haltReportedAt !== undefined);
  }

  /** Reports the incident on-chain (sales halted), records it and alerts. `again`: the admin cleared an earlier halt. */
  private async haltSales(t: ClaimsTick, incident: IncidentRecord, again: boolean): Promise<void> {
    const protocol = this.protocolOf(t, incident);
    const report = await this.reportHalt(incident, protocol, t.now, t.dryRun, again);
    t.report.halts.push({ incidentKey: incident.dedupeKey, protocol: incident.protocol, ...report, ...(again ? { again: true } : {}) });
    if (report.status === "confirmed" || report.status === "already-halted") {
      if (!t.dryRun) this.deps.state.incidents.setHaltReported(incident.id, t.now);
      if (report.status === "confirmed") {
        t.gasUsed += report.gasUsed ?? 0n;
        await this.alert(
          t,
          "critical",
          again ? `sales halted again: ${incident.protocol}` : `sales halted: ${incident.protocol}`,
          `fund.reportIncident(${protocol.address}, ${Math.min(incident.occurredAt, t.now)}) mined: no purchase, increase or renewal of ${incident.protocol} cover until the admin clears it.` +
            (again ? ` The halt had been cleared while incident ${incident.id} (${incident.dedupeKey}) is still ${incident.state}: dismiss or resolve it first (\`${keeperCommand(`incident dismiss|resolve ${incident.id}`)}\`), then clear the halt.` : ""),
          incident.protocol,
          again ? `halt-again:${incident.dedupeKey}:${t.now}` : `halt:${incident.dedupeKey}`,
        );
      }
    } else if (report.status === "failed") {
      await this.alert(t, "critical", `halt not reported: ${incident.protocol}`, `fund.reportIncident failed: ${report.error ?? "unknown error"} — ${explainSendFailure(report.error)}; retried next tick.`, incident.protocol, `halt-failed:${incident.dedupeKey}`);
    }
  }

  /** Once per dismissed or resolved incident: says whether the admin still has a halt to clear, and how. */
  private async alertClearable(t: ClaimsTick, incident: IncidentRecord, stillHalting: boolean): Promise<void> {
    const { deps } = this;
    const protocol = this.protocolOf(t, incident);
    const onChain = await this.onChainHalt(protocol.address);
    if (onChain === undefined) return; // asked again next tick
    const what =
      incident.state === "dismissed"
        ? `was dismissed (${incident.stateBy}: ${incident.stateReason ?? "no reason"}); no claim is filed.`
        : `was resolved (${incident.stateBy}: ${incident.stateReason ?? "no reason"}); claims under way continue.`;
    const halt = !onChain.active
      ? "No halt is active on-chain."
      : stillHalting
        ? `Sales of ${incident.protocol} stay halted: another incident of ${incident.protocol} is still open (\`${keeperCommand(`incident list`)}\`).`
        : `Sales of ${incident.protocol} are still halted on-chain: the admin may clear the halt: \`${keeperCommand(`clear-incident ${incident.protocol}`)}\` (ADMIN_PRIVATE_KEY) or fund.clearIncident(${protocol.address}) from the admin Safe.`;
    await this.alert(t, "warning", `incident ${incident.state}: ${incident.protocol}`, `Incident ${incident.id} (${incident.dedupeKey}) ${what} ${halt}`, incident.protocol, `incident:${incident.dedupeKey}:${incident.state}`);
    deps.state.incidents.setDismissAlerted(incident.id, t.now);
  }

  // ─── Step 3: the incidents' coverages and their open claims ────────────────────────────────

  /** Coverages that can still be claimed for the incidents' protocols (ended ones included), and their open claims. */
  private async readIncidentCoverages(t: ClaimsTick, incidents: readonly IncidentRecord[]): Promise<IncidentCoverages> {
    const { deps } = this;
    const incidentProtocols = [...new Set(incidents.filter((i) => i.state !== "dismissed").map((i) => this.protocolOf(t, i).address.toLowerCase()))];
    const claimableIds: bigint[] = [];
    for (const address of incidentProtocols) claimableIds.push(...(await this.claimableCoverageIds(address)));
    const knownIds = new Set(t.first.coverages.keys());
    const seenOnIncidentProtocols = t.seen.filter((c) => incidentProtocols.includes(c.protocol)).map((c) => BigInt(c.id));
    const wanted = [...claimableIds, ...seenOnIncidentProtocols];
    const snapshot = wanted.some((id) => !knownIds.has(id.toString()))
      ? await deps.coverage.snapshot(t.positions, { coverIds: [...t.rows.map((r) => BigInt(r.coverageId)), ...wanted], claimIds: fundClaimIdsOf(t.rows) })
      : t.first;
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
    return { snapshot, coverages, fundClaims };
  }

  // ─── Step 4: adopt from the chain (not in a dry run) ───────────────────────────────────────

  /** Open claims adopted from the chain; no row left scheduled on a coverage with an open claim. */
  private async adoptFromChain(t: ClaimsTick, incidents: readonly IncidentRecord[], chain: IncidentCoverages): Promise<void> {
    await this.adoptOpenClaims(t, incidents, chain);
    await this.recoverFiledClaimIds(chain.fundClaims);
    this.cancelUnclaimableRows(t);
  }

  /** Follows an open claim on an incident's coverage as ours (claimant, evidence or time match); otherwise blocks our rows on it. */
  private async adoptOpenClaims(t: ClaimsTick, incidents: readonly IncidentRecord[], chain: IncidentCoverages): Promise<void> {
    const { deps } = this;
    const claimRepo = deps.state.claims;
    const tracked = new Set(claimRepo.list().filter((r) => r.fundClaimId !== undefined).map((r) => r.fundClaimId as string));
    for (const c of chain.coverages) {
      if (c.openClaimId === 0n) continue;
      const claim = chain.fundClaims.get(c.openClaimId.toString());
      if (claim === undefined || tracked.has(claim.id.toString())) continue;
      const incident = await this.incidentOfClaim(t, incidents, c, claim);
      if (incident !== undefined) {
        const { claim: row } = claimRepo.schedule({ incidentId: incident.id, coverageId: c.id.toString(), state: "filed", details: { amount: claim.amount.toString(), adopted: true, claimant: claim.claimant } });
        claimRepo.update(row.id, { state: "filed", fundClaimId: claim.id.toString(), details: { ...(row.details as ClaimRowDetails), adopted: true, claimant: claim.claimant } });
        tracked.add(claim.id.toString());
        t.report.adopted.push({ claimId: claim.id.toString(), coverId: c.id.toString(), incidentKey: incident.dedupeKey, claimant: claim.claimant });
        deps.logger.warn({ claimId: claim.id.toString(), coverId: c.id.toString(), incident: incident.dedupeKey, claimant: claim.claimant }, "open claim adopted from the chain");
        continue;
      }
      // Someone else's claim for another event: our rows on this coverage wait, saying why.
      for (const row of claimRepo.list({ coverageId: c.id.toString(), states: ["scheduled", "unfileable"] })) {
        claimRepo.update(row.id, { state: "blocked", details: { ...(row.details as ClaimRowDetails), reason: `claim ${claim.id} by ${claim.claimant} is open on coverage ${c.id}` } });
      }
    }
  }

  /** The incident an open claim was filed for: by evidence hash, by time of loss, or (the keeper's own claim) the nearest in time. */
  private async incidentOfClaim(t: ClaimsTick, incidents: readonly IncidentRecord[], c: OnChainCoverage, claim: FundClaim): Promise<IncidentRecord | undefined> {
    const candidates = incidents.filter((i) => sameAddr(this.protocolOf(t, i).address, c.protocol) && i.state !== "dismissed" && c.start <= i.occurredAt && i.occurredAt <= c.end);
    let byHash: IncidentRecord | undefined;
    for (const i of candidates) if (byHash === undefined && (await evidenceHashesOf(i)).includes(claim.evidenceHash.toLowerCase())) byHash = i;
    const byTime = claim.incidentAt !== undefined ? candidates.find((i) => i.occurredAt === claim.incidentAt) : undefined;
    const ours = t.keeper !== undefined && sameAddr(claim.claimant, t.keeper);
    return byHash ?? byTime ?? (ours ? candidates.sort((a, b) => Math.abs(a.occurredAt - claim.submittedAt) - Math.abs(b.occurredAt - claim.submittedAt))[0] : undefined);
  }

  /** Rows whose filing went through but whose claim id was never stored (crash after broadcast). */
  private async recoverFiledClaimIds(fundClaims: Map<string, FundClaim>): Promise<void> {
    const { deps } = this;
    for (const row of deps.state.claims.list({ states: ["scheduled", "unfileable", "blocked"] })) {
      const incident = deps.state.incidents.get(row.incidentId);
      if (incident === undefined) continue;
      const entry = deps.state.journal.byKey(claimIdempotencyKey(incident.dedupeKey, BigInt(row.coverageId)));
      if (entry?.state !== "confirmed" || entry.txHash === undefined) continue;
      const id = await this.claimIdFrom(entry.txHash);
      if (id === undefined) continue;
      deps.state.claims.update(row.id, { state: "filed", fundClaimId: id.toString() });
      if (!fundClaims.has(id.toString())) {
        try {
          fundClaims.set(id.toString(), toFundClaim(await deps.fund.getClaim(id), id));
        } catch {
          // read again next tick
        }
      }
    }
  }

  /** Rows of incidents that are no longer claimable (dismissed) are cancelled, not left scheduled. */
  private cancelUnclaimableRows(t: ClaimsTick): void {
    const { deps } = this;
    for (const row of deps.state.claims.list({ states: ["scheduled", "unfileable", "blocked"] })) {
      const incident = deps.state.incidents.get(row.incidentId);
      if (incident !== undefined && !isClaimable({ state: incident.state, protocolId: incident.protocol }, t.autoClaim)) {
        deps.state.claims.update(row.id, { state: "cancelled", details: { ...(row.details as ClaimRowDetails), reason: `incident ${incident.state}` } });
      }
    }
  }

  // ─── Step 5: measure losses and plan claims ────────────────────────────────────────────────

  /** Measures the claimable incidents' losses and plans a claim per affected coverage (`planClaims`). */
  private async planIncidentClaims(t: ClaimsTick, incidents: readonly IncidentRecord[], chain: IncidentCoverages): Promise<TickPlanning> {
    const claimable = incidents.filter((i) => isClaimable({ state: i.state, protocolId: i.protocol }, t.autoClaim));
    const claimIncidents: ClaimIncident[] = [];
    const unmeasured = new Map<string, string>();
    const filedClaims = this.filedClaims(chain.fundClaims);
    const filedKeys = new Set(filedClaims.map((f) => claimIdempotencyKey(f.incidentKey, f.coverId)));
    for (const incident of claimable) {
      const protocol = this.protocolOf(t, incident).address;
      // A position whose every coverage of this incident is already claimed is not measured again (no reads for it).
      const settled = (posKey: string): boolean => {
        const covering = chain.coverages.filter((c) => sameAddr(c.protocol, protocol) && positionKeyOf(c) === posKey && c.status !== "None" && c.start <= incident.occurredAt && incident.occurredAt <= c.end);
        return covering.length > 0 && covering.every((c) => filedKeys.has(claimIdempotencyKey(incident.dedupeKey, c.id)));
      };
      const lossByPosition = await this.measureLosses(t, incident, unmeasured, settled);
      claimIncidents.push({ dedupeKey: incident.dedupeKey, protocol, occurredAt: incident.occurredAt, lossByPosition });
    }
    const relevant = chain.coverages.filter((c) => claimIncidents.some((i) => sameAddr(i.protocol, c.protocol)));
    const windows = await this.claimWindows(relevant);
    // Self-insured windows end at each coverage's own claimDeadline (read with it), not the global grace.
    const plans = planClaims(claimIncidents, relevant, filedClaims, windows, t.now);
    return { plans, unmeasured };
  }

  /**
   * Each position's loss in the incident. An amount the operator set (`keeper claim file`) is
   * used as set. A position whose loss could not be measured, or measures 0 while the incident is
   * claimable (the protocol was drained), gets no loss: its reason goes to `unmeasured` (a held
   * claim with a critical alert naming the position, until the operator sets the amount). A drain
   * window still open is waited for silently.
   */
  private async measureLosses(t: ClaimsTick, incident: IncidentRecord, unmeasured: Map<string, string>, settled: (posKey: string) => boolean = () => false): Promise<Map<string, PositionLoss>> {
    const { deps } = this;
    const lossByPosition = new Map<string, PositionLoss>();
    const signals = deps.state.incidents.signals(incident.id).map((s) => s.signal);
    const exploitTxHash = signals.find((s) => s.exploitTxHash !== undefined)?.exploitTxHash;
    for (const p of t.positions.filter((x) => x.protocolId === incident.protocol)) {
      const claimPosition = { protocolId: p.protocolId, protocol: p.protocol, asset: p.asset, beneficiary: p.beneficiary, targetAmount: p.targetAmount };
      const posKey = positionKeyOf(claimPosition);
      if (settled(posKey)) continue;
      const positionId = deps.lossMeasurer?.positionIdOf?.(claimPosition) ?? claimPositionId(deps.config, [], claimPosition);
      const hold = (reason: string): void => {
        unmeasured.set(`${incident.dedupeKey}|${posKey}`, reason);
      };
      const set = deps.state.kv.get<OperatorAmount>(operatorAmountKey(incident.id, positionId));
      if (set !== undefined) {
        lossByPosition.set(posKey, {
          loss: BigInt(set.amount),
          derivation: { method: "operator", amount: set.amount, positionId, setBy: set.setBy, setAt: set.setAt, ...(set.note !== undefined ? { note: set.note } : {}), ...(set.heldBecause !== undefined ? { heldBecause: set.heldBecause } : {}) },
        });
        continue;
      }
      const fileIt = `\`keeper claim file --incident ${incident.id} --position ${positionId} --amount <asset units>\``;
      let measured: PositionLoss | undefined;
      if (deps.lossMeasurer !== undefined) {
        try {
          measured = await deps.lossMeasurer.measureLoss(claimPosition, { protocolId: incident.protocol, occurredAt: incident.occurredAt, ...(exploitTxHash !== undefined ? { exploitTxHash } : {}) }, t.now);
        } catch (err) {
          if (err instanceof LossNotReadyError) {
            deps.logger.info({ incident: incident.dedupeKey, position: positionId, reason: err.message }, "position loss not measurable yet: waiting for the drain window to end");
            continue;
          }
          // A position with a reader whose measure failed: no claim (never a made-up amount); the operator hears of it.
          hold(`position ${positionId}: its loss could not be measured (${(err as Error).message}) — retried every tick (a read at a past block needs an archive RPC); or set the claim yourself: ${fileIt}`);
          deps.logger.warn({ incident: incident.dedupeKey, position: positionId, err: (err as Error).message }, "position loss unmeasurable: claim held");
          continue;
        }
      }
      if (measured === undefined && !this.approvedByOperator(incident)) {
        // No reader: the configured size would be claimed. That is the operator's call, never a signal's.
        hold(
          `position ${positionId}: no position reader: the claim would be the position's configured size (${p.targetAmount}), which waits for the operator — \`${keeperCommand(`incident confirm ${incident.id}`)}\` to claim it, ${fileIt} to claim another amount, or configure a position reader`,
        );
        continue;
      }
      if (measured !== undefined && measured.derivation.method === "measured") {
        const zero = zeroLossNeedsOperator(measured.loss, true, incident.id, positionId, measured.derivation.rule ?? "measured");
        if (zero !== undefined) {
          hold(`${zero} (blocks ${measured.derivation.blockBefore ?? "?"} → ${measured.derivation.blockAfter ?? "?"}; value ${measured.derivation.valueBefore} → ${measured.derivation.valueAfter})`);
          continue;
        }
      }
      lossByPosition.set(posKey, positionLoss(claimPosition, measured));
    }
    return lossByPosition;
  }

  /** The operator confirmed the incident, or reported it by hand. */
  private approvedByOperator(incident: IncidentRecord): boolean {
    return operatorApproved({ stateBy: incident.stateBy, signals: this.deps.state.incidents.signals(incident.id).map((s) => ({ kind: s.kind as IncidentSignal["kind"], sourceId: s.sourceId, occurredAt: s.occurredAt })) });
  }

  /** Claims already filed (rows in a filed state), and filings the journal has confirmed or sent before their row says so. */
  private filedClaims(fundClaims: ReadonlyMap<string, FundClaim>): FiledClaim[] {
    const { deps } = this;
    const filedClaims: FiledClaim[] = [];
    const filedKeys = new Set<string>();
    for (const row of deps.state.claims.list()) {
      if (!FILED_STATES.includes(row.state)) continue;
      const incident = deps.state.incidents.get(row.incidentId);
      if (incident === undefined) continue;
      const amount = fundClaims.get(row.fundClaimId ?? "")?.amount ?? parseAmount((row.details as ClaimRowDetails).amount);
      filedClaims.push({ incidentKey: incident.dedupeKey, coverId: BigInt(row.coverageId), ...(amount !== undefined ? { amount } : {}) });
      filedKeys.add(claimIdempotencyKey(incident.dedupeKey, BigInt(row.coverageId)));
    }
    for (const entry of deps.state.journal.list({ kind: "file-claim" })) {
      if (entry.state === "failed" || filedKeys.has(entry.key)) continue;
      const detail = (entry.payload as { detail?: { incident?: string; coverId?: string; amount?: string } } | null)?.detail;
      if (detail?.incident === undefined || detail.coverId === undefined) continue;
      if (entry.state === "planned" && deps.state.journal.attempts(entry.id).length === 0) continue;
      filedClaims.push({ incidentKey: detail.incident, coverId: BigInt(detail.coverId), ...(detail.amount !== undefined ? { amount: BigInt(detail.amount) } : {}) });
    }
    return filedClaims;
  }

  /** The upstream claim window of each hedged coverage (unreadable ones are left out). */
  private async claimWindows(coverages: readonly OnChainCoverage[]): Promise<Map<string, ClaimWindow>> {
    const windows = new Map<string, ClaimWindow>();
    for (const c of coverages) {
      if (c.providerId === 0) continue;
      try {
        const adapter = await this.providerContract(c.providerId);
        const [earliest, latest] = (await adapter.getFunction("claimWindow").staticCall(c.providerCoverId)) as [bigint, bigint];
        windows.set(c.id.toString(), { earliest: Number(earliest), latest: Number(latest) });
      } catch (err) {
        this.deps.logger.warn({ coverId: c.id.toString(), err: (err as Error).message }, "provider claim window unreadable");
      }
    }
    return windows;
  }

  // ─── Step 6: act on the plans (record, schedule, file) ─────────────────────────────────────

  private async actOnPlans(t: ClaimsTick, incidents: readonly IncidentRecord[], chain: IncidentCoverages, signals: TickSignals, planning: TickPlanning): Promise<void> {
    const incidentByKey = new Map(incidents.map((i) => [i.dedupeKey, i]));
    const derivations = derivationsByIncident(planning.plans);
    for (const plan of planning.plans) {
      const incident = incidentByKey.get(plan.incidentKey);
      if (incident === undefined) continue;
      t.report.plans.push(planReport(plan));
      if (plan.kind === "already-filed") continue;
      if (t.dryRun) {
        this.deps.logger.info({ plan: plan.kind, incident: plan.incidentKey, coverId: plan.coverId.toString() }, "dry run: claim plan");
        continue;
      }
      const coverId = plan.coverId.toString();
      const unmeasuredReason = plan.kind === "blocked" && plan.reason === "no-position" ? planning.unmeasured.get(`${plan.incidentKey}|${positionKeyOf(chain.snapshot.coverages.get(coverId) ?? { protocol: "", asset: "", beneficiary: "" })}`) : undefined;
      if (unmeasuredReason !== undefined) await this.holdUnmeasured(t, incident, coverId, unmeasuredReason);
      else if (plan.kind === "blocked") this.recordBlocked(incident, plan);
      else if (plan.kind === "schedule") this.recordScheduled(incident, plan);
      else if (plan.kind === "too-late") await this.recordTooLate(t, incident, plan);
      else await this.fileNow(t, incident, plan, chain, signals, derivations.get(plan.incidentKey) ?? []);
    }
  }

  /** A claim held because the position's loss could not be measured: an unfileable row and a critical alert. */
  private async holdUnmeasured(t: ClaimsTick, incident: IncidentRecord, coverId: string, reason: string): Promise<void> {
    const claimRepo = this.deps.state.claims;
    const { claim } = claimRepo.schedule({ incidentId: incident.id, coverageId: coverId, state: "unfileable", details: { reason } });
    claimRepo.update(claim.id, { state: "unfileable", details: { ...(claim.details as ClaimRowDetails), reason } });
    t.report.unfileable.push({ incidentKey: incident.dedupeKey, coverId, reason });
    await this.alert(t, "critical", `claim cannot be filed: coverage ${coverId}`, `${reason} (incident ${incident.dedupeKey}).`, incident.protocol, `unfileable:${incident.dedupeKey}:${coverId}`);
  }

  /** A waiting row of a blocked plan becomes blocked (a claim is open) or cancelled. */
  private recordBlocked(incident: IncidentRecord, plan: Extract<ClaimPlan, { kind: "blocked" }>): void {
    const claimRepo = this.deps.state.claims;
    const row = claimRepo.byIncidentAndCoverage(incident.id, plan.coverId.toString());
    if (row !== undefined && (row.state === "scheduled" || row.state === "unfileable")) {
      claimRepo.update(row.id, { state: plan.reason === "claim-open" ? "blocked" : "cancelled", details: { ...(row.details as ClaimRowDetails), reason: plan.detail } });
    }
  }

  /** A claim to file at the first allowed moment of the upstream window. */
  private recordScheduled(incident: IncidentRecord, plan: Extract<ClaimPlan, { kind: "schedule" }>): void {
    const { deps } = this;
    const coverId = plan.coverId.toString();
    const { claim, created } = deps.state.claims.schedule({ incidentId: incident.id, coverageId: coverId, state: "scheduled", fileAfter: plan.at, details: { amount: plan.amount.toString(), derivation: plan.derivation } });
    if (!created && claim.state !== "scheduled") deps.state.claims.update(claim.id, { state: "scheduled", details: { amount: plan.amount.toString(), derivation: plan.derivation } });
    if (created) deps.logger.info({ incident: plan.incidentKey, coverId, at: plan.at }, "claim scheduled at the first allowed moment");
  }

  /** A claim whose window has closed: recorded once, with a critical alert. */
  private async recordTooLate(t: ClaimsTick, incident: IncidentRecord, plan: Extract<ClaimPlan, { kind: "too-late" }>): Promise<void> {
    const claimRepo = this.deps.state.claims;
    const coverId = plan.coverId.toString();
    const { claim, created } = claimRepo.schedule({ incidentId: incident.id, coverageId: coverId, state: "too-late", details: { earliest: plan.window.earliest, latest: plan.window.latest } });
    if (created || claim.state !== "too-late") {
      claimRepo.update(claim.id, { state: "too-late", details: { earliest: plan.window.earliest, latest: plan.window.latest, reason: plan.alert } });
      await this.alert(t, "critical", "claim window closed", plan.alert, incident.protocol, `too-late:${plan.incidentKey}:${coverId}`);
    }
  }

  /** Files the claim now (evidence pack first), unless the keeper cannot: then an unfileable row and an alert. */
  private async fileNow(t: ClaimsTick, incident: IncidentRecord, plan: FileNowPlan, chain: IncidentCoverages, signals: TickSignals, derivations: readonly (ClaimDerivation & { coverId: bigint })[]): Promise<void> {
    const claimRepo = this.deps.state.claims;
    const coverId = plan.coverId.toString();
    const coverage = chain.snapshot.coverages.get(coverId) as OnChainCoverage;
    const { claim } = claimRepo.schedule({ incidentId: incident.id, coverageId: coverId, state: "scheduled", details: { amount: plan.amount.toString(), derivation: plan.derivation } });
    const evidence = await this.evidenceFor(incident, derivations, chain.coverages, t.positions, signals.tvlHistories.get(incident.protocol) ?? [], signals.sourceHashes, t.now);
    const blocker = await this.fileabilityIssue(coverage, plan.amount, incident.occurredAt, t.keeper);
    if (blocker !== undefined) {
      claimRepo.update(claim.id, { state: "unfileable", details: { amount: plan.amount.toString(), derivation: plan.derivation, reason: blocker } });
      t.report.unfileable.push({ incidentKey: plan.incidentKey, coverId, reason: blocker });
      await this.alert(t, "critical", `claim cannot be filed: coverage ${coverId}`, `${blocker} (incident ${incident.dedupeKey}); retried every tick until fixed.`, incident.protocol, `unfileable:${plan.incidentKey}:${coverId}`);
      return;
    }
    const result = await this.fileClaim(plan, coverage, incident, evidence, t.now);
    await this.recordFiling(t, incident, plan, claim.id, result);
  }

  /** Records a filing's outcome on its row (filed, or unfileable with the reason), alerts, and reports it. */
  private async recordFiling(t: ClaimsTick, incident: IncidentRecord, plan: FileNowPlan, rowId: number, result: SendResult): Promise<void> {
    const claimRepo = this.deps.state.claims;
    const coverId = plan.coverId.toString();
    const claimId = result.status === "confirmed" || result.status === "skipped" ? await this.claimIdFrom(result.hash) : undefined;
    if (result.status === "confirmed" || (result.status === "skipped" && claimId !== undefined)) {
      claimRepo.update(rowId, { state: "filed", ...(claimId !== undefined ? { fundClaimId: claimId.toString() } : {}), details: { amount: plan.amount.toString(), derivation: plan.derivation, hash: result.hash } });
      if (result.status === "confirmed") t.gasUsed += result.gasUsed;
      await this.alert(t, "info", `claim filed: coverage ${coverId}`, `claim ${claimId ?? "?"} for ${await this.amountText(plan.coverId, plan.amount)} (min of the position's loss and the remaining cover) on incident ${incident.dedupeKey}`, incident.protocol, `filed:${plan.incidentKey}:${coverId}`);
    } else if (result.status === "failed") {
      const reason = fileFailureReason(result.error);
      claimRepo.update(rowId, { state: "unfileable", details: { amount: plan.amount.toString(), derivation: plan.derivation, reason } });
      t.report.unfileable.push({ incidentKey: plan.incidentKey, coverId, reason });
      await this.alert(t, "critical", `claim filing failed: coverage ${coverId}`, `${reason} (incident ${incident.dedupeKey}); retried next tick.`, incident.protocol, `unfileable:${plan.incidentKey}:${coverId}`);
    }
    t.report.filed.push({
      incidentKey: plan.incidentKey,
      coverId,
      status: result.status,
      amount: plan.amount.toString(),
      ...(claimId !== undefined ? { claimId: claimId.toString() } : {}),
      ...("hash" in result && result.hash !== undefined ? { hash: result.hash } : {}),
      ...(result.status === "failed" ? { error: result.error } : {}),
    });
  }

  // ─── Step 7: follow up filed claims (settle, alert, close) ─────────────────────────────────

  /** The claim monitor: observes every filed claim and acts on `decideClaimFollowUps`. */
  private async followUpClaims(t: ClaimsTick, chain: IncidentCoverages): Promise<void> {
    const { deps } = this;
    const listed = deps.state.claims.list().filter((r) => r.state === "filed" && r.fundClaimId !== undefined);
    await this.readMonitoredClaims(listed, chain.fundClaims);
    const vanished = t.dryRun ? new Set<number>() : await this.recheckVanishedClaims(t, listed, chain.fundClaims);
    const monitored = listed.filter((r) => !vanished.has(r.id));
    const observations = await this.observeClaims(t, monitored, chain);
    const followUps = decideClaimFollowUps(observations, t.now, { redeemAlertLeadSec: Math.round(deps.config.incidents.redeemAlertLeadHours * 3600) });
    const rowByClaim = new Map(monitored.map((r) => [r.fundClaimId as string, r]));
    for (const f of followUps) await this.actOnFollowUp(t, f, rowByClaim.get(f.claimId.toString()));
  }

  /**
   * Filed claims the fund does not know (id above `claimCount`): a reorg removed them. Each is
   * re-checked against its filing's receipt; when the receipt is gone (or reverted) the journal
   * entry is marked reorged and the row goes back to `scheduled`, so the next planning files it
   * again — with a critical alert. A claim merely unreadable (RPC) is left for the next tick.
   */
  private async recheckVanishedClaims(t: ClaimsTick, rows: readonly ClaimRecord[], fundClaims: ReadonlyMap<string, FundClaim>): Promise<Set<number>> {
    const { deps } = this;
    const vanished = new Set<number>();
    const missing = rows.filter((r) => !fundClaims.has(r.fundClaimId as string));
    if (missing.length === 0) return vanished;
    let count: bigint;
    try {
      count = await deps.fund.claimCount();
    } catch (err) {
      deps.logger.warn({ err: (err as Error).message }, "claimCount unreadable: vanished claims re-checked next tick");
      return vanished;
    }
    for (const row of missing) {
      if (BigInt(row.fundClaimId as string) <= count) continue; // it exists: unreadable this tick only
      const incident = deps.state.incidents.get(row.incidentId);
      const entry = incident === undefined ? undefined : deps.state.journal.byKey(claimIdempotencyKey(incident.dedupeKey, BigInt(row.coverageId)));
      let receiptGone = true;
      if (entry?.txHash !== undefined) {
        try {
          const receipt = await deps.provider.getTransactionReceipt(entry.txHash);
          receiptGone = receipt === null || receipt.status !== 1;
        } catch (err) {
          deps.logger.warn({ err: (err as Error).message, hash: entry.txHash }, "receipt unreadable: vanished claim re-checked next tick");
          continue;
        }
      }
      if (!receiptGone) continue; // mined and known by its receipt: the chain view is behind; wait
      const reason = `claim ${row.fundClaimId} vanished in a reorg (no receipt for ${entry?.txHash ?? "its filing"}): filed again`;
      if (entry?.state === "confirmed") deps.state.journal.markReorged(entry.id, reason);
      deps.state.claims.reopenVanished(row.id, reason);
      vanished.add(row.id);
      deps.logger.error({ claimId: row.fundClaimId, coverId: row.coverageId, hash: entry?.txHash }, "claim vanished in a reorg: scheduled again");
      await this.alert(t, "critical", `claim ${row.fundClaimId} vanished in a reorg`, `${reason} (coverage ${row.coverageId}, incident ${incident?.dedupeKey ?? row.incidentId}).`, incident?.protocol, `reorged:${row.fundClaimId}:${entry?.txHash ?? ""}`);
    }
    return vanished;
  }

  /** Reads the monitored claims the snapshot did not hold. */
  private async readMonitoredClaims(monitored: readonly ClaimRecord[], fundClaims: Map<string, FundClaim>): Promise<void> {
    for (const row of monitored) {
      if (fundClaims.has(row.fundClaimId as string)) continue;
      try {
        fundClaims.set(row.fundClaimId as string, toFundClaim(await this.deps.fund.getClaim(BigInt(row.fundClaimId as string)), BigInt(row.fundClaimId as string)));
      } catch (err) {
        this.deps.logger.warn({ claimId: row.fundClaimId, err: (err as Error).message }, "claim unreadable");
      }
    }
  }

  /** What the policy sees of each monitored claim; claims waiting on the challenge period or the admin are reported, not observed. */
  private async observeClaims(t: ClaimsTick, monitored: readonly ClaimRecord[], chain: IncidentCoverages): Promise<ClaimObservation[]> {
    const observations: ClaimObservation[] = [];
    const waitingChallenge = new Map<string, number>();
    for (const row of monitored) {
      const fundClaim = chain.fundClaims.get(row.fundClaimId as string);
      const coverage = chain.snapshot.coverages.get(row.coverageId) ?? chain.coverages.find((c) => c.id.toString() === row.coverageId);
      if (fundClaim === undefined) continue;
      const providerId = coverage?.providerId ?? 0;
      const upstream = providerId !== 0 && fundClaim.status === "Pending" ? await this.upstreamClaimStatus(providerId, fundClaim, row) : undefined;
      if (fundClaim.status === "Accepted" && fundClaim.payableAt !== undefined && fundClaim.payableAt > t.now) {
        waitingChallenge.set(fundClaim.id.toString(), fundClaim.payableAt);
        continue;
      }
      if (fundClaim.status === "Accepted" && fundClaim.confirmationRequired === true) {
        t.report.followUps.push({ claimId: fundClaim.id.toString(), kind: "wait", detail: "accepted above the daily payout limit: awaiting the admin's confirmPayout" });
        await this.alert(t, "warning", `claim ${fundClaim.id} awaits confirmation`, `claim ${fundClaim.id} was accepted above the fund's daily payout limit: the admin must call confirmPayout(${fundClaim.id}) before it can be settled.`, undefined, `confirm:${fundClaim.id}`);
        continue;
      }
      observations.push({ claimId: fundClaim.id, coverId: fundClaim.coverageId, providerId, fundStatus: fundClaim.status, ...(upstream !== undefined ? { provider: upstream } : {}) });
    }
    for (const [claimId, payableAt] of waitingChallenge) t.report.followUps.push({ claimId, kind: "wait", detail: `accepted; payable after the challenge period (${payableAt})` });
    return observations;
  }

  /** The upstream provider's view of a pending hedged claim (undefined when unreadable). */
  private async upstreamClaimStatus(providerId: number, fundClaim: FundClaim, row: ClaimRecord): Promise<ClaimObservation["provider"]> {
    try {
      const adapter = await this.providerContract(providerId);
      const [status, payout, until] = (await adapter.getFunction("claimStatus").staticCall(fundClaim.providerClaimId)) as [bigint, bigint, bigint];
      return { status: PROVIDER_STATUS[Number(status)] ?? "None", payout, redeemableUntil: Number(until) };
    } catch (err) {
      this.deps.logger.warn({ claimId: row.fundClaimId, err: (err as Error).message }, "upstream claim status unreadable");
      return undefined;
    }
  }

  private async actOnFollowUp(t: ClaimsTick, f: ClaimFollowUp, row: ClaimRecord | undefined): Promise<void> {
    if (f.kind === "wait") {
      t.report.followUps.push({ claimId: f.claimId.toString(), kind: "wait", detail: f.reason });
    } else if (f.kind === "alert") {
      t.report.followUps.push({ claimId: f.claimId.toString(), kind: "alert", detail: f.message });
      await this.alert(t, f.severity === "error" ? "critical" : "warning", `claim ${f.claimId}`, f.message, undefined, `claim:${f.claimId}:${f.message}`);
    } else if (f.kind === "done") {
      t.report.followUps.push({ claimId: f.claimId.toString(), kind: "done", detail: f.outcome });
      if (row !== undefined && !t.dryRun) this.deps.state.claims.update(row.id, { state: f.outcome.toLowerCase() });
    } else {
      await this.settle(t, f, row);
    }
  }

  /** `fund.settleClaim`, then the row follows the claim's new status, with an alert. */
  /** An amount of a coverage's asset for a message: "27,000 USDC" (the config's decimals and symbol), else "… base units". */
  private async amountText(coverId: bigint, amount: bigint): Promise<string> {
    try {
      const asset = (await this.deps.fund.getCoverageDetails(coverId)).asset;
      const p = this.deps.config.positions.find((x) => sameAddr(x.asset, asset) && x.assetDecimals !== undefined);
      if (p?.assetDecimals !== undefined) return formatToken(amount, p.assetDecimals, p.assetSymbol ?? "tokens");
    } catch {
      // unreadable: the raw amount, labelled
    }
    return `${amount} base units`;
  }

  private async settle(t: ClaimsTick, f: Extract<ClaimFollowUp, { kind: "settle" }>, row: ClaimRecord | undefined): Promise<void> {
    const { deps } = this;
    if (deps.claimStatusCheck !== undefined) {
      // Two nodes must agree on the claim's status before anything is signed (the message names both answers).
      const refused = await deps.claimStatusCheck.claimStatus(f.claimId).then(() => undefined, (err: unknown) => (err instanceof Error ? err.message : String(err)));
      if (refused !== undefined) {
        t.report.followUps.push({ claimId: f.claimId.toString(), kind: "settle", detail: `not settled: ${refused}` });
        await this.alert(t, "critical", `claim ${f.claimId} not settled: its status is not agreed`, `${refused}; retried next tick`, undefined, `settle-unagreed:${f.claimId}`);
        return;
      }
    }
    if (f.alert !== undefined) await this.alert(t, "warning", `claim ${f.claimId}`, f.alert, undefined, `claim:${f.claimId}:deadline`);
    const result = await this.send(
      { kind: "settle-claim", key: f.idempotencyKey, to: await deps.fund.getAddress(), data: deps.fund.interface.encodeFunctionData("settleClaim", [f.claimId]), payload: { claimId: f.claimId, reason: f.reason, at: t.now } },
      t.dryRun,
    );
    if (result.status === "confirmed") t.gasUsed += result.gasUsed;
    t.report.followUps.push({ claimId: f.claimId.toString(), kind: "settle", status: result.status, detail: result.status === "failed" ? result.error : f.reason });
    if ((result.status === "confirmed" || result.status === "skipped") && row !== undefined && !t.dryRun) {
      const after = toFundClaim(await deps.fund.getClaim(f.claimId), f.claimId);
      if (after.status !== "Pending" && after.status !== "Accepted") deps.state.claims.update(row.id, { state: after.status.toLowerCase() });
      await this.alert(t, after.status === "Paid" ? "info" : "warning", `claim ${f.claimId} settled`, `claim ${f.claimId}: ${after.status} (payout ${await this.amountText(after.coverageId, after.payout)})`, undefined, `settled:${f.claimId}`);
    } else if (result.status === "failed") {
      await this.alert(t, "critical", `claim ${f.claimId} settlement failed`, result.error, undefined, `settle-failed:${f.claimId}`);
    }
  }

  // ─── Step 8: the summary ───────────────────────────────────────────────────────────────────

  private summarize(t: ClaimsTick): ClaimsCycleSummary {
    const horizon = t.now - INCIDENT_HORIZON_SEC;
    const live = this.deps.state.incidents.list().filter((i) => i.occurredAt >= horizon);
    return {
      now: t.now,
      dryRun: t.dryRun,
      newIncidents: t.report.newIncidents,
      incidents: {
        suspected: live.filter((i) => i.state === "suspected").length,
        confirmed: live.filter((i) => i.state === "confirmed").length,
        dismissed: live.filter((i) => i.state === "dismissed").length,
        resolved: live.filter((i) => i.state === "resolved").length,
      },
      transitions: t.report.transitions,
      halts: t.report.halts,
      adopted: t.report.adopted,
      plans: t.report.plans,
      filed: t.report.filed,
      unfileable: t.report.unfileable,
      followUps: t.report.followUps,
      alerts: t.alerts,
      gasUsed: t.gasUsed.toString(),
      ...(t.watch !== undefined ? { watch: t.watch } : {}),
    };
  }

  // ─── Helpers ───────────────────────────────────────────────────────────────────────────────

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
    again: boolean,
  ): Promise<{ status?: SendResult["status"] | "already-halted"; error?: string; gasUsed?: bigint }> {
    const { deps } = this;
    const evidenceHash = keccak256(toUtf8Bytes(canonicalJson({ incident: incident.dedupeKey, protocol: protocol.address, occurredAt: incident.occurredAt, signals: deps.state.incidents.signals(incident.id).map((s) => s.signal) })));
    const occurredAt = Math.min(incident.occurredAt, now);
    const result = await this.send(
      {
        kind: "report-incident",
        // A re-report (the admin cleared the halt of an open incident) is a new action.
        key: again ? `report-incident:${incident.dedupeKey}:again:${now}` : `report-incident:${incident.dedupeKey}`,
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
      if (!agent) return `the keeper ${keeper} is not an agent of beneficiary ${coverage.beneficiary} — the beneficiary runs \`${keeperCommand(`set-agent ${keeper}`)}\` with its key (BENEFICIARY_PRIVATE_KEY)`;
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
    positions: readonly CoveragePosition[],
    tvl: readonly TvlPoint[],
    sourceHashes: ReadonlyMap<string, string>,
    now: number,
  ): Promise<Buffer> {
    const { deps } = this;
    // Claims already in the stored pack keep their derivation; a claim it does not record yet (a
    // position sized later, an amount the operator set) rebuilds it with every derivation.
    let earlier: (ClaimDerivation & { coverId: bigint })[] = [];
    if (incident.evidencePath !== undefined) {
      try {
        const stored = await readFile(incident.evidencePath);
        const recorded = ((JSON.parse(stored.toString("utf8")) as { claims?: (ClaimDerivation & { coverId: string })[] }).claims ?? []).map((c) => ({ ...c, coverId: BigInt(c.coverId) }));
        if (derivations.every((d) => recorded.some((r) => r.coverId === d.coverId && r.amount === d.amount))) return stored;
        earlier = recorded.filter((r) => !derivations.some((d) => d.coverId === r.coverId));
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
      claims: [...earlier, ...derivations],
    });
    return this.storeEvidencePack(incident, canonicalJson(pack), now);
  }

  /** Writes the pack to the evidence directory and records its path and keccak256 on the incident; returns its bytes. */
  private async storeEvidencePack(incident: IncidentRecord, json: string, now: number): Promise<Buffer> {
    const { deps } = this;
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

function sameAddr(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

export type { ClaimRecord };
