/**
 * `keeper claim file --incident <id> --position <id> --amount <tokens> [--note <text>]`: the
 * operator sets the amount of a claim the keeper held — a position whose loss measured 0 while
 * the protocol was drained, or could not be measured (the critical alert names the incident and
 * the position). The amount is stored with who set it and when (kv `claims:operatorAmount:…`),
 * recorded in the evidence pack as the claim's derivation (`method: "operator"`), and filed at the
 * next incident tick — this command runs that tick itself when no daemon holds the database.
 *
 * The keeper never files the configured size on its own and never silences a held claim; this is
 * the operator's way to decide it.
 */
import type { Command } from "commander";
import { parseUnits } from "ethers";
import { ConfigError, requireChainFields, type KeeperConfig } from "../../config";
import type { Logger } from "../../lib/logger";
import { claimPositionId, operatorAmountKey, type OperatorAmount } from "../../cycles/positionLoss";
import { positionReadsOf } from "../../sources/positions";
import { DaemonLockError, type StateDb } from "../../state";
import { buildContainer } from "../container";
import { findIncident } from "./incident";
import { withSigningLock } from "./signingLock";

export interface ClaimFileFlags {
  readonly incident: string;
  readonly position: string;
  readonly amount: string;
  readonly note?: string;
}

/** The position ids of the incident's protocol an operator can name. */
export function positionIdsFor(config: Pick<KeeperConfig, "positions">, protocolId: string): string[] {
  const reads = positionReadsOf(config.positions);
  return config.positions
    .filter((p) => p.protocol === protocolId)
    .map((p) => claimPositionId(config, reads, { protocolId: p.protocol, protocol: "", asset: p.asset, beneficiary: p.beneficiary, targetAmount: 0n }));
}

/**
 * Validates the flags against the state and the config, and stores the operator's amount.
 * `decimals` converts `--amount` (whole tokens, e.g. 30000 or 1234.5) into asset units.
 */
export function recordOperatorAmount(
  state: StateDb,
  config: Pick<KeeperConfig, "positions">,
  flags: ClaimFileFlags,
  decimals: number,
  who: { setBy: string; now: number },
): { incidentId: number; positionId: string; record: OperatorAmount } {
  const issues: string[] = [];
  const incident = findIncident(state, flags.incident);
  if (incident === undefined) {
    const known = state.incidents.list().map((i) => `${i.id} (${i.dedupeKey}, ${i.state})`);
    throw new ConfigError([`--incident: ${flags.incident} not found — use an id from \`keeper incident list\`${known.length > 0 ? `: ${known.join(", ")}` : ""}`]);
  }
  if (incident.state === "dismissed") issues.push(`--incident: incident ${incident.id} is dismissed — confirm it first (\`keeper incident confirm ${incident.id}\`) if the cover pays this loss`);
  const ids = positionIdsFor(config, incident.protocol);
  const positionId = ids.find((id) => id.toLowerCase() === flags.position.toLowerCase());
  if (positionId === undefined) issues.push(`--position: "${flags.position}" is not a position of ${incident.protocol} — use one of ${ids.length > 0 ? ids.join(", ") : "(none configured)"}`);
  let amount = 0n;
  if (!/^\d+(\.\d+)?$/.test(flags.amount)) issues.push(`--amount: "${flags.amount}" is not an amount — use whole tokens, e.g. 30000 or 1234.5`);
  else {
    try {
      amount = parseUnits(flags.amount, decimals);
    } catch {
      issues.push(`--amount: "${flags.amount}" has more than ${decimals} decimals`);
    }
    if (amount === 0n && issues.length === 0) issues.push("--amount: 0 files no claim — leave the claim held, or dismiss the incident");
  }
  if (issues.length > 0) throw new ConfigError(issues);
  const id = positionId as string;
  const held = state.claims.list({ states: ["unfileable"] }).find((r) => r.incidentId === incident.id && String((r.details as { reason?: string }).reason ?? "").includes(id));
  const heldBecause = (held?.details as { reason?: string } | undefined)?.reason;
  const record: OperatorAmount = {
    amount: amount.toString(),
    setBy: who.setBy,
    setAt: who.now,
    ...(flags.note !== undefined ? { note: flags.note } : {}),
    ...(heldBecause !== undefined ? { heldBecause } : {}),
  };
  state.kv.set(operatorAmountKey(incident.id, id), record);
  return { incidentId: incident.id, positionId: id, record };
}

export function registerClaimFileCommand(program: Command, deps: { setupChain: () => Promise<{ config: KeeperConfig; logger: Logger }>; out: (text: string) => void }): void {
  const claim = program.command("claim").description("claims the keeper holds for the operator");
  claim
    .command("file")
    .description("set the amount of a held claim (loss 0 or unmeasurable while the protocol was drained) and file it")
    .requiredOption("--incident <id>", "incident id (or key) from `keeper incident list`")
    .requiredOption("--position <id>", "position id, as the held claim's alert names it")
    .requiredOption("--amount <tokens>", "the loss to claim, in whole tokens of the covered asset (e.g. 30000 or 1234.5)")
    .option("--note <text>", "why (recorded in the evidence pack)")
    .action(async (flags: ClaimFileFlags) => {
      const { config, logger } = await deps.setupChain();
      requireChainFields(config, { fund: true, lens: true, signer: true });
      const container = await buildContainer(config, logger);
      try {
        const state = container.state();
        const incident = findIncident(state, flags.incident);
        const position = config.positions.find((p) => incident !== undefined && p.protocol === incident.protocol);
        const decimals = position === undefined ? 18 : await assetDecimals(container.provider, position.asset);
        const now = (await container.provider.getBlock("latest"))?.timestamp ?? Math.floor(Date.now() / 1000);
        const signer = container.keeperAddress;
        const { incidentId, positionId, record } = recordOperatorAmount(state, config, flags, decimals, { setBy: signer !== undefined ? `operator via CLI (keeper signer ${signer})` : "operator via CLI", now });
        deps.out(`claim amount set: incident ${incidentId}, position ${positionId}: ${record.amount} asset units (${flags.amount} tokens), by ${record.setBy}`);
        if (incident?.state === "suspected") deps.out(`incident ${incidentId} is suspected: the claim is filed once it is confirmed (\`keeper incident confirm ${incidentId}\`)`);
        try {
          await withSigningLock(state, config, logger, "claim file", async () => {
            await container.verify();
            await container.txSender().reconcile();
            const summary = await container.claimsCycle().run();
            deps.out(
              `incident tick: filed ${summary.filed.filter((f) => f.status === "confirmed").length}, cannot file ${summary.unfileable.length}${summary.unfileable.length > 0 ? ` (${summary.unfileable.map((u) => u.reason).join("; ")})` : ""}`,
            );
          });
        } catch (err) {
          if (!(err instanceof DaemonLockError)) throw err;
          deps.out(`a keeper daemon holds the state database: it files the claim at its next incident tick (${err.message})`);
        }
      } finally {
        container.close();
      }
    });
}

async function assetDecimals(provider: { call(tx: { to: string; data: string }): Promise<string> }, asset: string): Promise<number> {
  const raw = await provider.call({ to: asset, data: "0x313ce567" }); // decimals()
  if (raw === "0x") throw new ConfigError([`asset ${asset}: no decimals() — check the position's asset in the config`]);
  return Number(BigInt(raw));
}
