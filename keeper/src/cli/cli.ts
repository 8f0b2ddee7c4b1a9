#!/usr/bin/env node
/**
 * keeper CLI.
 *   keeper score <protocol...> | --all [--json] [--now <unix>]
 *   keeper push-risk [--dry-run]
 *   keeper run [--dry-run]            the daemon (risk / coverage / incident-watch loops)
 *   keeper once [--dry-run]           one full cycle of each loop
 *   keeper report [--json]            coverage report (table; JSON file in paths.reportDir)
 *   keeper status [--json]            the daemon's view from the state database
 *   keeper incident add --protocol <id> [--tx <hash>] [--loss <usd>] [--note <text>] [--at <unix>] [--dry-run]
 *   keeper incident list | confirm <id> | dismiss <id>
 *   keeper state prune [--dry-run] [--vacuum] [--json]   the retention rules once
 * Global: --config <file> (or env KEEPER_CONFIG), --log-level, --log-pretty.
 * Exit codes: 0 ok, 1 runtime error, 2 config error.
 */
import { Command, CommanderError } from "commander";
import "dotenv/config";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ConfigError, missingConfigProblem, requireChainFields, requireDurableState, type KeeperConfig } from "../config";
import { formatReportTable, reportToJson } from "../policy/report";
import { openStateDb, stateLocation, type StateDb } from "../state";
import { currentCoverageReport, daemonFor, type KeeperDaemon } from "./daemon";
import { LOOP_NAMES } from "../server/health";
import type { ProtocolConfig } from "../config/schema";
import { METRIC_FIELDS } from "../domain/types";
import type { Sourced } from "../domain/types";
import type { JsonRpcProvider } from "ethers";
import { buildContainer, buildRiskSource, connectProvider, type KeeperContainer } from "./container";
import type { Logger } from "../lib/logger";
import { toJson } from "../lib/json";
import { contextLine, contextOf, setStdoutIsTty, setupChainCommand, setupCommand, stdoutIsTty } from "./commands/context";
import { registerOperatorCommands } from "./commands/register";
import { registerClaimFileCommand } from "./commands/claimFile";
import { registerStateCommands } from "./commands/state";
import { assessProtocols, chainNow, type AssessedProtocol } from "../cycles/riskCycle";
import { recordManualIncident, registerIncidentDecisions } from "./commands/incident";
import { readChainStatus, statusText, statusView, type ChainStatus } from "./commands/status";
import { StablecoinInsuranceFund__factory } from "../../../typechain-types/factories/contracts/StablecoinInsuranceFund__factory";
import { withSigningLock } from "./commands/signingLock";
import { STOP_SIGNALS } from "./entry";

export const EXIT_OK = 0;
export const EXIT_RUNTIME_ERROR = 1;
export const EXIT_CONFIG_ERROR = 2;

function setup(program: Command, command: string, options: { allowEmbeddedDefault?: boolean } = {}): { config: KeeperConfig; logger: Logger } {
  const { config, logger } = setupCommand(program, command, options);
  return { config, logger };
}

/** The risk source's config without chain sources (no RPC reachable): nothing that needs a provider. */
export function withoutChainSources(config: KeeperConfig): KeeperConfig {
  if (config.sources.chainDeployment === undefined) return config;
  const { chainDeployment: _off, ...sources } = config.sources;
  return { ...config, sources };
}

function selectProtocols(config: KeeperConfig, wanted: readonly string[], all: boolean): ProtocolConfig[] {
  if (all) return [...config.protocols];
  if (wanted.length === 0) throw new ConfigError(["keeper score: no protocol given — name protocol ids or pass --all"]);
  const byKey = new Map<string, ProtocolConfig>();
  for (const p of config.protocols) {
    byKey.set(p.id.toLowerCase(), p);
    byKey.set(p.address.toLowerCase(), p);
  }
  return wanted.map((key) => {
    const found = byKey.get(key.toLowerCase());
    if (found === undefined) {
      throw new ConfigError([`keeper score: unknown protocol "${key}" — use one of ${config.protocols.map((p) => p.id).join(", ")}`]);
    }
    return found;
  });
}

/** JSON-friendly view of one assessment with per-field provenance. */
export function scoreReport(assessed: AssessedProtocol): Record<string, unknown> {
  const { protocol, metrics, assessment } = assessed;
  const fields: Record<string, unknown> = {};
  for (const field of METRIC_FIELDS) {
    const metric = metrics?.[field] as Sourced<unknown> | undefined;
    const value = metric?.value;
    fields[field] = {
      value: field === "tvlHistory" && Array.isArray(value) ? `${value.length} points` : value,
      source: metric?.provenance?.source,
      ref: metric?.provenance?.ref,
      error: metric?.error,
    };
  }
  return {
    protocol: protocol.id,
    name: protocol.name,
    address: protocol.address,
    assessedAt: assessment.assessedAt,
    components: assessment.components,
    composite: assessment.composite,
    category: assessment.category,
    confidence: assessment.confidence,
    missing: assessment.missing,
    provenance: fields,
  };
}

function formatValue(value: unknown): string {
  if (value === undefined) return "-";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toFixed(4);
  return String(value);
}

/** The human table of `keeper score`. */
export function scoreTable(assessed: readonly AssessedProtocol[]): string {
  const lines: string[] = [];
  const header = ["protocol", "tvl", "audit", "time", "exploit", "team", "composite", "category", "confidence"];
  const rows = assessed.map(({ protocol, assessment: a }) => [
    protocol.id,
    ...[a.components.tvl, a.components.audit, a.components.time, a.components.exploit, a.components.team].map(String),
    String(a.composite),
    a.category,
    `${a.confidence}%`,
  ]);
  lines.push(...table([header, ...rows]));
  for (const item of assessed) {
    lines.push("", `${item.protocol.id} (${item.protocol.name}, ${item.protocol.address}) — provenance`);
    const provenanceRows = METRIC_FIELDS.map((field) => {
      const metric = item.metrics?.[field] as Sourced<unknown> | undefined;
      const value = metric?.value;
      const shown = field === "tvlHistory" && Array.isArray(value) ? `${value.length} points` : formatValue(value);
      const origin = metric?.provenance !== undefined ? `${metric.provenance.source}: ${metric.provenance.ref}` : "-";
      return [`  ${field}`, shown, origin, metric?.error ?? (item.metrics === undefined ? "source failed" : "")];
    });
    lines.push(...table([["  field", "value", "source", "problem"], ...provenanceRows]));
  }
  return lines.join("\n");
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ").trimEnd());
}

type Out = (text: string) => void;

const tty = (): boolean => stdoutIsTty();

export interface ProgramOptions {
  /** Overrides process.stdout.isTTY (the first line names the config and deployment on a terminal). */
  readonly stdoutIsTty?: boolean;
}

export function buildProgram(out: Out = (text) => process.stdout.write(`${text}\n`), programOptions: ProgramOptions = {}): Command {
  setStdoutIsTty(programOptions.stdoutIsTty);
  const program = new Command("keeper")
    .description("Stablecoin Insurance Fund keeper")
    .option("--config <file>", "JSON config file (default: env KEEPER_CONFIG, else ./keeper.config.json or ./keeper.config.jsonc; without one, only init and an offline score run)")
    .option("--log-level <level>", "trace|debug|info|warn|error|silent")
    .option("--log-pretty", "human-readable logs (the default on a terminal)")
    .option("--log-json", "JSON logs (the default when stderr is not a terminal)")
    .option("--fixture-portfolio", "allow the illustrative fixture portfolio on a chain other than the local one")
    .exitOverride()
    .showHelpAfterError();
  registerRiskCommands(program, out);
  registerDaemonCommands(program, out);
  registerReportCommands(program, out);
  registerIncidentCommands(program, out);
  registerClaimFileCommand(program, { setupChain: () => setupChainCommand(program, "claim file"), out });
  registerOperatorCommands(program, out);
  registerStateCommands(program, out);
  return program;
}

/** `keeper score` and `keeper push-risk`. */
function registerRiskCommands(program: Command, out: Out): void {
  program
    .command("score")
    .description("score protocols from the configured data sources (nothing is sent)")
    .argument("[protocols...]", "protocol ids or addresses from the config")
    .option("--all", "every configured protocol")
    .option("--json", "print JSON instead of a table")
    .option("--now <unix>", "score at this unix time instead of the chain's latest block")
    .action(async (wanted: string[], options: { all?: boolean; json?: boolean; now?: string }) => {
      // Without a config file, scoring is allowed offline only (the fixture portfolio needs no chain).
      const { config, logger } = setup(program, "score", { allowEmbeddedDefault: true });
      const protocols = selectProtocols(config, wanted, options.all === true);
      let now: number | undefined;
      if (options.now !== undefined) {
        if (!/^\d+$/.test(options.now)) throw new ConfigError(["--now: not a unix time — use whole seconds"]);
        now = Number(options.now);
      }
      let provider: JsonRpcProvider | undefined;
      let offline: string | undefined;
      try {
        provider = await connectProvider(config.chain.rpcUrls, config.chain.chainId, { logger, timeoutMs: config.chain.rpcTimeoutMs });
        now ??= await chainNow(provider);
      } catch (err) {
        // Scoring needs no chain: without one, score at wall-clock time with the chain sources off, and say so once.
        offline = (err as Error).message;
        provider?.destroy();
        provider = undefined;
        now ??= Math.floor(Date.now() / 1000);
      }
      try {
        if (provider !== undefined) {
          const problem = missingConfigProblem(config, "score");
          if (problem !== null) throw new ConfigError([problem]);
        }
        const chainId = provider !== undefined ? Number((await provider.getNetwork()).chainId) : null;
        const context = contextOf(config, chainId === null ? undefined : { chainId, deployment: null });
        const offlineNote =
          offline === undefined
            ? undefined
            : `chain unreachable (${offline}): scored at wall-clock time ${new Date(now * 1000).toISOString()} with chain sources off${config.sources.chainDeployment !== undefined ? " (sources.chainDeployment skipped)" : ""}`;
        if (offlineNote !== undefined) logger.warn({ err: offline }, offlineNote);
        const source = buildRiskSource(provider !== undefined ? config : withoutChainSources(config), { logger, ...(provider !== undefined ? { provider } : {}) });
        const assessed = await assessProtocols(source, protocols, now, logger);
        if (options.json === true) {
          out(JSON.stringify({ context, ...(offlineNote !== undefined ? { offline: offlineNote } : {}), scores: assessed.map(scoreReport) }, null, 2));
        } else {
          if (tty()) out(contextLine(context));
          out(scoreTable(assessed));
        }
      } finally {
        provider?.destroy();
      }
    });

  program
    .command("push-risk")
    .description("run one risk cycle: score, read the chain once, push changed scores, alert")
    .option("--dry-run", "print the decisions and send nothing")
    .action(async (options: { dryRun?: boolean }) => {
      const { config, logger, context } = await setupChainCommand(program, "push-risk");
      // Missing addresses or key are config errors (exit 2), found before touching the RPC.
      requireChainFields(config, { fund: true, lens: true, signer: options.dryRun !== true });
      const container = await buildContainer(config, logger);
      try {
        await container.verify();
        const push = async () => {
          if (options.dryRun !== true) await container.txSender().reconcile();
          const summary = await container.riskCycle({ dryRun: options.dryRun === true }).run({ dryRun: options.dryRun === true });
          if (tty()) out(contextLine(context));
          out(toJson({ context, ...summary }));
          if (summary.failures.length > 0) process.exitCode = EXIT_RUNTIME_ERROR;
        };
        await (options.dryRun === true ? push() : withSigningLock(container.state(), config, logger, "push-risk", push));
      } finally {
        container.close();
      }
    });
}

/** `keeper run` (the daemon) and `keeper once` (one cycle of each loop). */
function registerDaemonCommands(program: Command, out: Out): void {
  program
    .command("run")
    .description("run the daemon: risk, coverage and incident-watch loops until SIGINT/SIGTERM")
    .option("--dry-run", "plan everything, sign nothing")
    .action(async (options: { dryRun?: boolean }) => {
      const { config, logger, context } = await setupChainCommand(program, "run");
      const dryRun = options.dryRun === true;
      requireDurableState(config, "run");
      out(contextLine(context));
      requireChainFields(config, { fund: true, lens: true, signer: !dryRun });
      const container = await buildContainer(config, logger);
      let daemon: KeeperDaemon;
      try {
        await container.verify();
        daemon = daemonFor(container, { dryRun, out });
        await daemon.start();
      } catch (err) {
        container.close();
        throw err;
      }
      await untilStopped(daemon, container);
    });

  program
    .command("once")
    .description("one full cycle of each loop (risk, coverage, incident watch), then exit")
    .option("--dry-run", "plan everything, sign nothing")
    .action(async (options: { dryRun?: boolean }) => {
      const { config, logger, context } = await setupChainCommand(program, "once");
      const dryRun = options.dryRun === true;
      requireChainFields(config, { fund: true, lens: true, signer: !dryRun });
      if (tty()) out(contextLine(context));
      if (config.state.dbPath === ":memory:") logger.warn({}, "state.dbPath is :memory: — nothing of this run is kept");
      const container = await buildContainer(config, logger);
      try {
        await container.verify();
        const daemon = daemonFor(container, { dryRun, out });
        const cycles = async () => {
          if (!dryRun) await container.txSender().reconcile();
          let failed = false;
          for (const loop of LOOP_NAMES) failed = (await daemon.runLoop(loop)) === undefined || failed;
          if (failed) process.exitCode = EXIT_RUNTIME_ERROR;
        };
        await (dryRun ? cycles() : withSigningLock(container.state(), config, logger, "once", cycles));
      } finally {
        container.close();
      }
    });
}

/** Resolves when the daemon has stopped: on SIGINT/SIGTERM/SIGHUP, or because another process took the daemon lock. */
function untilStopped(running: KeeperDaemon, container: KeeperContainer): Promise<void> {
  return new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
      void running.stop(signal);
    };
    for (const s of STOP_SIGNALS) process.on(s, onSignal);
    void running.done.then(() => {
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
      container.close();
      if (running.lockLost) process.exitCode = EXIT_RUNTIME_ERROR;
      resolve();
    });
  });
}

/** `keeper report` (the coverage report) and `keeper status` (the daemon's view). */
function registerReportCommands(program: Command, out: Out): void {
  program
    .command("report")
    .description("print the coverage report; write it as JSON to paths.reportDir and the reports table")
    .option("--json", "print JSON instead of the table")
    .action(async (options: { json?: boolean }) => {
      const { config, logger, context } = await setupChainCommand(program, "report");
      requireChainFields(config, { fund: true, lens: true });
      const container = await buildContainer(config, logger);
      try {
        const report = await currentCoverageReport(container);
        const json = { ...(reportToJson(report) as Record<string, unknown>), context };
        mkdirSync(config.paths.reportDir, { recursive: true });
        const file = path.join(config.paths.reportDir, `coverage-report-${report.timestamp}.json`);
        writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
        container.state().reports.record(report.timestamp, json);
        if (options.json !== true && tty()) out(contextLine(context));
        out(options.json === true ? JSON.stringify(json, null, 2) : `${formatReportTable(report)}\nJSON: ${file}`);
      } finally {
        container.close();
      }
    });

  program
    .command("status")
    .description("the daemon's view (lock, loops, journal, claims, incidents, cover it cannot buy) with the fund's view of claims and halts, and what to do next")
    .option("--json", "print JSON")
    .option("--offline", "do not read the chain (the state database only)")
    .action(async (options: { json?: boolean; offline?: boolean }) => {
      const { config, logger } = setup(program, "status");
      let context = contextOf(config);
      let chain: ChainStatus | { error: string } | null = null;
      let statusConfig = config;
      if (options.offline !== true) {
        try {
          const chainSetup = await setupChainCommand(program, "status");
          statusConfig = chainSetup.config;
          context = chainSetup.context;
        } catch (err) {
          chain = { error: `no deployment to read: ${(err as Error).message.split("\n")[0] ?? ""}` };
        }
      }
      const state = openStateDb(stateLocation(config.state), { takeoverSeconds: config.ha.takeoverSeconds });
      try {
        if (chain === null && options.offline !== true && statusConfig.chain.fundAddress !== undefined) chain = await chainStatusOf(statusConfig, logger, state);
        const kv = state.kv.all();
        const view = { context, ...statusView(state, kv, new Map(config.protocols.map((p) => [p.id, p.name])), chain) };
        if (options.json !== true && tty()) out(contextLine(context));
        out(options.json === true ? JSON.stringify(view, null, 2) : statusText(view, kv));
      } finally {
        state.close();
      }
    });
}

/** The fund's view of the claims and halts; `{ error }` when the chain does not answer. */
async function chainStatusOf(config: KeeperConfig, logger: Logger, state: StateDb): Promise<ChainStatus | { error: string }> {
  let provider: JsonRpcProvider | undefined;
  try {
    provider = await connectProvider(config.chain.rpcUrls, config.chain.chainId, { logger, timeoutMs: config.chain.rpcTimeoutMs, maxRounds: 1 });
    const fund = StablecoinInsuranceFund__factory.connect(config.chain.fundAddress as string, provider);
    const now = (await provider.getBlock("latest"))?.timestamp ?? 0;
    return await readChainStatus(fund, state, config, now);
  } catch (err) {
    return { error: (err as Error).message.split("\n")[0] ?? "unreachable" };
  } finally {
    provider?.destroy();
  }
}

interface IncidentAddFlags {
  protocol: string;
  tx?: string;
  loss?: string;
  note?: string;
  at?: string;
  dryRun?: boolean;
}

/** `keeper incident add | list | confirm | dismiss`. */
function registerIncidentCommands(program: Command, out: Out): void {
  const incident = program.command("incident").description("manual incidents");
  incident
    .command("add")
    .description("record a manual incident; the next incident-watch tick plans its claims")
    .requiredOption("--protocol <id>", "protocol id from the config")
    .option("--tx <hash>", "exploit transaction hash")
    .option("--loss <usd>", "estimated loss in USD")
    .option("--note <text>", "description")
    .option("--at <unix>", "when it happened (default: the chain's latest block time)")
    .option("--dry-run", "print the incident, record nothing")
    .action(async (options: IncidentAddFlags) => {
      const { config, logger } = setup(program, "incident add");
      checkIncidentFlags(config, options);
      const occurredAt = options.at !== undefined ? Number(options.at) : await incidentTime(config, logger);
      const details = {
        dedupeKey: `manual:${options.protocol}:${options.tx ?? occurredAt}`,
        kind: "manual",
        protocolId: options.protocol,
        occurredAt,
        detectedAt: occurredAt,
        description: options.note ?? "manual incident",
        sourceRef: "manual",
        ...(options.tx !== undefined ? { exploitTxHash: options.tx } : {}),
        ...(options.loss !== undefined ? { lossUsd: Number(options.loss) } : {}),
      };
      if (options.dryRun === true) {
        out(JSON.stringify({ dryRun: true, incident: details }, null, 2));
        return;
      }
      const state = openStateDb(stateLocation(config.state), { takeoverSeconds: config.ha.takeoverSeconds });
      try {
        out(recordManualIncident(state, config, details, occurredAt));
      } finally {
        state.close();
      }
    });
  registerIncidentDecisions(incident, { setup: () => setup(program, "incident"), setupChain: () => setupChainCommand(program, "incident"), out });
}

/** Every bad flag of `keeper incident add` in one ConfigError. */
function checkIncidentFlags(config: KeeperConfig, options: IncidentAddFlags): void {
  const issues: string[] = [];
  if (!config.protocols.some((p) => p.id === options.protocol)) issues.push(`--protocol: unknown "${options.protocol}" — use one of ${config.protocols.map((p) => p.id).join(", ")}`);
  if (options.tx !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(options.tx)) issues.push("--tx: not a transaction hash — use 0x + 64 hex digits");
  if (options.loss !== undefined && !(Number(options.loss) >= 0)) issues.push("--loss: not a USD amount — use a non-negative number");
  if (options.at !== undefined && !/^\d+$/.test(options.at)) issues.push("--at: not a unix time — use whole seconds");
  if (issues.length > 0) throw new ConfigError(issues);
}

/**
 * Incident times are chain time, like every other keeper clock; the wall clock is only a
 * fallback when the chain cannot be reached (logged).
 */
async function incidentTime(config: KeeperConfig, logger: Logger): Promise<number> {
  let provider: JsonRpcProvider | undefined;
  try {
    provider = await connectProvider(config.chain.rpcUrls, config.chain.chainId, { logger, timeoutMs: config.chain.rpcTimeoutMs });
    return await chainNow(provider);
  } catch (err) {
    logger.warn({ err: (err as Error).message }, "chain unreachable: incident time taken from the wall clock");
    return Math.floor(Date.now() / 1000);
  } finally {
    provider?.destroy();
  }
}

export interface MainOptions extends ProgramOptions {
  /** Where command output goes (default: stdout). */
  readonly out?: Out;
  /** Where the one-line error goes (default: stderr). */
  readonly err?: Out;
}

export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  const program = buildProgram(options.out, options);
  const errOut = options.err ?? ((text: string) => process.stderr.write(`${text}\n`));
  try {
    await program.parseAsync([...argv], { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help / --version exit 0; a usage error is a config error.
      return err.exitCode === 0 ? EXIT_OK : EXIT_CONFIG_ERROR;
    }
    if (err instanceof ConfigError) {
      errOut(err.message);
      return EXIT_CONFIG_ERROR;
    }
    errOut(`keeper: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT_RUNTIME_ERROR;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
