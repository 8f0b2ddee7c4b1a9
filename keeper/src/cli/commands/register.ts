/**
 * Registers the operator's commands on the keeper CLI: init, doctor, set-agent, assess, settle,
 * withdraw, pause, unpause, clear-incident. Bodies live in ./init, ./doctor and ./operator.
 */
import type { Command } from "commander";
import { ConfigError } from "../../config";
import { contextLine, setupChainCommand, stdoutIsTty } from "./context";
import { runDoctorCommand } from "./doctor";
import { runInitCommand } from "./init";
import {
  assessCall,
  clearIncidentCall,
  executeCall,
  operatorContext,
  pauseCall,
  senderAddress,
  setAgentCall,
  settleCall,
  withdrawCall,
  type ExecutionOptions,
  type OperatorCall,
  type OperatorContext,
} from "./operator";

interface SendFlags {
  dryRun?: boolean;
  safeJson?: string;
  safe?: string;
  from?: string;
  keyEnv?: string;
}

function withSendFlags(command: Command, defaultKeyEnv: string, safe: boolean): Command {
  command
    .option("--dry-run", "simulate the call and print it; send nothing")
    .option("--key-env <name>", `env variable holding the signing key (default ${defaultKeyEnv})`, defaultKeyEnv)
    .option("--from <address>", "simulate from this address in --dry-run (default: the signing key's)");
  if (safe) {
    command
      .option("--safe-json <file>", "write a Safe Transaction Builder batch to <file> instead of sending")
      .option("--safe <address>", "the Safe that signs the batch (with --safe-json)");
  }
  return command;
}

function executionOptions(flags: SendFlags): ExecutionOptions {
  const from = flags.safe ?? flags.from;
  return {
    keyEnv: flags.keyEnv ?? "KEEPER_PRIVATE_KEY",
    ...(flags.dryRun === true ? { dryRun: true } : {}),
    ...(flags.safeJson !== undefined ? { safeJson: flags.safeJson } : {}),
    ...(from !== undefined ? { from } : {}),
  };
}

/** Opens the chain, builds the call, executes it, closes the chain. */
type OperatorRun = (flags: SendFlags, build: (ctx: OperatorContext, options: ExecutionOptions) => Promise<OperatorCall> | OperatorCall) => Promise<void>;

function operatorRun(program: Command, out: (text: string) => void): OperatorRun {
  return async (flags, build) => {
    const setup = await setupChainCommand(program, program.args[0] ?? "command");
    // On a terminal the first line names the config and deployment the call is made on.
    if (stdoutIsTty()) out(contextLine(setup.context));
    const ctx = await operatorContext(setup, out);
    try {
      const options = executionOptions(flags);
      await executeCall(ctx, await build(ctx, options), options);
    } finally {
      ctx.provider.destroy();
    }
  };
}

export function registerOperatorCommands(program: Command, out: (text: string) => void): void {
  registerSetupCommands(program, out);
  const run = operatorRun(program, out);
  registerClaimCommands(program, run);
  registerAdminCommands(program, run);
}

/** `keeper init` and `keeper doctor`. */
function registerSetupCommands(program: Command, out: (text: string) => void): void {
  program
    .command("init")
    .description("write a commented keeper config for the connected chain (protocols and positions from the deployment and the fund's coverages)")
    .option("--beneficiary <address>", "take positions from the fund's active coverages of this beneficiary")
    .option("--out <file>", "where to write the config", "keeper.config.json")
    .option("--deployment <path>", "deployed_addresses.json or deployments folder (default: deploy/deployments/chain-<id>/)")
    .option("--force", "overwrite an existing file")
    .action(async (flags: { beneficiary?: string; out: string; force?: boolean; deployment?: string }) => {
      await runInitCommand(program, flags, out);
    });

  program
    .command("doctor")
    .description("check everything a working keeper needs; one line per check with the fix; exit 1 when claims are blocked")
    .option("--json", "print the checks as JSON")
    .action(async (flags: { json?: boolean }) => {
      process.exitCode = await runDoctorCommand(program, flags, out);
    });
}

/** The beneficiary's and the assessor's commands: set-agent, assess, settle, withdraw. */
function registerClaimCommands(program: Command, run: OperatorRun): void {
  withSendFlags(
    program.command("set-agent").description("the beneficiary approves the keeper as its agent (run with the beneficiary's key)").argument("[agent]", "agent address (default: the keeper's KEEPER_PRIVATE_KEY address)").option("--revoke", "remove the approval instead"),
    "BENEFICIARY_PRIVATE_KEY",
    true,
  ).action(async (agent: string | undefined, flags: SendFlags & { revoke?: boolean }) => {
    await run(flags, async (ctx, options) => setAgentCall(ctx, agent, flags.revoke === true, await senderAddress(ctx, options)));
  });

  withSendFlags(
    program
      .command("assess")
      .description("decide a self-insured claim (CLAIMS_ASSESSOR_ROLE)")
      .argument("<claimId>", "the fund's claim id")
      .option("--accept", "accept the claim")
      .option("--deny", "deny the claim")
      .option("--payout <amount>", "payout in whole tokens (default: the amount claimed)"),
    "ASSESSOR_PRIVATE_KEY",
    true,
  ).action(async (claimId: string, flags: SendFlags & { accept?: boolean; deny?: boolean; payout?: string }) => {
    await run(flags, (ctx) => {
      if ((flags.accept === true) === (flags.deny === true)) throw new ConfigError(["assess: give exactly one of --accept or --deny"]);
      return assessCall(ctx, claimId, { accept: flags.accept === true, ...(flags.payout !== undefined ? { payout: flags.payout } : {}) });
    });
  });

  withSendFlags(
    program.command("settle").description("settle a claim: pay an accepted self-insured claim or redeem a hedged one (anyone may call)").argument("<claimId>", "the fund's claim id"),
    "KEEPER_PRIVATE_KEY",
    false,
  ).action(async (claimId: string, flags: SendFlags) => {
    await run(flags, (ctx) => settleCall(ctx, claimId));
  });

  withSendFlags(
    program
      .command("withdraw")
      .description("the beneficiary withdraws a credited payout (--asset) or returned claim deposits (--deposit)")
      .option("--asset <token>", "payout token: symbol (USDC, USDT, DAI) or address")
      .option("--deposit", "withdraw credited ETH claim deposits instead")
      .option("--to <address>", "receiver (default: the beneficiary itself)"),
    "BENEFICIARY_PRIVATE_KEY",
    true,
  ).action(async (flags: SendFlags & { asset?: string; deposit?: boolean; to?: string }) => {
    await run(flags, async (ctx, options) =>
      withdrawCall(ctx, await senderAddress(ctx, options), {
        ...(flags.asset !== undefined ? { asset: flags.asset } : {}),
        ...(flags.deposit === true ? { deposit: true } : {}),
        ...(flags.to !== undefined ? { to: flags.to } : {}),
      }),
    );
  });
}

/** The guardian's and the admin's commands: pause, unpause, clear-incident. */
function registerAdminCommands(program: Command, run: OperatorRun): void {
  withSendFlags(program.command("pause").description("pause new business (GUARDIAN_ROLE or admin)"), "ADMIN_PRIVATE_KEY", true).action(async (flags: SendFlags) => {
    await run(flags, (ctx) => pauseCall(ctx, true));
  });
  withSendFlags(program.command("unpause").description("resume new business (admin)"), "ADMIN_PRIVATE_KEY", true).action(async (flags: SendFlags) => {
    await run(flags, (ctx) => pauseCall(ctx, false));
  });
  withSendFlags(
    program.command("clear-incident").description("lift a protocol's incident halt (admin)").argument("<protocol>", "protocol id from the config, or its address"),
    "ADMIN_PRIVATE_KEY",
    true,
  ).action(async (protocol: string, flags: SendFlags) => {
    await run(flags, (ctx) => clearIncidentCall(ctx, protocol));
  });
}
