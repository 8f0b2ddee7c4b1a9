/**
 * Ethereum mainnet addresses used by MainnetStack.
 *
 * Nexus Mutual: `dist/data/addresses.json` of the npm package @nexusmutual/deployments 3.4.0 (a
 * devDependency; test/unit/MockNexusMutual/abi.test.ts checks these against it). Tokens: the same
 * file's "USDC" and "DAI", and Tether's canonical USDT contract. The fund holds all three; only USDC
 * is a Nexus cover asset (DAI and USDT positions are self-insured).
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
  CoverNFT: "0xcafeaCa76be547F14D0220482667B42D8E7Bc3eb",
  Pool: "0xcafea91714e55756C125B509274eDE9Bc91697CB",
  Assessments: "0xcafea55aE10FB1bf21F7aF7a285488C42B59a24A",
} as const;

/**
 * Nexus cover asset ids of the fund's stablecoins (Pool asset list, v3.1): USDC 6. ETH 0 and cbBTC 7
 * are cover assets too but not fund stablecoins; DAI (1) was abandoned in the v3 pool migration and
 * USDT never was one. Whether a given product accepts USDC is its own `coverAssets` bitmap in
 * CoverProducts (0 = every Pool cover asset): the adapter's `isSupported` reads it on chain, so a
 * product that only covers ETH is simply reported unsupported for USDC.
 */
export const MAINNET_NEXUS_COVER_ASSETS = { USDC: 6 } as const;

/**
 * Protocol → Nexus product mappings set at deploy time. Empty on purpose: product ids must be
 * read from CoverProducts (`getProducts`, check `coverAssets` has bit 6 or is 0, `isDeprecated` false)
 * at the block you deploy; add them here, or later with `NexusMutualAdapter.setProduct` from the
 * admin. Unmapped protocols are self-insured.
 */
export const MAINNET_NEXUS_PRODUCTS: readonly { readonly protocol: string; readonly productId: number }[] = [];
