/**
 * Position readers against real mainnet state (fork at the pinned block), through the real
 * Multicall3 at its canonical address: Aave V3 aEthUSDC, Compound V3 cUSDCv3, an ERC-4626 vault
 * (sDAI) and a Curve pool (3pool). Each reader's value must equal the protocol's own view called
 * directly. Skips with one line when MAINNET_RPC_URL is unset.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { ChainPositionReader, MULTICALL3_ADDRESS, type PositionRead } from "../../keeper/src/sources/positions";
import { erc20, forkEnabled, fundFromHolder, MAINNET } from "./mainnet";

/** Mainnet addresses (protocol docs / deployments). */
const POSITIONS = {
  aEthUSDC: "0x98C23E9d8f34FEFb1B7BD6a91B7FF122F4e16F5c",
  aavePool: "0x87870Bca3F3fD6335C3F4ce8392D69350B4fA4E2",
  /** The Aave Collector (treasury): holds aEthUSDC from the reserve factor. */
  aaveCollector: "0x464C71f6c2F760DdA6093dCB91C24c39e5d6e18c",
  cUSDCv3: "0xc3d688B66703497DAA19211EEdff47f25384cdc3",
  sDAI: "0x83F20F44975D03b1b09e64809B757c47f942BEeA",
  curve3pool: "0xbEbc44782C7dB0a1A60Cb6fe97d0b483032FF1C7",
  threeCrv: "0x6c3F90f043a72FA612cbac8115EE7e52BDe6E490",
  /** The 3pool liquidity gauge: holds 3Crv staked by LPs. */
  threePoolGauge: "0xbFcF63294aD7105dEa65aA58F8AE5BE2D9d0952A",
} as const;

if (!forkEnabled()) {
  console.log("fork position reads skipped: MAINNET_RPC_URL is not set");
} else {
  describe("fork: position readers on mainnet state", function () {
    this.timeout(300_000);
    const reader = () => new ChainPositionReader({ caller: ethers.provider });
    const read = async (r: PositionRead) => {
      const snap = await reader().read({ positions: [r], balances: [] });
      const p = snap.positions.get(r.id);
      expect(p?.status, p?.error).to.equal("fresh");
      return p?.last?.value ?? -1n;
    };

    it("Multicall3 is deployed at the canonical address", async () => {
      expect(await ethers.provider.getCode(MULTICALL3_ADDRESS)).to.not.equal("0x");
    });

    it("aave-v3: the Aave Collector's aEthUSDC", async () => {
      const value = await read({ id: "aave", spec: { kind: "aave-v3", aToken: POSITIONS.aEthUSDC, holder: POSITIONS.aaveCollector } });
      expect(value).to.be.greaterThan(0n);
      expect(value).to.equal(await erc20(POSITIONS.aEthUSDC).getFunction("balanceOf")(POSITIONS.aaveCollector));
    });

    it("curve: the 3pool gauge's 3Crv valued in DAI (int128 index, separate LP token)", async () => {
      const lp = (await erc20(POSITIONS.threeCrv).getFunction("balanceOf")(POSITIONS.threePoolGauge)) as bigint;
      expect(lp).to.be.greaterThan(0n);
      const r: PositionRead = {
        id: "curve",
        spec: { kind: "curve", pool: POSITIONS.curve3pool, lpToken: POSITIONS.threeCrv, coinIndex: 0, indexType: "int128", holder: POSITIONS.threePoolGauge },
      };
      const pool = new ethers.Contract(POSITIONS.curve3pool, ["function calc_withdraw_one_coin(uint256,int128) view returns (uint256)"], ethers.provider);
      // A whole gauge's LP may exceed the pool's DAI: compare on what the reader got, or on a failure both ways.
      const direct = await pool.getFunction("calc_withdraw_one_coin")(lp, 0).then(
        (v: bigint) => v,
        () => undefined,
      );
      const snap = await reader().read({ positions: [r], balances: [] });
      if (direct === undefined) expect(snap.positions.get("curve")?.status).to.equal("unknown");
      else expect(snap.positions.get("curve")?.last?.value).to.equal(direct);
    });

    it("compound-v3 and erc4626: positions opened at the fork block read exactly as the protocols' own views", async () => {
      const [holder] = await ethers.getSigners();
      if (holder === undefined) throw new Error("no signer");
      await fundFromHolder("USDC", MAINNET.USDC, holder.address, 10_000n * 10n ** 6n);
      await fundFromHolder("DAI", MAINNET.DAI, holder.address, 10_000n * 10n ** 18n);
      const comet = new ethers.Contract(POSITIONS.cUSDCv3, ["function supply(address,uint256)", "function balanceOf(address) view returns (uint256)"], holder);
      await (await erc20(MAINNET.USDC).connect(holder).getFunction("approve")(POSITIONS.cUSDCv3, 10_000n * 10n ** 6n)).wait();
      await (await comet.getFunction("supply")(MAINNET.USDC, 10_000n * 10n ** 6n)).wait();
      const sdai = new ethers.Contract(
        POSITIONS.sDAI,
        ["function deposit(uint256,address) returns (uint256)", "function balanceOf(address) view returns (uint256)", "function convertToAssets(uint256) view returns (uint256)"],
        holder,
      );
      await (await erc20(MAINNET.DAI).connect(holder).getFunction("approve")(POSITIONS.sDAI, 10_000n * 10n ** 18n)).wait();
      await (await sdai.getFunction("deposit")(10_000n * 10n ** 18n, holder.address)).wait();

      const cometValue = await read({ id: "comet", spec: { kind: "compound-v3", comet: POSITIONS.cUSDCv3, holder: holder.address } });
      expect(cometValue).to.equal(await comet.getFunction("balanceOf")(holder.address));
      expect(cometValue).to.be.closeTo(10_000n * 10n ** 6n, 2n);
      const shares = (await sdai.getFunction("balanceOf")(holder.address)) as bigint;
      const vaultValue = await read({ id: "sdai", spec: { kind: "erc4626", vault: POSITIONS.sDAI, holder: holder.address } });
      expect(vaultValue).to.equal(await sdai.getFunction("convertToAssets")(shares));
      expect(vaultValue).to.be.closeTo(10_000n * 10n ** 18n, 10n ** 12n);
    });
  });
}
