/**
 * The embedded default: with no RPC configured, `npm start` and `npm run demo` run the keeper on a
 * local chain this process owns.
 *
 *   hardhat node (127.0.0.1, free port, child process)
 *     → `hardhat run --network localhost scripts/deploy.ts` (the LocalStack Ignition module,
 *       deploy/parameters/localhost.json, deployments in a temp Ignition dir)
 *     → accounts: the keeper (account #1, RISK_ORACLE_ROLE only) holds stablecoins for premiums;
 *       the beneficiary (account #5, a cold account) approves the keeper with `setAgent`
 *     → the real Aave v3 market over the same mock stablecoins (`@aave/core-v3` bytecode,
 *       ../demo/realAave.ts; the deployer is its admin)
 *     → Multicall3 at its canonical address (`hardhat_setCode`), then the investor's positions
 *       in the seven protocols: Aave v3 real, the other six stand-ins (other suppliers, account
 *       #6, hold 9× more)
 *     → a copy of the fixture portfolio, a loopback Nexus cover-router priced like the mock Nexus
 *     → the keeper config: the original investor's seven positions read on-chain (no fixed
 *       targets), each protocol's pool balance watched, state DB in the temp dir.
 *
 * The keeper never loads the Hardhat runtime: the chain and the deploy are Hardhat CLI child
 * processes; everything else is plain ethers over JSON-RPC. `stop()` ends the node (no orphan) and
 * removes the temp dir.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Contract, HDNodeWallet, JsonRpcProvider, NonceManager, getAddress, type Signer } from "ethers";
import { StablecoinInsuranceFund__factory } from "../../../typechain-types/factories/contracts/StablecoinInsuranceFund__factory";
import { deployRealAave, type RealAaveMarket } from "../demo/realAave";
import { DEMO_CROWD_MULTIPLE, DEMO_PORTFOLIO, PROVIDER_ID, TOKEN_DECIMALS, providerFor, type DemoPosition, type StablecoinSymbol } from "../demo/portfolio";
import type { PositionSourceConfig } from "../config/schema";
import { installLocalMulticall3 } from "./localMulticall";
import { DEFAULT_FIXTURE_DIR, embeddedDefaultConfig } from "../config";
import { parseConfig } from "../config";
import type { ConfigFile } from "../config/schema";
import { buildContainer } from "./container";
import { daemonFor, type KeeperDaemon } from "./daemon";
import type { Logger } from "../lib/logger";
import { STOP_SIGNALS } from "./entry";

export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
const HARDHAT_CLI = path.join(REPO_ROOT, "node_modules", "hardhat", "internal", "cli", "cli.js");
const LOCALHOST_PARAMETERS = path.join(REPO_ROOT, "deploy", "parameters", "localhost.json");
const LOCAL_CHAIN_ID = 31337;

/** Hardhat node's default accounts (public test mnemonic; never holds real funds). */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";
/** Roles of the dev accounts: #0 deployer / fund admin / mock owner / Aave pool admin, #1-#3 from localhost.json, #5 the cold beneficiary, #9 the Aave treasury. */
export const ACCOUNT_INDEX = { deployer: 0, keeper: 1, assessor: 2, beneficiary: 5, crowd: 6, attacker: 7, aaveTreasury: 9 } as const;
/** Stablecoins minted to the keeper for premiums, whole tokens per stablecoin. */
const KEEPER_PREMIUM_FLOAT = 100_000;

export function devAccount(index: number): HDNodeWallet {
  return HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`);
}

/** Child env: no fork URL, remote RPCs or keys (blanked so dotenv does not refill them), no HARDHAT_* leaking in as CLI args. */
export function hardhatChildEnv(overrides: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ["MAINNET_RPC_URL", "SEPOLIA_RPC_URL", "DEPLOYER_PRIVATE_KEY", "CONFIRM_MAINNET", "FORK_BLOCK", "SIF_IGNITION_DIR", "HARDHAT_CHAIN_ID"]) {
    env[name] = "";
  }
  for (const name of Object.keys(env)) if (name.startsWith("HARDHAT_")) delete env[name];
  return { ...env, ...overrides };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no free port"))));
    });
  });
}

export interface EmbeddedNode {
  readonly url: string;
  readonly port: number;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** Live hardhat-node children: killed synchronously if this process exits without stopping them. */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
function ownChild(child: ChildProcess): void {
  liveChildren.add(child);
  child.once("exit", () => liveChildren.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => {
      for (const c of liveChildren) c.kill("SIGKILL");
    });
  }
}

/** `hardhat node --hostname 127.0.0.1 --port <free>` as a child; resolves once it listens. */
export async function startHardhatNode(options: { timeoutMs?: number } = {}): Promise<EmbeddedNode> {
  const port = await freePort();
  // Its own process group (detached): a terminal's Ctrl-C reaches the keeper only, which stops
  // the chain after finishing its in-flight action (stop()), never in the same instant.
  const child = spawn(process.execPath, [HARDHAT_CLI, "node", "--hostname", "127.0.0.1", "--port", String(port)], {
    cwd: REPO_ROOT,
    env: hardhatChildEnv(),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  ownChild(child);
  const stop = (): Promise<void> =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
      child.once("exit", () => {
        clearTimeout(killer);
        resolve();
      });
      child.kill("SIGTERM");
    });
  let output = "";
  const collect = (chunk: Buffer): void => {
    if (output.length < 20_000) output += chunk.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const timeoutMs = options.timeoutMs ?? 90_000;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`hardhat node did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`hardhat node exited (${code}) before listening:\n${output}`));
    };
    child.once("exit", onExit);
    const onReady = (): void => {
      if (!output.includes("Started HTTP")) return;
      clearTimeout(timer);
      child.off("exit", onExit);
      child.stdout?.off("data", onReady);
      resolve();
    };
    child.stdout?.on("data", onReady);
  });
  // The node logs every request: keep draining, keep nothing.
  child.stdout?.off("data", collect);
  child.stderr?.off("data", collect);
  child.stdout?.resume();
  child.stderr?.resume();
  return { url: `http://127.0.0.1:${port}`, port, pid: child.pid, stop };
}

/** Runs the Hardhat CLI to completion; rejects with its output on a non-zero exit. */
export function runHardhatCli(args: readonly string[], env: Readonly<Record<string, string>>, timeoutMs = 180_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HARDHAT_CLI, ...args], { cwd: REPO_ROOT, env: hardhatChildEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    ownChild(child);
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`hardhat ${args.join(" ")} failed (exit ${code}):\n${output.slice(-4000)}`));
    });
  });
}

/** The contracts of one demo protocol: what the position is read from and who holds the pool's stablecoin. */
export interface StandInAddresses {
  /** The contract the reader reads (aToken, Comet, vault, Curve pool). */
  readonly positionContract: string;
  /** The contract that holds the protocol's stablecoin (the watched balance's holder). */
  readonly holder: string;
  /** Where deposits go (the Aave pool or the Aave v2 lending pool; else the contract itself). */
  readonly entry: string;
}

/** The LocalStack contracts the embedded run uses, from Ignition's deployed_addresses.json. */
export interface StackAddresses {
  readonly fund: string;
  readonly lens: string;
  readonly tokens: Readonly<Record<StablecoinSymbol, string>>;
  readonly nexusClaims: string;
  readonly secondProvider: string;
  /** Per demo protocol id. */
  readonly protocols: Readonly<Record<string, StandInAddresses>>;
}

/** The stack with the real Aave v3 market's USDC reserve as the aave-v3 demo protocol (aToken read, cash held by the aToken, supplied through the Pool). */
export async function withRealAave(stack: StackAddresses, market: RealAaveMarket): Promise<StackAddresses> {
  const aToken = await market.reserves.USDC.aToken.getAddress();
  const entry = await market.pool.getAddress();
  const aave = Object.fromEntries(DEMO_PORTFOLIO.filter((p) => p.standIn.kind === "aave-v3").map((p) => [p.id, { positionContract: aToken, holder: aToken, entry }]));
  return { ...stack, protocols: { ...stack.protocols, ...aave } };
}

/** Pure: the stack from the parsed deployed_addresses.json; throws naming a missing entry. */
export function parseStackAddresses(contents: Readonly<Record<string, string>>, file: string): StackAddresses {
  const at = (futureId: string): string => {
    const value = contents[futureId];
    if (value === undefined) throw new Error(`${file}: no "${futureId}" — was LocalStack deployed?`);
    return getAddress(value);
  };
  return {
    fund: at("Fund#StablecoinInsuranceFund"),
    lens: at("Fund#FundLens"),
    tokens: { USDC: at("MockTokens#MockUSDC"), USDT: at("MockTokens#MockUSDT"), DAI: at("MockTokens#MockDAI") },
    nexusClaims: at("MockNexus#MockNexusMutualClaims"),
    secondProvider: at("SecondProvider#MockCapacityLimitedProvider"),
    // Aave v3 is the real market, deployed after the stack (withRealAave).
    protocols: Object.fromEntries(
      DEMO_PORTFOLIO.flatMap((p) => {
        if (p.standIn.futureId === undefined) return [];
        const contract = at(`DemoProtocols#${p.standIn.futureId}`);
        const entry = p.standIn.kind === "aave-v2" ? at("DemoProtocols#RadiantPool") : contract;
        return [[p.id, { positionContract: contract, holder: contract, entry }]];
      }),
    ),
  };
}

/** The reader spec of the investor's position in a demo stand-in. */
export function demoPositionSource(position: DemoPosition, standIn: StandInAddresses): PositionSourceConfig {
  switch (position.standIn.kind) {
    case "aave-v3":
      return { kind: "aave-v3", aToken: standIn.positionContract };
    case "aave-v2":
      // Radiant-style: the lending pool is configured, the aToken of the position's asset resolved from it.
      return { kind: "aave-v2", lendingPool: standIn.entry };
    case "compound-v3":
      return { kind: "compound-v3", comet: standIn.positionContract };
    case "erc4626":
      return { kind: "erc4626", vault: standIn.positionContract };
    case "curve":
      return { kind: "curve", pool: standIn.positionContract, coinIndex: 0, indexType: "int128" };
  }
}

const EXPLOIT_ABI = [
  "function mockExploitBorrow(address asset, address to, uint256 amount)",
  "function mockExploitDrain(address to, uint256 amount)",
  "function mockExploitDrain(uint256 i, address to, uint256 amount)",
];

/** What the demo exploit did: the amount that left the protocol and the block it left in. */
export interface DemoDrain {
  readonly amount: bigint;
  readonly block: number;
  /** How it was done, for the demo's narration. */
  readonly how: string;
}

/**
 * The demo exploit: `fraction` of the stablecoin the protocol holds leaves for the attacker, the
 * way that protocol is really drained.
 * - Aave v3 (the real market): an oracle manipulation — the attacker supplies 10 WETH, WETH's
 *   price source is pushed up, the attacker borrows the cash against it, the source is restored.
 *   Every supplier's aToken balance stays where it was; the cash is gone, the debt unbacked.
 * - Aave v2 (Radiant stand-in): a borrow against worthless collateral (`mockExploitBorrow`), same
 *   balance sheet.
 * - Comet, Curve, the ERC-4626 vaults: the stand-ins' owner-only `mockExploitDrain` (see each
 *   contract's NatSpec for what it models).
 */
export async function drainDemoProtocol(
  env: { readonly stack: StackAddresses; readonly aave: RealAaveMarket },
  position: DemoPosition,
  owner: Signer,
  attacker: Signer,
  fraction: number,
): Promise<DemoDrain> {
  const standIn = env.stack.protocols[position.id];
  if (standIn === undefined) throw new Error(`no protocol deployed for ${position.id}`);
  const token = env.stack.tokens[position.stablecoin];
  const to = await attacker.getAddress();
  const held = (await new Contract(token, ["function balanceOf(address) view returns (uint256)"], owner).getFunction("balanceOf")(standIn.holder)) as bigint;
  const amount = (held * BigInt(Math.round(fraction * 10_000))) / 10_000n;
  if (position.standIn.kind === "aave-v3") {
    const drained = await env.aave.oracleDrain(attacker, position.stablecoin, { amount });
    return { amount: drained.amount, block: drained.borrowBlock, how: `oracle manipulation: WETH's price source pushed up, the cash borrowed against 10 WETH, the source restored in block ${drained.restoreBlock}` };
  }
  const target = new Contract(standIn.entry, EXPLOIT_ABI, owner);
  const tx =
    position.standIn.kind === "aave-v2"
      ? await target.getFunction("mockExploitBorrow")(token, to, amount)
      : position.standIn.kind === "curve"
        ? await target.getFunction("mockExploitDrain(uint256,address,uint256)")(0, to, amount)
        : await target.getFunction("mockExploitDrain(address,uint256)")(to, amount);
  const receipt = await tx.wait();
  return { amount, block: Number(receipt?.blockNumber ?? 0), how: position.standIn.kind === "aave-v2" ? "a borrow against worthless collateral" : "taken out of the pool" };
}

const STAND_IN_ABI = [
  "function supply(address asset, uint256 amount, address onBehalfOf, uint16 referralCode)",
  "function deposit(address asset, uint256 amount, address onBehalfOf, uint16 referralCode)",
  "function supply(address asset, uint256 amount)",
  "function deposit(uint256 assets, address receiver) returns (uint256)",
  "function add_liquidity(uint256[2] amounts, uint256 min_mint_amount) returns (uint256)",
];

/**
 * Opens `amount` (whole tokens) of `position` for `holder` through the stand-in's own entry
 * point (Aave v3 `supply`, Aave v2 `deposit`, Comet `supply`, ERC-4626 `deposit`, Curve `add_liquidity`), minting the
 * stablecoin first (mock tokens mint freely).
 */
export async function openDemoPosition(
  stack: StackAddresses,
  position: DemoPosition,
  holder: Signer,
  wholeAmount: number,
  minter: Signer,
): Promise<void> {
  const token = stack.tokens[position.stablecoin];
  const amount = BigInt(wholeAmount) * 10n ** BigInt(TOKEN_DECIMALS[position.stablecoin]);
  const who = await holder.getAddress();
  const standIn = stack.protocols[position.id];
  if (standIn === undefined) throw new Error(`no stand-in deployed for ${position.id}`);
  await (await new Contract(token, MINTABLE_ABI, minter).getFunction("mint")(who, amount)).wait();
  await (await new Contract(token, ["function approve(address spender, uint256 amount)"], holder).getFunction("approve")(standIn.entry, amount)).wait();
  const entry = new Contract(standIn.entry, STAND_IN_ABI, holder);
  switch (position.standIn.kind) {
    case "aave-v3":
      await (await entry.getFunction("supply(address,uint256,address,uint16)")(token, amount, who, 0)).wait();
      return;
    case "aave-v2":
      await (await entry.getFunction("deposit")(token, amount, who, 0)).wait();
      return;
    case "compound-v3":
      await (await entry.getFunction("supply(address,uint256)")(token, amount)).wait();
      return;
    case "erc4626":
      await (await entry.getFunction("deposit")(amount, who)).wait();
      return;
    case "curve":
      await (await entry.getFunction("add_liquidity")([amount, 0n], 0n)).wait();
      return;
  }
}

/** `npm run deploy:local` against the embedded node, deployments in `<ignitionDir>/deployments`. */
export async function deployLocalStack(rpcUrl: string, ignitionDir: string): Promise<StackAddresses> {
  symlinkSync(path.join(REPO_ROOT, "deploy", "modules"), path.join(ignitionDir, "modules"), "dir");
  await runHardhatCli(["run", "--network", "localhost", "scripts/deploy.ts"], {
    LOCALHOST_RPC_URL: rpcUrl,
    SIF_IGNITION_DIR: ignitionDir,
    DEPLOY_PARAMETERS: LOCALHOST_PARAMETERS,
    HARDHAT_IGNITION_CONFIRM_DEPLOYMENT: "true",
  });
  const file = path.join(ignitionDir, "deployments", `chain-${LOCAL_CHAIN_ID}`, "deployed_addresses.json");
  return parseStackAddresses(JSON.parse(readFileSync(file, "utf8")) as Record<string, string>, file);
}

/** The Nexus mock's default NXM price: 60 whole asset units per NXM (MockNexusMutualCover.DEFAULT_NXM_PRICE_IN_UNITS). */
const MOCK_NXM_PRICE_IN_UNITS = 60n;
const ONE_NXM = 10n ** 18n;
const NXM_PER_ALLOCATION_UNIT = 10n ** 16n;

/**
 * What MockNexusMutualCover charges for a single-pool cover: the allocation in NXM at the mock's NXM
 * price, rounded up to 0.01 NXM; premium in NXM = allocation × bps × period / (10 000 × 365 days), rounded
 * down; back to the asset at the same price, rounded down. Returns the premium and the covered amount.
 */
export function mockNexusPremium(amount: bigint, periodSec: bigint, annualPriceBps: number, decimals = 6): { premium: bigint; covered: bigint } {
  const price = MOCK_NXM_PRICE_IN_UNITS * 10n ** BigInt(decimals);
  const ceil = (x: bigint, y: bigint) => (x + y - 1n) / y;
  const inNXM = ceil(ceil(amount * ONE_NXM, price), NXM_PER_ALLOCATION_UNIT) * NXM_PER_ALLOCATION_UNIT;
  const premiumInNXM = ((inNXM * BigInt(annualPriceBps)) / 10_000n) * periodSec / (365n * 86_400n);
  return { premium: (premiumInNXM * price) / ONE_NXM, covered: (inNXM * price) / ONE_NXM };
}

export interface QuoteServer {
  readonly baseUrl: string;
  close(): Promise<void>;
}

/**
 * A loopback stand-in for the Nexus cover-router v2.7 `GET /v2/quote`, priced like the Nexus mock (one
 * staking pool, USDC). Same reply shape as the router (refund fields included) and its `{ message }`
 * errors for an unknown cover asset. Simplification: it has no chain access, so an edit quote
 * (`coverEditId`) reports no refund (`premiumInAssetWithRefund` = the gross premium), an upper bound of
 * what the edit costs.
 */
export async function startMockNexusQuoteServer(annualPriceBps: number): Promise<QuoteServer> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname !== "/v2/quote") {
      res.writeHead(404).end();
      return;
    }
    const coverAsset = url.searchParams.get("coverAsset");
    if (coverAsset !== "6") {
      res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ message: "Internal Server Error" }));
      return;
    }
    const amount = BigInt(url.searchParams.get("amount") ?? "0");
    const periodSec = BigInt(url.searchParams.get("period") ?? "0") * 86_400n;
    const { premium, covered } = mockNexusPremium(amount, periodSec, annualPriceBps);
    const premiumInNXM = (premium * ONE_NXM) / (MOCK_NXM_PRICE_IN_UNITS * 10n ** 6n);
    res.writeHead(200, { "content-type": "application/json" }).end(
      JSON.stringify({
        quote: {
          totalCoverAmountInAsset: covered.toString(),
          annualPrice: String(annualPriceBps),
          premiumInNXM: premiumInNXM.toString(),
          premiumInAsset: premium.toString(),
          refundInNXM: "0",
          refundInAsset: "0",
          premiumInNXMWithRefund: premiumInNXM.toString(),
          premiumInAssetWithRefund: premium.toString(),
          poolAllocationRequests: [{ poolId: "1", coverAmountInAsset: amount.toString() }],
          asset: { id: 6, symbol: "USDC", decimals: 6 },
        },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("quote server has no port");
  return {
    baseUrl: `http://127.0.0.1:${address.port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface EmbeddedConfigOptions {
  readonly rpcUrl: string;
  readonly stack: StackAddresses;
  readonly beneficiary: string;
  readonly fixtureDir: string;
  readonly workDir: string;
  readonly quoteBaseUrl: string;
  /** Daemon loop intervals, seconds. */
  readonly intervals?: { riskSec: number; coverageSec: number; incidentWatchSec: number };
  readonly purchaseDurationDays?: number;
  /** 0 = an ephemeral port; false = no health server. */
  readonly healthPort?: number | false;
}

/**
 * Pure: the keeper config of the embedded run — the embedded default's protocols and the
 * original investor's positions (Nexus first where the mock lists the product, then the second
 * provider, then the pool).
 */
export function embeddedKeeperConfig(options: EmbeddedConfigOptions): ConfigFile {
  const defaults = embeddedDefaultConfig();
  const standIn = (id: string): StandInAddresses => {
    const found = options.stack.protocols[id];
    if (found === undefined) throw new Error(`no stand-in for ${id}`);
    return found;
  };
  const demoById = new Map(DEMO_PORTFOLIO.map((p) => [p.id, p]));
  return {
    ...defaults,
    // Every protocol watches the stablecoin its stand-in holds, and the investor's position in it.
    protocols: defaults.protocols.map((p) => {
      const demo = demoById.get(p.id);
      if (demo === undefined) return p;
      return {
        ...p,
        watch: {
          balances: [{ token: options.stack.tokens[demo.stablecoin], holder: standIn(p.id).holder, label: `${demo.stablecoin} held by the ${demo.standIn.label}` }],
          positions: true,
        },
      };
    }),
    // Automining chain: no block cadence, so no stale-node check.
    chain: { rpcUrl: options.rpcUrl, chainId: LOCAL_CHAIN_ID, fundAddress: options.stack.fund, lensAddress: options.stack.lens, maxBlockAgeSec: 0 },
    sources: { fixture: { path: options.fixtureDir } },
    positions: DEMO_PORTFOLIO.map((position) => ({
      protocol: position.id,
      asset: options.stack.tokens[position.stablecoin],
      assetSymbol: position.stablecoin,
      assetDecimals: TOKEN_DECIMALS[position.stablecoin],
      // No fixed target: coverage follows the position's live value, read on-chain.
      position: demoPositionSource(position, standIn(position.id)),
      beneficiary: options.beneficiary,
      providers: providerFor(position) === PROVIDER_ID.nexus ? [PROVIDER_ID.nexus, PROVIDER_ID.second] : [PROVIDER_ID.second],
      allowSelfInsure: true,
    })),
    providers: {
      nexus: {
        providerId: PROVIDER_ID.nexus,
        quoteBaseUrl: options.quoteBaseUrl,
        productIds: Object.fromEntries(DEMO_PORTFOLIO.flatMap((p) => (p.nexusProductId !== undefined ? [[p.id, p.nexusProductId]] : []))),
      },
      onChainQuote: [PROVIDER_ID.second],
    },
    coverage: { purchaseDurationDays: options.purchaseDurationDays ?? 365 },
    budget: { maxPremiumPerCycleUsd: 50_000, maxPremiumPerDayUsd: 100_000 },
    // Automining chain: poll receipts quickly.
    tx: { pollIntervalMs: 100, receiptTimeoutMs: 30_000 },
    state: { dbPath: path.join(options.workDir, "keeper-state.sqlite") },
    paths: { evidenceDir: path.join(options.workDir, "evidence"), reportDir: path.join(options.workDir, "reports") },
    intervals: { ...(options.intervals ?? { riskSec: 60, coverageSec: 30, incidentWatchSec: 15 }), jitterFraction: 0.1 },
    health: options.healthPort === false ? { enabled: false, port: 0 } : { enabled: true, port: options.healthPort ?? 0 },
  };
}

const MINTABLE_ABI = ["function mint(address to, uint256 amount)"];

export interface EmbeddedEnvironment {
  readonly node: EmbeddedNode;
  readonly stack: StackAddresses;
  /** The real Aave v3 market (the aave-v3 position lives in its USDC reserve). */
  readonly aave: RealAaveMarket;
  readonly workDir: string;
  readonly fixtureDir: string;
  readonly config: ConfigFile;
  /** The keeper key (dev account #1): holds RISK_ORACLE_ROLE only. */
  readonly keeperKey: string;
  readonly accounts: { readonly deployer: string; readonly keeper: string; readonly assessor: string; readonly beneficiary: string };
  /** A signer of a dev account on the embedded chain (nonces managed). */
  signer(index: number): Signer;
  readonly provider: JsonRpcProvider;
  /** Stops the node and the quote server and removes the temp dir; idempotent. */
  stop(): Promise<void>;
}

export interface StartEmbeddedOptions {
  readonly logger: Logger;
  /** One progress line per step. */
  readonly progress?: (message: string) => void;
  readonly config?: Partial<Pick<EmbeddedConfigOptions, "intervals" | "purchaseDurationDays" | "healthPort">>;
}

/** Node → deploy → accounts → fixtures → quote server → config. Cleans up after itself on failure. */
export async function startEmbedded(options: StartEmbeddedOptions): Promise<EmbeddedEnvironment> {
  const progress = options.progress ?? (() => undefined);
  const workDir = mkdtempSync(path.join(os.tmpdir(), "sif-embedded-"));
  let node: EmbeddedNode | undefined;
  let quotes: QuoteServer | undefined;
  let provider: JsonRpcProvider | undefined;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      provider?.destroy();
      await Promise.allSettled([node?.stop(), quotes?.close()]);
      rmSync(workDir, { recursive: true, force: true });
    })());
  try {
    const parameters = JSON.parse(readFileSync(LOCALHOST_PARAMETERS, "utf8")) as { MockNexus?: { annualPriceBps?: number } };
    [node, quotes] = await Promise.all([startHardhatNode(), startMockNexusQuoteServer(parameters.MockNexus?.annualPriceBps ?? 100)]);
    progress(`local chain: hardhat node at ${node.url} (pid ${node.pid})`);
    options.logger.info({ url: node.url, pid: node.pid, workDir }, "embedded hardhat node started");

    const ignitionDir = path.join(workDir, "ignition");
    mkdirSync(ignitionDir);
    const deployed = await deployLocalStack(node.url, ignitionDir);
    progress(`deployed LocalStack (Ignition): fund ${deployed.fund}, lens ${deployed.lens}`);

    provider = new JsonRpcProvider(node.url, LOCAL_CHAIN_ID, { staticNetwork: true, cacheTimeout: -1 });
    // An automining chain: a receipt exists when the send returns, so poll for it quickly (ethers' default is 4 s per wait).
    provider.pollingInterval = 50;
    const signer = devSigners(provider);
    const aave = await deployRealAave({ admin: signer(ACCOUNT_INDEX.deployer), treasury: devAccount(ACCOUNT_INDEX.aaveTreasury).address, tokens: deployed.tokens });
    const stack = await withRealAave(deployed, aave);
    progress(`deployed the real Aave v3 market (@aave/core-v3): Pool ${await aave.pool.getAddress()}, USDC aToken ${stack.protocols["aave-v3"]?.positionContract ?? "?"}`);
    const accounts = devAccounts();
    await seedDemoAccounts(provider, stack, signer, accounts, progress);

    const fixtureDir = path.join(workDir, "fixtures");
    cpSync(DEFAULT_FIXTURE_DIR, fixtureDir, { recursive: true });
    const config = embeddedKeeperConfig({
      rpcUrl: node.url,
      stack,
      beneficiary: accounts.beneficiary,
      fixtureDir,
      workDir,
      quoteBaseUrl: quotes.baseUrl,
      ...options.config,
    });
    progress(
      `portfolio: ${DEMO_PORTFOLIO.map((p) => `${p.name} $${p.usd.toLocaleString("en-US")}`).join(", ")} (fixture data in ${fixtureDir})`,
    );
    return {
      node,
      stack,
      aave,
      workDir,
      fixtureDir,
      config,
      keeperKey: devAccount(ACCOUNT_INDEX.keeper).privateKey,
      accounts,
      signer,
      provider,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** One nonce-managed signer per dev account, made on first use. */
function devSigners(rpc: JsonRpcProvider): (index: number) => Signer {
  const signers = new Map<number, Signer>();
  return (index) => {
    let s = signers.get(index);
    if (s === undefined) {
      s = new NonceManager(devAccount(index).connect(rpc));
      signers.set(index, s);
    }
    return s;
  };
}

function devAccounts(): EmbeddedEnvironment["accounts"] {
  return {
    deployer: devAccount(ACCOUNT_INDEX.deployer).address,
    keeper: devAccount(ACCOUNT_INDEX.keeper).address,
    assessor: devAccount(ACCOUNT_INDEX.assessor).address,
    beneficiary: devAccount(ACCOUNT_INDEX.beneficiary).address,
  };
}

/**
 * The keeper's premium float, the beneficiary's agent approval, Multicall3, and the positions in
 * every stand-in (other suppliers first, then the investor).
 */
async function seedDemoAccounts(
  rpc: JsonRpcProvider,
  stack: StackAddresses,
  signer: (index: number) => Signer,
  accounts: EmbeddedEnvironment["accounts"],
  progress: (message: string) => void,
): Promise<void> {
  const keeper = accounts.keeper;
  // Premium float for the keeper (it pays premiums; the beneficiary owns the coverage).
  const deployer = signer(ACCOUNT_INDEX.deployer);
  for (const symbol of Object.keys(stack.tokens) as StablecoinSymbol[]) {
    const token = new Contract(stack.tokens[symbol], MINTABLE_ABI, deployer);
    await (await token.getFunction("mint")(keeper, BigInt(KEEPER_PREMIUM_FLOAT) * 10n ** BigInt(TOKEN_DECIMALS[symbol]))).wait();
  }
  const fund = StablecoinInsuranceFund__factory.connect(stack.fund, signer(ACCOUNT_INDEX.beneficiary));
  await (await fund.setAgent(keeper, true)).wait();
  // Multicall3 at its canonical address (the keeper's position reads), then the positions:
  // other suppliers first, then the investor (the beneficiary), in every stand-in.
  await installLocalMulticall3(rpc);
  for (const position of DEMO_PORTFOLIO) {
    await openDemoPosition(stack, position, signer(ACCOUNT_INDEX.crowd), position.usd * DEMO_CROWD_MULTIPLE, deployer);
    await openDemoPosition(stack, position, signer(ACCOUNT_INDEX.beneficiary), position.usd, deployer);
  }
  progress(`protocol stand-ins: ${DEMO_PORTFOLIO.map((p) => `${p.name} → ${p.standIn.label}`).join("; ")}; Multicall3 at its canonical address`);
  progress(
    `accounts: keeper ${accounts.keeper} (RISK_ORACLE_ROLE only, ${KEEPER_PREMIUM_FLOAT.toLocaleString("en-US")} of each stablecoin for premiums), beneficiary ${accounts.beneficiary} (cold; keeper approved as agent)`,
  );
}

/** Upper bound of daily risk ticks in `stepScoresDown` (90 → 0 at 10/day is 9). */
export const MAX_SCORE_STEP_DAYS = 12;
const ONE_DAY = 86_400; // seconds

/**
 * The fund lowers a risk component by at most `maxRiskDecreasePerDay` a day, and a protocol's first
 * score counts as a fall from 90, so the keeper reaches an assessed 30 one daily step at a time
 * (80, 70, …). On a local chain the days need not pass in wall time: run the risk loop, move chain
 * time one day, again, until a tick pushes nothing (or `MAX_SCORE_STEP_DAYS`). Every push is the
 * keeper's own, clamped to what the fund accepts. Returns the ticks that pushed and the days moved.
 */
export async function stepScoresDown(
  daemon: Pick<KeeperDaemon, "runLoop">,
  advance: (seconds: number) => Promise<void>,
): Promise<{ readonly pushingTicks: number; readonly days: number }> {
  let pushingTicks = 0;
  let days = 0;
  for (let tick = 0; tick <= MAX_SCORE_STEP_DAYS; tick++) {
    const result = await daemon.runLoop("risk");
    if (result === undefined) throw new Error("the keeper's risk cycle failed (see the keeper line above)");
    if (!result.actions.some((a) => a.kind === "risk-push" && a.result === "confirmed")) break;
    pushingTicks += 1;
    if (tick === MAX_SCORE_STEP_DAYS) break;
    await advance(ONE_DAY);
    days += 1;
  }
  return { pushingTicks, days };
}

/** Moves a local chain's clock (hardhat node) and mines a block at the new time. */
export async function advanceLocalChain(rpc: JsonRpcProvider, seconds: number): Promise<void> {
  await rpc.send("evm_increaseTime", [seconds]);
  await rpc.send("evm_mine", []);
}

/**
 * `npm start` without an RPC: the embedded chain, then `keeper run` on it until SIGINT/SIGTERM/SIGHUP
 * (one status line per cycle on `out`); the chain stops with the daemon. Returns the exit code.
 */
export async function runEmbeddedDaemon(options: { logger: Logger; out: (line: string) => void }): Promise<number> {
  const { logger, out } = options;
  let signalled: NodeJS.Signals | undefined;
  let wake: (() => void) | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    signalled ??= signal;
    wake?.();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  let embedded: EmbeddedEnvironment | undefined;
  try {
    out("no RPC configured (RPC_URL / RPC_URLS / KEEPER_CONFIG): starting the embedded local chain");
    embedded = await startEmbedded({ logger, progress: (line) => out(`embedded: ${line}`) });
    if (signalled !== undefined) return 0;
    const config = parseConfig(embedded.config, {
      env: { KEEPER_PRIVATE_KEY: embedded.keeperKey },
      origin: "embedded local chain",
      baseDir: embedded.workDir,
    });
    const container = await buildContainer(config, logger);
    try {
      await container.verify();
      const daemon = daemonFor(container, { out });
      // Scores first: the keeper steps them down from the unscored 90 (the fund allows 10/day), the
      // embedded chain's clock moving a day per step, so the daemon starts on assessed prices.
      const env = embedded;
      const stepped = await stepScoresDown(daemon, (seconds) => advanceLocalChain(env.provider, seconds));
      out(`embedded: risk scores stepped down by the keeper in ${stepped.pushingTicks} daily pushes (chain time +${stepped.days} d): the fund lowers a score by at most its daily limit, a first score counts from 90`);
      if (signalled !== undefined) return 0; // stopped during the warm-up: no daemon to start
      await daemon.start();
      out(`keeper daemon running on ${embedded.node.url} (state ${config.state.dbPath}); Ctrl-C stops it and the chain`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (signalled !== undefined) resolve();
      });
      await daemon.stop(signalled ?? "stop");
    } finally {
      container.close();
    }
    return 0;
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
    await embedded?.stop();
    if (signalled !== undefined) out(`stopped (${signalled}): keeper daemon and embedded chain shut down`);
  }
}
