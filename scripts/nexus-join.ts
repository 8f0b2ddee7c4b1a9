/**
 * Makes the fund's NexusMutualAdapter a Nexus Mutual member (needed before it can buy, claim or redeem).
 *
 *   # 1. print what Nexus must sign (the adapter address, the Registry's EIP-712 domain, the fee)
 *   npx hardhat run --network mainnet scripts/nexus-join.ts
 *   # 2. once Nexus's KYC signer returned the signature for that address
 *   KYC_SIGNATURE=0x... npx hardhat run --network mainnet scripts/nexus-join.ts
 *
 * Env: KYC_SIGNATURE (65-byte hex, optional: without it the script only prints the request),
 * ADAPTER_ADDRESS (default: the fund's provider 1), FUND_ADDRESS (default: the chain's deployment).
 * Sent by signer 0, which must hold the adapter's DEFAULT_ADMIN_ROLE; pays Registry.JOIN_FEE.
 * Before paying, the signature is checked locally against `Registry.getKycAuthAddress()` in the
 * Registry's own domain (`DOMAIN_SEPARATOR()`), so a wrong signature costs nothing. See docs/deploy.md.
 */
import hre from "hardhat";
import { Contract, Signature, TypedDataEncoder, formatEther, getAddress, isAddress, isHexString, verifyTypedData } from "ethers";

import { connectFund, runScript } from "./lib/context";
import { ScriptInputError, optional } from "./lib/inputs";

const REGISTRY_ABI = [
  "function JOIN_FEE() view returns (uint256)",
  "function DOMAIN_SEPARATOR() view returns (bytes32)",
  "function getKycAuthAddress() view returns (address)",
  "function isMember(address) view returns (bool)",
];
const JOIN_TYPES = { Join: [{ name: "member", type: "address" }] };

runScript(async () => {
  const [admin] = await hre.ethers.getSigners();
  if (admin === undefined) throw new ScriptInputError(`network "${hre.network.name}" has no signer — set DEPLOYER_PRIVATE_KEY`);
  const explicit = optional(process.env, "ADAPTER_ADDRESS");
  let adapterAddress: string;
  if (explicit !== undefined) {
    if (!isAddress(explicit)) throw new ScriptInputError(`ADAPTER_ADDRESS=${explicit} is not an address`);
    adapterAddress = getAddress(explicit);
  } else {
    const fund = await connectFund(hre, process.env);
    [adapterAddress] = await fund.providerAdapter(1);
  }
  const adapter = await hre.ethers.getContractAt("NexusMutualAdapter", adapterAddress);
  const cover = await hre.ethers.getContractAt("INexusCover", await adapter.nexusCover());
  const registryAddress = await cover.registry();
  const registry = new Contract(registryAddress, REGISTRY_ABI, hre.ethers.provider);
  if ((await registry.getFunction("isMember")(adapterAddress)) as boolean) {
    console.log(`adapter ${adapterAddress} is already a Nexus member: nothing to do`);
    return;
  }
  const fee = (await registry.getFunction("JOIN_FEE")()) as bigint;
  const kycSigner = (await registry.getFunction("getKycAuthAddress")()) as string;
  const { chainId } = await hre.ethers.provider.getNetwork();
  const domain = { name: "NexusMutualRegistry", version: "1.0.0", chainId, verifyingContract: registryAddress };
  const domainMatches = TypedDataEncoder.hashDomain(domain) === ((await registry.getFunction("DOMAIN_SEPARATOR")()) as string);

  const signature = optional(process.env, "KYC_SIGNATURE");
  if (signature === undefined) {
    console.log("Ask Nexus Mutual's KYC signer to admit this address as a member:");
    console.log(JSON.stringify({ member: adapterAddress, primaryType: "Join", types: JOIN_TYPES, domain: { ...domain, chainId: chainId.toString() }, domainMatchesRegistry: domainMatches, kycSigner, joinFee: `${formatEther(fee)} ETH` }, null, 2));
    console.log("Then rerun with KYC_SIGNATURE=0x<65-byte signature>.");
    return;
  }
  if (!isHexString(signature, 65)) throw new ScriptInputError("KYC_SIGNATURE must be a 0x-prefixed 65-byte signature");
  if (domainMatches) {
    const signer = verifyTypedData(domain, JOIN_TYPES, { member: adapterAddress }, Signature.from(signature));
    if (signer !== kycSigner) {
      throw new ScriptInputError(`KYC_SIGNATURE was signed by ${signer}, not by the Registry's KYC signer ${kycSigner} (or not for ${adapterAddress}): join would revert InvalidSignature`);
    }
  } else {
    console.warn("warning: the Registry's DOMAIN_SEPARATOR uses another verifying address; the signature is checked on chain only");
  }
  const adminRole = await adapter.DEFAULT_ADMIN_ROLE();
  if (!(await adapter.hasRole(adminRole, admin.address))) {
    throw new ScriptInputError(`signer ${admin.address} is not an admin of the adapter ${adapterAddress} — run with the adapter admin key`);
  }
  const tx = await adapter.connect(admin).joinNexus(signature, { value: fee });
  await tx.wait();
  console.log(`adapter ${adapterAddress} joined Nexus Mutual for ${formatEther(fee)} ETH (tx ${tx.hash})`);
});
