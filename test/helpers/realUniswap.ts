/**
 * Uniswap v3 on the in-process Hardhat network from its npm artifacts: the `UniswapV3Factory` of
 * `@uniswap/v3-core` (pools created by CREATE2 from the real pool bytecode, whose init-code hash
 * is the one `NonfungiblePositionManager` and `SwapRouter` of `@uniswap/v3-periphery` compute
 * pool addresses with), the position manager and the swap router.
 *
 * The fixture lists a USDC/DAI pool at the 0.05% fee tier, priced at $1, with a full-range-ish
 * position (±5% around $1) of 500k of each minted by the liquidity provider.
 */
import { ethers } from "hardhat";
import { Contract, ZeroAddress, type Signer } from "ethers";
import type { MockDAI, MockUSDC } from "../../typechain-types";
import { Q96, isqrt } from "../../keeper/src/policy/uniswapV3Position";
import { attachArtifact, deployArtifact, loadArtifact } from "./npmArtifacts";

export const UNISWAP_ARTIFACTS = {
  factory: loadArtifact("@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json"),
  pool: loadArtifact("@uniswap/v3-core/artifacts/contracts/UniswapV3Pool.sol/UniswapV3Pool.json"),
  positionManager: loadArtifact("@uniswap/v3-periphery/artifacts/contracts/NonfungiblePositionManager.sol/NonfungiblePositionManager.json"),
  swapRouter: loadArtifact("@uniswap/v3-periphery/artifacts/contracts/SwapRouter.sol/SwapRouter.json"),
  // Uniswap's periphery takes a WETH9 address; Aave's package ships the canonical WETH9 bytecode.
  weth9: loadArtifact("@aave/core-v3/artifacts/contracts/dependencies/weth/WETH9.sol/WETH9.json"),
} as const;

const DEADLINE = 2n ** 48n; // far future, unix seconds

/** sqrtPriceX96 for a price of `amount1` token1 units per `amount0` token0 units (raw units). */
export function sqrtPriceX96(amount0: bigint, amount1: bigint): bigint {
  return isqrt((amount1 * Q96 * Q96) / amount0);
}

/** The tick at or below a raw price token1/token0 (floating point; for choosing ranges in tests). */
export function tickAt(amount0: bigint, amount1: bigint, spacing: number): number {
  const tick = Math.floor(Math.log(Number(amount1) / Number(amount0)) / Math.log(1.0001));
  return Math.floor(tick / spacing) * spacing;
}

export interface RealUniswap {
  readonly factory: Contract;
  readonly positionManager: Contract;
  readonly router: Contract;
  readonly usdc: MockUSDC;
  readonly dai: MockDAI;
  /** The USDC/DAI 0.05% pool. */
  readonly pool: Contract;
  readonly token0: string;
  readonly token1: string;
  readonly fee: number;
  readonly lp: Signer;
  /** The liquidity provider's position (NonfungiblePositionManager token id). */
  readonly tokenId: bigint;
  /** Mints a position of up to `amount0`/`amount1` in [tickLower, tickUpper] for `who`; returns its token id. */
  mintPosition(who: Signer, tickLower: number, tickUpper: number, amount0: bigint, amount1: bigint): Promise<bigint>;
  /** Swaps exactly `amountIn` of `tokenIn` (USDC or DAI) through the pool for `who`. */
  swap(who: Signer, tokenIn: string, amountIn: bigint): Promise<void>;
}

/** Deploys the factory, the periphery and the USDC/DAI pool with the LP's position. Prefer `loadFixture(realUniswapFixture)`. */
export async function deployRealUniswap(options: { usdc?: MockUSDC; dai?: MockDAI } = {}): Promise<RealUniswap> {
  const [deployer, lp] = await ethers.getSigners();
  if (deployer === undefined || lp === undefined) throw new Error("two signers needed");
  const U = UNISWAP_ARTIFACTS;
  const factory = await deployArtifact(deployer, U.factory);
  const weth9 = await deployArtifact(deployer, U.weth9);
  const positionManager = await deployArtifact(deployer, U.positionManager, [await factory.getAddress(), await weth9.getAddress(), ZeroAddress]);
  const router = await deployArtifact(deployer, U.swapRouter, [await factory.getAddress(), await weth9.getAddress()]);
  const usdc = options.usdc ?? ((await ethers.deployContract("MockUSDC", deployer)) as unknown as MockUSDC);
  const dai = options.dai ?? ((await ethers.deployContract("MockDAI", deployer)) as unknown as MockDAI);
  const usdcAddress = await usdc.getAddress();
  const daiAddress = await dai.getAddress();
  const [token0, token1] = usdcAddress.toLowerCase() < daiAddress.toLowerCase() ? [usdcAddress, daiAddress] : [daiAddress, usdcAddress];
  const fee = 500;
  const spacing = 10;
  // $1 = 1e6 USDC units = 1e18 DAI units.
  const one0 = token0 === usdcAddress ? 10n ** 6n : 10n ** 18n;
  const one1 = token1 === usdcAddress ? 10n ** 6n : 10n ** 18n;
  const npm = positionManager;
  await (await npm.getFunction("createAndInitializePoolIfNecessary")(token0, token1, fee, sqrtPriceX96(one0, one1))).wait();
  const pool = attachArtifact(U.pool, await factory.getFunction("getPool")(token0, token1, fee), deployer);

  const tokens = new Map<string, Contract>([
    [usdcAddress, usdc as unknown as Contract],
    [daiAddress, dai as unknown as Contract],
  ]);
  const fundAndApprove = async (who: Signer, token: string, amount: bigint, spender: string): Promise<void> => {
    const t = tokens.get(token);
    if (t === undefined) throw new Error(`unknown token ${token}`);
    const address = await who.getAddress();
    await (await t.getFunction("mint")(address, amount)).wait();
    await (await (t.connect(who) as Contract).getFunction("approve")(spender, amount)).wait();
  };
  const npmAddress = await npm.getAddress();
  const mintPosition = async (who: Signer, tickLower: number, tickUpper: number, amount0: bigint, amount1: bigint): Promise<bigint> => {
    await fundAndApprove(who, token0, amount0, npmAddress);
    await fundAndApprove(who, token1, amount1, npmAddress);
    const params = { token0, token1, fee, tickLower, tickUpper, amount0Desired: amount0, amount1Desired: amount1, amount0Min: 0n, amount1Min: 0n, recipient: await who.getAddress(), deadline: DEADLINE };
    const connected = npm.connect(who) as Contract;
    const [tokenId] = (await connected.getFunction("mint").staticCall(params)) as unknown as [bigint];
    await (await connected.getFunction("mint")(params)).wait();
    return tokenId;
  };
  const low = tickAt(one0 * 105n, one1 * 100n, spacing);
  const high = tickAt(one0 * 95n, one1 * 100n, spacing) + spacing;
  const tokenId = await mintPosition(lp, low, high, 500_000n * one0, 500_000n * one1);
  return {
    factory,
    positionManager,
    router,
    usdc,
    dai,
    pool,
    token0,
    token1,
    fee,
    lp,
    tokenId,
    mintPosition,
    async swap(who, tokenIn, amountIn) {
      const routerAddress = await router.getAddress();
      await fundAndApprove(who, tokenIn, amountIn, routerAddress);
      const tokenOut = tokenIn === token0 ? token1 : token0;
      const params = { tokenIn, tokenOut, fee, recipient: await who.getAddress(), deadline: DEADLINE, amountIn, amountOutMinimum: 0n, sqrtPriceLimitX96: 0n };
      await (await (router.connect(who) as Contract).getFunction("exactInputSingle")(params)).wait();
    },
  };
}

/** The fixture for `loadFixture`. */
export async function realUniswapFixture(): Promise<RealUniswap> {
  return deployRealUniswap();
}
