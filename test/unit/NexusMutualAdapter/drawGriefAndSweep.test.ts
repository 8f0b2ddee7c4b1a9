import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";

import { claimProof } from "../../helpers/claimProof";
import { CLAIM_DEPOSIT, COOLDOWN, USDC_UNIT, encodeQuote } from "../MockNexusMutual/nexusFixture";
import { deployAdapter } from "./adapterFixture";

const AMOUNT = 100_000n * USDC_UNIT;
const PERIOD = 90n * 24n * 3600n;
const QUOTE = encodeQuote([{ poolId: 1n, coverAmountInAsset: AMOUNT }]);

/** A Nexus claim of the adapter that ended in a draw (one yes vote, one no vote, cooldown passed). */
async function withDraw() {
  const fx = await deployAdapter();
  await fx.adapter.connect(fx.fund).buyCover(fx.aave, fx.usdc.target, AMOUNT, PERIOD, 5_000n * USDC_UNIT, QUOTE);
  await time.increase(1);
  await fx.adapter.connect(fx.fund).submitClaim(1n, AMOUNT, claimProof({ reason: "draw" }), { value: CLAIM_DEPOSIT });
  const votingEnd = BigInt((await fx.claims.getAssessment(1n)).votingEnd);
  await fx.claims.mockNexusCastVote(1n, true);
  await fx.claims.mockNexusCastVote(1n, false);
  await time.increaseTo(votingEnd + COOLDOWN + 1n);
  return { ...fx, claimId: 1n };
}

describe("NexusMutualAdapter: claim proof, draw griefing and sweep", () => {
  describe("submitClaim evidence format", () => {
    for (const [name, evidence] of [
      ["empty", "0x"],
      ["a bare 32-byte hash", ethers.id("evidence")],
      ["33 bytes", "0x1220" + "ab".repeat(31)],
      ["a sha1 multihash prefix", "0x1114" + "ab".repeat(32)],
      ["a wrong length byte", "0x1221" + "ab".repeat(32)],
    ] as const) {
      it(`reverts NexusAdapterInvalidClaimProof for ${name}`, async () => {
        const fx = await loadFixture(deployAdapter);
        await fx.adapter.connect(fx.fund).buyCover(fx.aave, fx.usdc.target, AMOUNT, PERIOD, 5_000n * USDC_UNIT, QUOTE);
        await time.increase(1);
        await expect(
          fx.adapter.connect(fx.fund).submitClaim(1n, AMOUNT, evidence, { value: CLAIM_DEPOSIT }),
        ).to.be.revertedWithCustomError(fx.adapter, "NexusAdapterInvalidClaimProof");
      });
    }
  });

  describe("retrieveDeposit after an outsider retrieved it upstream", () => {
    it("Nexus pays the adapter (the NFT owner); the adapter forwards that deposit to the fund once", async () => {
      const fx = await loadFixture(withDraw);
      // Anyone may call Nexus retrieveDeposit for a draw: the deposit lands in the adapter.
      await expect(fx.claims.connect(fx.outsider).retrieveDeposit(fx.claimId)).to.changeEtherBalance(fx.adapter, CLAIM_DEPOSIT);
      const tx = fx.adapter.connect(fx.fund).retrieveDeposit(fx.claimId);
      await expect(tx).to.emit(fx.adapter, "NexusDepositRetrieved").withArgs(fx.claimId, CLAIM_DEPOSIT);
      await expect(tx).to.changeEtherBalances([fx.fund, fx.adapter], [CLAIM_DEPOSIT, -CLAIM_DEPOSIT]);
      await expect(fx.adapter.connect(fx.fund).retrieveDeposit(fx.claimId))
        .to.be.revertedWithCustomError(fx.adapter, "NexusAdapterDepositForwarded")
        .withArgs(fx.claimId);
    });

    it("forwards what it holds, never reverting, if the held deposit was swept meanwhile", async () => {
      const fx = await loadFixture(withDraw);
      await fx.claims.connect(fx.outsider).retrieveDeposit(fx.claimId);
      await fx.adapter.connect(fx.admin).sweep(ethers.ZeroAddress, CLAIM_DEPOSIT);
      await expect(fx.adapter.connect(fx.fund).retrieveDeposit(fx.claimId))
        .to.emit(fx.adapter, "NexusDepositRetrieved")
        .withArgs(fx.claimId, 0n);
    });
  });

  describe("sweep", () => {
    it("sends stray tokens and ETH to the fund only, by the admin only", async () => {
      const fx = await loadFixture(deployAdapter);
      await fx.usdc.mint(await fx.adapter.getAddress(), 7n);
      await expect(fx.adapter.connect(fx.outsider).sweep(fx.usdc.target, 7n))
        .to.be.revertedWithCustomError(fx.adapter, "AccessControlUnauthorizedAccount")
        .withArgs(fx.outsider.address, ethers.ZeroHash);
      const tokenSweep = fx.adapter.connect(fx.admin).sweep(fx.usdc.target, 7n);
      await expect(tokenSweep).to.emit(fx.adapter, "NexusSwept").withArgs(fx.usdc.target, 7n);
      await expect(tokenSweep).to.changeTokenBalances(fx.usdc, [fx.fund, fx.adapter], [7n, -7n]);

      const withDrawFx = await loadFixture(withDraw);
      await withDrawFx.claims.connect(withDrawFx.outsider).retrieveDeposit(withDrawFx.claimId);
      await expect(withDrawFx.adapter.connect(withDrawFx.admin).sweep(ethers.ZeroAddress, CLAIM_DEPOSIT)).to.changeEtherBalances(
        [withDrawFx.fund, withDrawFx.adapter],
        [CLAIM_DEPOSIT, -CLAIM_DEPOSIT],
      );
    });
  });
});
