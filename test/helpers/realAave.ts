/**
 * The real Aave v3 market (keeper/src/demo/realAave.ts, shared with the demo and the bench) on the
 * in-process Hardhat network: the first signer is the admin, the last the treasury.
 *
 * Use `loadFixture(realAaveFixture)` so a test file deploys the market once and reverts to the
 * snapshot between tests.
 */
import { ethers } from "hardhat";
import { deployRealAave as deployMarket, type RealAaveMarket, type StableSymbol } from "../../keeper/src/demo/realAave";

export * from "../../keeper/src/demo/realAave";

/** Deploys the market with Hardhat's signers; over the given stablecoins (e.g. the fund's) or fresh ones. */
export async function deployRealAaveHere(options: { tokens?: Partial<Record<StableSymbol, string>> } = {}): Promise<RealAaveMarket> {
  const signers = await ethers.getSigners();
  const admin = signers[0];
  const treasury = signers[signers.length - 1];
  if (admin === undefined || treasury === undefined) throw new Error("no signers");
  return deployMarket({ admin, treasury: await treasury.getAddress(), ...(options.tokens !== undefined ? { tokens: options.tokens } : {}) });
}

/** The fixture for `loadFixture`: one deployment per test file, reverted to between tests. */
export async function realAaveFixture(): Promise<RealAaveMarket> {
  return deployRealAaveHere();
}
