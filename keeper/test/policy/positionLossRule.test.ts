/** The loss rule per position kind (pure): exposure, share loss, balance drop net of the holder's own movements, the drain window's end, and when a 0 needs the operator. */
import { expect } from "chai";
import { balanceDropLoss, drainWindowEnd, exposureOf, lossRuleOf, shareLoss, zeroLossNeedsOperator, type HolderTransfer } from "../../src/policy/positionLossRule";

const HOLDER = "0x00000000000000000000000000000000000000b1";
const THIEF = "0x00000000000000000000000000000000000000e1";

function transfer(direction: "in" | "out", amount: bigint, txFrom: string, txTo: string | null = "0x00000000000000000000000000000000000000c1"): HolderTransfer {
  return { direction, amount, block: 10, txHash: `0x${amount.toString(16)}`, txFrom, txTo };
}

describe("position loss rules (policy)", () => {
  it("each kind has its assessor's rule: pooled lending, vault shares, LP redeemable value, balance drop", () => {
    expect(["aave-v3", "aave-v2", "compound-v3", "erc4626", "yearn-v2", "curve", "uniswap-v3", "erc20", "gmx"].map(lossRuleOf)).to.deep.equal([
      "pooled-lending",
      "pooled-lending",
      "pooled-lending",
      "vault-shares",
      "vault-shares",
      "lp-redeemable",
      "lp-redeemable",
      "balance-drop",
      undefined,
    ]);
  });

  it("share kinds: the exposure is the smaller share count (withdrawn shares are the holder's, added ones not covered); the loss is the fall in their value", () => {
    expect(exposureOf(1_000n, 400n)).to.equal(400n);
    expect(exposureOf(1_000n, 1_500n)).to.equal(1_000n);
    expect(shareLoss(1_000n, 700n)).to.equal(300n);
    expect(shareLoss(1_000n, 1_010n)).to.equal(0n);
    expect(() => exposureOf(-1n, 0n)).to.throw(/negative/);
  });

  it("direct holdings: a transfer the holder sent (or its Safe executed) is its own and not loss; one taken by someone else is", () => {
    // 100k held; the thief's transferFrom takes 60k; the operator moves 30k to safety; 5k comes in.
    const transfers = [transfer("out", 60_000n, THIEF), transfer("out", 30_000n, HOLDER), transfer("in", 5_000n, THIEF)];
    const r = balanceDropLoss(100_000n, 15_000n, transfers, HOLDER);
    expect(r).to.deep.include({ loss: 60_000n, received: 5_000n, sentByHolder: 30_000n, takenFromHolder: 60_000n });
    // The Safe case: a transaction sent by an owner to the holder (execTransaction) is the holder's own.
    const safe = balanceDropLoss(100_000n, 70_000n, [transfer("out", 30_000n, THIEF, HOLDER)], HOLDER);
    expect(safe.loss).to.equal(0n);
    // Without the logs the same figures would claim the rescue: the balance fell 85k.
    expect(balanceDropLoss(100_000n, 15_000n, [], HOLDER).loss).to.equal(85_000n);
  });

  it("the drain window ends at the watch's last drain block, else the exploit transaction, else the time window once past; never at the head otherwise", () => {
    expect(drainWindowEnd({ watchDrainEnds: [42, 47], exploitTxBlock: 40, head: 100 })).to.deep.equal({ block: 47, by: "watch-drain-end" });
    expect(drainWindowEnd({ watchDrainEnds: [], exploitTxBlock: 40, head: 100 })).to.deep.equal({ block: 40, by: "exploit-tx" });
    expect(drainWindowEnd({ watchDrainEnds: [], timeWindowEnd: 60, head: 100 })).to.deep.equal({ block: 60, by: "time-window" });
    expect(drainWindowEnd({ watchDrainEnds: [], timeWindowEnd: 100, head: 100 })).to.have.property("wait");
    expect(drainWindowEnd({ watchDrainEnds: [], head: 100 })).to.have.property("wait");
  });

  it("a 0 while the protocol was drained goes to the operator, naming the position and the command; a positive loss or no drain does not", () => {
    expect(zeroLossNeedsOperator(0n, true, 7, "aave-v3:pos", "pooled-lending")).to.match(/aave-v3:pos.*pooled-lending.*keeper claim file --incident 7 --position aave-v3:pos --amount/);
    expect(zeroLossNeedsOperator(1n, true, 7, "aave-v3:pos", "pooled-lending")).to.equal(undefined);
    expect(zeroLossNeedsOperator(0n, false, 7, "aave-v3:pos", "pooled-lending")).to.equal(undefined);
  });
});
