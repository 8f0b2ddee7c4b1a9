/**
 * The original investor's portfolio (the demo and the seed script) and how the test-network
 * stacks cover it. Protocol keys are the keeper's deterministic demo addresses.
 */
import { demoProtocolAddress } from "../config";

export type StablecoinSymbol = "USDC" | "USDT" | "DAI";

export interface DemoPosition {
  /** Keeper protocol id (fixture file stem). */
  readonly id: string;
  readonly name: string;
  /** Position size, whole US dollars. */
  readonly usd: number;
  readonly stablecoin: StablecoinSymbol;
  /**
   * Mock Nexus product on test networks; undefined = not listed upstream. A listed product hedges only
   * USDC positions (Nexus does not cover DAI or USDT), so Curve and Yearn in DAI are self-insured.
   */
  readonly nexusProductId?: number;
  /** The local protocol the position lives in (the real Aave v3 market, or a DemoProtocols stand-in) and the reader kind that values it. */
  readonly standIn: DemoStandIn;
}

/** Reader kinds of the demo's protocols. */
export type DemoStandInKind = "aave-v3" | "aave-v2" | "compound-v3" | "erc4626" | "curve";

export interface DemoStandIn {
  readonly kind: DemoStandInKind;
  /**
   * Ignition future id in the DemoProtocols module of the contract the position is read from;
   * undefined for Aave v3, which is the real market (keeper/src/demo/realAave.ts), not a stand-in.
   */
  readonly futureId?: string;
  /** What it is, or stands in for. */
  readonly label: string;
}

export const DEMO_PORTFOLIO: readonly DemoPosition[] = [
  { id: "aave-v3", name: "Aave V3", usd: 45_000, stablecoin: "USDC", nexusProductId: 7, standIn: { kind: "aave-v3", label: "Aave v3 Pool (the real @aave/core-v3 bytecode), aTestUSDC" } },
  { id: "compound-v3", name: "Compound V3", usd: 35_000, stablecoin: "USDC", nexusProductId: 11, standIn: { kind: "compound-v3", futureId: "cUSDCv3", label: "Comet cUSDCv3" } },
  { id: "uniswap-v3", name: "Uniswap V3", usd: 40_000, stablecoin: "USDC", nexusProductId: 23, standIn: { kind: "erc4626", futureId: "UniswapV3LpVault", label: "ERC-4626 vault over a Uniswap V3 USDC range (Arrakis-style)" } },
  { id: "curve", name: "Curve", usd: 38_000, stablecoin: "DAI", nexusProductId: 31, standIn: { kind: "curve", futureId: "CurveDaiUsdcPool", label: "Curve DAI/USDC stable pool (LP valued in DAI)" } },
  { id: "yearn", name: "Yearn", usd: 42_000, stablecoin: "DAI", nexusProductId: 43, standIn: { kind: "erc4626", futureId: "YearnDaiVault", label: "Yearn v3 DAI vault (ERC-4626)" } },
  { id: "gmx", name: "GMX", usd: 25_000, stablecoin: "USDC", standIn: { kind: "erc4626", futureId: "GmxUsdcVault", label: "GMX GM USDC pool shares (ERC-4626 stand-in)" } },
  { id: "radiant", name: "Radiant", usd: 15_000, stablecoin: "USDT", standIn: { kind: "aave-v2", futureId: "rUSDT", label: "Radiant (Aave v2 fork) lending pool, rUSDT" } },
];

/** Other suppliers' deposits in every stand-in, as a multiple of the investor's position (the pools are much bigger than one investor). */
export const DEMO_CROWD_MULTIPLE = 9;

export const TOKEN_DECIMALS: Readonly<Record<StablecoinSymbol, number>> = { USDC: 6, USDT: 6, DAI: 18 };

/**
 * Nexus Mutual cover asset ids (Pool asset list): ETH 0, USDC 6, cbBTC 7. DAI (id 1) was abandoned in
 * the v3 pool migration and USDT never was a cover asset: DAI and USDT positions are self-insured (or
 * go to another provider). Only the stablecoin Nexus covers is listed here.
 */
export const NEXUS_COVER_ASSET = { USDC: 6 } as const;
/** DAI's id in the Nexus Pool asset list; the mock Pool lists it as abandoned, like mainnet. */
export const NEXUS_DAI_ASSET_ID = 1;

/** Fund provider ids in the order the stacks register them. */
export const PROVIDER_ID = { selfInsured: 0, nexus: 1, second: 2 } as const;

export function demoProtocol(position: DemoPosition): string {
  return demoProtocolAddress(position.id);
}

/** `n` whole tokens in base units. */
export function wholeTokens(n: number | bigint, decimals: number): bigint {
  return BigInt(n) * 10n ** BigInt(decimals);
}

/** Provider for a demo position: Nexus when listed and held in USDC, GMX via the second provider, else self-insured. */
export function providerFor(position: DemoPosition): number {
  if (position.nexusProductId !== undefined && position.stablecoin === "USDC") return PROVIDER_ID.nexus;
  if (position.id === "gmx") return PROVIDER_ID.second;
  return PROVIDER_ID.selfInsured;
}
