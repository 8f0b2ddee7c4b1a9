/**
 * A real Aave v3 market, deployed from the `@aave/core-v3` (1.19) Hardhat artifacts with plain
 * ethers v6 over any Signer — the same bytecode as the production Pool, with its logic libraries
 * linked at deploy, behind the provider's own upgradeability proxies. The demo and `npm start`
 * (the embedded chain, over JSON-RPC), the keeper bench and the tests (the in-process Hardhat
 * network, test/helpers/realAave.ts) all deploy this one market.
 *
 * Reserves: the mock USDC (6), USDT (6, no return values) and DAI (18) — the fund's, when given —
 * plus a volatile collateral, WETH (Aave's MintableERC20, 18). Prices come from `AaveOracle` over
 * one `MockAggregator` per asset (8 decimals, USD base): stables at $1, WETH at $3,000. A price
 * "moves" the way a manipulated or swapped source does on mainnet: `setPrice` deploys a new
 * aggregator with the new answer and points `AaveOracle.setAssetSources` at it.
 *
 * Risk and rate parameters are those of Aave's Ethereum market (rounded): stables LTV 77% /
 * liquidation threshold 80% / bonus 4.5%, reserve factor 10%, optimal usage 90%, slope1 4%,
 * slope2 60%; WETH LTV 80.5% / 83% / 5%, reserve factor 15%, optimal usage 80%, slope1 3.3%,
 * slope2 80%. Stable-rate borrowing stays disabled (as on mainnet since 2023).
 *
 * `oracleDrain` is how such a market is really drained (Mango, Cream, Radiant-style): the
 * attacker supplies a little WETH, the WETH price source is pushed up, the attacker borrows the
 * reserve's cash against it, the source is restored. Every supplier's aToken balance and the
 * liquidity index stay where they were; the cash is gone and the debt is unbacked.
 */
import { Contract, ZeroAddress, type ContractTransactionResponse, type Signer } from "ethers";
import { MockDAI__factory } from "../../../typechain-types/factories/contracts/mocks/tokens/MockDAI__factory";
import { MockUSDC__factory } from "../../../typechain-types/factories/contracts/mocks/tokens/MockUSDC__factory";
import { MockUSDT__factory } from "../../../typechain-types/factories/contracts/mocks/tokens/MockUSDT__factory";
import type { MockDAI, MockUSDC, MockUSDT } from "../../../typechain-types";
import { attachArtifact, deployArtifact, loadArtifact, type NpmArtifact } from "./npmArtifacts";

const AAVE = "@aave/core-v3/artifacts/contracts";
const aave = (path: string): NpmArtifact => loadArtifact(`${AAVE}/${path}`);

export const AAVE_ARTIFACTS = {
  addressesProvider: aave("protocol/configuration/PoolAddressesProvider.sol/PoolAddressesProvider.json"),
  aclManager: aave("protocol/configuration/ACLManager.sol/ACLManager.json"),
  pool: aave("protocol/pool/Pool.sol/Pool.json"),
  configurator: aave("protocol/pool/PoolConfigurator.sol/PoolConfigurator.json"),
  rateStrategy: aave("protocol/pool/DefaultReserveInterestRateStrategy.sol/DefaultReserveInterestRateStrategy.json"),
  aToken: aave("protocol/tokenization/AToken.sol/AToken.json"),
  stableDebtToken: aave("protocol/tokenization/StableDebtToken.sol/StableDebtToken.json"),
  variableDebtToken: aave("protocol/tokenization/VariableDebtToken.sol/VariableDebtToken.json"),
  oracle: aave("misc/AaveOracle.sol/AaveOracle.json"),
  aggregator: aave("mocks/oracle/CLAggregators/MockAggregator.sol/MockAggregator.json"),
  mintableErc20: aave("mocks/tokens/MintableERC20.sol/MintableERC20.json"),
  supplyLogic: aave("protocol/libraries/logic/SupplyLogic.sol/SupplyLogic.json"),
  borrowLogic: aave("protocol/libraries/logic/BorrowLogic.sol/BorrowLogic.json"),
  liquidationLogic: aave("protocol/libraries/logic/LiquidationLogic.sol/LiquidationLogic.json"),
  eModeLogic: aave("protocol/libraries/logic/EModeLogic.sol/EModeLogic.json"),
  bridgeLogic: aave("protocol/libraries/logic/BridgeLogic.sol/BridgeLogic.json"),
  poolLogic: aave("protocol/libraries/logic/PoolLogic.sol/PoolLogic.json"),
  flashLoanLogic: aave("protocol/libraries/logic/FlashLoanLogic.sol/FlashLoanLogic.json"),
  configuratorLogic: aave("protocol/libraries/logic/ConfiguratorLogic.sol/ConfiguratorLogic.json"),
} as const;

export const RAY = 10n ** 27n;
/** Aave's price unit: USD with 8 decimals (the Chainlink convention). */
export const USD8 = 10n ** 8n;
const pct = (percent: number): bigint => (BigInt(Math.round(percent * 100)) * RAY) / 10_000n; // percent → ray

export type AaveSymbol = "USDC" | "USDT" | "DAI" | "WETH";
export type StableSymbol = Exclude<AaveSymbol, "WETH">;
export const AAVE_SYMBOLS: readonly AaveSymbol[] = ["USDC", "USDT", "DAI", "WETH"];

/** Risk and rate parameters of one reserve (bps for the risk figures, percent for the curve). */
export interface ReserveParams {
  readonly decimals: number;
  readonly priceUsd8: bigint;
  readonly ltvBps: number;
  readonly liquidationThresholdBps: number;
  /** 10 000 + the liquidator's bonus (10 450 = 4.5%). */
  readonly liquidationBonusBps: number;
  readonly reserveFactorBps: number;
  readonly optimalUsagePercent: number;
  readonly baseRatePercent: number;
  readonly slope1Percent: number;
  readonly slope2Percent: number;
}

const STABLE = { ltvBps: 7_700, liquidationThresholdBps: 8_000, liquidationBonusBps: 10_450, reserveFactorBps: 1_000, optimalUsagePercent: 90, baseRatePercent: 0, slope1Percent: 4, slope2Percent: 60 };
export const RESERVE_PARAMS: Readonly<Record<AaveSymbol, ReserveParams>> = {
  USDC: { ...STABLE, decimals: 6, priceUsd8: 1n * USD8 },
  USDT: { ...STABLE, decimals: 6, priceUsd8: 1n * USD8, ltvBps: 7_400, liquidationThresholdBps: 7_600 },
  DAI: { ...STABLE, decimals: 18, priceUsd8: 1n * USD8, ltvBps: 6_300, liquidationThresholdBps: 7_700 },
  WETH: { decimals: 18, priceUsd8: 3_000n * USD8, ltvBps: 8_050, liquidationThresholdBps: 8_300, liquidationBonusBps: 10_500, reserveFactorBps: 1_500, optimalUsagePercent: 80, baseRatePercent: 0, slope1Percent: 3.3, slope2Percent: 80 },
};

/** One listed reserve: the underlying and the token contracts the configurator created for it. */
export interface AaveReserve {
  readonly symbol: AaveSymbol;
  readonly asset: string;
  readonly decimals: number;
  readonly aToken: Contract;
  readonly variableDebtToken: Contract;
  readonly stableDebtToken: Contract;
  readonly params: ReserveParams;
}

export interface RealAaveMarket {
  readonly admin: Signer;
  readonly treasury: string;
  readonly addressesProvider: Contract;
  readonly aclManager: Contract;
  readonly pool: Contract;
  readonly configurator: Contract;
  readonly oracle: Contract;
  readonly usdc: MockUSDC;
  readonly usdt: MockUSDT;
  readonly dai: MockDAI;
  readonly weth: Contract;
  readonly reserves: Readonly<Record<AaveSymbol, AaveReserve>>;
  /** `n` whole tokens of `symbol` in its smallest unit. */
  units(symbol: AaveSymbol, n: number | bigint): bigint;
  /** Mints `amount` of `symbol` to `to` (test tokens, open mint). */
  mint(symbol: AaveSymbol, to: string, amount: bigint): Promise<void>;
  /** Mints, approves and `Pool.supply`s `amount` for `who` (onBehalfOf = who). */
  supply(who: Signer, symbol: AaveSymbol, amount: bigint): Promise<void>;
  /** `Pool.borrow` at the variable rate (interestRateMode 2). */
  borrow(who: Signer, symbol: AaveSymbol, amount: bigint): Promise<void>;
  /** `Pool.withdraw` to `who` (`amount` = 2^256-1 for everything). */
  withdraw(who: Signer, symbol: AaveSymbol, amount: bigint): Promise<void>;
  /** Points the oracle at a fresh aggregator answering `priceUsd8` (how a price source is swapped); the block it was mined in. */
  setPrice(symbol: AaveSymbol, priceUsd8: bigint): Promise<number>;
  /** Cash of a reserve: the underlying held by its aToken. */
  cash(symbol: AaveSymbol): Promise<bigint>;
  /**
   * The oracle-manipulation drain of `amount` (default: all the cash) of `symbol`: the attacker
   * supplies `collateralWeth` WETH (default 10), WETH's source is pushed to what makes it worth
   * the borrow, the attacker borrows the cash, and the source is restored to its price before.
   * Returns the amount borrowed and the blocks of the borrow and of the restore.
   */
  oracleDrain(attacker: Signer, symbol: StableSymbol, options?: { amount?: bigint; collateralWeth?: bigint }): Promise<OracleDrain>;
}

export interface OracleDrain {
  readonly amount: bigint;
  /** The block of the borrow (the cash leaves the reserve). */
  readonly borrowBlock: number;
  /** The block the price source was restored in (the end of the drain). */
  readonly restoreBlock: number;
}

function token(market: { usdc: MockUSDC; usdt: MockUSDT; dai: MockDAI; weth: Contract }, symbol: AaveSymbol) {
  switch (symbol) {
    case "USDC":
      return market.usdc;
    case "USDT":
      return market.usdt;
    case "DAI":
      return market.dai;
    case "WETH":
      return market.weth;
  }
}

export interface DeployRealAaveOptions {
  /** Deploys everything and becomes ACL admin and pool admin (and the oracle's owner). */
  readonly admin: Signer;
  /** Receives the reserve factor's share (the aTokens' treasury). */
  readonly treasury: string;
  /** Existing stablecoins to list (e.g. the fund's mock tokens); each one missing is deployed. */
  readonly tokens?: Partial<Record<StableSymbol, string>>;
}

/** Deploys the market (47 transactions, ~2-3 s on the in-process network). In tests prefer `loadFixture`. */
export async function deployRealAave(options: DeployRealAaveOptions): Promise<RealAaveMarket> {
  const { admin, treasury } = options;
  const adminAddress = await admin.getAddress();
  const A = AAVE_ARTIFACTS;

  // Addresses provider and access control: the admin is ACL admin and pool admin.
  const addressesProvider = await deployArtifact(admin, A.addressesProvider, ["SIF test market", adminAddress]);
  const providerAddress = await addressesProvider.getAddress();
  await send(addressesProvider.getFunction("setACLAdmin")(adminAddress));
  const aclManager = await deployArtifact(admin, A.aclManager, [providerAddress]);
  await send(addressesProvider.getFunction("setACLManager")(await aclManager.getAddress()));
  await send(aclManager.getFunction("addPoolAdmin")(adminAddress));

  // The Pool and its logic libraries; the provider wraps the implementation in its proxy.
  const lib = async (artifact: NpmArtifact, links: Record<string, string> = {}) => (await deployArtifact(admin, artifact, [], links)).getAddress();
  const borrowLogic = await lib(A.borrowLogic);
  const libraries = {
    SupplyLogic: await lib(A.supplyLogic),
    BorrowLogic: borrowLogic,
    LiquidationLogic: await lib(A.liquidationLogic),
    EModeLogic: await lib(A.eModeLogic),
    BridgeLogic: await lib(A.bridgeLogic),
    PoolLogic: await lib(A.poolLogic),
    FlashLoanLogic: await lib(A.flashLoanLogic, { BorrowLogic: borrowLogic }),
  };
  const poolImpl = await deployArtifact(admin, A.pool, [providerAddress], libraries);
  await send(addressesProvider.getFunction("setPoolImpl")(await poolImpl.getAddress()));
  const pool = attachArtifact(A.pool, await addressesProvider.getFunction("getPool")(), admin);
  const poolAddress = await pool.getAddress();

  const configuratorImpl = await deployArtifact(admin, A.configurator, [], { ConfiguratorLogic: await lib(A.configuratorLogic) });
  await send(addressesProvider.getFunction("setPoolConfiguratorImpl")(await configuratorImpl.getAddress()));
  const configurator = attachArtifact(A.configurator, await addressesProvider.getFunction("getPoolConfigurator")(), admin);

  // Underlyings and their price feeds.
  const existing = options.tokens ?? {};
  const usdc = existing.USDC !== undefined ? MockUSDC__factory.connect(existing.USDC, admin) : await deployed(new MockUSDC__factory(admin).deploy());
  const usdt = existing.USDT !== undefined ? MockUSDT__factory.connect(existing.USDT, admin) : await deployed(new MockUSDT__factory(admin).deploy());
  const dai = existing.DAI !== undefined ? MockDAI__factory.connect(existing.DAI, admin) : await deployed(new MockDAI__factory(admin).deploy());
  const weth = await deployArtifact(admin, A.mintableErc20, ["Wrapped Ether", "WETH", 18]);
  const tokens = { usdc, usdt, dai, weth };
  const assets: Record<AaveSymbol, string> = {
    USDC: await usdc.getAddress(),
    USDT: await usdt.getAddress(),
    DAI: await dai.getAddress(),
    WETH: await weth.getAddress(),
  };
  // One after the other: over JSON-RPC, concurrent sends from one key can reach an automining node
  // out of nonce order ("Nonce too high … can't be queued").
  const feeds: string[] = [];
  for (const s of AAVE_SYMBOLS) feeds.push(await (await deployArtifact(admin, A.aggregator, [RESERVE_PARAMS[s].priceUsd8])).getAddress());
  const oracle = await deployArtifact(admin, A.oracle, [providerAddress, AAVE_SYMBOLS.map((s) => assets[s]), feeds, ZeroAddress, ZeroAddress, USD8]);
  await send(addressesProvider.getFunction("setPriceOracle")(await oracle.getAddress()));

  // Token implementations (cloned behind proxies by initReserves) and one rate curve per reserve.
  const aTokenImpl = await (await deployArtifact(admin, A.aToken, [poolAddress])).getAddress();
  const stableImpl = await (await deployArtifact(admin, A.stableDebtToken, [poolAddress])).getAddress();
  const variableImpl = await (await deployArtifact(admin, A.variableDebtToken, [poolAddress])).getAddress();
  const inputs = [];
  for (const symbol of AAVE_SYMBOLS) {
    const p = RESERVE_PARAMS[symbol];
    const strategy = await deployArtifact(admin, A.rateStrategy, [
      providerAddress,
      pct(p.optimalUsagePercent),
      pct(p.baseRatePercent),
      pct(p.slope1Percent),
      pct(p.slope2Percent),
      0n, // stable slope 1 (stable borrowing disabled)
      0n, // stable slope 2
      0n, // base stable rate offset
      0n, // stable rate excess offset
      pct(20), // optimal stable-to-total debt ratio
    ]);
    inputs.push({
      aTokenImpl,
      stableDebtTokenImpl: stableImpl,
      variableDebtTokenImpl: variableImpl,
      underlyingAssetDecimals: p.decimals,
      interestRateStrategyAddress: await strategy.getAddress(),
      underlyingAsset: assets[symbol],
      treasury,
      incentivesController: ZeroAddress,
      aTokenName: `Aave Test ${symbol}`,
      aTokenSymbol: `aTest${symbol}`,
      variableDebtTokenName: `Aave Test Variable Debt ${symbol}`,
      variableDebtTokenSymbol: `variableDebtTest${symbol}`,
      stableDebtTokenName: `Aave Test Stable Debt ${symbol}`,
      stableDebtTokenSymbol: `stableDebtTest${symbol}`,
      params: "0x",
    });
  }
  await send(configurator.getFunction("initReserves")(inputs));

  const reserves = {} as Record<AaveSymbol, AaveReserve>;
  for (const symbol of AAVE_SYMBOLS) {
    const p = RESERVE_PARAMS[symbol];
    const asset = assets[symbol];
    await send(configurator.getFunction("configureReserveAsCollateral")(asset, p.ltvBps, p.liquidationThresholdBps, p.liquidationBonusBps));
    await send(configurator.getFunction("setReserveBorrowing")(asset, true));
    await send(configurator.getFunction("setReserveFactor")(asset, p.reserveFactorBps));
    const data = await pool.getFunction("getReserveData")(asset);
    reserves[symbol] = {
      symbol,
      asset,
      decimals: p.decimals,
      aToken: attachArtifact(A.aToken, data.aTokenAddress, admin),
      variableDebtToken: attachArtifact(A.variableDebtToken, data.variableDebtTokenAddress, admin),
      stableDebtToken: attachArtifact(A.stableDebtToken, data.stableDebtTokenAddress, admin),
      params: p,
    };
  }

  const cash = async (symbol: AaveSymbol): Promise<bigint> => {
    const t = token(tokens, symbol) as unknown as Contract;
    return t.getFunction("balanceOf")(await reserves[symbol].aToken.getAddress()) as Promise<bigint>;
  };
  const units = (symbol: AaveSymbol, n: number | bigint): bigint => BigInt(n) * 10n ** BigInt(RESERVE_PARAMS[symbol].decimals);
  const mint = async (symbol: AaveSymbol, to: string, amount: bigint): Promise<void> => {
    const t = token(tokens, symbol) as unknown as Contract;
    await send(t.getFunction("mint(address,uint256)")(to, amount));
  };
  const supply = async (who: Signer, symbol: AaveSymbol, amount: bigint): Promise<void> => {
    const address = await who.getAddress();
    await mint(symbol, address, amount);
    const t = (token(tokens, symbol) as unknown as Contract).connect(who) as Contract;
    // USDT refuses a non-zero allowance over a non-zero one: reset first.
    if (((await t.getFunction("allowance")(address, poolAddress)) as bigint) > 0n) await send(t.getFunction("approve")(poolAddress, 0n));
    await send(t.getFunction("approve")(poolAddress, amount));
    await send((pool.connect(who) as Contract).getFunction("supply")(assets[symbol], amount, address, 0));
  };
  const setPrice = async (symbol: AaveSymbol, priceUsd8: bigint): Promise<number> => {
    const feed = await deployArtifact(admin, A.aggregator, [priceUsd8]);
    return sent(oracle.getFunction("setAssetSources")([assets[symbol]], [await feed.getAddress()]));
  };
  return {
    admin,
    treasury,
    addressesProvider,
    aclManager,
    pool,
    configurator,
    oracle,
    usdc,
    usdt,
    dai,
    weth,
    reserves,
    units,
    mint,
    supply,
    async borrow(who, symbol, amount) {
      await send((pool.connect(who) as Contract).getFunction("borrow")(assets[symbol], amount, 2, 0, await who.getAddress()));
    },
    async withdraw(who, symbol, amount) {
      await send((pool.connect(who) as Contract).getFunction("withdraw")(assets[symbol], amount, await who.getAddress()));
    },
    setPrice,
    cash,
    async oracleDrain(attacker, symbol, drain = {}) {
      const amount = drain.amount ?? (await cash(symbol));
      const collateral = units("WETH", drain.collateralWeth ?? 10n);
      await supply(attacker, "WETH", collateral);
      const restoreTo = (await oracle.getFunction("getAssetPrice")(assets.WETH)) as bigint;
      // The collateral is made worth twice the borrow at WETH's LTV: enough whatever the attacker already owes.
      const borrowUsd8 = (amount * RESERVE_PARAMS[symbol].priceUsd8) / 10n ** BigInt(RESERVE_PARAMS[symbol].decimals);
      const needed = (borrowUsd8 * 2n * 10_000n * 10n ** 18n) / (BigInt(RESERVE_PARAMS.WETH.ltvBps) * collateral) + 1n;
      await setPrice("WETH", needed > restoreTo ? needed : restoreTo);
      const borrowBlock = await sent((pool.connect(attacker) as Contract).getFunction("borrow")(assets[symbol], amount, 2, 0, await attacker.getAddress()));
      const restoreBlock = await setPrice("WETH", restoreTo);
      return { amount, borrowBlock, restoreBlock };
    },
  };
}

/** Waits for a transaction; its block number. */
async function sent(p: Promise<ContractTransactionResponse>): Promise<number> {
  const receipt = await (await p).wait();
  if (receipt === null) throw new Error("transaction dropped");
  return receipt.blockNumber;
}

async function send(p: Promise<ContractTransactionResponse>): Promise<void> {
  await sent(p);
}

async function deployed<T extends { waitForDeployment(): Promise<unknown> }>(p: Promise<T>): Promise<T> {
  const c = await p;
  await c.waitForDeployment();
  return c;
}
