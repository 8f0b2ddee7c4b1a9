/**
 * What every chain-facing command does first: load the config, pick the logger (human lines on a
 * terminal, JSON otherwise or with --log-json), learn the chain id (config / CHAIN_ID, else the
 * RPC), take the fund and lens from ONE deployment when they are not both set, say which file
 * was used, and refuse the fixture portfolio outside the local chain unless asked.
 */
import type { Command } from "commander";
import {
  ConfigError,
  fixturePortfolioAllowedByEnv,
  fixturePortfolioProblem,
  loadConfig,
  missingConfigProblem,
  redactConfig,
  resolveChainAddresses,
  type KeeperConfig,
} from "../../config";
import { createLogger, type LogLevel, type Logger } from "../../lib/logger";
import { connectProvider } from "../container";

export interface GlobalOptions {
  config?: string;
  logLevel?: LogLevel;
  logPretty?: boolean;
  logJson?: boolean;
  fixturePortfolio?: boolean;
}

/** Human-readable logs on a terminal, JSON when stderr is not a TTY or with --log-json. */
export function wantsPrettyLogs(options: { logPretty?: boolean; logJson?: boolean }, stderrIsTty: boolean): boolean {
  if (options.logJson === true) return false;
  if (options.logPretty === true) return true;
  return stderrIsTty;
}

/**
 * Loads the config for `command`. Without a config file (--config, KEEPER_CONFIG, ./keeper.config.json)
 * only `allowEmbeddedDefault` commands go on (init writes the config; score scores offline); every
 * other command refuses, naming where it looked.
 */
export function setupCommand(
  program: Command,
  command = "command",
  { allowEmbeddedDefault = false }: { allowEmbeddedDefault?: boolean } = {},
): { config: KeeperConfig; logger: Logger; options: GlobalOptions } {
  const options = program.opts<GlobalOptions>();
  const config = loadConfig(options.config !== undefined ? { configPath: options.config } : {});
  if (!allowEmbeddedDefault) {
    const problem = missingConfigProblem(config, command);
    if (problem !== null) throw new ConfigError([problem]);
  }
  const logger = createLogger({
    level: options.logLevel ?? config.log.level,
    pretty: wantsPrettyLogs(options, process.stderr.isTTY === true),
  });
  logger.debug({ config: redactConfig(config) }, "config loaded");
  return { config, logger, options };
}

/** The chain id: chain.chainId / CHAIN_ID when set, else asked of the RPC (eth_chainId). */
export async function chainIdOf(config: KeeperConfig, logger: Logger): Promise<number> {
  if (config.chain.chainId !== undefined) return config.chain.chainId;
  const provider = await connectProvider(config.chain.rpcUrls, undefined, { logger, timeoutMs: config.chain.rpcTimeoutMs, maxRounds: config.chain.rpcMaxRounds });
  try {
    return Number((await provider.getNetwork()).chainId);
  } finally {
    provider.destroy();
  }
}

export interface ChainSetup {
  readonly config: KeeperConfig;
  readonly logger: Logger;
  readonly chainId: number;
  /** Which file (or env) the fund and lens came from. */
  readonly addressesFrom: string;
  readonly options: GlobalOptions;
  /** Which config and deployment this command uses (first line on a terminal, `context` in JSON). */
  readonly context: CommandContext;
}

let stdoutTty: () => boolean = () => process.stdout.isTTY === true;

/** Whether stdout is a terminal (where commands print their context line first). */
export function stdoutIsTty(): boolean {
  return stdoutTty();
}

/** Fixes the answer of `stdoutIsTty` (tests; `main(argv, { stdoutIsTty })`); undefined = ask process.stdout. */
export function setStdoutIsTty(value: boolean | undefined): void {
  stdoutTty = value === undefined ? () => process.stdout.isTTY === true : () => value;
}

/** What every command says it runs on. */
export interface CommandContext {
  /** The config file, or "embedded default". */
  readonly config: string;
  /** The deployed_addresses.json, "FUND_ADDRESS / LENS_ADDRESS", or null before the chain is known. */
  readonly deployment: string | null;
  readonly chainId: number | null;
  readonly fundAddress: string | null;
}

export function contextOf(config: KeeperConfig, chain?: { chainId: number; deployment: string | null }): CommandContext {
  return {
    config: config.origin,
    deployment: chain?.deployment ?? null,
    chainId: chain?.chainId ?? null,
    fundAddress: config.chain.fundAddress ?? null,
  };
}

/** The first line a command prints on a terminal: which config and deployment it uses. */
export function contextLine(context: CommandContext): string {
  const chain = context.chainId === null ? "" : ` · chain ${context.chainId}`;
  const deployment = context.deployment === null ? "" : ` · deployment: ${context.deployment}${context.fundAddress !== null ? ` (fund ${context.fundAddress})` : ""}`;
  return `config: ${context.config}${chain}${deployment}`;
}

/** setupCommand + chain id + addresses from one deployment + the fixture-portfolio guard. */
export async function setupChainCommand(program: Command, command = "command", env: NodeJS.ProcessEnv = process.env): Promise<ChainSetup> {
  const { config, logger, options } = setupCommand(program, command);
  const chainId = await chainIdOf(config, logger);
  const problem = fixturePortfolioProblem(config, chainId, options.fixturePortfolio === true || fixturePortfolioAllowedByEnv(env));
  if (problem !== null) throw new ConfigError([problem]);
  const resolved = resolveChainAddresses({ ...config, chain: { ...config.chain, chainId } }, chainId);
  logger.info({ chainId, config: config.origin }, `addresses: ${resolved.describe}`);
  const deployment = resolved.origin.kind === "deployment" ? resolved.origin.file : "FUND_ADDRESS / LENS_ADDRESS";
  return {
    config: resolved.config,
    logger,
    chainId,
    addressesFrom: resolved.describe,
    options,
    context: contextOf(resolved.config, { chainId, deployment }),
  };
}
