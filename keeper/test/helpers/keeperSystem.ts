/**
 * The full system (fund + Nexus mocks + adapter + second provider) with a keeper wallet: oracle
 * role, ETH for gas and claim deposits, USDC for premiums, and the beneficiary's `setAgent` done.
 * Plus a loopback Nexus cover-router that prices like the mock (`NEXUS_PRICE_BPS`).
 */
import { setBalance } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet } from "ethers";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ethers } from "hardhat";

import { PROTOCOLS, units } from "../../../test/helpers/fundFixture";
import { deploySystem, NEXUS_AAVE_PRODUCT, NEXUS_COVER_ASSET, NEXUS_POOL_ID, NEXUS_PRICE_BPS } from "../../../test/helpers/systemFixture";
import { mockNexusPremium } from "../../src/cli/embedded";
import { DEFAULT_FIXTURE_DIR } from "../../src/config";
import type { ConfigFile } from "../../src/config/schema";
import type { RouteScript } from "./loopbackServer";

export const KEEPER_KEY = ethers.id("keeper daemon integration key");

export async function deployKeeperSystem() {
  const s = await deploySystem();
  const keeper = new Wallet(KEEPER_KEY);
  await setBalance(keeper.address, ethers.parseEther("100"));
  await s.fund.connect(s.admin).grantRole(await s.fund.RISK_ORACLE_ROLE(), keeper.address);
  await s.usdc.mint(keeper.address, units(1_000_000, 6));
  await s.fund.connect(s.beneficiary).setAgent(keeper.address, true);
  await s.secondProvider.connect(s.admin).mockSetMarket(PROTOCOLS.aave, await s.usdc.getAddress(), true, units(1_000_000, 6));
  return {
    ...s,
    keeper,
    fundAddress: await s.fund.getAddress(),
    lensAddress: await s.lens.getAddress(),
    usdcAddress: await s.usdc.getAddress(),
  };
}
export type KeeperSystem = Awaited<ReturnType<typeof deployKeeperSystem>>;

/** Premium the mock Nexus charges for a single-pool USDC cover (NXM-priced, allocation rounded up to 0.01 NXM). */
export function nexusPremium(amount: bigint, periodSec: bigint): bigint {
  return mockNexusPremium(amount, periodSec, NEXUS_PRICE_BPS).premium;
}

/**
 * A cover-router v2.7 `GET /v2/quote` answering like Nexus for the mock's price (one pool), in the
 * router's shape (refund fields included, no `capacities`). It has no chain access, so an edit quote
 * (`coverEditId`) reports no refund: `premiumInAssetWithRefund` is the gross premium, an upper bound.
 */
export function nexusQuoteRoutes(): Record<string, RouteScript> {
  return {
    "/v2/quote": (req) => {
      const q = new URLSearchParams(req.query);
      if (q.get("coverAsset") !== String(NEXUS_COVER_ASSET.USDC)) return { status: 500, json: { message: "Internal Server Error" } };
      const amount = BigInt(q.get("amount") ?? "0");
      const periodSec = BigInt(q.get("period") ?? "0") * 86_400n;
      const { premium, covered } = mockNexusPremium(amount, periodSec, NEXUS_PRICE_BPS);
      return {
        json: {
          quote: {
            totalCoverAmountInAsset: covered.toString(),
            annualPrice: String(NEXUS_PRICE_BPS),
            premiumInNXM: ((premium * 10n ** 18n) / (60n * 10n ** 6n)).toString(),
            premiumInAsset: premium.toString(),
            refundInNXM: "0",
            refundInAsset: "0",
            premiumInNXMWithRefund: ((premium * 10n ** 18n) / (60n * 10n ** 6n)).toString(),
            premiumInAssetWithRefund: premium.toString(),
            poolAllocationRequests: [{ poolId: String(NEXUS_POOL_ID), coverAmountInAsset: amount.toString() }],
            asset: { id: NEXUS_COVER_ASSET.USDC, symbol: "USDC", decimals: 6 },
          },
        },
      };
    },
  };
}

/** A copy of the fixture portfolio whose `protocolId` TVL collapses by `dropFraction` at its last point. */
export async function fixtureCopy(options: { collapse?: { protocolId: string; dropFraction: number } } = {}): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "keeper-fixture-"));
  for (const file of await fs.readdir(DEFAULT_FIXTURE_DIR)) {
    await fs.copyFile(path.join(DEFAULT_FIXTURE_DIR, file), path.join(dir, file));
  }
  if (options.collapse !== undefined) await collapseTvl(dir, options.collapse.protocolId, options.collapse.dropFraction);
  return dir;
}

/** Rewrites the fixture's newest TVL point to (1 − dropFraction) × the previous one. */
export async function collapseTvl(dir: string, protocolId: string, dropFraction: number): Promise<void> {
  const file = path.join(dir, `${protocolId}.json`);
  const snapshot = JSON.parse(await fs.readFile(file, "utf8")) as { tvlHistory: { date: number; tvlUsd: number }[]; tvlUsd?: number };
  const history = snapshot.tvlHistory;
  const last = history[history.length - 1];
  const before = history[history.length - 2];
  if (last === undefined || before === undefined) throw new Error(`fixture ${file} has too short a TVL history`);
  // Two consecutive readings, a minute apart at the newest end (one point is never a signal).
  last.tvlUsd = Math.round(before.tvlUsd * (1 - dropFraction));
  history.splice(history.length - 1, 0, { date: last.date - 60, tvlUsd: last.tvlUsd });
  if (snapshot.tvlUsd !== undefined) snapshot.tvlUsd = last.tvlUsd;
  await fs.writeFile(file, JSON.stringify(snapshot, null, 2));
}

/** One low TVL reading at the newest end (a glitch or a partial day; `0` = a data error). */
export async function glitchTvl(dir: string, protocolId: string, tvlUsd: number): Promise<void> {
  const file = path.join(dir, `${protocolId}.json`);
  const snapshot = JSON.parse(await fs.readFile(file, "utf8")) as { tvlHistory: { date: number; tvlUsd: number }[]; tvlUsd?: number };
  const last = snapshot.tvlHistory[snapshot.tvlHistory.length - 1];
  if (last === undefined) throw new Error(`fixture ${file} has no TVL history`);
  last.tvlUsd = tvlUsd;
  await fs.writeFile(file, JSON.stringify(snapshot, null, 2));
}

/** Keeper config for the Aave position of the system, Nexus first, then the second provider. */
export function keeperConfigFile(
  s: KeeperSystem,
  options: { rpcUrl: string; quoteBaseUrl?: string; fixtureDir: string; dbPath?: string; workDir: string; overrides?: Partial<ConfigFile> },
): ConfigFile {
  return {
    chain: { rpcUrl: options.rpcUrl, chainId: 31337, fundAddress: s.fundAddress, lensAddress: s.lensAddress, rpcMaxRounds: 4, rpcTimeoutMs: 3000, maxBlockAgeSec: 0 },
    protocols: [{ id: "aave-v3", name: "Aave V3", address: PROTOCOLS.aave }],
    sources: { fixture: { path: options.fixtureDir } },
    positions: [
      {
        protocol: "aave-v3",
        asset: s.usdcAddress,
        assetSymbol: "USDC",
        targetAmount: "100000",
        beneficiary: s.beneficiary.address,
        providers: [1, 2],
        allowSelfInsure: true,
      },
    ],
    providers: {
      nexus: {
        providerId: 1,
        ...(options.quoteBaseUrl !== undefined ? { quoteBaseUrl: options.quoteBaseUrl } : {}),
        productIds: { "aave-v3": NEXUS_AAVE_PRODUCT },
        coverAssets: { USDC: NEXUS_COVER_ASSET.USDC },
      },
      onChainQuote: [2],
    },
    tx: { pollIntervalMs: 50, receiptTimeoutMs: 20_000 },
    state: { dbPath: options.dbPath ?? ":memory:" },
    paths: { evidenceDir: path.join(options.workDir, "evidence"), reportDir: path.join(options.workDir, "reports") },
    health: { enabled: false, port: 0 },
    ...options.overrides,
  };
}
