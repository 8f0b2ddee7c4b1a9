import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { ethers } from "hardhat";

/** The first Hardhat accounts, keyed by the role names given (in order); fails if there are too few. */
export async function namedSigners<const Names extends readonly string[]>(
  ...names: Names
): Promise<Record<Names[number], HardhatEthersSigner>> {
  const signers = await ethers.getSigners();
  const named: Partial<Record<string, HardhatEthersSigner>> = {};
  names.forEach((name, index) => {
    const signer = signers[index];
    if (signer === undefined) throw new Error(`only ${signers.length} signers, need one for "${name}"`);
    named[name] = signer;
  });
  return named as Record<Names[number], HardhatEthersSigner>;
}
