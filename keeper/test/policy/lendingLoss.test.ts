import { expect } from "chai";

import { lendingLossRecord, measureLendingLoss, reserveNet, unbackedDebt, type LendingBorrower, type LendingPoolState } from "../../src/policy/lendingLoss";

const U = 10n ** 6n; // USDC units
const USD8 = 10n ** 8n; // Aave base currency units

/** A reserve of 1M USDC supplied (index 1.0), 850k cash, 150k debt; the holder has 100k. */
const BEFORE: LendingPoolState = {
  block: 100,
  totalSupplied: 1_000_000n * U,
  scaledTotalSupply: 1_000_000n * U,
  cash: 850_000n * U,
  totalDebt: 150_000n * U,
  bridgeUnbacked: 0n,
  treasuryAccrued: 0n,
  holderScaled: 100_000n * U,
  holderBalance: 100_000n * U,
  borrowers: [],
};

const attacker = (collateralUsd: bigint, debtUsd: bigint, reserveDebt: bigint): LendingBorrower => ({
  account: "0x00000000000000000000000000000000000000a1",
  collateralBase: collateralUsd * USD8,
  debtBase: debtUsd * USD8,
  reserveDebt,
});

describe("pooled-lending loss (policy/lendingLoss)", () => {
  it("a drain against worthless collateral: the holder bears its share of the unbacked debt", () => {
    // 850k borrowed against $30k of collateral at restored prices: 820k unbacked.
    const after: LendingPoolState = { ...BEFORE, block: 110, cash: 0n, totalDebt: 1_000_000n * U, borrowers: [attacker(30_000n, 850_000n, 850_000n * U)] };
    const before: LendingPoolState = { ...BEFORE, borrowers: [attacker(0n, 0n, 0n)] };
    const r = measureLendingLoss(before, after);
    expect(r.unbackedAfter).to.equal(820_000n * U);
    expect(r.poolLoss).to.equal(820_000n * U);
    expect(r.loss).to.equal(82_000n * U); // 10% of the supply
    expect(r.exposureScaled).to.equal(100_000n * U);
  });

  it("the liquidator's bonus makes less of the collateral count: recoverable = collateral / bonus", () => {
    const b = attacker(105_000n, 200_000n, 200_000n * U);
    expect(unbackedDebt([b])).to.equal(95_000n * U);
    expect(unbackedDebt([b], { liquidationBonusBps: 10_500 })).to.equal(100_000n * U);
    expect(() => unbackedDebt([b], { liquidationBonusBps: 9_000 })).to.throw(/at least 10000/);
  });

  it("a borrower indebted in several reserves: its shortfall is shared in proportion to the debt in this one", () => {
    // $400k of debt, a quarter of it in this reserve, $100k collateral: $300k short, 75k of it here.
    expect(unbackedDebt([attacker(100_000n, 400_000n, 100_000n * U)])).to.equal(75_000n * U);
    // A backed borrower counts nothing.
    expect(unbackedDebt([attacker(500_000n, 400_000n, 100_000n * U)])).to.equal(0n);
  });

  it("bad debt that predates the window is not this incident's loss", () => {
    const old = attacker(0n, 50_000n, 50_000n * U);
    const before: LendingPoolState = { ...BEFORE, borrowers: [old] };
    const after: LendingPoolState = { ...BEFORE, block: 110, borrowers: [old] };
    expect(measureLendingLoss(before, after).poolLoss).to.equal(0n);
  });

  it("cash stolen outright (no debt at all) is a loss too", () => {
    const after: LendingPoolState = { ...BEFORE, block: 110, cash: 350_000n * U };
    const r = measureLendingLoss(BEFORE, after);
    expect(r.poolLoss).to.equal(500_000n * U);
    expect(r.loss).to.equal(50_000n * U);
  });

  it("a withdrawal wave, solvent borrows, repayments and interest leave the net unchanged: no loss", () => {
    // 600k withdrawn (cash and supply down alike), then 100k borrowed by a backed borrower, then a
    // year of 5% interest on the 250k debt: supply +10% × 90%, treasury +10%.
    const after: LendingPoolState = {
      ...BEFORE,
      block: 200,
      cash: 150_000n * U,
      totalDebt: 262_500n * U,
      totalSupplied: 411_250n * U,
      scaledTotalSupply: 400_000n * U,
      treasuryAccrued: 1_250n * U,
      holderBalance: 102_812_500_000n,
      borrowers: [attacker(400_000n, 105_000n, 105_000n * U)],
    };
    expect(reserveNet(after)).to.equal(reserveNet(BEFORE));
    const r = measureLendingLoss(BEFORE, after);
    expect(r.poolLoss).to.equal(0n);
    expect(r.loss).to.equal(0n);
  });

  it("the holder's own withdrawal is never loss: exposure is the smaller scaled balance, over the supply still in", () => {
    const drained: LendingPoolState = { ...BEFORE, block: 110, cash: 0n, totalDebt: 1_000_000n * U, borrowers: [attacker(30_000n, 850_000n, 850_000n * U)] };
    // Someone supplies 80k, the holder withdraws 70k of its 100k.
    const after: LendingPoolState = {
      ...drained,
      block: 120,
      cash: 10_000n * U,
      totalSupplied: 1_010_000n * U,
      scaledTotalSupply: 1_010_000n * U,
      holderScaled: 30_000n * U,
      holderBalance: 30_000n * U,
    };
    const r = measureLendingLoss({ ...BEFORE, borrowers: [attacker(0n, 0n, 0n)] }, after);
    expect(r.poolLoss).to.equal(820_000n * U);
    expect(r.exposureScaled).to.equal(30_000n * U);
    expect(r.loss).to.equal((820_000n * U * 30_000n) / 1_010_000n);
    // Adding after the incident buys no cover: exposure stays at the balance before.
    const topUp = measureLendingLoss({ ...BEFORE, borrowers: [attacker(0n, 0n, 0n)] }, { ...drained, totalSupplied: 1_100_000n * U, scaledTotalSupply: 1_100_000n * U, holderScaled: 200_000n * U, holderBalance: 200_000n * U });
    expect(topUp.exposureScaled).to.equal(100_000n * U);
  });

  it("the loss never exceeds the exposure's value; a holder that left entirely has none", () => {
    // A reserve with a 100k surplus (a donation) that loses everything, with only the holder's 100k left supplied.
    const rich: LendingPoolState = { ...BEFORE, cash: 950_000n * U };
    const after: LendingPoolState = { ...BEFORE, block: 110, cash: 0n, totalSupplied: 100_000n * U, scaledTotalSupply: 100_000n * U, totalDebt: 0n };
    const r = measureLendingLoss(rich, after);
    expect(r.poolLoss).to.equal(200_000n * U);
    expect(r.loss).to.equal(100_000n * U);
    expect(r.exposureValue).to.equal(100_000n * U);
    const gone = measureLendingLoss(rich, { ...after, holderScaled: 0n, holderBalance: 0n });
    expect(gone.loss).to.equal(0n);
  });

  it("aTokens a bridge minted ahead of their underlying are owed by the bridge, not lost", () => {
    // The Portal mints 50k aTokens with no cash behind them yet: supply +50k, bridgeUnbacked +50k.
    const after: LendingPoolState = { ...BEFORE, block: 110, totalSupplied: 1_050_000n * U, scaledTotalSupply: 1_050_000n * U, bridgeUnbacked: 50_000n * U };
    expect(measureLendingLoss(BEFORE, after).poolLoss).to.equal(0n);
  });

  it("the evidence record carries both blocks' reads and every figure as strings, and survives JSON", () => {
    const before: LendingPoolState = { ...BEFORE, borrowers: [attacker(0n, 0n, 0n)] };
    const after: LendingPoolState = { ...BEFORE, block: 110, cash: 0n, totalDebt: 1_000_000n * U, borrowers: [attacker(30_000n, 850_000n, 850_000n * U)] };
    const record = lendingLossRecord(before, after, { liquidationBonusBps: 10_500 });
    expect(JSON.parse(JSON.stringify(record))).to.deep.equal(record);
    expect(record.method).to.equal("pooled-lending");
    expect(record.before.block).to.equal(100);
    expect(record.after.borrowers[0]?.debtBase).to.equal((850_000n * USD8).toString());
    expect(record.loss).to.equal(measureLendingLoss(before, after, { liquidationBonusBps: 10_500 }).loss.toString());
    expect(record.liquidationBonusBps).to.equal(10_500);
    expect(record.formula).to.match(/^net = cash \+ bridgeUnbacked/);
  });

  it("a fall of net within the dust (1 bp of the supply: rounding, the treasury's not-yet-booked interest) is no loss; one above it is", () => {
    // The treasury's share of interest booked between the blocks: net falls by 90 USDC on a 1M reserve (dust = 100).
    const booked: LendingPoolState = { ...BEFORE, block: 110, treasuryAccrued: 90n * U };
    const r = measureLendingLoss(BEFORE, booked);
    expect(r.dust).to.equal(100n * U);
    expect([r.poolLoss, r.loss]).to.deep.equal([0n, 0n]);
    // 101 USDC gone with nothing behind it: above the dust, all of it counts.
    const stolen: LendingPoolState = { ...BEFORE, block: 110, cash: BEFORE.cash - 101n * U };
    expect(measureLendingLoss(BEFORE, stolen).poolLoss).to.equal(101n * U);
    // A stricter dust is the caller's to choose (recorded with the amount).
    expect(measureLendingLoss(BEFORE, booked, { dustBps: 0 }).poolLoss).to.equal(90n * U);
  });

  it("what the holder withdrew after the drain window, at par, is no loss: the exposure is capped by its scaled balance when measured", () => {
    const after: LendingPoolState = { ...BEFORE, block: 110, cash: 0n, totalDebt: 1_000_000n * U, borrowers: [attacker(30_000n, 850_000n, 850_000n * U)] };
    const before: LendingPoolState = { ...BEFORE, borrowers: [attacker(0n, 0n, 0n)] };
    const later = measureLendingLoss(before, after, { laterHolderScaled: 30_000n * U });
    expect(later.exposureScaled).to.equal(30_000n * U);
    expect(later.loss).to.equal(24_600n * U); // 820k × 30k / 1M
    // A later deposit does not raise it.
    expect(measureLendingLoss(before, after, { laterHolderScaled: 500_000n * U }).loss).to.equal(82_000n * U);
    expect(lendingLossRecord(before, after, { laterHolderScaled: 30_000n * U }).laterHolderScaled).to.equal((30_000n * U).toString());
    expect(() => measureLendingLoss(before, after, { laterHolderScaled: -1n })).to.throw(/negative/);
  });

  it("refuses blocks out of order and negative figures", () => {
    expect(() => measureLendingLoss(BEFORE, BEFORE)).to.throw(/must be below/);
    expect(() => measureLendingLoss(BEFORE, { ...BEFORE, block: 101, cash: -1n })).to.throw(/cash at block 101 is negative/);
  });
});

describe("pooled-lending loss on Compound v3 and Aave v2 figures (policy/lendingLoss)", () => {
  /** A Comet: 1M supplied (principal 1M at index 1.0), 150k borrowed, the holder's principal 100k; no treasury, no bridge. */
  const COMET: LendingPoolState = { ...BEFORE, treasuryAccrued: 0n, bridgeUnbacked: 0n };

  it("Comet interest: borrowers pay more than suppliers earn, the spread is the reserves inside net — no loss", () => {
    // Borrow index +10% (150k → 165k), supply index +1.2% (1M → 1.012M): the reserves grow by 3k.
    const after: LendingPoolState = { ...COMET, block: 200, totalDebt: 165_000n * U, totalSupplied: 1_012_000n * U, holderBalance: 101_200n * U };
    expect(reserveNet(after) - reserveNet(COMET)).to.equal(3_000n * U);
    expect(measureLendingLoss(COMET, after).loss).to.equal(0n);
    // Suppliers credited more than borrowers pay (a broken rate model): that shortfall would be a loss to the suppliers.
    const overpaid: LendingPoolState = { ...after, totalSupplied: 1_030_000n * U };
    expect(measureLendingLoss(COMET, overpaid).poolLoss).to.equal(15_000n * U);
  });

  it("a Comet borrower whose collateral (already × liquidationFactor) falls short: its shortfall is the pool's loss, shared over the principal still in", () => {
    // 500k borrowed against collateral worth $10k × 0.9 at the restored feed; the holder kept 60k of principal, 40k withdrawn in the window.
    const borrower: LendingBorrower = { account: "0x00000000000000000000000000000000000000b2", collateralBase: 9_000n * USD8, debtBase: 500_000n * USD8, reserveDebt: 500_000n * U };
    const before: LendingPoolState = { ...COMET, borrowers: [{ ...borrower, collateralBase: 0n, debtBase: 0n, reserveDebt: 0n }] };
    const after: LendingPoolState = {
      ...COMET,
      block: 200,
      cash: 850_000n * U - 500_000n * U - 40_000n * U,
      totalDebt: 650_000n * U,
      totalSupplied: 960_000n * U,
      scaledTotalSupply: 960_000n * U,
      holderScaled: 60_000n * U,
      holderBalance: 60_000n * U,
      borrowers: [borrower],
    };
    const r = measureLendingLoss(before, after);
    expect(r.poolLoss).to.equal(491_000n * U);
    expect(r.exposureScaled).to.equal(60_000n * U);
    expect(r.loss).to.equal((491_000n * U * 60_000n) / 960_000n);
  });

  it("Aave v2 figures in ETH wei: the shortfall is the same share of the reserve's debt whatever the base currency", () => {
    const wei = (usd: bigint) => usd * 5n * 10n ** 14n; // $1 = 0.0005 ETH
    const borrowerUsd = attacker(10_000n, 850_000n, 850_000n * U);
    const borrowerEth: LendingBorrower = { ...borrowerUsd, collateralBase: wei(10_000n), debtBase: wei(850_000n) };
    expect(unbackedDebt([borrowerEth])).to.equal(unbackedDebt([borrowerUsd]));
    expect(unbackedDebt([borrowerEth])).to.equal(840_000n * U);
  });
});
