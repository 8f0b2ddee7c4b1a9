/**
 * `keeper doctor`: every check a working keeper needs, one line each with the fix. Exit 1 when
 * a check that blocks claims fails (chain, code, key, agent approval, ETH for deposits, state DB);
 * other failures (risk role, premium balance, data sources, a running daemon) are warnings.
 *
 * The checks are plain data (`DoctorCheck[]`); `runDoctor` gathers them from the chain, the
 * configured sources and the state database.
 */
import { scrubSecret } from "../../lib/redact";
import { DEFILLAMA_PRO_API_BASE_URL } from "../../config/defaults";
import { HACKS_PRO_PATH } from "../../sources/hacksFeedSource";
import { accessSync, constants as fsConstants, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Contract, getAddress, parseEther, type JsonRpcProvider, type Signer } from "ethers";
import type { Command } from "commander";
import { StablecoinInsuranceFund__factory } from "../../../../typechain-types/factories/contracts/StablecoinInsuranceFund__factory";
import type { StablecoinInsuranceFund } from "../../../../typechain-types/contracts/StablecoinInsuranceFund";
import {
  ConfigError,
  fixturePortfolioAllowedByEnv,
  fixturePortfolioProblem,
  resolveChainAddresses,
  type KeeperConfig,
} from "../../config";
import { readDeployment, type Deployment } from "../../config/deployments";
import { MAINNET_NEXUS } from "../../../../deploy/config/mainnet";
import { loadSigner } from "../../execution/keys";
import { toJson } from "../../lib/json";
import type { Logger } from "../../lib/logger";
import { formatEth, formatTokenAmount } from "../../lib/units";
import { isPidAlive } from "../../state/daemonLock";
import { currentLockHolder, openStateDb, stateLocation } from "../../state";
import { connectProvider, keySourceOf } from "../container";
import { remoteRpcEnvName } from "../../config";
import { positionContract, specOf } from "../../sources/positions";
import { chainIdOf, contextLine, contextOf, setupCommand, stdoutIsTty } from "./context";
import { tokenInfo } from "./operator";

export type CheckStatus = "ok" | "warn" | "fail";

export interface DoctorCheck {
  readonly name: string;
  readonly status: CheckStatus;
  /** What was found. */
  readonly detail: string;
  /** What to do (empty when ok). */
  readonly fix: string;
  /** A failure here stops claims from being filed or paid. */
  readonly blocksClaims: boolean;
}

const ok = (name: string, detail: string): DoctorCheck => ({ name, status: "ok", detail, fix: "", blocksClaims: false });
const fail = (name: string, detail: string, fix: string, blocksClaims = true): DoctorCheck => ({ name, status: blocksClaims ? "fail" : "warn", detail, fix, blocksClaims });

/** ETH kept for gas on top of claim deposits. */
export const GAS_RESERVE_WEI = parseEther("0.01");

/** One line per check: `ok   name: detail` / `FAIL name: detail — fix`. */
export function formatChecks(checks: readonly DoctorCheck[]): string {
  const label: Record<CheckStatus, string> = { ok: "ok  ", warn: "WARN", fail: "FAIL" };
  const lines = checks.map((c) => `${label[c.status]} ${c.name}: ${c.detail}${c.fix === "" ? "" : ` — fix: ${c.fix}`}`);
  const blocking = checks.filter((c) => c.status === "fail").length;
  const warnings = checks.filter((c) => c.status === "warn").length;
  lines.push(blocking > 0 ? `${blocking} problem(s) block claims or cover, ${warnings} warning(s)` : `claims can be filed (${warnings} warning(s))`);
  return lines.join("\n");
}

export interface DoctorDeps {
  readonly config: KeeperConfig;
  readonly logger: Logger;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly allowFixture: boolean;
  readonly fetch?: typeof fetch;
  readonly nowMs?: () => number;
}

async function reachable(url: string, fetchImpl: typeof fetch): Promise<string | undefined> {
  try {
    const res = await fetchImpl(url, { signal: AbortSignal.timeout(5000) });
    return res.ok ? undefined : `HTTP ${res.status}`;
  } catch (err) {
    return (err as Error).message;
  }
}

export async function runDoctor(deps: DoctorDeps): Promise<DoctorCheck[]> {
  const { config, logger } = deps;
  const checks: DoctorCheck[] = [];
  const chainId = await checkChainId(deps, checks);
  if (chainId === undefined) return checks;
  const addresses = checkDeployment(config, chainId, checks);
  if (addresses === undefined) return checks;
  const provider = await connectProvider(config.chain.rpcUrls, chainId, { logger, timeoutMs: config.chain.rpcTimeoutMs });
  try {
    await checkChain(provider, addresses.resolved, addresses.deployment, chainId, deps, checks);
  } finally {
    provider.destroy();
  }
  await checkRemoteChains(config, logger, checks);
  checks.push(...checkCoverSources(config));
  await checkSources(config, deps.fetch ?? fetch, checks);
  checkStateDb(config, deps.nowMs ?? Date.now, checks);
  return checks;
}

/**
 * Each `chains.<id>`: a URL answers on that chain id, Multicall3 is there, and every position and
 * watched balance configured on it has code. A chain whose positions cannot be read blocks their
 * claims (their loss cannot be measured).
 */
export async function checkRemoteChains(config: KeeperConfig, logger: Logger, checks: DoctorCheck[]): Promise<void> {
  for (const c of Object.values(config.chains)) {
    const name = `chain ${c.chainId}`;
    let provider: JsonRpcProvider;
    try {
      provider = await connectProvider(c.rpcUrls, c.chainId, { logger, timeoutMs: c.rpcTimeoutMs, maxRounds: 1 });
    } catch (err) {
      checks.push(fail(name, `${c.name}: ${(err as Error).message.split("\n")[0]}`, `set chains.${c.chainId}.rpcUrls or env ${remoteRpcEnvName(c.chainId)} to live endpoints of chain ${c.chainId}`));
      continue;
    }
    try {
      const targets: [string, string][] = [["Multicall3", c.multicallAddress]];
      config.positions.forEach((p, i) => {
        if (p.position?.chainId === c.chainId) targets.push([`positions[${i}] (${p.protocol} ${p.position.kind})`, positionContract(specOf(p.position, p.beneficiary, p.asset))]);
      });
      config.protocols.forEach((p) => p.watch?.balances.forEach((b) => b.chainId === c.chainId && targets.push([`${p.id} watched token`, b.token])));
      const missing: string[] = [];
      for (const [what, address] of targets) if ((await provider.getCode(address)) === "0x") missing.push(`${what} ${address}`);
      checks.push(
        missing.length === 0
          ? ok(name, `${c.name}: ${targets.length} addresses have code`)
          : fail(name, `${c.name}: no code at ${missing.join(", ")}`, `fix the addresses, or chains.${c.chainId}.multicallAddress, or the chainId of those positions`),
      );
    } finally {
      provider.destroy();
    }
  }
}

/** Why provider `providerId` cannot quote the position (undefined when it can be asked). */
function quoteProblem(config: Pick<KeeperConfig, "providers">, position: KeeperConfig["positions"][number], providerId: number): string | undefined {
  const nexus = config.providers.nexus;
  if (nexus !== undefined && nexus.providerId === providerId) {
    if (nexus.quoteBaseUrl === undefined) return `provider ${providerId} (Nexus) has no quote source: providers.nexus.quoteBaseUrl is not set`;
    if (nexus.productIds[position.protocol] === undefined) return `provider ${providerId} (Nexus) has no product id for ${position.protocol}: providers.nexus.productIds.${position.protocol} is not set`;
    const asset = nexus.coverAssets[position.asset] ?? nexus.coverAssets[position.asset.toLowerCase()] ?? (position.assetSymbol !== undefined ? nexus.coverAssets[position.assetSymbol] : undefined);
    if (asset === undefined) return `provider ${providerId} (Nexus) has no cover asset for ${position.assetSymbol ?? position.asset}: providers.nexus.coverAssets is missing it`;
    return undefined;
  }
  if (config.providers.onChainQuote.includes(providerId)) return undefined;
  return `provider ${providerId} has no quote source (neither providers.nexus.providerId nor providers.onChainQuote)`;
}

/**
 * Every position can be quoted and bought by at least one provider (or the fund's pool, when
 * allowed); one FAIL per position none can, naming it and the fix. A position some of whose
 * providers cannot be asked is a warning.
 */
export function checkCoverSources(config: Pick<KeeperConfig, "providers" | "positions">): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  for (const [index, position] of config.positions.entries()) {
    const name = `cover ${position.protocol}`;
    const problems = position.providers.map((id) => quoteProblem(config, position, id)).filter((p): p is string => p !== undefined);
    const quotable = position.providers.length - problems.length;
    if (quotable === 0 && !position.allowSelfInsure) {
      checks.push(
        fail(
          name,
          `positions[${index}] (${position.protocol}, ${position.assetSymbol ?? position.asset}) can be bought by no provider — ${problems.join("; ") || "no providers listed"} — and self-insurance is not allowed: its cover is never bought or renewed and lapses`,
          `${position.providers.some((id) => config.providers.nexus?.providerId === id) && config.providers.nexus?.quoteBaseUrl === undefined ? "set providers.nexus.quoteBaseUrl (the Nexus cover-router, https://api.nexusmutual.io/v2/), " : ""}add a provider that can quote it to positions[${index}].providers, or set positions[${index}].allowSelfInsure: true`,
        ),
      );
    } else if (problems.length > 0) {
      checks.push(fail(name, `positions[${index}]: ${problems.join("; ")} — ${quotable > 0 ? "the other provider(s) are asked" : "only the fund's pool can carry it"}`, "configure the missing quote source, or remove the provider from the position", false));
    } else {
      checks.push(ok(name, `${quotable} provider(s) can quote it${position.allowSelfInsure ? ", the fund's pool as fallback" : ""}`));
    }
  }
  return checks;
}

/** The RPC's chain id (undefined when unreachable or not the configured chain), and the portfolio check. */
async function checkChainId(deps: DoctorDeps, checks: DoctorCheck[]): Promise<number | undefined> {
  const { config } = deps;
  let chainId: number;
  try {
    chainId = await chainIdOf({ ...config, chain: { ...config.chain, chainId: undefined } } as KeeperConfig, deps.logger);
  } catch (err) {
    checks.push(fail("chain", `RPC unreachable (${(err as Error).message.split("\n")[0]})`, "set RPC_URL / RPC_URLS (or chain.rpcUrl) to a live endpoint"));
    return undefined;
  }
  if (config.chain.chainId !== undefined && config.chain.chainId !== chainId) {
    checks.push(fail("chain", `the RPC is on chain ${chainId}, the config says ${config.chain.chainId}`, "point RPC_URL at the configured chain, or fix chain.chainId / CHAIN_ID"));
    return undefined;
  }
  checks.push(ok("chain", `chain ${chainId}`));
  const fixture = fixturePortfolioProblem(config, chainId, deps.allowFixture);
  if (fixture !== null) checks.push(fail("portfolio", fixture.split(" — ")[0] ?? fixture, fixture.split(" — ")[1] ?? "write a config with `keeper init`"));
  return chainId;
}

/** The fund and lens addresses of ONE deployment (undefined when they cannot be resolved). */
function checkDeployment(config: KeeperConfig, chainId: number, checks: DoctorCheck[]): { resolved: KeeperConfig; deployment: Deployment | undefined } | undefined {
  try {
    const r = resolveChainAddresses({ ...config, chain: { ...config.chain, chainId } }, chainId);
    checks.push(ok("deployment", r.describe));
    return { resolved: r.config, deployment: r.origin.kind === "deployment" ? r.origin.deployment : undefined };
  } catch (err) {
    const issues = err instanceof ConfigError ? err.issues.join("; ") : (err as Error).message;
    checks.push(fail("deployment", issues, "deploy first, or set chain.deployment / FUND_ADDRESS + LENS_ADDRESS of ONE deployment"));
    return undefined;
  }
}

/** The configured data sources: the fixture folder exists, the DefiLlama APIs answer. */
async function checkSources(config: KeeperConfig, fetchImpl: typeof fetch, checks: DoctorCheck[]): Promise<void> {
  const s = config.sources;
  if (s.fixture !== undefined) {
    checks.push(existsSync(s.fixture.path) ? ok("source fixture", s.fixture.path) : fail("source fixture", `${s.fixture.path} not found`, "run `keeper init` again or fix sources.fixture.path", false));
  }
  if (s.defiLlama !== undefined) {
    const url = `${s.defiLlama.apiBaseUrl.replace(/\/$/, "")}/protocols`;
    const problem = await reachable(url, fetchImpl);
    checks.push(problem === undefined ? ok("source defillama", url) : fail("source defillama", `${url}: ${problem}`, "check network access / sources.defiLlama.apiBaseUrl", false));
  }
  if (s.hacks?.proApiKey !== undefined) {
    const base = `${(s.hacks.proApiBaseUrl ?? DEFILLAMA_PRO_API_BASE_URL).replace(/\/+$/, "")}`;
    const url = `${base}/${encodeURIComponent(s.hacks.proApiKey)}${HACKS_PRO_PATH}`;
    const shown = `${base}/<DEFILLAMA_PRO_API_KEY>${HACKS_PRO_PATH}`; // the key is a secret path segment
    const problem = await reachable(url, fetchImpl);
    checks.push(
      problem === undefined
        ? ok("source hacks", shown)
        : fail("source hacks", `${shown}: ${scrubSecret(problem, url)}`, "check network access and DEFILLAMA_PRO_API_KEY", false),
    );
  }
}

/** The state database is writable and no live daemon holds its lock. */
function checkStateDb(config: KeeperConfig, nowMs: () => number, checks: DoctorCheck[]): void {
  const dbPath = stateLocation(config.state);
  if (dbPath === ":memory:") {
    checks.push(fail("state db", "state.dbPath is :memory: — nothing survives a restart and `keeper run` refuses it", "set state.dbPath or KEEPER_DB_PATH to a file", false));
    return;
  }
  try {
    const state = openStateDb(dbPath, { takeoverSeconds: config.ha.takeoverSeconds });
    try {
      if (state.dialect === "sqlite") state.db.exec("BEGIN IMMEDIATE; ROLLBACK;");
      else state.db.transaction(() => state.db.prepare("SELECT 1").get()).immediate();
      const lock = currentLockHolder(state.db);
      checks.push(ok("state db", `${state.path} writable`));
      const now = nowMs();
      const live = lock !== undefined && now - lock.heartbeat_at < config.state.lockStaleAfterSec * 1000 && (lock.hostname !== os.hostname() || isPidAlive(lock.pid));
      checks.push(
        live
          ? fail("lock", `a daemon holds the lock (pid ${lock.pid} on ${lock.hostname})`, "that daemon files the claims; stop it before `keeper once` or operator sends with the keeper key", false)
          : ok("lock", "free"),
      );
    } finally {
      state.close();
    }
  } catch (err) {
    if (config.state.url !== undefined) checks.push(fail("state db", (err as Error).message, "check that the PostgreSQL server is reachable and state.url / KEEPER_STATE_URL (user, password, database)"));
    else checks.push(fail("state db", `${dbPath}: ${(err as Error).message}`, `make ${path.dirname(path.resolve(dbPath))} writable or set KEEPER_DB_PATH`));
  }
}

async function checkChain(provider: JsonRpcProvider, config: KeeperConfig, deployment: Deployment | undefined, chainId: number, deps: DoctorDeps, checks: DoctorCheck[]): Promise<void> {
  const fundAddress = config.chain.fundAddress as string;
  const fund = StablecoinInsuranceFund__factory.connect(fundAddress, provider);
  const fundHasCode = (await provider.getCode(fundAddress)) !== "0x";
  const providers = fundHasCode ? await providerAdapters(fund) : [];
  await checkCode(provider, config, providers, checks);
  if (!fundHasCode) return;
  const keeper = await checkKeeperKey(provider, config, deps.logger, checks);
  if (keeper === undefined) return;
  await checkRole(fund, keeper, checks);
  await checkAgents(fund, config, keeper, checks);
  await checkPremiumTokens(provider, config, keeper, checks);
  await checkEth(provider, config, keeper, providers, checks);
  await checkNexusMembership(provider, config, deployment, chainId, providers, checks);
}

interface ProviderAdapter {
  readonly id: number;
  readonly adapter: string;
}

async function providerAdapters(fund: StablecoinInsuranceFund): Promise<ProviderAdapter[]> {
  const providers: ProviderAdapter[] = [];
  const count = Number(await fund.providerCount());
  for (let id = 1; id <= count; id += 1) providers.push({ id, adapter: getAddress((await fund.providerAdapter(id))[0]) });
  return providers;
}

/** Code at the fund, the lens, every provider adapter and every position's token. */
async function checkCode(provider: JsonRpcProvider, config: KeeperConfig, providers: readonly ProviderAdapter[], checks: DoctorCheck[]): Promise<void> {
  const targets: [string, string][] = [["fund", config.chain.fundAddress as string], ["lens", config.chain.lensAddress as string]];
  for (const p of providers) targets.push([`provider ${p.id} adapter`, p.adapter]);
  for (const position of config.positions) if (!targets.some(([, a]) => a === position.asset)) targets.push([`token ${position.assetSymbol ?? position.asset}`, position.asset]);
  const missing: string[] = [];
  for (const [name, address] of targets) if ((await provider.getCode(address)) === "0x") missing.push(`${name} ${address}`);
  checks.push(missing.length === 0 ? ok("code", `${targets.length} addresses have code`) : fail("code", `no code at ${missing.join(", ")}`, "wrong RPC or deployment: redeploy or fix chain.deployment / the positions' assets"));
}

/** The keeper's address, or undefined (a failed check) when no key loads. */
async function checkKeeperKey(provider: JsonRpcProvider, config: KeeperConfig, logger: Logger, checks: DoctorCheck[]): Promise<string | undefined> {
  let signer: Signer | undefined;
  try {
    signer = await loadSigner(keySourceOf(config.chain), provider, logger);
  } catch (err) {
    checks.push(fail("keeper key", (err as Error).message, "fix KEEPER_PRIVATE_KEY or the KEEPER_KEYSTORE_* variables"));
    return undefined;
  }
  if (signer === undefined) {
    checks.push(fail("keeper key", "no KEEPER_PRIVATE_KEY or KEEPER_KEYSTORE_PATH", "set one in .env (the keeper signs claims, settlements and risk pushes)"));
    return undefined;
  }
  const keeper = await signer.getAddress();
  checks.push(ok("keeper key", keeper));
  return keeper;
}

async function checkRole(fund: StablecoinInsuranceFund, keeper: string, checks: DoctorCheck[]): Promise<void> {
  const oracle = await fund.RISK_ORACLE_ROLE();
  checks.push(
    (await fund.hasRole(oracle, keeper))
      ? ok("role", `${keeper} holds RISK_ORACLE_ROLE`)
      : fail("role", `${keeper} lacks RISK_ORACLE_ROLE (risk pushes will revert)`, `the admin grants it: ROLE=RISK_ORACLE_ROLE ACCOUNT=${keeper} npx hardhat run --network <net> scripts/grant-role.ts`, false),
  );
}

/** Agent approval per beneficiary. */
async function checkAgents(fund: StablecoinInsuranceFund, config: KeeperConfig, keeper: string, checks: DoctorCheck[]): Promise<void> {
  const beneficiaries = [...new Set(config.positions.map((p) => p.beneficiary))];
  if (beneficiaries.length === 0) checks.push(fail("positions", "no positions: the keeper files no claims and buys no cover", "write them with `keeper init --beneficiary <address>`", false));
  for (const b of beneficiaries) {
    checks.push(
      (await fund.isAgent(b, keeper))
        ? ok("agent", `${b} approves ${keeper}`)
        : fail("agent", `${b} has not approved ${keeper} as its agent: claims revert FundNotBeneficiaryOrAgent`, `the beneficiary runs \`npm run keeper -- set-agent ${keeper}\` with BENEFICIARY_PRIVATE_KEY (or --safe-json for a Safe)`),
    );
  }
}

/** Premium tokens: balance and allowance per asset. */
async function checkPremiumTokens(provider: JsonRpcProvider, config: KeeperConfig, keeper: string, checks: DoctorCheck[]): Promise<void> {
  const fundAddress = config.chain.fundAddress as string;
  const assets = [...new Set(config.positions.map((p) => p.asset))];
  for (const asset of assets) {
    const token = await tokenInfo(provider, asset);
    const erc20 = new Contract(asset, ["function balanceOf(address) view returns (uint256)", "function allowance(address,address) view returns (uint256)"], provider);
    const [balance, allowance] = (await Promise.all([erc20.getFunction("balanceOf")(keeper), erc20.getFunction("allowance")(keeper, fundAddress)])) as [bigint, bigint];
    const shown = `${formatTokenAmount(balance, token.decimals, token.symbol)} held, ${formatTokenAmount(allowance, token.decimals, token.symbol)} approved to the fund`;
    checks.push(balance > 0n ? ok(`premium ${token.symbol}`, shown) : fail(`premium ${token.symbol}`, `${shown}: no premium to buy or renew cover`, `send ${token.symbol} to ${keeper} (the keeper approves the fund itself)`, false));
  }
}

/** ETH for gas and claim deposits (hedged positions need the provider's deposit). */
async function checkEth(provider: JsonRpcProvider, config: KeeperConfig, keeper: string, providers: readonly ProviderAdapter[], checks: DoctorCheck[]): Promise<void> {
  const balance = await provider.getBalance(keeper);
  let deposits = 0n;
  for (const position of config.positions) {
    for (const id of position.providers) {
      const adapter = providers.find((p) => p.id === id)?.adapter;
      if (adapter === undefined) continue;
      try {
        const provider_ = new Contract(adapter, ["function claimDeposit(uint256,uint256) view returns (uint256)"], provider);
        const deposit = (await provider_.getFunction("claimDeposit")(0n, 0n)) as bigint;
        if (deposit > deposits) deposits = deposit;
      } catch {
        // a provider without a deposit view needs none
      }
    }
  }
  const needed = GAS_RESERVE_WEI + deposits;
  checks.push(
    balance >= needed
      ? ok("eth", `${formatEth(balance)} (gas reserve ${formatEth(GAS_RESERVE_WEI)} + claim deposit ${formatEth(deposits)})`)
      : fail("eth", `${formatEth(balance)} < ${formatEth(needed)} (gas reserve + claim deposit ${formatEth(deposits)})`, `send at least ${formatEth(needed - balance)} to ${keeper}`),
  );
}

/** Nexus membership of the adapter (blocks claims only when a position is hedged with Nexus). */
async function checkNexusMembership(
  provider: JsonRpcProvider,
  config: KeeperConfig,
  deployment: Deployment | undefined,
  chainId: number,
  providers: readonly ProviderAdapter[],
  checks: DoctorCheck[],
): Promise<void> {
  const nexusAdapter = deployment?.adapters.nexusAdapter;
  if (nexusAdapter === undefined) return;
  const registry = deployment?.contracts["MockNexus#MockNexusMutualRegistry"] ?? (chainId === 1 ? MAINNET_NEXUS.Registry : undefined);
  if (registry === undefined) {
    checks.push(fail("nexus member", `registry of chain ${chainId} unknown`, "check Registry.isMember(adapter) on the Nexus registry by hand", false));
    return;
  }
  const reg = new Contract(registry, ["function isMember(address) view returns (bool)"], provider);
  const member = (await reg.getFunction("isMember")(nexusAdapter)) as boolean;
  const hedged = config.positions.some((p) => p.providers.includes(providers.find((x) => x.adapter === nexusAdapter)?.id ?? -1));
  checks.push(member ? ok("nexus member", `adapter ${nexusAdapter} is a Nexus member`) : fail("nexus member", `adapter ${nexusAdapter} is not a Nexus member: hedged purchases and claims revert`, "Registry.join(adapter, KYC signature) — see docs/deploy.md", hedged));
}

export async function runDoctorCommand(program: Command, flags: { json?: boolean }, out: (text: string) => void): Promise<number> {
  const { config, logger, options } = setupCommand(program, "doctor");
  const checks = await runDoctor({ config, logger, env: process.env, allowFixture: options.fixturePortfolio === true || fixturePortfolioAllowedByEnv(process.env) });
  if (flags.json !== true && stdoutIsTty()) out(contextLine(contextOf(config)));
  out(flags.json === true ? toJson({ context: contextOf(config), checks }) : formatChecks(checks));
  return checks.some((c) => c.status === "fail") ? 1 : 0;
}

export { readDeployment };
