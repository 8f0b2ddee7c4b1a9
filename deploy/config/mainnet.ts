/**
 * Ethereum mainnet addresses used by MainnetStack.
 *
 * Nexus Mutual: `dist/data/addresses.json` of the npm package @nexusmutual/deployments 3.4.0
 * (published 2026-09-23), keys "Cover", "Claims", "Registry", "CoverProducts". Tokens: the same
 * file's "USDC" and "DAI", and Tether's canonical USDT contract.
 */
export const MAINNET_TOKENS = {
  USDC: "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
  USDT: "0xdAC17F958D2ee523a2206206994597C13D831ec7",
  DAI: "0x6B175474E89094C44Da98b954EedeAC495271d0F",
} as const;

export const MAINNET_NEXUS = {
  source: "@nexusmutual/deployments@3.4.0 dist/data/addresses.json",
  Cover: "0xcafeac0fF5dA0A2777d915531bfA6B29d282Ee62",
  Claims: "0xcafeac11196a5CC352938aEEd545b32d5b9646fa",
  Registry: "0xcafea2c575550512582090AA06d0a069E7236b9e",
  CoverProducts: "0xcafead81a2c2508e7344155eB0DA67a3a487AA8d",
} as const;

/**
 * Protocol → Nexus product mappings set at deploy time. Empty on purpose: product ids must be
 * read from CoverProducts (getProducts) at the block you deploy; add them here, or later with
 * `NexusMutualAdapter.setProduct` from the admin. Unmapped protocols are self-insured.
 */
export const MAINNET_NEXUS_PRODUCTS: readonly { readonly protocol: string; readonly productId: number }[] = [];
