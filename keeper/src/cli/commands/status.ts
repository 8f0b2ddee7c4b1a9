/**
 * `keeper status`: the daemon's view from the state database (lock, loops, journal, claims,
 * incidents, coverages the keeper cannot buy or renew) and, when the chain answers, the fund's own
 * view of each claim (a paid claim shows paid) and of each protocol's halt. It ends with what the
 * operator should do next, every step as the command that runs in this install.
 */
import type { Contract } from "ethers";
import type { KeeperConfig } from "../../config";
import { currentLockHolder, type StateDb } from "../../state";
import { LOOP_NAMES } from "../../server/health";
import { OPEN_ROW_STATES } from "../../cycles/claimsCycle";
import { HELD_KV_KEY } from "../../cycles/coverageCycle";
import { FUND_CLAIM_STATUSES } from "../../policy/claims";
import { heldLine, type HeldCover } from "../../policy/coverageHeld";
import { formatChainTime, formatIncidentName, formatIsoUtc, keeperCommand } from "../../lib/format";

/** What the chain says (null when it was not read). */
export interface ChainStatus {
  readonly now: number;
  /** Fund claim id → its status ("Pending", "Paid", …). */
  readonly claims: Readonly<Record<string, string>>;
  /** Protocol id → whether its sales are halted on chain (fund.getIncident(protocol).active). */
  readonly halted: Readonly<Record<string, boolean>>;
}

export type StatusView = ViewCore & { readonly nextSteps: string[] };

/** Reads the fund's view of the claim rows and of each protocol's halt. */
export async function readChainStatus(fund: Pick<Contract, "getFunction">, state: StateDb, config: Pick<KeeperConfig, "protocols">, now: number): Promise<ChainStatus> {
  const claims: Record<string, string> = {};
  for (const row of state.claims.list()) {
    if (row.fundClaimId === undefined) continue;
    const claim = (await fund.getFunction("getClaim").staticCall(BigInt(row.fundClaimId))) as { status: bigint };
    claims[row.fundClaimId] = FUND_CLAIM_STATUSES[Number(claim.status)] ?? "None";
  }
  const halted: Record<string, boolean> = {};
  for (const p of config.protocols) {
    const incident = (await fund.getFunction("getIncident").staticCall(p.address)) as { active: boolean };
    halted[p.id] = incident.active;
  }
  return { now, claims, halted };
}

/** `keeper status --json`: the state database's view, with the chain's where it was read. */
export function statusView(state: StateDb, kv: Record<string, unknown>, protocolNames: ReadonlyMap<string, string> = new Map(), chain: ChainStatus | { error: string } | null = null): StatusView {
  const view = statusCore(state, kv, protocolNames, chain);
  return { ...view, nextSteps: nextSteps(view) };
}

function statusCore(state: StateDb, kv: Record<string, unknown>, protocolNames: ReadonlyMap<string, string>, chain: ChainStatus | { error: string } | null) {
  const lock = currentLockHolder(state.db);
  const loops = Object.fromEntries(LOOP_NAMES.map((l) => [l, { lastSuccess: kv[`loop:${l}:lastSuccess`] ?? null, lastFailure: kv[`loop:${l}:lastFailure`] ?? null }]));
  const onChain = chain !== null && "claims" in chain ? chain : undefined;
  const claims = state.claims.list().map((c) => ({
    id: c.id,
    incidentId: c.incidentId,
    coverage: c.coverageId,
    state: c.state,
    fundClaimId: c.fundClaimId ?? null,
    /** The fund's status of the claim (read from the chain now), null when not read. */
    fundStatus: c.fundClaimId !== undefined ? (onChain?.claims[c.fundClaimId] ?? null) : null,
    fileAfter: c.fileAfter ?? null,
    reason: (c.details as { reason?: string } | null)?.reason ?? null,
  }));
  const held = (kv[HELD_KV_KEY] as { at: number; held: HeldCover[] } | undefined) ?? null;
  const incidents = state.incidents.list().map((i) => ({
    id: i.id,
    name: formatIncidentName({ protocolName: protocolNames.get(i.protocol) ?? i.protocol, kind: i.kind, occurredAt: i.occurredAt }),
    key: i.dedupeKey,
    protocol: i.protocol,
    kind: i.kind,
    state: i.state,
    occurredAt: i.occurredAt,
    detectedAt: i.detectedAt,
    haltReported: i.haltReportedAt !== undefined,
    /** Sales of the protocol halted on chain now (null: not read). */
    haltedOnChain: onChain?.halted[i.protocol] ?? null,
    evidence: i.evidencePath ?? null,
  }));
  return {
    database: state.path,
    daemon: lock === undefined ? null : { pid: lock.pid, host: lock.hostname, startedAt: new Date(lock.started_at).toISOString(), heartbeatAgeSec: Math.round((Date.now() - lock.heartbeat_at) / 1000) },
    loops,
    journal: state.journal.countsByState(),
    chain: chain === null ? null : "error" in chain ? { read: false, error: chain.error } : { read: true, now: chain.now, halted: chain.halted },
    openClaims: claims.filter((c) => OPEN_ROW_STATES.includes(c.state) && !(c.fundStatus !== null && CLOSED_FUND_STATUSES.has(c.fundStatus))),
    claims,
    incidents,
    /** Coverages the last coverage cycle could not buy or renew (reason, fix, lapse). */
    coverageHeld: held,
  };
}

/** Fund claim states after which nothing is left to do for the claim. */
const CLOSED_FUND_STATUSES: ReadonlySet<string> = new Set(["Paid", "Denied", "Expired", "Withdrawn", "Vetoed"]);

type ViewCore = ReturnType<typeof statusCore>;

/** What the operator should do next, in order, each with the command to run. */
export function nextSteps(view: ViewCore): string[] {
  const steps: string[] = [];
  for (const h of view.coverageHeld?.held ?? []) steps.push(`cover ${h.protocolId}: ${h.reason} — ${h.fix}`);
  for (const i of view.incidents) {
    if (i.state === "suspected") {
      steps.push(`incident #${i.id} (${i.name}) is suspected: confirm a real loss (\`${keeperCommand(`incident confirm ${i.id}`)}\`, its claims are filed) or dismiss a false alarm (\`${keeperCommand(`incident dismiss ${i.id}`)}\`)`);
      continue;
    }
    const mine = view.claims.filter((c) => c.incidentId === i.id);
    const pending = mine.filter((c) => c.fundStatus === null || !CLOSED_FUND_STATUSES.has(c.fundStatus));
    if (i.state === "confirmed") {
      if (pending.length > 0) {
        for (const c of pending) steps.push(claimStep(c));
      } else {
        steps.push(
          `incident #${i.id} (${i.name}) is confirmed and its claims are settled: to resume cover on ${i.protocol}, resolve it (\`${keeperCommand(`incident resolve ${i.id}`)}\`), ` +
            `then the admin lifts the sales halt (\`${keeperCommand(`clear-incident ${i.protocol}`)}\` with ADMIN_PRIVATE_KEY); the next coverage cycle (\`${keeperCommand("once")}\` or the daemon) buys cover for what the position holds now`,
        );
      }
    } else if ((i.state === "resolved" || i.state === "dismissed") && (i.haltedOnChain === true || (i.haltedOnChain === null && i.haltReported))) {
      const open = view.incidents.some((o) => o.protocol === i.protocol && (o.state === "suspected" || o.state === "confirmed"));
      if (!open) steps.push(`sales of ${i.protocol} are ${i.haltedOnChain === true ? "still halted on chain" : "halted (per the keeper's record)"}: the admin runs \`${keeperCommand(`clear-incident ${i.protocol}`)}\` (ADMIN_PRIVATE_KEY) to resume cover`);
    }
  }
  for (const c of view.claims) {
    if (view.incidents.some((i) => i.id === c.incidentId && i.state === "confirmed")) continue;
    if (c.fundStatus === "Accepted") steps.push(claimStep(c));
  }
  for (const c of view.claims.filter((x) => x.fundStatus === "Paid")) {
    steps.push(`claim ${c.fundClaimId} is paid: its payout is credited to the beneficiary, who withdraws it if not done yet (\`${keeperCommand("withdraw --asset <token>")}\` with BENEFICIARY_PRIVATE_KEY), and any returned claim deposit (\`${keeperCommand("withdraw --deposit")}\`)`);
  }
  const running = view.daemon !== null;
  if (steps.length === 0) steps.push(running ? "nothing to do: the daemon keeps the cover" : `nothing pending; keep the daemon running (\`${keeperCommand("run")}\`) so cover is renewed and incidents are watched`);
  return [...new Set(steps)];
}

function claimStep(c: ViewCore["claims"][number]): string {
  const id = c.fundClaimId;
  if (id === null) return `claim row #${c.id} (coverage ${c.coverage}) is ${c.state}${c.reason !== null ? `: ${c.reason}` : ""}`;
  switch (c.fundStatus) {
    case "Pending":
      return `claim ${id} waits for the claims assessor: \`${keeperCommand(`assess ${id} --accept`)}\` (or --deny) with ASSESSOR_PRIVATE_KEY`;
    case "Accepted":
      return `claim ${id} is accepted: \`${keeperCommand(`settle ${id}`)}\` pays it once the challenge period ends (the daemon does this too)`;
    case "Disputed":
      return `claim ${id} is disputed: the admin decides it`;
    default:
      return `claim ${id} is ${c.fundStatus ?? c.state} (the keeper follows it up)`;
  }
}

/** The human lines of `keeper status`. */
export function statusText(view: StatusView, kv: Record<string, unknown>): string {
  const claimText = (c: StatusView["claims"][number]): string =>
    `#${c.id} coverage ${c.coverage} ${c.fundStatus !== null ? `${c.fundStatus.toLowerCase()} (on chain)` : c.state}${c.fundClaimId !== null ? ` (fund claim ${c.fundClaimId})` : ""}${c.reason !== null && c.fundStatus === null ? ` — ${c.reason}` : ""}`;
  const held = view.coverageHeld;
  return [
    `database: ${view.database}`,
    `daemon: ${view.daemon === null ? "not running" : `pid ${view.daemon.pid} on ${view.daemon.host}, heartbeat ${view.daemon.heartbeatAgeSec}s ago`}`,
    ...LOOP_NAMES.map((l) => {
      const last = kv[`loop:${l}:lastSuccess`] as { chainTimeSec?: number; chainTime?: number; wallMs?: number } | undefined;
      const chainSec = last?.chainTimeSec ?? last?.chainTime;
      return `loop ${l}: ${last?.wallMs === undefined ? "never succeeded" : `last success ${formatIsoUtc(last.wallMs / 1000)} (wall clock)${chainSec !== undefined ? `, at ${formatChainTime(chainSec)}` : ""}`}`;
    }),
    `chain: ${view.chain === null ? "not read (no fund address)" : view.chain.read ? `read at ${formatChainTime(view.chain.now as number)}` : `not read — ${view.chain.error}`}`,
    `journal: ${JSON.stringify(view.journal)}`,
    `open claims: ${view.openClaims.length === 0 ? "none" : view.openClaims.map(claimText).join(", ")}`,
    ...(view.claims.some((c) => c.fundStatus !== null && CLOSED_FUND_STATUSES.has(c.fundStatus)) ? [`closed claims: ${view.claims.filter((c) => c.fundStatus !== null && CLOSED_FUND_STATUSES.has(c.fundStatus)).map(claimText).join(", ")}`] : []),
    `incidents: ${view.incidents.length === 0 ? "none" : view.incidents.map((i) => `#${i.id} ${i.name}: ${i.state}${i.haltedOnChain === true ? " (sales halted on chain)" : i.haltedOnChain === null && i.haltReported ? " (sales halted)" : ""}`).join(", ")}`,
    `cover the keeper cannot buy or renew: ${held === null || held.held.length === 0 ? "none" : `\n${held.held.map((h) => `  ${heldLine(h, held.at)}\n    fix: ${h.fix}`).join("\n")}`}`,
    "next:",
    ...view.nextSteps.map((s) => `  - ${s}`),
  ].join("\n");
}
