import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { Signer } from "ethers";
import { deployNexusMocks } from "./nexusFixture";

const JOIN_FEE = ethers.parseEther("0.002");
const PAUSE = { GLOBAL: 1n, MEMBERSHIP: 8n };

/** The Nexus KYC signer's EIP-712 `Join(address member)` signature (Registry domain, v3.1). */
export async function signJoin(kycSigner: Signer, registry: string, member: string): Promise<string> {
  const { chainId } = await ethers.provider.getNetwork();
  return kycSigner.signTypedData(
    { name: "NexusMutualRegistry", version: "1.0.0", chainId, verifyingContract: registry },
    { Join: [{ name: "member", type: "address" }] },
    { member },
  );
}

async function withKyc() {
  const fx = await deployNexusMocks();
  const kyc = ethers.Wallet.createRandom();
  await fx.registry.mockNexusSetKycAuthAddress(kyc.address);
  return { ...fx, kyc };
}

describe("MockNexusMutualRegistry", () => {
  it("join: anyone submits the KYC signature for a member with the exact fee; the fee goes to the Pool", async () => {
    const fx = await loadFixture(withKyc);
    const registry = await fx.registry.getAddress();
    const signature = await signJoin(fx.kyc, registry, fx.outsider.address);
    const lastId = await fx.registry.getLastMemberId();
    const tx = fx.registry.connect(fx.fund).join(fx.outsider.address, signature, { value: JOIN_FEE });
    await expect(tx).to.emit(fx.registry, "MembershipChanged").withArgs(lastId + 1n, ethers.ZeroAddress, fx.outsider.address);
    await expect(tx).to.changeEtherBalances([fx.fund, fx.pool], [-JOIN_FEE, JOIN_FEE]);
    expect(await fx.registry.isMember(fx.outsider.address)).to.equal(true);
    expect(await fx.registry.JOIN_FEE()).to.equal(JOIN_FEE);
    expect(await fx.registry.getKycAuthAddress()).to.equal(fx.kyc.address);
  });

  it("join rejects a wrong fee, a foreign or reused signature, members and paused membership", async () => {
    const fx = await loadFixture(withKyc);
    const registry = await fx.registry.getAddress();
    const good = await signJoin(fx.kyc, registry, fx.outsider.address);
    await expect(fx.registry.join(fx.outsider.address, good, { value: JOIN_FEE - 1n })).to.be.revertedWithCustomError(
      fx.registry,
      "InvalidJoinFee",
    );
    await expect(fx.registry.join(fx.outsider.address, good, { value: JOIN_FEE + 1n })).to.be.revertedWithCustomError(
      fx.registry,
      "InvalidJoinFee",
    );
    // signed for someone else, by someone else, for another registry, or garbage
    const forOther = await signJoin(fx.kyc, registry, fx.fund.address);
    const byOther = await signJoin(ethers.Wallet.createRandom(), registry, fx.outsider.address);
    const otherDomain = await signJoin(fx.kyc, await fx.cover.getAddress(), fx.outsider.address);
    for (const signature of [forOther, byOther, otherDomain, "0x1234"]) {
      await expect(fx.registry.join(fx.outsider.address, signature, { value: JOIN_FEE })).to.be.revertedWithCustomError(
        fx.registry,
        "InvalidSignature",
      );
    }
    await expect(fx.registry.join(fx.member.address, good, { value: JOIN_FEE })).to.be.revertedWithCustomError(
      fx.registry,
      "AlreadyMember",
    );
    for (const config of [PAUSE.MEMBERSHIP, PAUSE.GLOBAL]) {
      await fx.registry.mockNexusSetPauseConfig(config);
      await expect(fx.registry.join(fx.outsider.address, good, { value: JOIN_FEE }))
        .to.be.revertedWithCustomError(fx.registry, "Paused")
        .withArgs(config, PAUSE.MEMBERSHIP);
    }
    await fx.registry.mockNexusSetPauseConfig(0n);
    await fx.registry.join(fx.outsider.address, good, { value: JOIN_FEE });
    // an address joins once: after leaving (revocation here) it cannot join again
    await fx.registry.mockNexusSetMember(fx.outsider.address, false);
    await expect(fx.registry.join(fx.outsider.address, good, { value: JOIN_FEE })).to.be.revertedWithCustomError(
      fx.registry,
      "AddressAlreadyUsedForJoining",
    );
  });

  it("the domain separator is the EIP-712 domain of (NexusMutualRegistry, 1.0.0, chain, registry)", async () => {
    const fx = await loadFixture(withKyc);
    const { chainId } = await ethers.provider.getNetwork();
    expect(await fx.registry.DOMAIN_SEPARATOR()).to.equal(
      ethers.TypedDataEncoder.hashDomain({
        name: "NexusMutualRegistry",
        version: "1.0.0",
        chainId,
        verifyingContract: await fx.registry.getAddress(),
      }),
    );
    expect(network.name).to.equal("hardhat");
  });

  it("test controls are owner-only", async () => {
    const fx = await loadFixture(withKyc);
    const asOutsider = fx.registry.connect(fx.outsider);
    for (const call of [
      asOutsider.mockNexusSetKycAuthAddress(fx.outsider.address),
      asOutsider.mockNexusSetPool(fx.outsider.address),
      asOutsider.mockNexusSetPauseConfig(1n),
      asOutsider.mockNexusSetMember(fx.outsider.address, true),
    ]) {
      await expect(call).to.be.revertedWithCustomError(fx.registry, "OwnableUnauthorizedAccount").withArgs(fx.outsider.address);
    }
  });
});
