/**
 * A Safe (v1.5.0, `@safe-global/safe-smart-account`) on the in-process Hardhat network: the
 * singleton, the proxy factory and the compatibility fallback handler deployed from the package's
 * artifacts, and a proxy set up with the given owners and threshold through
 * `SafeProxyFactory.createProxyWithNonce(singleton, setup(...), salt)` — how the Safe web app
 * creates one. `exec` signs a Safe transaction with the owners' EIP-712 signatures (sorted by
 * owner address, 65 bytes each) and sends `execTransaction`.
 */
import { ethers } from "hardhat";
import { Contract, ZeroAddress, concat, getAddress, type Signer } from "ethers";
import { attachArtifact, deployArtifact, loadArtifact } from "./npmArtifacts";

const SAFE = "@safe-global/safe-smart-account/build/artifacts/contracts";
export const SAFE_ARTIFACTS = {
  singleton: loadArtifact(`${SAFE}/Safe.sol/Safe.json`),
  proxyFactory: loadArtifact(`${SAFE}/proxies/SafeProxyFactory.sol/SafeProxyFactory.json`),
  fallbackHandler: loadArtifact(`${SAFE}/handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json`),
} as const;

/** EIP-712 type of a Safe transaction (Safe.sol `SAFE_TX_TYPEHASH`). */
export const SAFE_TX_TYPES = {
  SafeTx: [
    { name: "to", type: "address" },
    { name: "value", type: "uint256" },
    { name: "data", type: "bytes" },
    { name: "operation", type: "uint8" },
    { name: "safeTxGas", type: "uint256" },
    { name: "baseGas", type: "uint256" },
    { name: "gasPrice", type: "uint256" },
    { name: "gasToken", type: "address" },
    { name: "refundReceiver", type: "address" },
    { name: "nonce", type: "uint256" },
  ],
};

export interface SafeCall {
  readonly to: string;
  readonly data: string;
  readonly value?: bigint;
  /** 0 call, 1 delegatecall. */
  readonly operation?: 0 | 1;
}

export interface RealSafe {
  readonly safe: Contract;
  readonly address: string;
  readonly owners: readonly Signer[];
  readonly threshold: number;
  /** The owners' signatures over `call` at the Safe's current nonce, ordered by owner address. */
  sign(call: SafeCall, signers: readonly Signer[]): Promise<string>;
  /** Signs `call` with `signers` and sends `execTransaction` from `sender` (default the first signer). */
  exec(call: SafeCall, signers: readonly Signer[], sender?: Signer): Promise<void>;
}

let saltNonce = 0n;

/**
 * Deploys the Safe contracts and a Safe of `owners` with `threshold`; by default on the in-process
 * network with its first signer, or with `options.deployer` on the chain that signer is connected
 * to (e.g. a `hardhat node` child over JSON-RPC).
 */
export async function deployRealSafe(owners: readonly Signer[], threshold: number, options: { deployer?: Signer } = {}): Promise<RealSafe> {
  const deployer = options.deployer ?? (await ethers.getSigners())[0];
  if (deployer === undefined) throw new Error("no signer");
  const provider = deployer.provider;
  if (provider === null) throw new Error("the deployer has no provider");
  const S = SAFE_ARTIFACTS;
  const singleton = await deployArtifact(deployer, S.singleton);
  const factory = await deployArtifact(deployer, S.proxyFactory);
  const handler = await deployArtifact(deployer, S.fallbackHandler);
  const ownerAddresses = await Promise.all(owners.map((o) => o.getAddress()));
  const setup = singleton.interface.encodeFunctionData("setup", [ownerAddresses, threshold, ZeroAddress, "0x", await handler.getAddress(), ZeroAddress, 0n, ZeroAddress]);
  saltNonce += 1n;
  const create = factory.getFunction("createProxyWithNonce");
  const address = (await create.staticCall(await singleton.getAddress(), setup, saltNonce)) as string;
  await (await create(await singleton.getAddress(), setup, saltNonce)).wait();
  const safe = attachArtifact(S.singleton, address, deployer);
  const { chainId } = await provider.getNetwork();

  const sign = async (call: SafeCall, signers: readonly Signer[]): Promise<string> => {
    const nonce = (await safe.getFunction("nonce")()) as bigint;
    const message = {
      to: call.to,
      value: call.value ?? 0n,
      data: call.data,
      operation: call.operation ?? 0,
      safeTxGas: 0n,
      baseGas: 0n,
      gasPrice: 0n,
      gasToken: ZeroAddress,
      refundReceiver: ZeroAddress,
      nonce,
    };
    const signed = await Promise.all(
      signers.map(async (s) => ({ owner: getAddress(await s.getAddress()), sig: await s.signTypedData({ chainId, verifyingContract: address }, SAFE_TX_TYPES, message) })),
    );
    signed.sort((a, b) => (BigInt(a.owner) < BigInt(b.owner) ? -1 : 1));
    return concat(signed.map((s) => s.sig));
  };
  return {
    safe,
    address,
    owners,
    threshold,
    sign,
    async exec(call, signers, sender) {
      const signatures = await sign(call, signers);
      const from = (safe.connect(sender ?? signers[0] ?? deployer) as Contract).getFunction("execTransaction");
      await (await from(call.to, call.value ?? 0n, call.data, call.operation ?? 0, 0n, 0n, 0n, ZeroAddress, ZeroAddress, signatures)).wait();
    },
  };
}
