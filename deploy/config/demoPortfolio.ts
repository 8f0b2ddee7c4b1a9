/**
 * The original investor's portfolio (the demo and the seed script) and how the test-network
 * stacks cover it. Protocol keys are the keeper's deterministic demo addresses.
 */
import { demoProtocolAddress } from "../../keeper/src/config";

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
}

export const DEMO_PORTFOLIO: readonly DemoPosition[] = [
  { id: "aave-v3", name: "Aave V3", usd: 45_000, stablecoin: "USDC", nexusProductId: 7 },
  { id: "compound-v3", name: "Compound V3", usd: 35_000, stablecoin: "USDC", nexusProductId: 11 },
  { id: "uniswap-v3", name: "Uniswap V3", usd: 40_000, stablecoin: "USDC", nexusProductId: 23 },
  { id: "curve", name: "Curve", usd: 38_000, stablecoin: "DAI", nexusProductId: 31 },
  { id: "yearn", name: "Yearn", usd: 42_000, stablecoin: "DAI", nexusProductId: 43 },
  { id: "gmx", name: "GMX", usd: 25_000, stablecoin: "USDC" },
  { id: "radiant", name: "Radiant", usd: 15_000, stablecoin: "USDT" },
];

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
