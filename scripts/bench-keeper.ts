/**
 * Keeper risk-cycle bench: portfolios of 50 and 200 protocols served DefiLlama-style by a loopback
 * server, the fund on the in-process Hardhat chain reached over HTTP through a counting JSON-RPC
 * proxy. Prints JSON: RPC calls per cycle (at the provider), transactions, gas, wall time, and the
 * push bound ceil(changed / chunk).
 * Coverage: wall time and RPC requests of one full coverage cycle (plan, quotes, approvals,
 * purchases) for 50 and 200 positions on the full system (fund + Nexus mocks + second provider),
 * and of the steady cycle after it. Claims, with the daemon's incident watch ticking: incident
 * ticks from a TVL collapse (suspected) to `reportIncident` mined, and from the hacks feed
 * confirming it to the claim transaction mined (`claims.suspectedToHaltTicks`,
 * `claims.incidentToClaimTicks`).
 * Watch: eth_calls and wall time of one exploit-watch read of 200 positions (25 of each of the
 * eight reader kinds: erc20, aave-v3, compound-v3, erc4626, curve, aave-v2, yearn-v2 on the
 * stand-ins, uniswap-v3 on the real Uniswap v3 — half by token id, half enumerated) + 200 watched
 * balances, and the incident-watch ticks from an on-chain drain to the alert and to the halt.
 * Loss: the real Aave v3 oracle-manipulation drain (WETH's price source pushed to $1M, all the USDC
 * cash borrowed, the source restored) run through the keeper's claims path (watch → suspected →
 * confirmed → pooled-lending loss → claim mined): `claims.lossErrorPct` = |claimed − true loss| /
 * true loss × 100, the true loss being the holder's share of the attacker's bad debt read from the
 * pool (target ≤ 1).
 * Signing: a halt (`reportIncident`) sent while a routine transaction of the same key is stuck at a
 * low fee (a gas spike) → blocks until the halt is mined (`signing.urgentBehindStuckRoutineBlocks`).
 * State: a state database holding one year of a 7-protocol keeper (assessments every risk cycle,
 * risk pushes with their signed bytes, purchases, alerts, drain signals) → wall time of one
 * dashboard refresh (`state.dashboardRefreshMsAtOneYear`, the collector's build with the chain
 * answering at once: the state side of a refresh), the database size before and after the
 * default retention (`state.dbBytesAtOneYear`, `state.dbBytesAfterPrune`, after VACUUM).
 * Leader/standby over PostgreSQL: the leader SIGKILLed after broadcasting a claim → the standby's
 * first signed transaction (`ha.takeoverSeconds`), claims mined more than once (`ha.duplicateSends`).
 *   Run: npm run bench:keeper   (BENCH_ONLY=watch, BENCH_ONLY=loss, BENCH_ONLY=signing, BENCH_ONLY=state or BENCH_ONLY=ha for one part)
 */
import { mine, setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import { JsonRpcProvider, Network, Wallet } from "ethers";
import { ethers, network } from "hardhat";

import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { deployFund, units } from "../test/helpers/fundFixture";
import { daemonFor } from "../keeper/src/cli/daemon";
import { demoProtocolAddress } from "../keeper/src/config";
import { collapseTvl, deployKeeperSystem, fixtureCopy, KEEPER_KEY as SYSTEM_KEEPER_KEY, keeperConfigFile, nexusQuoteRoutes } from "../keeper/test/helpers/keeperSystem";
import { buildContainer } from "../keeper/src/cli/container";
import type { RiskCycleSummary } from "../keeper/src/cycles/riskCycle";
import { parseConfig } from "../keeper/src/config";
import { silentLogger } from "../keeper/src/sources";
import { defiLlamaRoutes, generatePortfolio } from "../keeper/test/helpers/defiLlamaPortfolio";
import { startLoopbackServer } from "../keeper/test/helpers/loopbackServer";
import { startRpcProxy, type RpcProxy } from "../keeper/test/helpers/rpcProxy";
import { dai18, deployStandIns, usdc6 } from "../keeper/test/helpers/protocolStandIns";
import { deployRealUniswap, tickAt } from "../test/helpers/realUniswap";
import { deployRealAaveHere, USD8 } from "../test/helpers/realAave";
import { installLocalMulticall3 } from "../keeper/src/cli/localMulticall";
import { startSecondChain, type SecondChain } from "../keeper/test/helpers/secondChain";
import { decideIncident } from "../keeper/src/cli/commands/incident";
import { PROTOCOLS } from "../test/helpers/fundFixture";
import { FUND_INCIDENT_ABI } from "../keeper/src/cycles/exploitWatch";
import type { ConfigFile } from "../keeper/src/config/schema";
import { DEFAULT_TX_OPTIONS, TxSender } from "../keeper/src/execution/txSender";
import { DashboardReads, DEFAULT_RETENTION, openStateDb, type StateDb } from "../keeper/src/state";
import { DashboardCollector } from "../keeper/src/server/dashboard/collector";
import type { RiskAssessment } from "../keeper/src/scoring/types";
import type { KeeperConfig } from "../keeper/src/config";
import { statSync } from "node:fs";
import { prepareHaClaims, runHaKillScenario } from "../keeper/test/helpers/haScenario";
import { postgresBinDir, startPostgres } from "../keeper/test/helpers/postgres";

const DAY = 86_400; // seconds
const KEEPER_KEY = ethers.id("keeper bench key");

interface CycleFigures {
  readonly cycle: string;
  readonly rpcCalls: number;
  /** State reads (everything but tx submission / receipt / fee / nonce calls). */
  readonly rpcReads: number;
  readonly rpcByMethod: Record<string, number>;
  readonly httpRequests: number;
  readonly changed: number;
  readonly chunkSize: number;
  readonly ceilChangedOverChunk: number;
  readonly transactions: number;
  readonly gasUsed: number;
  readonly gasPerItem: number | null;
  readonly wallTimeMs: number;
}

async function benchPortfolio(size: number, proxy: RpcProxy): Promise<Record<string, unknown>> {
  const f = await deployFund();
  const keeper = new Wallet(KEEPER_KEY);
  await setBalance(keeper.address, ethers.parseEther("100"));
  await f.fund.connect(f.admin).grantRole(await f.fund.RISK_ORACLE_ROLE(), keeper.address);

  let chainTime = await time.latest();
  const portfolio = generatePortfolio(size, `bench${size}`);
  const server = await startLoopbackServer(defiLlamaRoutes(portfolio, () => chainTime));
  const config = parseConfig(
    {
      chain: { rpcUrl: proxy.url, chainId: 31337, fundAddress: await f.fund.getAddress(), lensAddress: await f.lens.getAddress() },
      protocols: portfolio.protocols,
      sources: {
        operator: portfolio.operator,
        defiLlama: { apiBaseUrl: server.baseUrl, stablecoinsBaseUrl: server.baseUrl, concurrency: 16 },
      },
    },
    { env: { KEEPER_PRIVATE_KEY: KEEPER_KEY } },
  );
  const container = await buildContainer(config, silentLogger);
  const cycle = container.riskCycle();
  const rp = config.riskPush;

  const measure = async (label: string): Promise<CycleFigures> => {
    proxy.reset();
    const httpBefore = server.requestCount();
    const started = process.hrtime.bigint();
    const summary: RiskCycleSummary = await cycle.run();
    const wallTimeMs = Number((process.hrtime.bigint() - started) / 1_000_000n);
    if (summary.failures.length > 0) throw new Error(`${label}: ${JSON.stringify(summary.failures)}`);
    const allNew = summary.pushes.length > 0 && summary.pushes.every((p) => p.reasons.includes("never-scored"));
    const chunkSize = Math.floor((rp.maxGasPerTx - rp.baseGasPerTx) / (allNew ? rp.gasPerNewItem : rp.gasPerRepeatItem));
    const gasUsed = Number(summary.gasUsed);
    return {
      cycle: label,
      rpcCalls: proxy.total(),
      rpcReads: proxy.reads(),
      rpcByMethod: proxy.counts(),
      httpRequests: server.requestCount() - httpBefore,
      changed: summary.planned,
      chunkSize,
      ceilChangedOverChunk: Math.ceil(summary.planned / chunkSize),
      transactions: summary.transactions.length,
      gasUsed,
      gasPerItem: summary.itemsPushed > 0 ? Math.round(gasUsed / summary.itemsPushed) : null,
      wallTimeMs,
    };
  };

  const cycles: CycleFigures[] = [];
  cycles.push(await measure("first (all never scored)"));
  cycles.push(await measure("second (nothing changed)"));
  // A tenth of the portfolio loses 90% of its TVL: their TVL risk rises and is pushed at once.
  const hit = [...portfolio.tvlBySlug.keys()].filter((_, i) => i % 10 === 0);
  for (const slug of hit) portfolio.tvlBySlug.set(slug, (portfolio.tvlBySlug.get(slug) ?? 0) * 0.1);
  await time.increase(DAY);
  chainTime = await time.latest();
  cycles.push(await measure(`third (+1 day, ${hit.length} TVL crashes)`));

  container.close();
  await server.close();
  const steady = cycles[1];
  return {
    protocols: size,
    cycles,
    targets: {
      readsPerNoPushCycleAtMost3: steady !== undefined && steady.rpcReads <= 3,
      pushesWithinCeilChangedOverChunk: cycles.every((c) => c.transactions <= c.ceilChangedOverChunk),
    },
  };
}

/** One full coverage cycle for `size` positions (one protocol each), then the steady cycle after it. */
async function benchCoverage(size: number, proxy: RpcProxy): Promise<Record<string, unknown>> {
  const s = await deployKeeperSystem();
  await s.secondProvider.connect(s.admin).mockSetPrice(100);
  const protocols = Array.from({ length: size }, (_, i) => ({ id: `cov${size}-${i}`, name: `Coverage bench ${i}`, address: demoProtocolAddress(`cov${size}-${i}`) }));
  for (const p of protocols) await s.secondProvider.connect(s.admin).mockSetMarket(p.address, s.usdcAddress, true, units(1_000_000, 6));
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), "bench-coverage-"));
  const base = keeperConfigFile(s, { rpcUrl: proxy.url, fixtureDir: workDir, workDir });
  const config = parseConfig(
    {
      ...base,
      protocols,
      sources: { operator: Object.fromEntries(protocols.map((p) => [p.id, { auditScore: 50 }])) },
      positions: protocols.map((p) => ({ protocol: p.id, asset: s.usdcAddress, assetSymbol: "USDC", assetDecimals: 6, targetAmount: "1000", beneficiary: s.beneficiary.address, providers: [2], allowSelfInsure: true })),
      providers: { onChainQuote: [2] },
      budget: { maxPremiumPerCycleUsd: 1_000_000, maxPremiumPerDayUsd: 1_000_000 },
      tx: { pollIntervalMs: 10 },
    },
    { env: { KEEPER_PRIVATE_KEY: SYSTEM_KEEPER_KEY } },
  );
  const container = await buildContainer(config, silentLogger);
  const cycle = container.coverageCycle();
  const measure = async (label: string) => {
    proxy.reset();
    const started = process.hrtime.bigint();
    const summary = await cycle.run();
    const wallTimeMs = Number((process.hrtime.bigint() - started) / 1_000_000n);
    const failed = summary.actions.filter((a) => a.status !== "confirmed");
    if (failed.length > 0) throw new Error(`${label}: ${JSON.stringify(failed.slice(0, 3))}`);
    return {
      cycle: label,
      wallTimeMs,
      rpcRequests: proxy.total(),
      rpcReads: proxy.reads(),
      rpcSendRawTransaction: proxy.counts()["eth_sendRawTransaction"] ?? 0,
      transactions: summary.actions.length,
      purchases: summary.actions.filter((a) => a.kind === "purchase").length,
      gasUsed: Number(summary.gasUsed),
    };
  };
  const first = await measure("first (every position uncovered)");
  const steady = await measure("second (nothing to do)");
  container.close();
  await fs.rm(workDir, { recursive: true, force: true });
  return { positions: size, cycles: [first, steady] };
}

/**
 * Daemon with a 2 s incident watch. A TVL collapse written to the fixture opens a SUSPECTED
 * incident: ticks until `reportIncident` is mined (`suspectedToHaltTicks`). Then the hacks feed
 * (loopback, DefiLlama `/hacks` shape) lists the exploit, which confirms it: ticks and time until
 * the claim transaction is mined (`incidentToClaimTicks`).
 */
async function benchIncidentToClaim(proxy: RpcProxy): Promise<{ incidentToClaim: Record<string, unknown>; claims: Record<string, number> }> {
  const s = await deployKeeperSystem();
  const quotes = await startLoopbackServer(nexusQuoteRoutes());
  let hacks: Record<string, unknown>[] = [];
  const feed = await startLoopbackServer({ "/bench-pro-key/api/hacks": () => ({ json: hacks }) });
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), "bench-claim-"));
  const fixtureDir = await fixtureCopy();
  const incidentWatchSec = 2;
  const config = parseConfig(
    keeperConfigFile(s, {
      rpcUrl: proxy.url,
      quoteBaseUrl: `${quotes.baseUrl}/`,
      fixtureDir,
      workDir,
      overrides: {
        intervals: { riskSec: 3600, coverageSec: 3600, incidentWatchSec, jitterFraction: 0 },
        tx: { pollIntervalMs: 10 },
        sources: { fixture: { path: fixtureDir }, hacks: { proApiBaseUrl: feed.baseUrl, ttlSeconds: 0 } },
      },
    }),
    { env: { KEEPER_PRIVATE_KEY: SYSTEM_KEEPER_KEY, DEFILLAMA_PRO_API_KEY: "bench-pro-key" } },
  );
  const container = await buildContainer(config, silentLogger);
  const daemon = daemonFor(container, { out: () => undefined });
  await daemon.start();
  const waitFor = async (check: () => Promise<boolean>, what: string) => {
    const deadline = Date.now() + 30_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const incidentTicks = () => daemon.metrics.cycleCount("incident");
  await waitFor(async () => daemon.metrics.lastSuccessMs("incident") !== undefined, "the first incident tick");
  if ((await s.fund.coverageCount()) === 0n) throw new Error("bench: the daemon bought no coverage");
  await time.increase(3600);

  // Suspected (TVL drop alone) → halt mined.
  const haltTicksBefore = incidentTicks();
  const haltStarted = process.hrtime.bigint();
  await collapseTvl(fixtureDir, "aave-v3", 0.6);
  const protocol = config.protocols[0]?.address ?? "";
  await waitFor(async () => (await s.fund.getIncident(protocol)).active, "the halt");
  const suspectedToHaltMs = Number((process.hrtime.bigint() - haltStarted) / 1_000_000n);
  // Count the tick that mined it: wait until that tick has finished.
  const haltSeenMs = Date.now();
  await waitFor(async () => (daemon.metrics.lastSuccessMs("incident") ?? 0) >= haltSeenMs, "the halting tick to finish");
  const suspectedToHaltTicks = incidentTicks() - haltTicksBefore;
  if ((await s.fund.claimCount()) !== 0n) throw new Error("bench: a suspected incident was claimed");

  // Confirmed (the feed lists the exploit) → claim mined.
  const ticksBefore = incidentTicks();
  const started = process.hrtime.bigint();
  hacks = [{ date: (await time.latest()) - 600, name: "Aave V3", classification: "Protocol Logic", technique: "Oracle manipulation", amount: 12_000_000, chain: ["Ethereum"], defillamaId: null }];
  await waitFor(async () => (await s.fund.claimCount()) > 0n, "the claim");
  const latencyMs = Number((process.hrtime.bigint() - started) / 1_000_000n);
  const claimSeenMs = Date.now();
  await waitFor(async () => (daemon.metrics.lastSuccessMs("incident") ?? 0) >= claimSeenMs, "the claiming tick to finish");
  const ticksAfter = incidentTicks();
  const lastTickSec = daemon.metrics.lastCycleSeconds("incident");
  await daemon.stop("bench done");
  container.close();
  await quotes.close();
  await feed.close();
  await fs.rm(workDir, { recursive: true, force: true });
  await fs.rm(fixtureDir, { recursive: true, force: true });
  return {
    incidentToClaim: {
      incidentWatchIntervalMs: incidentWatchSec * 1000,
      incidentAppearedToClaimMinedMs: latencyMs,
      claimingTickDurationMs: Math.round(lastTickSec * 1000),
      ticksUntilMined: ticksAfter - ticksBefore,
      withinOneIncidentWatchTick: ticksAfter - ticksBefore <= 1 && latencyMs <= incidentWatchSec * 1000 + Math.round(lastTickSec * 1000),
      suspectedToHaltMs,
    },
    claims: { incidentToClaimTicks: ticksAfter - ticksBefore, suspectedToHaltTicks },
  };
}

/**
 * `claims.lossErrorPct`: the oracle-manipulation drain on the real Aave v3 bytecode through the
 * keeper's claims path; the claim mined vs the holder's share of the bad debt.
 */
async function benchLoss(proxy: RpcProxy): Promise<{ lossErrorPct: number; claimed: string; trueLoss: string }> {
  const s = await deployKeeperSystem();
  const m = await deployRealAaveHere({ tokens: { USDC: await s.usdc.getAddress() } });
  const signers = await ethers.getSigners();
  const [whale, borrower, attacker] = [signers[15]!, signers[16]!, signers[17]!];
  await m.supply(whale, "USDC", units(900_000, 6));
  await m.supply(s.beneficiary, "USDC", units(100_000, 6));
  await m.supply(borrower, "WETH", m.units("WETH", 100));
  await m.borrow(borrower, "USDC", units(150_000, 6));
  await installLocalMulticall3(ethers.provider);
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), "bench-loss-"));
  const fixtureDir = await fixtureCopy();
  const aToken = await m.reserves.USDC.aToken.getAddress();
  const base = keeperConfigFile(s, { rpcUrl: proxy.url, fixtureDir, workDir });
  const config = parseConfig(
    {
      ...base,
      protocols: [{ id: "aave-v3", name: "Aave V3", address: PROTOCOLS.aave, watch: { balances: [{ token: s.usdcAddress, holder: aToken, owedBy: aToken }] } }],
      positions: base.positions?.map((p) => ({ ...p, providers: [], allowSelfInsure: true, position: { kind: "aave-v3" as const, aToken } })),
    } as ConfigFile,
    { env: { KEEPER_PRIVATE_KEY: SYSTEM_KEEPER_KEY } },
  );
  const container = await buildContainer(config, silentLogger);
  try {
    await container.coverageCycle().run();
    await time.increase(3600);
    await container.claimsCycle().run();
    // The drain.
    await m.supply(attacker!, "WETH", m.units("WETH", 10));
    await m.setPrice("WETH", 1_000_000n * USD8);
    await m.borrow(attacker!, "USDC", await m.cash("USDC"));
    await m.setPrice("WETH", 3_000n * USD8);
    const holderBalance = (await m.reserves.USDC.aToken.getFunction("balanceOf")(s.beneficiary.address)) as bigint;
    const supply = (await m.reserves.USDC.aToken.getFunction("totalSupply")()) as bigint;
    const account = await m.pool.getFunction("getUserAccountData")(await attacker!.getAddress());
    const badDebt = (((account.totalDebtBase as bigint) - (account.totalCollateralBase as bigint)) * 10n ** 6n) / USD8;
    const trueLoss = (badDebt * holderBalance) / supply;
    await container.claimsCycle().run(); // suspected, halted
    const [incident] = container.state().incidents.list();
    if (incident === undefined) throw new Error("bench: the drain opened no incident");
    decideIncident(container.state(), String(incident.id), "confirmed", await time.latest());
    const tick = await container.claimsCycle().run();
    const claimId = tick.filed.find((f) => f.status === "confirmed")?.claimId;
    if (claimId === undefined) throw new Error(`bench: no claim filed (${JSON.stringify(tick.unfileable)})`);
    const claimed = (await s.fund.getClaim(BigInt(claimId))).amount;
    const diff = claimed > trueLoss ? claimed - trueLoss : trueLoss - claimed;
    return { lossErrorPct: Number(((Number(diff) / Number(trueLoss)) * 100).toPrecision(3)), claimed: claimed.toString(), trueLoss: trueLoss.toString() };
  } finally {
    container.close();
    await fs.rm(workDir, { recursive: true, force: true });
    await fs.rm(fixtureDir, { recursive: true, force: true });
  }
}

/**
 * Exploit watch: 200 positions (40 of each reader kind, on the protocol stand-ins) and 200 watched
 * balances in one incident-watch tick; eth_calls per tick at the RPC (steady state, and the first
 * tick that learns the vault/LP share counts); then an on-chain drain and the ticks until the
 * alert and until `reportIncident` is mined.
 */
const REMOTE_BENCH_CHAIN = 42161;

/**
 * `perKind` positions of each of erc20, erc4626, curve and yearn-v2 on a second chain (the
 * stand-ins deployed there, each position its own random holder), and 20 watched balances.
 */
async function remotePositions(chain: SecondChain, perKind: number) {
  const usdc = await chain.deploy("MockUSDC");
  const usdt = await chain.deploy("MockUSDT");
  const usdcAddress = await usdc.getAddress();
  const vault = await chain.deploy("MockERC4626Vault", [usdcAddress, "USDC vault", "vUSDC"]);
  const curve = await chain.deploy("MockCurveStableSwapPool", ["Curve.fi USDC/USDT", "2CRV", [usdcAddress, await usdt.getAddress()], [6, 6], 4_000_000n, false]);
  const yearn = await chain.deploy("MockYearnV2Vault", [usdcAddress, 6, "USDC yVault", "yvUSDC"]);
  const [vaultAddress, curveAddress, yearnAddress] = await Promise.all([vault.getAddress(), curve.getAddress(), yearn.getAddress()]);
  const depositor = await chain.signer(0);
  const from = await depositor.getAddress();
  const total = usdc6(perKind * 1_000);
  await (await usdc.getFunction("mint")(from, total * 4n)).wait();
  for (const target of [vaultAddress, curveAddress, yearnAddress]) await (await usdc.getFunction("approve")(target, total)).wait();
  await (await vault.getFunction("deposit")(total, from)).wait();
  await (await curve.getFunction("add_liquidity")([total, 0n], 0n)).wait();
  await (await yearn.getFunction("deposit")(total, from)).wait();
  const [shares, lp, yShares] = (await Promise.all([vault.getFunction("balanceOf")(from), curve.getFunction("balanceOf")(from), yearn.getFunction("balanceOf")(from)])) as bigint[];
  const positions: NonNullable<NonNullable<ConfigFile["positions"]>[number]["position"] & { holder: string }>[] = [];
  const chainId = chain.chainId;
  for (let i = 0; i < perKind; i++) {
    const [a, b, c, d] = [0, 1, 2, 3].map(() => Wallet.createRandom().address) as [string, string, string, string];
    await (await usdc.getFunction("transfer")(a, usdc6(1_000))).wait();
    positions.push({ kind: "erc20", token: usdcAddress, holder: a, chainId });
    await (await vault.getFunction("transfer")(b, (shares as bigint) / BigInt(perKind))).wait();
    positions.push({ kind: "erc4626", vault: vaultAddress, holder: b, chainId });
    await (await curve.getFunction("transfer")(c, (lp as bigint) / BigInt(perKind))).wait();
    positions.push({ kind: "curve", pool: curveAddress, coinIndex: 0, holder: c, chainId });
    await (await yearn.getFunction("transfer")(d, (yShares as bigint) / BigInt(perKind))).wait();
    positions.push({ kind: "yearn-v2", vault: yearnAddress, holder: d, chainId });
  }
  const balances = [
    { token: usdcAddress, holder: vaultAddress, chainId },
    { token: usdcAddress, holder: curveAddress, chainId },
    { token: usdcAddress, holder: yearnAddress, chainId },
    ...positions.filter((x) => x.kind === "erc20").map((x) => ({ token: usdcAddress, holder: x.holder, chainId })),
  ];
  while (balances.length < 20) balances.push({ token: usdcAddress, holder: Wallet.createRandom().address, chainId });
  return { positions, balances };
}

async function benchWatch(proxy: RpcProxy): Promise<Record<string, unknown>> {
  const s = await deployKeeperSystem();
  const p = await deployStandIns({ usdc: s.usdc, dai: s.dai });
  const [, , , , , , , , depositor] = await ethers.getSigners();
  if (depositor === undefined) throw new Error("bench: no depositor signer");
  const kinds = ["erc20", "aave-v3", "compound-v3", "erc4626", "curve", "aave-v2", "yearn-v2", "uniswap-v3"] as const;
  const perKind = 25;
  const holders = Array.from({ length: perKind * kinds.length }, () => Wallet.createRandom().address);
  const positions: NonNullable<ConfigFile["positions"]> = [];
  const push = (holder: string, position: NonNullable<ConfigFile["positions"]>[number]["position"], asset: string) =>
    positions.push({ protocol: "bench", asset, position, beneficiary: holder, providers: [], allowSelfInsure: true });
  // Shares are opened by one depositor and handed out (aTokens, vault shares, LP tokens and Uniswap NFTs transfer).
  await p.open("aave-v3", depositor, usdc6(perKind * 1_000));
  await p.open("erc4626", depositor, dai18(perKind * 1_000));
  await p.open("curve", depositor, dai18(perKind * 1_000));
  await p.open("aave-v2", depositor, usdc6(perKind * 1_000));
  await p.open("yearn-v2", depositor, dai18(perKind * 1_000));
  const uni = await deployRealUniswap({ usdc: s.usdc, dai: s.dai });
  const npm = await uni.positionManager.getAddress();
  const lpAddress = await uni.lp.getAddress();
  const usdcAddress = await s.usdc.getAddress();
  const one = uni.token0 === usdcAddress ? [usdc6(1_000), dai18(1_000)] : [dai18(1_000), usdc6(1_000)];
  const center = tickAt(uni.token0 === usdcAddress ? 10n ** 6n : 10n ** 18n, uni.token0 === usdcAddress ? 10n ** 18n : 10n ** 6n, 10); // $1
  const lp = await p.curve.balanceOf(depositor.address);
  const shares = await p.vault.balanceOf(depositor.address);
  const yShares = (await p.yearnV2Vault.getFunction("balanceOf")(depositor.address)) as bigint;
  for (let i = 0; i < perKind; i++) {
    const [erc20Holder, aaveHolder, cometHolder, vaultHolder, curveHolder, aaveV2Holder, yearnHolder, uniHolder] = holders.slice(i * kinds.length, (i + 1) * kinds.length) as [string, string, string, string, string, string, string, string];
    await (await s.usdc.mint(erc20Holder, usdc6(1_000))).wait();
    push(erc20Holder, { kind: "erc20", token: p.addresses.usdc }, p.addresses.usdc);
    await (await (p.aToken.connect(depositor) as typeof p.aToken).getFunction("transfer")(aaveHolder, usdc6(1_000))).wait();
    push(aaveHolder, { kind: "aave-v3", aToken: p.addresses.aToken }, p.addresses.usdc);
    await network.provider.request({ method: "hardhat_impersonateAccount", params: [cometHolder] });
    await setBalance(cometHolder, ethers.parseEther("1"));
    await p.open("compound-v3", await ethers.getSigner(cometHolder), usdc6(1_000));
    push(cometHolder, { kind: "compound-v3", comet: p.addresses.comet }, p.addresses.usdc);
    await (await p.vault.connect(depositor).transfer(vaultHolder, shares / BigInt(perKind))).wait();
    push(vaultHolder, { kind: "erc4626", vault: p.addresses.vault }, p.addresses.dai);
    await (await p.curve.connect(depositor).transfer(curveHolder, lp / BigInt(perKind))).wait();
    push(curveHolder, { kind: "curve", pool: p.addresses.curve, coinIndex: 0 }, p.addresses.dai);
    await (await (p.aaveV2AToken.connect(depositor) as typeof p.aaveV2AToken).getFunction("transfer")(aaveV2Holder, usdc6(1_000))).wait();
    // Half by the aToken, half Radiant-style by the lending pool (the aToken resolved in the same batch).
    push(aaveV2Holder, i % 2 === 0 ? { kind: "aave-v2", aToken: p.addresses.aaveV2AToken } : { kind: "aave-v2", lendingPool: p.addresses.aaveV2Pool }, p.addresses.usdc);
    await (await (p.yearnV2Vault.connect(depositor) as typeof p.yearnV2Vault).getFunction("transfer")(yearnHolder, yShares / BigInt(perKind))).wait();
    push(yearnHolder, { kind: "yearn-v2", vault: p.addresses.yearnV2Vault }, p.addresses.dai);
    const tokenId = await uni.mintPosition(uni.lp, center - 100 - 10 * i, center + 100 + 10 * i, one[0]!, one[1]!);
    await (await (uni.positionManager.connect(uni.lp) as typeof uni.positionManager).getFunction("transferFrom")(lpAddress, uniHolder, tokenId)).wait();
    push(uniHolder, { kind: "uniswap-v3", positionManager: npm, ...(i % 2 === 0 ? { tokenIds: [tokenId.toString()] } : {}) }, p.addresses.usdc);
  }
  // 200 watched balances: the stand-ins' pools, then USDC of other holders.
  const poolBalances = [
    { token: p.addresses.usdc, holder: p.addresses.aToken },
    { token: p.addresses.usdc, holder: p.addresses.comet },
    { token: p.addresses.dai, holder: p.addresses.vault },
    { token: p.addresses.dai, holder: p.addresses.curve },
  ];
  const balances: NonNullable<NonNullable<ConfigFile["protocols"][number]["watch"]>["balances"]> = [
    ...poolBalances,
    ...holders.slice(0, 200 - poolBalances.length).map((holder) => ({ token: p.addresses.usdc, holder })),
  ];
  // A second chain (42161, an Arbitrum stand-in): 40 more positions of four kinds and 20 watched balances there.
  const remote = await startSecondChain(REMOTE_BENCH_CHAIN);
  const remoteWorld = await remotePositions(remote, 10);
  positions.push(...remoteWorld.positions.map((x) => ({ protocol: "bench", asset: s.usdcAddress, position: x, beneficiary: x.holder ?? "", providers: [], allowSelfInsure: true })));
  balances.push(...remoteWorld.balances);
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), "bench-watch-"));
  const config = parseConfig(
    {
      chain: { rpcUrl: proxy.url, chainId: 31337, fundAddress: s.fundAddress, lensAddress: s.lensAddress },
      chains: { [String(REMOTE_BENCH_CHAIN)]: { name: "Arbitrum stand-in", rpcUrls: [remote.proxy.url] } },
      protocols: [{ id: "bench", name: "Bench protocol", address: demoProtocolAddress("bench"), watch: { balances, positions: false } }],
      sources: { fixture: { path: await fixtureCopy() } },
      positions,
      tx: { pollIntervalMs: 10 },
      state: { dbPath: path.join(workDir, "state.sqlite") },
      health: { enabled: false, port: 0 },
    },
    { env: { KEEPER_PRIVATE_KEY: SYSTEM_KEEPER_KEY } },
  );
  const container = await buildContainer(config, silentLogger);
  const watch = container.exploitWatch();
  const byChain = () => ({ "31337": proxy.counts()["eth_call"] ?? 0, [String(REMOTE_BENCH_CHAIN)]: remote.proxy.counts()["eth_call"] ?? 0 });
  const resetCounts = () => {
    proxy.reset();
    remote.proxy.reset();
  };
  resetCounts();
  const first = await watch.tick();
  const firstTickRpcCallsByChain = byChain();
  const fresh = [...first.readings.positions.values()].filter((r) => r.status === "fresh").length;
  if (fresh !== positions.length) throw new Error(`bench: ${positions.length - fresh} positions not read`);
  await mine(1);
  await remote.mine(1);
  resetCounts();
  const started = process.hrtime.bigint();
  const steady = await watch.tick();
  const tickMs = Number((process.hrtime.bigint() - started) / 1_000_000n);
  const rpcCallsPerTickByChain = byChain();
  // Per chain: each chain's reads are one batch of their own.
  const rpcCallsPerTick = Math.max(...Object.values(rpcCallsPerTickByChain));
  const total = Object.values(rpcCallsPerTickByChain).reduce((a, b) => a + b, 0);
  if (steady.rpcCalls !== total) throw new Error(`bench: reader counted ${steady.rpcCalls}, RPC saw ${total}`);

  // Drain 60% of the real Aave reserve's USDC (oracle manipulation and a borrow of the cash); tick until the alert, and until the halt is mined.
  const attacker = (await ethers.getSigners())[10];
  if (attacker === undefined) throw new Error("bench: no attacker signer");
  await p.aave.oracleDrain(attacker, "USDC", { amount: ((await p.aave.cash("USDC")) * 6n) / 10n });
  let drainToAlertTicks: number | null = null;
  let drainToHaltTicks: number | null = null;
  const incident = new ethers.Contract(s.fundAddress, FUND_INCIDENT_ABI, ethers.provider).getFunction("getIncident");
  for (let tick = 1; tick <= 5 && (drainToAlertTicks === null || drainToHaltTicks === null); tick++) {
    const t = await watch.tick();
    if (drainToAlertTicks === null && t.alerts > 0) drainToAlertTicks = tick;
    if (drainToHaltTicks === null && ((await incident(demoProtocolAddress("bench"))) as { active: boolean }).active) drainToHaltTicks = tick;
  }
  container.close();
  await remote.close();
  await fs.rm(workDir, { recursive: true, force: true });
  const positionsByChain = { "31337": positions.filter((x) => x.position?.chainId === undefined).length, [String(REMOTE_BENCH_CHAIN)]: positions.filter((x) => x.position?.chainId !== undefined).length };
  return {
    p200: {
      positions: positions.length,
      positionsByChain,
      watchedBalances: balances.length,
      rpcCallsPerTick,
      rpcCallsPerTickByChain,
      firstTickRpcCallsByChain,
      tickMs,
      positionsPerKind: Object.fromEntries(kinds.map((k) => [k, positions.filter((x) => x.position?.kind === k).length])),
    },
    drainToAlertTicks,
    drainToHaltTicks,
  };
}

/**
 * Exploit-watch signals in ticks (one incident-watch tick = 10 blocks of 12 s here):
 * - `leadingSignalToHaltTicks`: an unannounced admin event (a `Paused` on an OpenZeppelin Pausable
 *   contract) and a depeg (a USDC/USD feed at 0.96) — ticks until `reportIncident` is mined, the
 *   slower of the two;
 * - `slowDrainDetectedTicks`: 80% of a pool's cash drained in equal steps over 480 blocks (never
 *   25% within 50 blocks) — ticks from the first tick at which the cumulative rule's 40% has left
 *   until the drain signal (1 = that same tick);
 * - `restartGapDetectedTicks`: the keeper down for 200 blocks while 60% drains, then restarted on
 *   the same state database — ticks after the restart until the drain signal.
 */
async function benchWatchSignals(proxy: RpcProxy): Promise<Record<string, number | null>> {
  const s = await deployKeeperSystem();
  const [, , , , , , , , depositor, , , , drainer] = await ethers.getSigners();
  if (depositor === undefined || drainer === undefined) throw new Error("bench: no depositor or drainer signer");
  const slowPool = await deployStandIns({ usdc: s.usdc, dai: s.dai });
  const gapPool = await deployStandIns({ usdc: s.usdc, dai: s.dai });
  await slowPool.open("aave-v3", depositor, usdc6(1_000_000));
  await gapPool.open("aave-v3", depositor, usdc6(1_000_000));
  const target = await (await ethers.getContractFactory("MockAdminTarget")).deploy((await ethers.getSigners())[0]!.address);
  const feed = await (await ethers.getContractFactory("MockChainlinkAggregator")).deploy(8, "USDC / USD", 100_000_000n);
  await mine(60, { interval: 12 });
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), "bench-signals-"));
  const dbPath = path.join(workDir, "state.sqlite");
  const protocol = (id: string, watch: NonNullable<ConfigFile["protocols"]>[number]["watch"]) => ({ id, name: id, address: demoProtocolAddress(id), watch: { positions: false, ...watch } });
  const config = parseConfig(
    {
      chain: { rpcUrl: proxy.url, chainId: 31337, fundAddress: s.fundAddress, lensAddress: s.lensAddress },
      protocols: [
        protocol("lead-admin", { adminContracts: [{ address: await target.getAddress() }] }),
        protocol("lead-peg", { pegOracle: { aggregator: await feed.getAddress() } }),
        protocol("slow", { balances: [{ token: slowPool.addresses.usdc, holder: slowPool.addresses.aToken }] }),
        protocol("gap", { balances: [{ token: gapPool.addresses.usdc, holder: gapPool.addresses.aToken }] }),
      ],
      sources: { fixture: { path: await fixtureCopy() } },
      tx: { pollIntervalMs: 10 },
      state: { dbPath },
      health: { enabled: false, port: 0 },
    },
    { env: { KEEPER_PRIVATE_KEY: SYSTEM_KEEPER_KEY } },
  );
  const incident = new ethers.Contract(s.fundAddress, FUND_INCIDENT_ABI, ethers.provider).getFunction("getIncident");
  const halted = async (id: string) => ((await incident(demoProtocolAddress(id))) as { active: boolean }).active;
  let container = await buildContainer(config, silentLogger);
  let watch = container.exploitWatch();
  const tickBlocks = 10;
  const tick = async () => {
    await mine(tickBlocks, { interval: 12 });
    return watch.tick();
  };
  await tick();
  const ticksUntil = async (done: () => Promise<boolean>, max = 10): Promise<number | null> => {
    for (let n = 1; n <= max; n++) {
      await tick();
      if (await done()) return n;
    }
    return null;
  };
  // Leading signals: an admin event, then a depeg (each on its own protocol).
  await (await target.pause()).wait();
  const adminTicks = await ticksUntil(() => halted("lead-admin"));
  await (await feed.setAnswer(96_000_000n, await time.latest())).wait();
  const pegTicks = await ticksUntil(() => halted("lead-peg"));

  // Slow drain: 80% in 48 equal steps, one per tick (480 blocks).
  const cash = await s.usdc.balanceOf(slowPool.addresses.aToken);
  const step = (cash * 8n) / 10n / 48n;
  let slowVisibleAt: number | null = null;
  let slowDetectedAt: number | null = null;
  for (let n = 1; n <= 48 && slowDetectedAt === null; n++) {
    await slowPool.aave.oracleDrain(drainer, "USDC", { amount: step });
    const t = await tick();
    if (slowVisibleAt === null && step * BigInt(n) * 10n >= cash * 4n) slowVisibleAt = n;
    if (t.signals.some((x) => x.protocolId === "slow")) slowDetectedAt = n;
  }
  const slowDrainDetectedTicks = slowDetectedAt === null || slowVisibleAt === null ? null : slowDetectedAt - slowVisibleAt + 1;

  // Restart across a drain: down for 200 blocks, 60% leaves in the middle; a new process on the same database.
  container.close();
  await mine(100, { interval: 12 });
  await gapPool.aave.oracleDrain(drainer, "USDC", { amount: ((await s.usdc.balanceOf(gapPool.addresses.aToken)) * 6n) / 10n });
  await mine(100, { interval: 12 });
  container = await buildContainer(config, silentLogger);
  watch = container.exploitWatch();
  let restartGapDetectedTicks: number | null = null;
  for (let n = 1; n <= 5 && restartGapDetectedTicks === null; n++) {
    const t = n === 1 ? await watch.tick() : await tick();
    if (t.signals.some((x) => x.protocolId === "gap")) restartGapDetectedTicks = n;
  }
  container.close();
  await fs.rm(workDir, { recursive: true, force: true });
  return {
    leadingSignalToHaltTicks: adminTicks === null || pegTicks === null ? null : Math.max(adminTicks, pegTicks),
    slowDrainDetectedTicks,
    restartGapDetectedTicks,
  };
}

/**
 * Urgent before routine: automining off (the bench produces a block every 100 ms), a routine
 * transaction is sent, then the base fee jumps to 3× its maxFeePerGas (it is stuck), then the
 * keeper sends a halt through the same TxSender. Blocks from the halt's send to its receipt.
 */
async function benchSigning(proxy: RpcProxy): Promise<Record<string, number>> {
  const s = await deployKeeperSystem();
  const net = Network.from(31337);
  const provider = new JsonRpcProvider(proxy.url, net, { staticNetwork: net, cacheTimeout: -1 });
  const wallet = new Wallet(SYSTEM_KEEPER_KEY, provider);
  const state = openStateDb(":memory:");
  const sender = new TxSender(
    { signer: wallet, provider, journal: state.journal, logger: silentLogger, abis: [s.fund.interface] },
    { ...DEFAULT_TX_OPTIONS, pollIntervalMs: 10, receiptTimeoutMs: 60_000 },
  );
  await network.provider.request({ method: "evm_setAutomine", params: [false] });
  try {
    const routine = sender.send({ kind: "risk-push", key: "bench:routine", to: wallet.address, data: "0x", value: 0n });
    for (let i = 0; i < 500 && state.journal.byKey("bench:routine")?.state !== "sent"; i += 1) await new Promise((r) => setTimeout(r, 5));
    const stuck = state.journal.byKey("bench:routine");
    if (stuck?.maxFeePerGas === undefined) throw new Error("bench: the routine transaction was not sent");
    await network.provider.request({ method: "hardhat_setNextBlockBaseFeePerGas", params: [`0x${(stuck.maxFeePerGas * 3n).toString(16)}`] });
    await mine(1);
    const startBlock = await provider.getBlockNumber();
    const occurredAt = (await time.latest()) - 60;
    const halt = sender.send({
      kind: "report-incident",
      key: "bench:halt",
      to: await s.fund.getAddress(),
      data: s.fund.interface.encodeFunctionData("reportIncident", [Wallet.createRandom().address, occurredAt, ethers.id("bench evidence")]),
    });
    let settled = false;
    void halt.finally(() => (settled = true));
    for (let i = 0; i < 200 && !settled; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
      if (!settled) await mine(1);
    }
    const result = await halt;
    if (result.status !== "confirmed") throw new Error(`bench: the halt was not mined (${result.status})`);
    await mine(1);
    await routine;
    return { urgentBehindStuckRoutineBlocks: result.blockNumber - startBlock };
  } finally {
    await network.provider.request({ method: "evm_setAutomine", params: [true] });
    state.close();
    provider.destroy();
  }
}

/**
 * ha.takeoverSeconds (leader SIGKILLed right after broadcasting a claim → the standby's first newly
 * signed transaction; the worst of the runs) and ha.duplicateSends (transactions mined beyond one
 * per claim, summed over the runs): two keeper processes over one real PostgreSQL
 * (keeper/test/helpers/haScenario.ts), ha.takeoverSeconds configured at 15 (the default).
 */
async function benchHa(proxy: RpcProxy): Promise<Record<string, unknown>> {
  if (postgresBinDir() === undefined) return { skipped: "no PostgreSQL server installed (apt-get install -y postgresql)" };
  const pg = await startPostgres();
  try {
    const runs = 2;
    const takeovers: number[] = [];
    let duplicateSends = 0;
    let claimsFiled = 0;
    for (let run = 0; run < runs; run++) {
      const s = await deployKeeperSystem();
      const chain = { send: (method: string, params: unknown[]) => network.provider.send(method, params) };
      const claims = await prepareHaClaims(s, chain);
      const result = await runHaKillScenario({
        rpcUrl: proxy.url,
        stateUrl: await pg.createDatabase(`bench_ha_${run}`),
        keeperKey: SYSTEM_KEEPER_KEY,
        keeperAddress: s.keeper.address,
        to: s.fundAddress,
        claims,
        takeoverSeconds: 15,
        chain,
        reader: ethers.provider as unknown as JsonRpcProvider,
        fund: s.fund,
      });
      if (result.leadersAtStart !== 1) throw new Error(`ha: ${result.leadersAtStart} leaders at start`);
      takeovers.push(result.takeoverSeconds);
      // A duplicate is a second mined send or a second fund claim for one coverage + incident.
      duplicateSends += result.duplicateSends + Object.values(result.claimsOnChain).reduce((sum, n) => sum + Math.max(0, n - 1), 0);
      claimsFiled += Object.values(result.claimsOnChain).reduce((sum, n) => sum + n, 0);
    }
    return { takeoverSeconds: Math.max(...takeovers), duplicateSends, runs, claimsFiled, takeoverSecondsEach: takeovers, configuredTakeoverSeconds: 15, scenario: "leader SIGKILLed between a submitClaim broadcast and its journal update" };
  } finally {
    await pg.stop();
  }
}

/** One year of a 7-protocol keeper at the default cadences (intervals.riskSec, riskPush.minPushIntervalSec, …). */
function fillOneYear(state: StateDb, config: KeeperConfig, nowSec: number): { assessments: number; journal: number; outbox: number } {
  const ids = config.protocols.map((p) => p.id);
  const riskSec = config.intervals.riskSec;
  const pushEverySec = Math.max(config.riskPush.minPushIntervalSec, riskSec);
  const start = nowSec - 365 * DAY;
  let assessments = 0;
  let journal = 0;
  let outbox = 0;
  let nonce = 0;
  const components = (t: number, i: number) => {
    const wobble = (k: number) => 20 + ((Math.floor(t / riskSec) * (k + 3) + i * 11) % 60);
    return { tvl: wobble(0), audit: wobble(1), time: wobble(2), exploit: wobble(3), team: wobble(4) };
  };
  const clockMsOf = (t: number) => t * 1000;
  const db = state.db;
  const insertAssessment = db.prepare("INSERT INTO assessments (protocol, assessed_at, composite, category, confidence, assessment_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
  const insertAction = db.prepare(
    `INSERT INTO action_journal (kind, idempotency_key, payload_json, state, tx_hash, nonce, max_fee_per_gas, max_priority_fee_per_gas, sent_block, block_number, gas_used, created_at, updated_at)
     VALUES (?, ?, ?, 'confirmed', ?, ?, '30000000000', '1000000000', ?, ?, '180000', ?, ?)`,
  );
  const insertAttempt = db.prepare("INSERT INTO tx_attempts (hash, action_id, nonce, max_fee_per_gas, max_priority_fee_per_gas, raw_tx, created_at) VALUES (?, ?, ?, '30000000000', '1000000000', ?, ?)");
  const insertOutbox = db.prepare("INSERT INTO alert_outbox (alert_key, severity, alert_json, state, sinks_json, acked_json, attempts, next_attempt_ms, created_ms, sent_ms) VALUES (?, ?, ?, 'sent', '[\"slack\"]', '[\"slack\"]', 1, ?, ?, ?)");
  const insertAlertLog = db.prepare("INSERT INTO alert_log (alert_key, last_sent_ms, suppressed, total) VALUES (?, ?, ?, ?) ON CONFLICT (alert_key) DO UPDATE SET last_sent_ms = excluded.last_sent_ms, total = alert_log.total + 1");
  const action = (kind: string, key: string, t: number, detail: unknown, calldataBytes: number): void => {
    nonce += 1;
    const hash = ethers.id(`bench tx ${nonce}`);
    const data = `0x${"ab".repeat(calldataBytes)}`;
    const payload = { to: "0x00000000000000000000000000000000000000f0", value: "0", data, detail };
    const info = insertAction.run(kind, key, JSON.stringify(payload), hash, nonce, nonce, nonce + 1, clockMsOf(t), clockMsOf(t) + 15_000);
    // An EIP-1559 envelope around the calldata plus the signature: ~ calldata + 120 bytes.
    insertAttempt.run(hash, Number(info.lastInsertRowid), nonce, `0x02${"cd".repeat(calldataBytes + 120)}`, clockMsOf(t));
    journal += 1;
  };
  db.transaction(() => {
    for (let t = start; t <= nowSec; t += riskSec) {
      ids.forEach((protocol, i) => {
        const c = components(t, i);
        const composite = Math.round((c.tvl + c.audit + c.time + c.exploit + c.team) / 5);
        const missing = t % (7 * riskSec) === 0 ? [{ field: "github", reason: "GitHub API answered HTTP 403 (rate limit)" }] : [];
        const a: RiskAssessment = { protocol, assessedAt: t, components: c, floor: c, composite, category: composite <= 30 ? "LOW" : composite <= 60 ? "MEDIUM" : "HIGH", confidence: missing.length > 0 ? 85 : 100, missing };
        insertAssessment.run(protocol, t, composite, a.category, a.confidence, JSON.stringify(a), clockMsOf(t));
        assessments += 1;
      });
      if ((t - start) % pushEverySec === 0) {
        const values = ids.map((protocol, i) => ({ protocol: config.protocols[i]?.address ?? protocol, ...components(t, i) }));
        action("risk-push", `risk-push:${t}:0:${t.toString(16)}`, t, { chunkIndex: 0, protocols: values.map((v) => v.protocol), at: t, values }, 4 + 32 * 2 + values.length * 6 * 32);
      }
      if ((t - start) % (30 * DAY) === 0) {
        for (const [i, id] of ids.entries()) action("renew-coverage", `renew:${id}:${t}`, t, { maxPremiumWad: (1000n * 10n ** 18n).toString(), at: t, protocolId: id, i }, 4 + 5 * 32);
      }
      if ((t - start) % (2 * 3600) === 0) {
        // Alerts: a dozen a day (score moves, stale sources, daily summaries), delivered.
        const key = `risk-move:${ids[(t / 3600) % ids.length]}:${Math.floor(t / DAY) % 3}`;
        const alert = { severity: "warning", title: `risk moved: ${key}`, message: "composite rose 9 points (tvl 41 → 58): TVL fell 31% in 24 h", protocol: key.split(":")[1], at: t, fields: [{ label: "composite", value: 58 }] };
        insertOutbox.run(key, "warning", JSON.stringify(alert), clockMsOf(t), clockMsOf(t), clockMsOf(t) + 300);
        insertAlertLog.run(key, clockMsOf(t), 0, 1);
        outbox += 1;
      }
    }
  })();
  // Drain signals the watch stored over the year (a few per quarter).
  const signals = Array.from({ length: 12 }, (_, k) => ({
    signal: { kind: "onchain-drain", protocolId: ids[k % ids.length], sourceId: `drain:${k}`, occurredAt: start + k * 30 * DAY, description: "balance of the pool fell 34% in 3 blocks" },
    evidenceHash: ethers.id(`evidence ${k}`),
    reported: { status: "confirmed", hash: ethers.id(`halt ${k}`) },
  }));
  state.kv.set("watch:signals", signals);
  return { assessments, journal, outbox };
}

/**
 * Wall and CPU time of `run` over a few runs after one warm-up: the fastest wall time (on a shared
 * machine the others measure the neighbours' load, not this code) and the median CPU time.
 */
async function timeRuns(run: () => Promise<unknown>, runs = 15): Promise<{ wallMs: number; cpuMs: number; medianWallMs: number }> {
  await run();
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    await run();
    walls.push(Number(process.hrtime.bigint() - started) / 1e6);
    const used = process.cpuUsage(cpu);
    cpus.push((used.user + used.system) / 1000);
  }
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 10) / 10;
  return { wallMs: round(sorted(walls)[0] as number), cpuMs: round(sorted(cpus)[Math.floor(runs / 2)] as number), medianWallMs: round(sorted(walls)[Math.floor(runs / 2)] as number) };
}

async function benchState(): Promise<Record<string, number>> {
  const portfolio = generatePortfolio(7, "state");
  const config = parseConfig({ chain: { rpcUrl: "http://127.0.0.1:1", chainId: 31337 }, protocols: portfolio.protocols, sources: { operator: portfolio.operator } });
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), "keeper-bench-state-"));
  const file = path.join(workDir, "state.sqlite");
  const nowSec = Math.floor(Date.now() / 1000);
  const state = openStateDb(file);
  try {
    const filled = fillOneYear(state, config, nowSec);
    state.db.pragma("wal_checkpoint(TRUNCATE)");
    const dbBytesAtOneYear = statSync(file).size;
    // The chain answers at once (what is timed is the refresh's own work: state reads and views).
    const block = { number: 20_000_000, timestamp: nowSec };
    const noChain = new Error("no coverage snapshot in this bench");
    const provider = {
      getNetwork: async () => ({ chainId: 31337n }),
      getBlock: async () => block,
      getBalance: async () => 10n ** 18n,
      getTransactionCount: async () => 1000,
    };
    const collectorOver = (over: StateDb) => new DashboardCollector({
      config,
      state: over,
      provider: provider as never,
      fund: { getAddress: async () => "0x00000000000000000000000000000000000000f0" } as never,
      lens: { getProtocolStates: async () => [] } as never,
      coverage: { positions: async () => [], snapshot: async () => Promise.reject(noChain) },
      keeperAddress: "0x00000000000000000000000000000000000000ee",
      loops: () => [],
    });
    const collector = collectorOver(state);
    const snapshot = await collector.collect();
    const points = snapshot.risk.reduce((n, r) => n + r.history.length, 0);
    if (snapshot.risk.length !== 7 || points === 0) throw new Error(`bench: the dashboard shows no risk history (${JSON.stringify(snapshot.errors)})`);
    // Steady state: the daemon refreshes after every cycle; assessments arrive once per risk cycle.
    const refresh = await timeRuns(() => collector.collect());
    // Cold: the first refresh after a new assessment (nothing remembered: every history read again).
    const cold = await timeRuns(() => collectorOver({ ...state, dashboard: new DashboardReads(state.db) }).collect());
    // What the refresh read before it was bounded: every assessment of every protocol and every confirmed push.
    const unbounded = await timeRuns(async () => {
      for (const p of config.protocols) state.assessments.history(p.id).slice(-500);
      state.journal.list({ kind: "risk-push", state: "confirmed" });
    }, 3);
    const pruned = await state.retention.prune(DEFAULT_RETENTION);
    state.retention.vacuum();
    state.db.pragma("wal_checkpoint(TRUNCATE)");
    const dbBytesAfterPrune = statSync(file).size;
    const afterPrune = await timeRuns(() => collector.collect());
    return {
      protocols: config.protocols.length,
      assessmentsAtOneYear: filled.assessments,
      journalRowsAtOneYear: filled.journal,
      alertsAtOneYear: filled.outbox,
      historyPointsShown: points,
      dashboardRefreshMsAtOneYear: refresh.wallMs,
      dashboardRefreshMedianMsAtOneYear: refresh.medianWallMs,
      dashboardRefreshCpuMsAtOneYear: refresh.cpuMs,
      dashboardColdRefreshMsAtOneYear: cold.wallMs,
      dashboardColdRefreshCpuMsAtOneYear: cold.cpuMs,
      unboundedHistoryReadMsAtOneYear: unbounded.wallMs,
      dbBytesAtOneYear,
      pruneMs: pruned.tookMs,
      assessmentsPruned: pruned.assessments,
      rawTxStripped: pruned.rawTxStripped,
      dbBytesAfterPrune,
      dashboardRefreshMsAfterPrune: afterPrune.wallMs,
      loadAverage1m: Math.round((os.loadavg()[0] ?? 0) * 10) / 10,
    };
  } finally {
    state.close();
    await fs.rm(workDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const proxy = await startRpcProxy(network.provider);
  try {
    // BENCH_ONLY=watch runs the exploit-watch part alone (the others take minutes).
    if (process.env["BENCH_ONLY"] === "watch") {
      const watch = { ...(await benchWatch(proxy)), ...(await benchWatchSignals(proxy)) };
      process.stdout.write(`${JSON.stringify({ bench: "keeper exploit watch", network: "hardhat in-process over HTTP", watch }, null, 2)}\n`);
      return;
    }
    if (process.env["BENCH_ONLY"] === "state") {
      process.stdout.write(`${JSON.stringify({ bench: "keeper state", state: await benchState() }, null, 2)}\n`);
      return;
    }
    if (process.env["BENCH_ONLY"] === "ha") {
      process.stdout.write(`${JSON.stringify({ bench: "keeper leader/standby", network: "hardhat in-process over HTTP, PostgreSQL on loopback", ha: await benchHa(proxy) }, null, 2)}\n`);
      return;
    }
    if (process.env["BENCH_ONLY"] === "loss") {
      const loss = await benchLoss(proxy);
      process.stdout.write(`${JSON.stringify({ bench: "keeper claim loss", network: "hardhat in-process over HTTP", claims: { lossErrorPct: loss.lossErrorPct }, lossScenario: loss }, null, 2)}\n`);
      return;
    }
    if (process.env["BENCH_ONLY"] === "signing") {
      process.stdout.write(`${JSON.stringify({ bench: "keeper signing", network: "hardhat in-process over HTTP", signing: await benchSigning(proxy) }, null, 2)}\n`);
      return;
    }
    const results = [];
    for (const size of [50, 200]) results.push(await benchPortfolio(size, proxy));
    const coverage = [];
    for (const size of [50, 200]) coverage.push(await benchCoverage(size, proxy));
    const { incidentToClaim, claims: claimTicks } = await benchIncidentToClaim(proxy);
    const lossScenario = await benchLoss(proxy);
    const claims = { ...claimTicks, lossErrorPct: lossScenario.lossErrorPct };
    const watch = { ...(await benchWatch(proxy)), ...(await benchWatchSignals(proxy)) };
    const signing = await benchSigning(proxy);
    const state = await benchState();
    const ha = await benchHa(proxy);
    process.stdout.write(
      `${JSON.stringify({ bench: "keeper risk cycle", network: "hardhat in-process over HTTP", results, coverage, incidentToClaim, claims, lossScenario, watch, signing, state, ha }, null, 2)}\n`,
    );
  } finally {
    await proxy.close();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
