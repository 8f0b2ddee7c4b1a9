/**
 * Deploys contracts from the Hardhat / Foundry artifacts that real protocols publish on npm
 * (`@aave/core-v3`, `@uniswap/v3-core`, `@uniswap/v3-periphery`, `@safe-global/safe-smart-account`)
 * with a plain ethers v6 `ContractFactory` (any Signer: Hardhat's in the tests, a JSON-RPC wallet in
 * the demo): no plugin, no hardhat-deploy. External libraries are
 * linked by writing their addresses over the `__$…$__` placeholders at the byte offsets the
 * artifact's `linkReferences` lists.
 */
import { Contract, ContractFactory, getAddress, type InterfaceAbi, type Signer } from "ethers";

/** The part of a compiler artifact a deployment needs. */
export interface NpmArtifact {
  readonly contractName: string;
  readonly abi: InterfaceAbi;
  readonly bytecode: string;
  /** `{ sourceFile: { libraryName: [{ start, length }] } }`, offsets in bytes of the creation code. */
  readonly linkReferences?: Readonly<Record<string, Readonly<Record<string, readonly { start: number; length: number }[]>>>>;
}

/** Loads an artifact from an installed package: `loadArtifact("@aave/core-v3/artifacts/…/Pool.json")`. */
export function loadArtifact(modulePath: string): NpmArtifact {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const raw = require(modulePath) as NpmArtifact;
  if (typeof raw.bytecode !== "string" || !Array.isArray(raw.abi)) throw new Error(`${modulePath} is not a compiler artifact (no abi/bytecode)`);
  return raw;
}

/**
 * The creation code with every library placeholder replaced by its address. `libraries` is keyed
 * by library name (`BorrowLogic`); a placeholder without an address throws, naming the library.
 */
export function linkBytecode(artifact: NpmArtifact, libraries: Readonly<Record<string, string>> = {}): string {
  let code = artifact.bytecode.startsWith("0x") ? artifact.bytecode.slice(2) : artifact.bytecode;
  for (const byLibrary of Object.values(artifact.linkReferences ?? {})) {
    for (const [name, spots] of Object.entries(byLibrary)) {
      const address = libraries[name];
      if (address === undefined) throw new Error(`${artifact.contractName}: library ${name} is not linked (pass its address)`);
      const hex = getAddress(address).slice(2).toLowerCase();
      for (const { start, length } of spots) {
        if (length !== 20) throw new Error(`${artifact.contractName}: link reference of ${length} bytes for ${name}`);
        code = code.slice(0, start * 2) + hex + code.slice((start + length) * 2);
      }
    }
  }
  if (code.includes("__$")) throw new Error(`${artifact.contractName}: unlinked placeholder left in the bytecode`);
  return `0x${code}`;
}

/** Deploys `artifact` with constructor `args`, linking `libraries`; resolves once mined. */
export async function deployArtifact(
  signer: Signer,
  artifact: NpmArtifact,
  args: readonly unknown[] = [],
  libraries: Readonly<Record<string, string>> = {},
): Promise<Contract> {
  const factory = new ContractFactory(artifact.abi, linkBytecode(artifact, libraries), signer);
  const contract = await factory.deploy(...args);
  await contract.waitForDeployment();
  return contract as Contract;
}

/** A handle on an already deployed contract of `artifact`'s ABI. */
export function attachArtifact(artifact: NpmArtifact, address: string, signer: Signer): Contract {
  return new Contract(address, artifact.abi, signer);
}
