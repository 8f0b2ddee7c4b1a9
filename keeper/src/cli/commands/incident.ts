/**
 * `keeper incident add | list | confirm <id> | dismiss <id> | resolve <id>`.
 *
 * - `add` records a manual signal through the incident state machine: it confirms a suspected
 *   incident of the same protocol and window, or opens a confirmed one.
 * - `confirm` / `dismiss` record the operator's decision. When a daemon holds the state
 *   database, it acts on the decision at its next incident tick (files the claims; alerts that
 *   the admin may clear the halt). When none does, the command takes the signing lock and runs
 *   one incident tick itself, so the claims are filed before it exits.
 * - `resolve` ends a confirmed incident (the exploit is over): claims under way continue, the
 *   keeper stops treating the protocol as halted, and it prints how the admin clears the
 *   on-chain halt (`fund.clearIncident(protocol)`) so cover can be bought again.
 */
import { keeperCommand } from "../../lib/format";
import type { Command } from "commander";
import { ConfigError, requireChainFields, type KeeperConfig } from "../../config";
import type { Logger } from "../../lib/logger";
import { manualSignal, operatorTransition, reconcileIncidents } from "../../policy/incidents";
import { DaemonLockError, openStateDb, stateLocation, type IncidentRecord, type StateDb } from "../../state";
import { incidentRulesOf } from "../../cycles/claimsCycle";
import { buildContainer } from "../container";
import { withSigningLock } from "./signingLock";
import { contextLine, contextOf, stdoutIsTty, type CommandContext } from "./context";

interface ManualDetails {
  readonly dedupeKey: string;
  readonly protocolId: string;
  readonly occurredAt: number;
  readonly description: string;
  readonly exploitTxHash?: string;
  readonly lossUsd?: number;
}

/** Records `keeper incident add`; returns the line to print. */
export function recordManualIncident(state: StateDb, config: Pick<KeeperConfig, "incidents">, details: ManualDetails, now: number): string {
  const id = details.exploitTxHash ?? String(details.occurredAt);
  const signal = manualSignal(
    {
      id,
      protocolId: details.protocolId,
      occurredAt: details.occurredAt,
      description: details.description,
      ...(details.exploitTxHash !== undefined ? { exploitTxHash: details.exploitTxHash } : {}),
      ...(details.lossUsd !== undefined ? { lossUsd: details.lossUsd } : {}),
    },
    now,
  );
  const { changes } = reconcileIncidents(state.incidents.views(), [signal], incidentRulesOf(config), now);
  const signalChange = changes.find((c) => c.kind === "open" || c.kind === "attach");
  if (signalChange === undefined) {
    const existing = state.incidents.views().find((v) => v.signals.some((s) => s.kind === "manual" && s.sourceId === signal.sourceId));
    const stored = existing === undefined ? undefined : state.incidents.byDedupeKey(existing.key);
    return `incident already recorded: ${signal.sourceId}${stored !== undefined ? ` (id ${stored.id}, ${stored.state})` : ""}`;
  }
  const touched = state.incidents.apply(changes, now);
  const incident = touched.get(signalChange.key) as IncidentRecord;
  return signalChange.kind === "open"
    ? `incident ${incident.id} recorded: ${incident.dedupeKey} (${incident.state})`
    : `incident ${incident.id} (${incident.dedupeKey}) corroborated by the manual report: ${incident.state}`;
}

/** Finds an incident by numeric id or key. */
export function findIncident(state: StateDb, ref: string): IncidentRecord | undefined {
  return /^\d+$/.test(ref) ? state.incidents.get(Number(ref)) : state.incidents.byDedupeKey(ref);
}

/** Applies an operator decision; returns the stored incident or throws a ConfigError naming the fix. */
export function decideIncident(state: StateDb, ref: string, to: "confirmed" | "dismissed" | "resolved", now: number): IncidentRecord {
  const incident = findIncident(state, ref);
  if (incident === undefined) {
    const known = state.incidents.list().map((i) => `${i.id} (${i.dedupeKey}, ${i.state})`);
    throw new ConfigError([`incident ${ref}: not found — use an id from \`keeper incident list\`${known.length > 0 ? `: ${known.join(", ")}` : ""}`]);
  }
  const decision = operatorTransition({ key: incident.dedupeKey, state: incident.state, stateBy: incident.stateBy }, to);
  if (decision.kind === "rejected") {
    if (to === "resolved" && incident.state !== "resolved") throw new ConfigError([decision.reason]);
    return incident;
  }
  return state.incidents.apply([decision], now).get(incident.dedupeKey) as IncidentRecord;
}

export function incidentLines(state: StateDb): string[] {
  return state.incidents.list().map((i) => {
    const signals = state.incidents.signals(i.id).map((s) => s.kind);
    return `#${i.id} ${i.protocol} ${i.state} (by ${i.stateBy}) occurred ${new Date(i.occurredAt * 1000).toISOString()} key ${i.dedupeKey} signals ${signals.join("+")}${i.haltReportedAt !== undefined ? " halt reported" : ""}${i.stateReason !== undefined ? ` — ${i.stateReason}` : ""}`;
  });
}

export interface IncidentCommandDeps {
  readonly setup: () => { config: KeeperConfig; logger: Logger };
  /** Setup for commands that reach the chain: the fund and lens from the deployment files too. */
  readonly setupChain?: () => Promise<{ config: KeeperConfig; logger: Logger; context?: CommandContext }>;
  readonly out: (text: string) => void;
}

export function registerIncidentDecisions(incident: Command, deps: IncidentCommandDeps): void {
  incident
    .command("list")
    .description("incidents with their state, signals and halt")
    .action(() => {
      const { config } = deps.setup();
      if (stdoutIsTty()) deps.out(contextLine(contextOf(config)));
      const state = openStateDb(stateLocation(config.state), { takeoverSeconds: config.ha.takeoverSeconds });
      try {
        const lines = incidentLines(state);
        deps.out(lines.length === 0 ? "no incidents" : lines.join("\n"));
      } finally {
        state.close();
      }
    });
  for (const [name, to, what] of [
    ["confirm", "confirmed", "confirm an incident (its claims are filed)"],
    ["dismiss", "dismissed", "dismiss an incident (no claim; the admin may clear the on-chain halt)"],
    ["resolve", "resolved", "resolve a confirmed incident (claims continue; the admin may then clear the on-chain halt with fund.clearIncident(protocol))"],
  ] as const) {
    incident
      .command(name)
      .description(what)
      .argument("<id>", "incident id (or key) from `keeper incident list`")
      .action(async (ref: string) => {
        const setup: { config: KeeperConfig; logger: Logger; context?: CommandContext } = deps.setupChain !== undefined ? await deps.setupChain() : deps.setup();
        const { config, logger } = setup;
        if (stdoutIsTty()) deps.out(contextLine(setup.context ?? contextOf(config)));
        await decideAndAct(config, logger, ref, to, deps.out);
      });
  }
}

/** What the admin runs to clear the halt of a closed incident's protocol. */
export function clearHaltHint(config: Pick<KeeperConfig, "protocols">, incident: IncidentRecord): string | undefined {
  if (incident.state !== "resolved" && incident.state !== "dismissed") return undefined;
  const address = config.protocols.find((p) => p.id === incident.protocol)?.address;
  return address === undefined ? undefined : `the admin clears the on-chain halt (when no other incident of ${incident.protocol} is open) with \`${keeperCommand(`clear-incident ${incident.protocol}`)}\` (ADMIN_PRIVATE_KEY) or fund.clearIncident(${address}) from the admin Safe`;
}

async function decideAndAct(config: KeeperConfig, logger: Logger, ref: string, to: "confirmed" | "dismissed" | "resolved", out: (text: string) => void): Promise<void> {
  requireChainFields(config, { fund: true, lens: true, signer: true });
  const container = await buildContainer(config, logger);
  try {
    const state = container.state();
    const now = (await container.provider.getBlock("latest"))?.timestamp ?? Math.floor(Date.now() / 1000);
    const decided = decideIncident(state, ref, to, now);
    out(`incident ${decided.id} (${decided.dedupeKey}): ${decided.state}`);
    const hint = clearHaltHint(config, decided);
    if (hint !== undefined) out(hint);
    try {
      await withSigningLock(state, config, logger, `incident ${to === "confirmed" ? "confirm" : to === "dismissed" ? "dismiss" : "resolve"}`, async () => {
        await container.verify();
        await container.txSender().reconcile();
        const summary = await container.claimsCycle().run();
        out(
          `incident tick: filed ${summary.filed.filter((f) => f.status === "confirmed").length}, scheduled ${summary.plans.filter((p) => p.kind === "schedule").length}, ` +
            `cannot file ${summary.unfileable.length}${summary.unfileable.length > 0 ? ` (${summary.unfileable.map((u) => u.reason).join("; ")})` : ""}`,
        );
      });
    } catch (err) {
      if (!(err instanceof DaemonLockError)) throw err;
      out(`a keeper daemon holds the state database: it acts on this decision at its next incident tick (${err.message})`);
    }
  } finally {
    container.close();
  }
}
