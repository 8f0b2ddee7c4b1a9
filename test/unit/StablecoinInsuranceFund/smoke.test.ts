import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import { deployFundedFund, DAY, PROTOCOLS, units } from "../../helpers/fundFixture";

describe("StablecoinInsuranceFund smoke", () => {
  it("buys self-insured coverage and reports gas", async () => {
    const f = await loadFixture(deployFundedFund);
    const usdc = await f.usdc.getAddress();
    const tx = await f.fund.connect(f.buyer).purchaseProtocolCoverage(PROTOCOLS.aave, usdc, units(45_000, 6), 365n * DAY, ethers.MaxUint256, f.beneficiary.address, 0, "0x");
    const r = await tx.wait();
    console.log("self-insured purchase gas", r?.gasUsed);
    const tx2 = await f.fund.connect(f.buyer).purchaseProtocolCoverage(PROTOCOLS.aave, usdc, units(45_000, 6), 365n * DAY, ethers.MaxUint256, f.beneficiary.address, 0, "0x");
    console.log("repeat purchase gas", (await tx2.wait())?.gasUsed);
    const u1 = await (await f.fund.connect(f.oracle).updateProtocolRisk(ethers.Wallet.createRandom().address, 10, 10, 10, 10, 10)).wait();
    console.log("first risk", u1?.gasUsed);
    const u2 = await (await f.fund.connect(f.oracle).updateProtocolRisk(PROTOCOLS.aave, 11, 10, 15, 20, 20)).wait();
    console.log("repeat risk", u2?.gasUsed);
    const st = await f.lens.getProtocolStates(await f.fund.getAddress(), [PROTOCOLS.aave, PROTOCOLS.curve]);
    expect(st[0]!.activeCoverageIds).to.deep.equal([2n, 1n]);
  });
});
