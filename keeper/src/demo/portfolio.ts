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
  /** Mock Nexus product on test networks; undefined = not listed upstream (self-insured or second provider). */
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

/** Nexus Mutual cover asset ids (ETH 0, DAI 1, USDC 6); USDT is not a Nexus cover asset. */
export const NEXUS_COVER_ASSET = { DAI: 1, USDC: 6 } as const;

/** Fund provider ids in the order the stacks register them. */
export const PROVIDER_ID = { selfInsured: 0, nexus: 1, second: 2 } as const;

export function demoProtocol(position: DemoPosition): string {
  return demoProtocolAddress(position.id);
}

/** `n` whole tokens in base units. */
export function wholeTokens(n: number | bigint, decimals: number): bigint {
  return BigInt(n) * 10n ** BigInt(decimals);
}

/** Provider for a demo position: Nexus when listed (USDC/DAI), GMX via the second provider, else self-insured. */
export function providerFor(position: DemoPosition): number {
  if (position.nexusProductId !== undefined && position.stablecoin !== "USDT") return PROVIDER_ID.nexus;
  if (position.id === "gmx") return PROVIDER_ID.second;
  return PROVIDER_ID.selfInsured;
}
