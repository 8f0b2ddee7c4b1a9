/**
 * Keeper risk-cycle bench: portfolios of 50 and 200 protocols served DefiLlama-style by a loopback
 * server, the fund on the in-process Hardhat chain reached over HTTP through a counting JSON-RPC
 * proxy. Prints JSON: RPC calls per cycle (at the provider), transactions, gas, wall time, and the
 * push bound ceil(changed / chunk).   Run: npm run bench:keeper
 */
import { setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet } from "ethers";
import { ethers, network } from "hardhat";

import { deployFund } from "../test/helpers/fundFixture";
import { buildContainer } from "../keeper/src/app/container";
import type { RiskCycleSummary } from "../keeper/src/app/riskCycle";
import { parseConfig } from "../keeper/src/config";
import { silentLogger } from "../keeper/src/sources";
import { defiLlamaRoutes, generatePortfolio } from "../keeper/test/helpers/defiLlamaPortfolio";
import { startLoopbackServer } from "../keeper/test/helpers/loopbackServer";
import { startRpcProxy, type RpcProxy } from "../keeper/test/helpers/rpcProxy";

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

async function main(): Promise<void> {
  const proxy = await startRpcProxy(network.provider);
  try {
    const results = [];
    for (const size of [50, 200]) results.push(await benchPortfolio(size, proxy));
    process.stdout.write(`${JSON.stringify({ bench: "keeper risk cycle", network: "hardhat in-process over HTTP", results }, null, 2)}\n`);
  } finally {
    await proxy.close();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
