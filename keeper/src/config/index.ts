/**
 * Loads the keeper's config once at start: a JSON file (`--config` or env KEEPER_CONFIG) or the
 * embedded default (local chain + the fixture portfolio), then env overrides (RPC_URL, RPC_URLS,
 * KEEPER_PRIVATE_KEY, KEEPER_KEYSTORE_PATH/_PASSWORD/_PASSWORD_FILE, FUND_ADDRESS, LENS_ADDRESS,
 * ALERT_WEBHOOK_URL, CHAIN_ID, LOG_LEVEL, KEEPER_DB_PATH, KEEPER_STATE_URL, DEFILLAMA_PRO_API_KEY).
 * Any problem throws one `ConfigError` listing every bad field with its fix.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { Wallet, id as keccakOfText } from "ethers";
import { z } from "zod";
import { REPO_ROOT } from "../lib/paths";
import { redactStateUrl, redactUrl } from "../lib/redact";
import { chooseAddresses, defaultDeploymentsDir, DeploymentLookupError, readDeployment, type AddressOrigin, type Deployment } from "./deployments";
import { JsoncSyntaxError, parseJsonc } from "./jsonc";
import { nearestName } from "../lib/suggest";
import { validateRiskPushParams } from "../policy/riskPush";
import { remoteChainIssues, resolveRemoteChains, withFundChainLocal, type ResolvedRemoteChain } from "./remoteChains";
import type { ProtocolRef } from "../domain/types";
import {
  ALERT_SEVERITY_NAMES,
  addressSchema,
  configFileSchema,
  hacksSchema,
  LOG_LEVELS,
  PAGERDUTY_ROUTING_KEY,
  privateKeySchema,
  type ConfigFile,
  type ParsedConfigFile,
  type ProtocolConfig,
} from "./schema";

export * from "./schema";
export { remoteRpcEnvName, type ResolvedRemoteChain } from "./remoteChains";

/** A config problem: every line names the field and the fix. CLI exit code 2. */
export class ConfigError extends Error {
  constructor(readonly issues: readonly string[]) {
    super(`invalid keeper config:\n  ${issues.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

/** `sources.hacks` after env: the Pro key (secret) comes from DEFILLAMA_PRO_API_KEY only. */
export type HacksConfig = NonNullable<ParsedConfigFile["sources"]["hacks"]> & {
  /** Secret: lives in the feed URL path; never logged (see `redactConfig`). */
  readonly proApiKey?: string;
};


/** An alert sink with its secret resolved (from the file or its environment variable). */
export type ResolvedAlertSink =
  | { readonly type: "slack"; readonly name: string; readonly minSeverity: AlertSeverityName; readonly url: string; readonly timeoutMs?: number }
  | { readonly type: "discord"; readonly name: string; readonly minSeverity: AlertSeverityName; readonly url: string; readonly timeoutMs?: number; readonly username?: string }
  | { readonly type: "pagerduty"; readonly name: string; readonly minSeverity: AlertSeverityName; readonly url: string; readonly routingKey: string; readonly source?: string; readonly timeoutMs?: number }
  | { readonly type: "webhook"; readonly name: string; readonly minSeverity: AlertSeverityName; readonly url: string; readonly bearerToken?: string; readonly timeoutMs?: number };

export type AlertSeverityName = (typeof ALERT_SEVERITY_NAMES)[number];

/** Shortest bearer token accepted for a health server bound beyond loopback. */
export const MIN_HEALTH_TOKEN_LENGTH = 24;

/** 127.0.0.0/8, ::1 and "localhost". */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export interface KeeperConfig extends Omit<ParsedConfigFile, "chain" | "chains" | "alerts" | "health" | "sources"> {
  /** Other chains positions and watched balances live on (read only), by decimal chain id. */
  readonly chains: Readonly<Record<string, ResolvedRemoteChain>>;
  readonly sources: Omit<ParsedConfigFile["sources"], "hacks"> & { readonly hacks?: HacksConfig };
  /** Where the config came from: a file path or "embedded default". */
  readonly origin: string;
  /** For the embedded default from `loadConfig`: every place a config file was looked for. */
  readonly searched?: readonly string[];
  /** Directory that relative paths of the config are resolved against. */
  readonly baseDir: string;
  readonly chain: ParsedConfigFile["chain"] & {
    /** Failover order; always at least one URL (`rpcUrl` is its first). */
    readonly rpcUrls: readonly string[];
    /** Secret: never logged (see `redactConfig`). */
    readonly privateKey?: string;
    /** Absolute path of `chain.deployment` when set. */
    readonly deployment?: string;
    /** Encrypted JSON keystore (env KEEPER_KEYSTORE_*); the password is a secret. */
    readonly keystore?: { readonly path: string; readonly password?: string; readonly passwordFile?: string };
  };
  readonly alerts: ParsedConfigFile["alerts"] & {
    /** Every sink with its secret resolved; the legacy `webhookUrl` is the first (Slack, every severity). */
    readonly routes: readonly ResolvedAlertSink[];
  };
  readonly health: ParsedConfigFile["health"] & {
    /** Required when `host` is not loopback (env HEALTH_BEARER_TOKEN). Secret. */
    readonly bearerToken?: string;
  };
}

export interface LoadConfigOptions {
  /** `--config` value; wins over env KEEPER_CONFIG. */
  readonly configPath?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
}

/** Repository directory of the fixture portfolio used by the embedded default. */
export const DEFAULT_FIXTURE_DIR = path.join(REPO_ROOT, "keeper", "fixtures", "portfolio");

const DEFAULT_PORTFOLIO: readonly { id: string; name: string; defiLlamaSlug: string; stablecoin: string }[] = [
  { id: "aave-v3", name: "Aave V3", defiLlamaSlug: "aave-v3", stablecoin: "USDC" },
  { id: "compound-v3", name: "Compound V3", defiLlamaSlug: "compound-v3", stablecoin: "USDC" },
  { id: "curve", name: "Curve", defiLlamaSlug: "curve-dex", stablecoin: "DAI" },
  // "gmx" is a DefiLlama parent (parent#gmx); the stablecoin pools are GMX V2 Perps.
  { id: "gmx", name: "GMX", defiLlamaSlug: "gmx-v2-perps", stablecoin: "USDC" },
  { id: "radiant", name: "Radiant", defiLlamaSlug: "radiant-v2", stablecoin: "USDT" },
  { id: "uniswap-v3", name: "Uniswap V3", defiLlamaSlug: "uniswap-v3", stablecoin: "USDC" },
  { id: "yearn", name: "Yearn", defiLlamaSlug: "yearn-finance", stablecoin: "DAI" },
];

/**
 * A deterministic demo protocol key (not the protocol's real contract): the last 20 bytes of
 * keccak256("sif-demo:" + id). The fund accepts any non-zero address as a protocol key.
 */
export function demoProtocolAddress(id: string): string {
  return addressSchema.parse(`0x${keccakOfText(`sif-demo:${id}`).slice(-40)}`);
}

/** The embedded default: local chain (127.0.0.1:8545) and the fixture portfolio on disk. */
export function embeddedDefaultConfig(): ConfigFile {
  return {
    chain: { rpcUrl: "http://127.0.0.1:8545" },
    protocols: DEFAULT_PORTFOLIO.map((p) => ({ ...p, address: demoProtocolAddress(p.id) })),
    sources: { fixture: { path: DEFAULT_FIXTURE_DIR } },
  };
}

/** Config files looked for in the working directory when neither --config nor KEEPER_CONFIG is set. */
export const DEFAULT_CONFIG_FILES = ["keeper.config.json", "keeper.config.jsonc"] as const;

/** Where the config is: --config, else env KEEPER_CONFIG, else the first default file that exists. */
export function locateConfig(options: LoadConfigOptions = {}): { file: string } | { file: undefined; searched: string[] } {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.configPath ?? nonEmpty(env["KEEPER_CONFIG"]);
  if (explicit !== undefined) return { file: explicit };
  const defaults = DEFAULT_CONFIG_FILES.map((name) => path.join(cwd, name));
  const found = defaults.find((file) => existsSync(file));
  if (found !== undefined) return { file: found };
  return { file: undefined, searched: ["--config (not given)", "env KEEPER_CONFIG (not set)", ...defaults.map((f) => `${f} (not found)`)] };
}

/**
 * Null when the config came from a file; else the refusal for a command that would run the
 * embedded default (fixture portfolio, demo protocol keys) against a real chain or state database.
 */
export function missingConfigProblem(config: KeeperConfig, command: string): string | null {
  if (config.origin !== "embedded default") return null;
  const searched = config.searched ?? ["--config", "env KEEPER_CONFIG"];
  return [
    `no keeper config for \`keeper ${command}\` — looked at: ${searched.join("; ")}.`,
    "The built-in default (fixture portfolio, demo protocol keys) belongs to the embedded chain of `npm start` / `npm run demo` only.",
    "Write a config with `npm run keeper -- init --beneficiary <address> --out keeper.config.json`, then set KEEPER_CONFIG=keeper.config.json (or pass --config <file>).",
  ].join("\n  ");
}

export function loadConfig(options: LoadConfigOptions = {}): KeeperConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const located = locateConfig({ ...options, env, cwd });
  const configPath = located.file;

  let raw: unknown;
  let origin: string;
  let baseDir: string;
  if (configPath !== undefined) {
    const file = path.resolve(cwd, configPath);
    origin = file;
    baseDir = path.dirname(file);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw new ConfigError([`config file ${file}: cannot be read (${(err as Error).message}) — check --config / KEEPER_CONFIG`]);
    }
    try {
      raw = parseJsonc(text);
    } catch (err) {
      const at = err instanceof JsoncSyntaxError ? `${file}:${err.line}:${err.column}` : file;
      throw new ConfigError([`config file ${at}: not valid JSON (${(err as Error).message}) — JSON with // comments, no trailing commas`]);
    }
  } else {
    raw = embeddedDefaultConfig();
    origin = "embedded default";
    baseDir = cwd;
  }
  const config = parseConfig(raw, { env, origin, baseDir });
  return "searched" in located ? { ...config, searched: located.searched } : config;
}

interface ParseContext {
  env?: Readonly<Record<string, string | undefined>>;
  origin?: string;
  baseDir?: string;
}

/** Validates a config object plus env overrides. Exposed for tests and embedding. */
export function parseConfig(raw: unknown, context: ParseContext = {}): KeeperConfig {
  const env = context.env ?? {};
  const issues: string[] = [];

  const parsed = configFileSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.flatMap(describeSchemaIssue));
  const overrides = readEnvOverrides(env, issues);
  const fundChainId = overrides.chainId ?? parsed.data.chain.chainId;
  const file = withFundChainLocal(parsed.data, fundChainId);
  checkConfigFile(file, overrides, issues);
  issues.push(...remoteChainIssues(file, fundChainId));
  const chains = resolveRemoteChains(file, env, fundChainId, issues);
  const routes = resolveAlertSinks(file.alerts, overrides.webhookUrl, env, issues);
  if (issues.length > 0) throw new ConfigError(issues);
  return resolveConfig(file, overrides, routes, chains, context);
}

type EnvOverrides = ReturnType<typeof readEnvOverrides>;

/** Every env override, validated; each bad one adds an issue and counts as unset. */
function readEnvOverrides(env: Readonly<Record<string, string | undefined>>, issues: string[]) {
  const fromEnv = <T>(name: string, schema: z.ZodType<T, z.ZodTypeDef, unknown>): T | undefined => {
    const value = nonEmpty(env[name]);
    if (value === undefined) return undefined;
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    issues.push(`env.${name}: ${result.error.issues[0]?.message ?? "invalid"}`);
    return undefined;
  };

  const rpcUrl = fromEnv("RPC_URL", z.string().url("not a URL — use an absolute http(s):// URL"));
  const rpcUrls = fromEnv(
    "RPC_URLS",
    z
      .string()
      .transform((text) => text.split(",").map((u) => u.trim()).filter((u) => u !== ""))
      .pipe(z.array(z.string().url("not a comma-separated list of URLs — use https://a,https://b")).min(1, "empty — list at least one URL")),
  );
  const keystorePath = fromEnv("KEEPER_KEYSTORE_PATH", z.string());
  const keystorePassword = nonEmpty(env["KEEPER_KEYSTORE_PASSWORD"]) === undefined ? undefined : env["KEEPER_KEYSTORE_PASSWORD"];
  const keystorePasswordFile = fromEnv("KEEPER_KEYSTORE_PASSWORD_FILE", z.string());
  const dbPath = fromEnv("KEEPER_DB_PATH", z.string());
  const stateUrl = fromEnv(
    "KEEPER_STATE_URL",
    z.string().regex(/^postgres(ql)?:\/\/\S+$/i, "not a PostgreSQL URL — use postgres://user:password@host:5432/keeper"),
  );
  const proApiKey = fromEnv(
    "DEFILLAMA_PRO_API_KEY",
    z.string().regex(/^[A-Za-z0-9._~-]+$/, "not a DefiLlama Pro API key — it goes into the URL path, so it must be URL-safe (letters, digits, . _ ~ -)"),
  );
  const privateKey = fromEnv("KEEPER_PRIVATE_KEY", privateKeySchema);
  const fundAddress = fromEnv("FUND_ADDRESS", addressSchema);
  const lensAddress = fromEnv("LENS_ADDRESS", addressSchema);
  const webhookUrl = fromEnv("ALERT_WEBHOOK_URL", z.string().url("not a URL — use the incoming-webhook https:// URL"));
  const chainId = fromEnv(
    "CHAIN_ID",
    z.string().regex(/^\d+$/, "not a chain id — use a decimal integer such as 11155111").transform(Number),
  );
  const healthHost = fromEnv("HEALTH_HOST", z.string().min(1));
  const healthToken = fromEnv(
    "HEALTH_BEARER_TOKEN",
    z.string().min(MIN_HEALTH_TOKEN_LENGTH, `too short — use at least ${MIN_HEALTH_TOKEN_LENGTH} random characters (e.g. \`openssl rand -hex 24\`)`),
  );
  const logLevel = fromEnv(
    "LOG_LEVEL",
    z.enum(LOG_LEVELS, { errorMap: () => ({ message: `not a log level — use one of ${LOG_LEVELS.join(", ")}` }) }),
  );
  return {
    rpcUrl, rpcUrls, keystorePath, keystorePassword, keystorePasswordFile, dbPath, stateUrl, proApiKey, privateKey,
    fundAddress, lensAddress, webhookUrl, chainId, healthHost, healthToken, logLevel,
  };
}

/** Checks across fields of the file and the env overrides; each problem adds an issue. */
function checkConfigFile(file: ParsedConfigFile, env: EnvOverrides, issues: string[]): void {
  try {
    validateRiskPushParams({ ...file.riskPush, maxDecreasePerDay: 1 });
  } catch (err) {
    issues.push(`config.riskPush: ${(err as Error).message.replace(/^riskPush: /, "")}`);
  }
  const operator = file.sources.operator ?? {};
  const ids = new Set(file.protocols.map((p) => p.id));
  for (const key of Object.keys(operator)) {
    if (!ids.has(key)) issues.push(`config.sources.operator.${key}: not a protocol id — use one of ${[...ids].join(", ")}`);
  }
  if (env.privateKey !== undefined && env.keystorePath !== undefined) {
    issues.push("env.KEEPER_KEYSTORE_PATH: both it and KEEPER_PRIVATE_KEY are set — keep one");
  }
  if (env.keystorePath !== undefined && env.keystorePassword === undefined && env.keystorePasswordFile === undefined) {
    issues.push("env.KEEPER_KEYSTORE_PASSWORD: missing — set it or KEEPER_KEYSTORE_PASSWORD_FILE for KEEPER_KEYSTORE_PATH");
  }
  if (env.privateKey !== undefined) issues.push(...beneficiaryIssues(file.positions, new Wallet(env.privateKey).address));
  const host = env.healthHost ?? file.health.host;
  if (file.health.enabled && !isLoopbackHost(host) && env.healthToken === undefined) {
    issues.push(
      `config.health.host: ${host} is not loopback — set env HEALTH_BEARER_TOKEN (at least ${MIN_HEALTH_TOKEN_LENGTH} characters) so the dashboard, /metrics and /api require it, or bind 127.0.0.1`,
    );
  }
}

/** The validated file with the env overrides applied and every path made absolute. */
function resolveConfig(file: ParsedConfigFile, env: EnvOverrides, routes: ResolvedAlertSink[], chains: Record<string, ResolvedRemoteChain>, context: ParseContext): KeeperConfig {
  const cwd = process.cwd();
  const baseDir = context.baseDir ?? process.cwd();
  const fixture = file.sources.fixture;
  // The hacks feed exists only with a Pro key; `sources.hacks` alone tunes matching.
  const hacks: HacksConfig | undefined =
    env.proApiKey !== undefined
      ? { ...(file.sources.hacks ?? hacksSchema.parse({})), proApiKey: env.proApiKey }
      : file.sources.hacks;
  return {
    ...file,
    origin: context.origin ?? "inline",
    baseDir,
    sources: {
      ...file.sources,
      hacks,
      fixture: fixture === undefined ? undefined : { ...fixture, path: path.resolve(baseDir, fixture.path) },
    },
    paths: {
      evidenceDir: path.resolve(baseDir, file.paths.evidenceDir),
      reportDir: path.resolve(baseDir, file.paths.reportDir),
    },
    state: {
      ...file.state,
      // KEEPER_DB_PATH=:memory: is SQLite's in-memory database, never a file named ":memory:".
      dbPath: env.dbPath !== undefined ? resolveDbPath(env.dbPath, cwd) : resolveDbPath(file.state.dbPath, baseDir),
      ...(env.stateUrl !== undefined ? { url: env.stateUrl } : {}),
    },
    chain: resolveChain(file, env, cwd, baseDir),
    chains,
    alerts: { ...file.alerts, ...(env.webhookUrl !== undefined ? { webhookUrl: env.webhookUrl } : {}), routes },
    health: { ...file.health, host: env.healthHost ?? file.health.host, ...(env.healthToken !== undefined ? { bearerToken: env.healthToken } : {}) },
    log: { level: env.logLevel ?? file.log.level },
  };
}

/** `chain` after env: RPC failover list, keystore, deployment path, addresses and key. */
function resolveChain(file: ParsedConfigFile, env: EnvOverrides, cwd: string, baseDir: string): KeeperConfig["chain"] {
  const rpcUrls = env.rpcUrls ?? (env.rpcUrl !== undefined ? [env.rpcUrl] : file.chain.rpcUrls ?? [file.chain.rpcUrl]);
  return {
    ...file.chain,
    rpcUrl: rpcUrls[0] ?? file.chain.rpcUrl,
    rpcUrls,
    ...(env.keystorePath !== undefined
      ? {
          keystore: {
            path: path.resolve(cwd, env.keystorePath),
            ...(env.keystorePassword !== undefined ? { password: env.keystorePassword } : {}),
            ...(env.keystorePasswordFile !== undefined ? { passwordFile: path.resolve(cwd, env.keystorePasswordFile) } : {}),
          },
        }
      : {}),
    ...(file.chain.deployment !== undefined ? { deployment: path.resolve(baseDir, file.chain.deployment) } : {}),
    ...(env.chainId !== undefined ? { chainId: env.chainId } : {}),
    ...(env.fundAddress !== undefined ? { fundAddress: env.fundAddress } : {}),
    ...(env.lensAddress !== undefined ? { lensAddress: env.lensAddress } : {}),
    ...(env.privateKey !== undefined ? { privateKey: env.privateKey } : {}),
  };
}

/** What a command needs from the chain section; throws a ConfigError naming the env var to set. */
export function requireChainFields(
  config: KeeperConfig,
  needs: { fund?: boolean; lens?: boolean; signer?: boolean },
): { fundAddress: string; lensAddress: string; privateKey: string | undefined } {
  const issues: string[] = [];
  if (needs.fund && config.chain.fundAddress === undefined) {
    issues.push("config.chain.fundAddress: missing — set env FUND_ADDRESS or chain.fundAddress to the deployed fund");
  }
  if (needs.lens && config.chain.lensAddress === undefined) {
    issues.push("config.chain.lensAddress: missing — set env LENS_ADDRESS or chain.lensAddress to the deployed FundLens");
  }
  if (needs.signer && config.chain.privateKey === undefined && config.chain.keystore === undefined) {
    issues.push("env.KEEPER_PRIVATE_KEY: missing — set it (0x-prefixed 32-byte hex) in .env, or KEEPER_KEYSTORE_PATH, or use --dry-run");
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return {
    fundAddress: config.chain.fundAddress ?? "",
    lensAddress: config.chain.lensAddress ?? "",
    privateKey: config.chain.privateKey,
  };
}

/** The embedded default's chain: the local Hardhat chain the fixture portfolio is meant for. */
export const LOCAL_CHAIN_ID = 31337;

/** Where the fund and lens of the config came from, for the "addresses from" log line. */
export interface ResolvedAddresses {
  readonly config: KeeperConfig;
  readonly origin: AddressOrigin;
  /** One line for the operator: which file (or env/config) the addresses came from. */
  readonly describe: string;
}

/**
 * Completes `chain.fundAddress` / `chain.lensAddress` for the connected `chainId`: from the env /
 * config when both are set, else from ONE deployment file (chain.deployment, else
 * `<deploymentsDir>/chain-<id>/deployed_addresses.json`). Mixing two deployments is a ConfigError.
 */
export function resolveChainAddresses(
  config: KeeperConfig,
  chainId: number,
  options: { deploymentsDir?: string } = {},
): ResolvedAddresses {
  const explicit = { fundAddress: config.chain.fundAddress, lensAddress: config.chain.lensAddress };
  const location = config.chain.deployment ?? (explicit.fundAddress !== undefined && explicit.lensAddress !== undefined ? undefined : options.deploymentsDir ?? defaultDeploymentsDir());
  let deployment: Deployment | undefined;
  if (location !== undefined) {
    try {
      deployment = readDeployment(chainId, location);
    } catch (err) {
      if (!(err instanceof DeploymentLookupError)) throw err;
      throw new ConfigError([`config.chain.deployment: ${err.message}`]);
    }
  }
  const chosen = chooseAddresses(explicit, deployment);
  if ("problems" in chosen) throw new ConfigError(chosen.problems.map((p) => `config.chain: ${p}`));
  const resolved: KeeperConfig = { ...config, chain: { ...config.chain, fundAddress: chosen.fundAddress, lensAddress: chosen.lensAddress } };
  const describe =
    chosen.origin.kind === "deployment"
      ? `fund ${chosen.fundAddress} and lens ${chosen.lensAddress} from ${chosen.origin.file}`
      : `fund ${chosen.fundAddress} and lens ${chosen.lensAddress} from FUND_ADDRESS / LENS_ADDRESS (or chain.fundAddress / chain.lensAddress)`;
  return { config: resolved, origin: chosen.origin, describe };
}

/**
 * The illustrative fixture portfolio (the embedded default's demo protocol keys and fixture data)
 * belongs on the local chain. Anywhere else it needs an explicit opt-in (`--fixture-portfolio` or
 * env KEEPER_FIXTURE_PORTFOLIO=yes): fixture scores must never reach Sepolia or mainnet by a
 * forgotten KEEPER_CONFIG. Null when fine, else the one-line refusal.
 */
export function fixturePortfolioProblem(config: KeeperConfig, chainId: number, allowed: boolean): string | null {
  if (allowed || chainId === LOCAL_CHAIN_ID) return null;
  if (config.origin === "embedded default") {
    return `no keeper config: the embedded default (fixture portfolio, demo protocol keys) only runs on the local chain ${LOCAL_CHAIN_ID}, but the RPC is chain ${chainId} — set KEEPER_CONFIG / --config (write one with \`keeper init\`), or pass --fixture-portfolio to run it anyway`;
  }
  const fixture = config.sources.fixture;
  if (fixture !== undefined && path.resolve(fixture.path) === path.resolve(DEFAULT_FIXTURE_DIR)) {
    return `config.sources.fixture.path: the committed illustrative fixture ${DEFAULT_FIXTURE_DIR} on chain ${chainId} — use live sources (sources.defiLlama), or pass --fixture-portfolio to run it anyway`;
  }
  return null;
}

/** Env opt-in for the fixture portfolio on another chain than the local one. */
export function fixturePortfolioAllowedByEnv(env: Readonly<Record<string, string | undefined>>): boolean {
  return ["yes", "1", "true"].includes((env["KEEPER_FIXTURE_PORTFOLIO"] ?? "").trim().toLowerCase());
}

/**
 * A beneficiary must be a cold address: the keeper's hot key may act as its agent, never own
 * the coverage or receive payouts.
 */
export function beneficiaryIssues(positions: readonly { beneficiary: string }[], keeperAddress: string): string[] {
  return positions.flatMap((p, index) =>
    p.beneficiary.toLowerCase() === keeperAddress.toLowerCase()
      ? [`config.positions[${index}].beneficiary: is the keeper's own address ${keeperAddress} — use the operator's cold address (a Safe); the keeper acts as its agent`]
      : [],
  );
}

/**
 * `keeper run` keeps the action journal across restarts: it refuses `:memory:`. Other commands
 * accept it with a warning (tests, one-off runs).
 */
export function requireDurableState(config: KeeperConfig, command: string): void {
  if (config.state.url === undefined && config.state.dbPath === ":memory:") {
    throw new ConfigError([
      `config.state.dbPath: ":memory:" cannot back \`keeper ${command}\` (the journal would not survive a restart) — set state.dbPath or env KEEPER_DB_PATH to a file`,
    ]);
  }
}

/** The protocols as the data sources identify them. */
export function protocolRefs(protocols: readonly ProtocolConfig[]): ProtocolRef[] {
  return protocols.map((p) => ({ ...p }));
}

/** A copy safe to log: the key is dropped, URLs keep scheme and host only. */
export function redactConfig(config: KeeperConfig): Record<string, unknown> {
  const { privateKey, keystore, ...chain } = config.chain;
  const hacks = config.sources.hacks;
  return {
    ...config,
    sources: {
      ...config.sources,
      hacks: hacks === undefined ? undefined : { ...hacks, proApiKey: hacks.proApiKey === undefined ? undefined : "<redacted>" },
    },
    chain: {
      ...chain,
      rpcUrl: redactUrl(chain.rpcUrl),
      rpcUrls: chain.rpcUrls.map(redactUrl),
      privateKey: privateKey === undefined ? undefined : "<redacted>",
      keystore:
        keystore === undefined
          ? undefined
          : { path: keystore.path, passwordFile: keystore.passwordFile, password: keystore.password === undefined ? undefined : "<redacted>" },
    },
    chains: Object.fromEntries(Object.entries(config.chains).map(([key, c]) => [key, { ...c, rpcUrls: c.rpcUrls.map(redactUrl) }])),
    alerts: {
      ...config.alerts,
      webhookUrl: config.alerts.webhookUrl === undefined ? undefined : redactUrl(config.alerts.webhookUrl),
      sinks: config.alerts.sinks.map((sink) => ({
        ...sink,
        ...("url" in sink && sink.url !== undefined ? { url: redactUrl(sink.url) } : {}),
        ...("routingKey" in sink && sink.routingKey !== undefined ? { routingKey: "<redacted>" } : {}),
      })),
      routes: config.alerts.routes.map((route) => ({
        type: route.type,
        name: route.name,
        minSeverity: route.minSeverity,
        url: redactUrl(route.url),
        ...(route.type === "pagerduty" ? { routingKey: "<redacted>" } : {}),
        ...(route.type === "webhook" && route.bearerToken !== undefined ? { bearerToken: "<redacted>" } : {}),
      })),
    },
    health: { ...config.health, bearerToken: config.health.bearerToken === undefined ? undefined : "<redacted>" },
    state: { ...config.state, url: config.state.url === undefined ? undefined : redactStateUrl(config.state.url) },
  };
}

/**
 * The alert routes: the legacy `webhookUrl` / ALERT_WEBHOOK_URL as a Slack sink for every
 * severity, then `alerts.sinks` in order, each secret read from the file or its env variable.
 */
function resolveAlertSinks(
  alerts: ParsedConfigFile["alerts"],
  legacyWebhookUrl: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  issues: string[],
): ResolvedAlertSink[] {
  const routes: ResolvedAlertSink[] = [];
  const legacy = legacyWebhookUrl ?? alerts.webhookUrl;
  if (legacy !== undefined) {
    routes.push({ type: "slack", name: "slack", minSeverity: "info", url: legacy, ...(alerts.webhookTimeoutMs !== undefined ? { timeoutMs: alerts.webhookTimeoutMs } : {}) });
  }
  const counts = new Map<string, number>();
  alerts.sinks.forEach((sink, index) => {
    const n = (counts.get(sink.type) ?? 0) + 1;
    counts.set(sink.type, n);
    const name = n === 1 ? sink.type : `${sink.type}#${n}`;
    const at = `config.alerts.sinks[${index}]`;
    const fromEnv = (variable: string | undefined, field: string, check: (value: string) => string | undefined): string | undefined => {
      if (variable === undefined) return undefined;
      const value = nonEmpty(env[variable]);
      if (value === undefined) {
        issues.push(`${at}.${field}: env ${variable} is not set — set it or remove the sink`);
        return undefined;
      }
      const problem = check(value);
      if (problem !== undefined) issues.push(`${at}.${field}: env ${variable} ${problem}`);
      return problem === undefined ? value : undefined;
    };
    const urlCheck = (value: string) => (z.string().url().safeParse(value).success ? undefined : "is not a URL — use the https:// webhook URL");
    const timeout = sink.timeoutMs !== undefined ? { timeoutMs: sink.timeoutMs } : {};
    if (sink.type === "pagerduty") {
      const routingKey = sink.routingKey ?? fromEnv(sink.routingKeyEnv, "routingKeyEnv", (v) => (PAGERDUTY_ROUTING_KEY.test(v) ? undefined : "is not a PagerDuty routing key — use the 32-character Events API v2 integration key"));
      if (routingKey !== undefined) routes.push({ type: "pagerduty", name, minSeverity: sink.minSeverity, url: sink.url, routingKey, ...(sink.source !== undefined ? { source: sink.source } : {}), ...timeout });
      return;
    }
    const url = sink.url ?? fromEnv(sink.urlEnv, "urlEnv", urlCheck);
    if (url === undefined) return;
    if (sink.type === "slack") routes.push({ type: "slack", name, minSeverity: sink.minSeverity, url, ...timeout });
    else if (sink.type === "discord") routes.push({ type: "discord", name, minSeverity: sink.minSeverity, url, ...(sink.username !== undefined ? { username: sink.username } : {}), ...timeout });
    else {
      const bearerToken = fromEnv(sink.bearerTokenEnv, "bearerTokenEnv", () => undefined);
      routes.push({ type: "webhook", name, minSeverity: sink.minSeverity, url, ...(bearerToken !== undefined ? { bearerToken } : {}), ...timeout });
    }
  });
  return routes;
}

/** One line per zod issue; an unknown key names the nearest valid key at that place. */
function describeSchemaIssue(issue: z.ZodIssue): string[] {
  if (issue.code !== "unrecognized_keys") return [`${formatPath("config", issue.path)}: ${issue.message}`];
  const valid = objectKeysAt(configFileSchema, issue.path);
  return issue.keys.map((key) => {
    const near = nearestName(key, valid);
    const hint = near !== undefined ? ` — did you mean "${near}"?` : valid.length > 0 ? ` — valid keys here: ${valid.join(", ")}` : "";
    return `${formatPath("config", [...issue.path, key])}: unknown key${hint}`;
  });
}

/** The keys an object schema accepts at `at` (through optional/default/effects/arrays/unions). */
export function objectKeysAt(schema: z.ZodTypeAny, at: readonly (string | number)[]): string[] {
  const unwrap = (s: z.ZodTypeAny): z.ZodTypeAny[] => {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) return unwrap(s.unwrap() as z.ZodTypeAny);
    if (s instanceof z.ZodDefault) return unwrap(s.removeDefault() as z.ZodTypeAny);
    if (s instanceof z.ZodEffects) return unwrap(s.innerType() as z.ZodTypeAny);
    if (s instanceof z.ZodUnion || s instanceof z.ZodDiscriminatedUnion) return (s.options as z.ZodTypeAny[]).flatMap(unwrap);
    if (s instanceof z.ZodIntersection) return [...unwrap(s._def.left as z.ZodTypeAny), ...unwrap(s._def.right as z.ZodTypeAny)];
    return [s];
  };
  let current = unwrap(schema);
  for (const segment of at) {
    current = current.flatMap((s) => {
      if (typeof segment === "number") return s instanceof z.ZodArray ? unwrap(s.element as z.ZodTypeAny) : [];
      if (s instanceof z.ZodObject) {
        const child = (s.shape as Record<string, z.ZodTypeAny>)[segment];
        return child === undefined ? [] : unwrap(child);
      }
      if (s instanceof z.ZodRecord) return unwrap(s.valueSchema as z.ZodTypeAny);
      return [];
    });
  }
  return [...new Set(current.flatMap((s) => (s instanceof z.ZodObject ? Object.keys(s.shape as object) : [])))];
}

function formatPath(root: string, segments: readonly (string | number)[]): string {
  return segments.reduce<string>(
    (out, segment) => (typeof segment === "number" ? `${out}[${segment}]` : `${out}.${segment}`),
    root,
  );
}

function resolveDbPath(dbPath: string, baseDir: string): string {
  return dbPath === ":memory:" ? dbPath : path.resolve(baseDir, dbPath);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}
