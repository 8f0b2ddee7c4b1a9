/**
 * The protocols the position readers are tested on, over mock USDC and DAI, plus Multicall3 at
 * its canonical address, on the in-process Hardhat network: the real Aave v3 market
 * (keeper/src/demo/realAave.ts; `aave`, `aavePool`, `aToken` = its USDC reserve) and the stand-ins
 * (contracts/mocks/protocols) for Compound v3, ERC-4626, Curve, Aave v2 and Yearn v2. `open(...)`
 * funds a holder and opens a position of the given kind through the protocol's own entry points.
 */
import { ethers } from "hardhat";
import type { Signer } from "ethers";
import type { MockDAI, MockUSDC } from "../../../typechain-types";
import { installLocalMulticall3 } from "../../src/cli/localMulticall";
import { deployRealAaveHere } from "../../../test/helpers/realAave";
import type { PositionSpec } from "../../src/sources/positions";

export const RAY = 10n ** 27n;
export const usdc6 = (n: number | bigint): bigint => BigInt(n) * 10n ** 6n;
export const dai18 = (n: number | bigint): bigint => BigInt(n) * 10n ** 18n;

/** Deploys the stand-ins; over the given mock USDC/DAI (e.g. the fund's) or fresh ones. */
export async function deployStandIns(tokens: { usdc?: MockUSDC; dai?: MockDAI } = {}) {
  const [owner] = await ethers.getSigners();
  if (owner === undefined) throw new Error("no signer");
  await installLocalMulticall3(ethers.provider);
  const usdc = tokens.usdc ?? (await ethers.deployContract("MockUSDC"));
  const dai = tokens.dai ?? (await ethers.deployContract("MockDAI"));
  const usdcAddress = await usdc.getAddress();
  const daiAddress = await dai.getAddress();
  const aave = await deployRealAaveHere({ tokens: { USDC: usdcAddress, DAI: daiAddress } });
  const aavePool = aave.pool;
  const aToken = aave.reserves.USDC.aToken;
  const comet = await ethers.deployContract("MockComet", [usdcAddress]);
  const vault = await ethers.deployContract("MockERC4626Vault", [daiAddress, "Yearn DAI vault", "yvDAI"]);
  const curve = await ethers.deployContract("MockCurveStableSwapPool", ["Curve.fi DAI/USDC", "DAIUSDC", [daiAddress, usdcAddress], [18, 6], 4_000_000n, false]);
  const curveCrypto = await ethers.deployContract("MockCurveStableSwapPool", ["Curve.fi crypto-style", "CRV2", [daiAddress, usdcAddress], [18, 6], 4_000_000n, true]);
  const aaveV2Pool = await ethers.deployContract("MockAaveV2LendingPool");
  await (await aaveV2Pool.getFunction("mockInitReserve")(usdcAddress, "Radiant interest bearing USDC", "rUSDC", 6)).wait();
  const aaveV2Data = (await aaveV2Pool.getFunction("getReserveData")(usdcAddress)) as { aTokenAddress: string };
  const aaveV2AToken = await ethers.getContractAt("MockAaveV3AToken", aaveV2Data.aTokenAddress);
  const yearnV2Vault = await ethers.deployContract("MockYearnV2Vault", [daiAddress, 18, "DAI yVault", "yvDAI"]);
  const addresses = {
    usdc: usdcAddress,
    dai: daiAddress,
    aavePool: await aavePool.getAddress(),
    aToken: await aToken.getAddress(),
    comet: await comet.getAddress(),
    vault: await vault.getAddress(),
    curve: await curve.getAddress(),
    curveCrypto: await curveCrypto.getAddress(),
    aaveV2Pool: await aaveV2Pool.getAddress(),
    aaveV2AToken: await aaveV2AToken.getAddress(),
    yearnV2Vault: await yearnV2Vault.getAddress(),
  };

  /** Mints and deposits `amount` (asset units) for `holder` into the protocol of `kind`. */
  async function open(kind: PositionSpec["kind"] | "curve-crypto", holder: Signer, amount: bigint): Promise<void> {
    const who = await holder.getAddress();
    switch (kind) {
      case "aave-v2":
        await (await usdc.mint(who, amount)).wait();
        await (await usdc.connect(holder).approve(addresses.aaveV2Pool, amount)).wait();
        await (await (aaveV2Pool.connect(holder) as typeof aaveV2Pool).getFunction("deposit")(addresses.usdc, amount, who, 0)).wait();
        return;
      case "yearn-v2":
        await (await dai.mint(who, amount)).wait();
        await (await dai.connect(holder).approve(addresses.yearnV2Vault, amount)).wait();
        await (await (yearnV2Vault.connect(holder) as typeof yearnV2Vault).getFunction("deposit")(amount, who)).wait();
        return;
      case "uniswap-v3":
        throw new Error("uniswap-v3 runs on the real Uniswap v3 (test/helpers/realUniswap.ts), not a stand-in");
      case "erc20":
        await (await usdc.mint(who, amount)).wait();
        return;
      case "aave-v3":
        await (await usdc.mint(who, amount)).wait();
        await (await usdc.connect(holder).approve(addresses.aavePool, amount)).wait();
        await (await (aavePool.connect(holder) as typeof aavePool).getFunction("supply")(addresses.usdc, amount, who, 0)).wait();
        return;
      case "compound-v3":
        await (await usdc.mint(who, amount)).wait();
        await (await usdc.connect(holder).approve(addresses.comet, amount)).wait();
        await (await comet.connect(holder).supply(addresses.usdc, amount)).wait();
        return;
      case "erc4626":
        await (await dai.mint(who, amount)).wait();
        await (await dai.connect(holder).approve(addresses.vault, amount)).wait();
        await (await vault.connect(holder).deposit(amount, who)).wait();
        return;
      case "curve":
      case "curve-crypto": {
        const pool = kind === "curve" ? curve : curveCrypto;
        await (await dai.mint(who, amount)).wait();
        await (await dai.connect(holder).approve(await pool.getAddress(), amount)).wait();
        await (await pool.connect(holder).add_liquidity([amount, 0n], 0n)).wait();
        return;
      }
    }
  }

  /** The reader spec of `holder`'s position of `kind`. */
  function spec(kind: PositionSpec["kind"] | "curve-crypto", holder: string): PositionSpec {
    switch (kind) {
      case "erc20":
        return { kind, token: addresses.usdc, holder };
      case "aave-v3":
        return { kind, aToken: addresses.aToken, holder };
      case "compound-v3":
        return { kind, comet: addresses.comet, holder };
      case "erc4626":
        return { kind, vault: addresses.vault, holder };
      case "curve":
        return { kind, pool: addresses.curve, lpToken: addresses.curve, coinIndex: 0, indexType: "int128", holder };
      case "curve-crypto":
        return { kind: "curve", pool: addresses.curveCrypto, lpToken: addresses.curveCrypto, coinIndex: 0, indexType: "uint256", holder };
      case "aave-v2":
        return { kind, aToken: addresses.aaveV2AToken, holder };
      case "yearn-v2":
        return { kind, vault: addresses.yearnV2Vault, holder };
      case "uniswap-v3":
        throw new Error("uniswap-v3 runs on the real Uniswap v3 (test/helpers/realUniswap.ts), not a stand-in");
    }
  }

  return { owner, usdc, dai, aave, aavePool, aToken, comet, vault, curve, curveCrypto, aaveV2Pool, aaveV2AToken, yearnV2Vault, addresses, open, spec };
}
export type StandIns = Awaited<ReturnType<typeof deployStandIns>>;

/** An EthCaller over Hardhat's provider that counts eth_calls. */
export function countingCaller() {
  const counter = {
    calls: 0,
    call: async (tx: { to: string; data: string; blockTag?: number | string }): Promise<string> => {
      counter.calls += 1;
      return ethers.provider.call(tx);
    },
  };
  return counter;
}
