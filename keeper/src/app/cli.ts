#!/usr/bin/env node
/**
 * keeper CLI.
 *   keeper score <protocol...> | --all [--json] [--now <unix>]
 *   keeper push-risk [--dry-run]
 * Global: --config <file> (or env KEEPER_CONFIG), --log-level, --log-pretty.
 * Exit codes: 0 ok, 1 runtime error, 2 config error.
 */
import { Command, CommanderError } from "commander";
import "dotenv/config";
import { ConfigError, loadConfig, redactConfig, requireChainFields, type KeeperConfig } from "../config";
import type { ProtocolConfig } from "../config/schema";
import { METRIC_FIELDS } from "../sources";
import type { Sourced } from "../sources/types";
import type { JsonRpcProvider } from "ethers";
import { buildContainer, buildRiskSource, connectProvider } from "./container";
import { createLogger, type LogLevel, type Logger } from "./logger";
import { assessProtocols, chainNow, type AssessedProtocol } from "./riskCycle";

export const EXIT_OK = 0;
export const EXIT_RUNTIME_ERROR = 1;
export const EXIT_CONFIG_ERROR = 2;

interface GlobalOptions {
  config?: string;
  logLevel?: LogLevel;
  logPretty?: boolean;
}

function setup(program: Command): { config: KeeperConfig; logger: Logger } {
  const options = program.opts<GlobalOptions>();
  const config = loadConfig(options.config !== undefined ? { configPath: options.config } : {});
  const logger = createLogger({ level: options.logLevel ?? config.log.level, pretty: options.logPretty === true });
  logger.debug({ config: redactConfig(config) }, "config loaded");
  return { config, logger };
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

export function buildProgram(out: (text: string) => void = (text) => process.stdout.write(`${text}\n`)): Command {
  const program = new Command("keeper")
    .description("Stablecoin Insurance Fund keeper")
    .option("--config <file>", "JSON config file (default: env KEEPER_CONFIG, else the embedded local default)")
    .option("--log-level <level>", "trace|debug|info|warn|error|silent")
    .option("--log-pretty", "human-readable logs (pino-pretty)")
    .exitOverride()
    .showHelpAfterError();

  program
    .command("score")
    .description("score protocols from the configured data sources (nothing is sent)")
    .argument("[protocols...]", "protocol ids or addresses from the config")
    .option("--all", "every configured protocol")
    .option("--json", "print JSON instead of a table")
    .option("--now <unix>", "score at this unix time instead of the chain's latest block")
    .action(async (wanted: string[], options: { all?: boolean; json?: boolean; now?: string }) => {
      const { config, logger } = setup(program);
      const protocols = selectProtocols(config, wanted, options.all === true);
      let now: number | undefined;
      if (options.now !== undefined) {
        if (!/^\d+$/.test(options.now)) throw new ConfigError(["--now: not a unix time — use whole seconds"]);
        now = Number(options.now);
      }
      let provider: JsonRpcProvider | undefined;
      try {
        provider = await connectProvider(config.chain.rpcUrls, config.chain.chainId, { logger, timeoutMs: config.chain.rpcTimeoutMs });
        now ??= await chainNow(provider);
      } catch (err) {
        // Scoring needs no chain: without one, score at wall-clock time and say so.
        logger.warn({ err: (err as Error).message }, "chain unreachable: scoring at wall-clock time, chain sources off");
        provider?.destroy();
        provider = undefined;
        now ??= Math.floor(Date.now() / 1000);
      }
      try {
        const source = buildRiskSource(config, { logger, ...(provider !== undefined ? { provider } : {}) });
        const assessed = await assessProtocols(source, protocols, now, logger);
        out(options.json === true ? JSON.stringify(assessed.map(scoreReport), null, 2) : scoreTable(assessed));
      } finally {
        provider?.destroy();
      }
    });

  program
    .command("push-risk")
    .description("run one risk cycle: score, read the chain once, push changed scores, alert")
    .option("--dry-run", "print the decisions and send nothing")
    .action(async (options: { dryRun?: boolean }) => {
      const { config, logger } = setup(program);
      // Missing addresses or key are config errors (exit 2), found before touching the RPC.
      requireChainFields(config, { fund: true, lens: true, signer: options.dryRun !== true });
      const container = await buildContainer(config, logger);
      try {
        await container.verify();
        if (options.dryRun !== true) await container.txSender().reconcile();
        const summary = await container.riskCycle({ dryRun: options.dryRun === true }).run({ dryRun: options.dryRun === true });
        out(JSON.stringify(summary, null, 2));
        if (summary.failures.length > 0) process.exitCode = EXIT_RUNTIME_ERROR;
      } finally {
        container.close();
      }
    });

  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help / --version exit 0; a usage error is a config error.
      return err.exitCode === 0 ? EXIT_OK : EXIT_CONFIG_ERROR;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return EXIT_CONFIG_ERROR;
    }
    process.stderr.write(`keeper: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_RUNTIME_ERROR;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
