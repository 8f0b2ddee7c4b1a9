/**
 * PURE: the loss of a pooled-lending position (Aave v3, Aave v2 and its forks, Compound v3) in an incident, as an
 * assessor recomputes it from public chain data read at two blocks: `before` (the last block
 * before the incident) and `after` (the end of the drain window, once a manipulated price is
 * restored; never the chain head at filing time).
 *
 * Why not the balance drop: in a real exploit of a lending pool the suppliers' aToken balances do
 * not move (the index never goes down). The loss sits in the pool as cash that left against debt
 * no collateral backs. So the pool's loss is measured on its balance sheet and shared pro rata:
 *
 *   unbacked(borrower) = reserveDebt × max(0, debtBase − collateralBase × 10 000 / bonusBps) / debtBase
 *   net               = cash + bridgeUnbacked + totalDebt − Σ unbacked − totalSupplied − treasuryAccrued
 *   poolLoss          = max(0, net_before − net_after)
 *   exposure (scaled) = min(holderScaled_before, holderScaled_after[, holderScaled at the measuring block])
 *   loss              = min(poolLoss × exposure / scaledSupply_after,  exposure × totalSupplied_after / scaledSupply_after)
 *
 * - `net` is what the reserve owns (cash, debt that collateral backs, and what a bridge owes for
 *   aTokens it minted ahead of their underlying) minus what it owes
 *   (the suppliers' aTokens and the treasury's accrued share). Supplies, withdrawals, solvent
 *   borrows and repayments, liquidations and interest move both sides alike and leave it
 *   unchanged; cash that leaves against unbacked debt (an oracle manipulation, a borrow against
 *   worthless collateral) or with no debt at all (a theft of the aToken's cash) lowers it.
 * - `unbacked` looks only at the borrowers that borrowed in the window (the `Borrow` events of
 *   the reserve): their shortfall at the oracle's prices of that block, net of the liquidator's
 *   bonus, shared over their debts in proportion to the debt in this reserve. Read at `before`
 *   too, so bad debt that predates the incident is not this incident's loss.
 * - The holder's share is taken in scaled units (balance ÷ liquidity index), so interest does not
 *   blur it, over the scaled supply still in the pool at `after`: the suppliers left holding
 *   aTokens bear the bad debt. Exposure is the smaller of the holder's scaled balance before and
 *   after: what the holder withdrew or moved out in the window left at par and is no loss; what
 *   it added after the incident is not covered.
 *
 * Units: asset units (the reserve's underlying) unless named `…Base` (the oracle's base currency,
 * USD with 8 decimals on Aave v3, ETH wei on Aave v2, USD with 8 decimals on Comet's feeds) or
 * `…Scaled` (aToken scaled units; Comet's supply principal).
 *
 * The same figures on the other pools (the reads are sources/positions/aaveLendingState.ts and
 * cometLendingState.ts): Aave v2 has no `accruedToTreasury` and no `unbacked` (both 0). Comet:
 * totalSupplied = `totalSupply()`, scaled = `totalsBasic().totalSupplyBase`, cash = the base token
 * held, totalDebt = `totalBorrow()`, treasuryAccrued = bridgeUnbacked = 0 (the protocol's reserves
 * stay inside `net`), and a borrower's collateralBase is already net of Comet's `liquidationFactor`.
 */

export const BPS = 10_000n; // basis points in 100%

/** A borrower of the window, read at one block through `Pool.getUserAccountData` and the reserve's debt tokens. */
export interface LendingBorrower {
  readonly account: string;
  /** `totalCollateralBase`: the borrower's collateral at the oracle's prices of the block. */
  readonly collateralBase: bigint;
  /** `totalDebtBase`: the borrower's debt in every reserve, at the oracle's prices. */
  readonly debtBase: bigint;
  /** The borrower's debt in this reserve (variable + stable debt token balances), asset units. */
  readonly reserveDebt: bigint;
}

/** The reserve and the holder, read at one block. */
export interface LendingPoolState {
  readonly block: number;
  /** `aToken.totalSupply()` (interest included). */
  readonly totalSupplied: bigint;
  /** `aToken.scaledTotalSupply()`. */
  readonly scaledTotalSupply: bigint;
  /** `underlying.balanceOf(aToken)`: the reserve's cash. */
  readonly cash: bigint;
  /** `variableDebtToken.totalSupply() + stableDebtToken.totalSupply()`. */
  readonly totalDebt: bigint;
  /** `getReserveData.unbacked`: aTokens a bridge (Aave Portal) minted ahead of their underlying; 0 on most reserves. */
  readonly bridgeUnbacked: bigint;
  /** `getReserveData.accruedToTreasury × liquidityIndex / 1e27`: interest owed to the treasury, not yet minted. */
  readonly treasuryAccrued: bigint;
  /** `aToken.scaledBalanceOf(holder)`. */
  readonly holderScaled: bigint;
  /** `aToken.balanceOf(holder)`. */
  readonly holderBalance: bigint;
  /** The window's borrowers (the same accounts at both blocks). */
  readonly borrowers: readonly LendingBorrower[];
}

export interface LendingLossParams {
  /**
   * 10 000 + the liquidator's bonus of the borrowers' collateral (10 500 = 5%): a liquidator
   * repays collateral ÷ bonus of debt, so only that much of the debt is recoverable. Default
   * 10 000 (collateral backs debt one for one).
   */
  readonly liquidationBonusBps?: number;
  /**
   * The holder's scaled balance at a later block (when the claim is measured). Aave withdrawals
   * are at par: what the holder withdrew or moved out after the drain, once cash came back, left
   * whole and is no loss — the exposure is capped by it. A later deposit does not raise it.
   */
  readonly laterHolderScaled?: bigint;
  /**
   * A fall of `net` up to this many basis points of `totalSupplied_before` is no loss (default 1):
   * the reads round (each total by a unit), and the treasury's share of the interest accrued since
   * the reserve's last update is booked (`accruedToTreasury`) only at the next update, which moves
   * `net` by that share without anyone losing anything.
   */
  readonly dustBps?: number;
}

export interface LendingLoss {
  /** The holder's loss, asset units. */
  readonly loss: bigint;
  /** What the reserve lost in the window, asset units (0 when the fall is within `dust`). */
  readonly poolLoss: bigint;
  /** The fall of `net` that counts as rounding, asset units (`dustBps` of the supply before). */
  readonly dust: bigint;
  readonly unbackedBefore: bigint;
  readonly unbackedAfter: bigint;
  /** `net` at each block (signed). */
  readonly netBefore: bigint;
  readonly netAfter: bigint;
  /** The holder's scaled balance that bore the loss. */
  readonly exposureScaled: bigint;
  /** The exposure's value at `after`, asset units (the cap on `loss`). */
  readonly exposureValue: bigint;
  /** The formula, for the evidence pack. */
  readonly formula: string;
}

/** Default `dustBps`. */
export const DEFAULT_DUST_BPS = 1;

export const LENDING_LOSS_FORMULA =
  "net = cash + bridgeUnbacked + totalDebt - unbacked - totalSupplied - treasuryAccrued; poolLoss = max(0, net_before - net_after), 0 when within dust = totalSupplied_before * dustBps / 10000; " +
  "exposure = min(holderScaled_before, holderScaled_after[, holderScaled_at_measurement]); loss = min(poolLoss * exposure / scaledSupply_after, exposure * totalSupplied_after / scaledSupply_after)";

/** The part of the reserve's debt that no collateral backs, over the given borrowers (asset units). */
export function unbackedDebt(borrowers: readonly LendingBorrower[], params: LendingLossParams = {}): bigint {
  const bonus = BigInt(params.liquidationBonusBps ?? 10_000);
  if (bonus < BPS) throw new Error(`liquidationBonusBps must be at least 10000, got ${bonus}`);
  let total = 0n;
  for (const b of borrowers) {
    if (b.collateralBase < 0n || b.debtBase < 0n || b.reserveDebt < 0n) throw new Error(`borrower ${b.account}: negative figure`);
    if (b.debtBase === 0n || b.reserveDebt === 0n) continue;
    const recoverable = (b.collateralBase * BPS) / bonus;
    if (recoverable >= b.debtBase) continue;
    // Round up: the shortfall of a borrower is never understated by rounding.
    total += ceilDiv(b.reserveDebt * (b.debtBase - recoverable), b.debtBase);
  }
  return total;
}

/** The reserve's net position at one block (signed, asset units). */
export function reserveNet(state: LendingPoolState, params: LendingLossParams = {}): bigint {
  return state.cash + state.bridgeUnbacked + state.totalDebt - unbackedDebt(state.borrowers, params) - state.totalSupplied - state.treasuryAccrued;
}

/** The holder's loss between `before` and `after` (see the module comment for the formula). */
export function measureLendingLoss(before: LendingPoolState, after: LendingPoolState, params: LendingLossParams = {}): LendingLoss {
  if (!(before.block < after.block)) throw new Error(`measureLendingLoss: before block ${before.block} must be below after block ${after.block}`);
  for (const s of [before, after]) {
    for (const [name, v] of Object.entries({ totalSupplied: s.totalSupplied, scaledTotalSupply: s.scaledTotalSupply, cash: s.cash, totalDebt: s.totalDebt, bridgeUnbacked: s.bridgeUnbacked, treasuryAccrued: s.treasuryAccrued, holderScaled: s.holderScaled, holderBalance: s.holderBalance })) {
      if (v < 0n) throw new Error(`measureLendingLoss: ${name} at block ${s.block} is negative`);
    }
  }
  const unbackedBefore = unbackedDebt(before.borrowers, params);
  const unbackedAfter = unbackedDebt(after.borrowers, params);
  const netBefore = before.cash + before.bridgeUnbacked + before.totalDebt - unbackedBefore - before.totalSupplied - before.treasuryAccrued;
  const netAfter = after.cash + after.bridgeUnbacked + after.totalDebt - unbackedAfter - after.totalSupplied - after.treasuryAccrued;
  const dust = (before.totalSupplied * BigInt(params.dustBps ?? DEFAULT_DUST_BPS)) / BPS;
  const poolLoss = netBefore - netAfter > dust ? netBefore - netAfter : 0n;
  if (params.laterHolderScaled !== undefined && params.laterHolderScaled < 0n) throw new Error("measureLendingLoss: laterHolderScaled is negative");
  let exposureScaled = before.holderScaled < after.holderScaled ? before.holderScaled : after.holderScaled;
  if (params.laterHolderScaled !== undefined && params.laterHolderScaled < exposureScaled) exposureScaled = params.laterHolderScaled;
  const exposureValue = after.scaledTotalSupply === 0n ? 0n : (exposureScaled * after.totalSupplied) / after.scaledTotalSupply;
  let loss = 0n;
  if (poolLoss > 0n && exposureScaled > 0n && after.scaledTotalSupply > 0n) {
    const share = (poolLoss * exposureScaled) / after.scaledTotalSupply;
    loss = share < exposureValue ? share : exposureValue;
  }
  return { loss, poolLoss, dust, unbackedBefore, unbackedAfter, netBefore, netAfter, exposureScaled, exposureValue, formula: LENDING_LOSS_FORMULA };
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return a === 0n ? 0n : (a - 1n) / b + 1n;
}

/** The reads of one block as decimal strings (JSON-safe), for the evidence pack. */
export interface LendingStateRecord {
  readonly block: number;
  readonly totalSupplied: string;
  readonly scaledTotalSupply: string;
  readonly cash: string;
  readonly totalDebt: string;
  readonly bridgeUnbacked: string;
  readonly treasuryAccrued: string;
  readonly holderScaled: string;
  readonly holderBalance: string;
  readonly borrowers: readonly { readonly account: string; readonly collateralBase: string; readonly debtBase: string; readonly reserveDebt: string }[];
}

/** What an assessor needs to recompute a pooled-lending loss: both blocks' reads, the parameters, every intermediate figure and the formula. */
export interface LendingLossRecord {
  readonly method: "pooled-lending";
  readonly formula: string;
  readonly liquidationBonusBps: number;
  /** The holder's scaled balance at the measuring block, when it capped the exposure. */
  readonly laterHolderScaled?: string;
  readonly before: LendingStateRecord;
  readonly after: LendingStateRecord;
  readonly unbackedBefore: string;
  readonly unbackedAfter: string;
  readonly netBefore: string;
  readonly netAfter: string;
  readonly poolLoss: string;
  readonly dust: string;
  readonly exposureScaled: string;
  readonly exposureValue: string;
  readonly loss: string;
}

/** The evidence record of `measureLendingLoss(before, after, params)` (recomputes it, so record and amount cannot disagree). */
export function lendingLossRecord(before: LendingPoolState, after: LendingPoolState, params: LendingLossParams = {}): LendingLossRecord {
  const r = measureLendingLoss(before, after, params);
  const state = (s: LendingPoolState): LendingStateRecord => ({
    block: s.block,
    totalSupplied: s.totalSupplied.toString(),
    scaledTotalSupply: s.scaledTotalSupply.toString(),
    cash: s.cash.toString(),
    totalDebt: s.totalDebt.toString(),
    bridgeUnbacked: s.bridgeUnbacked.toString(),
    treasuryAccrued: s.treasuryAccrued.toString(),
    holderScaled: s.holderScaled.toString(),
    holderBalance: s.holderBalance.toString(),
    borrowers: s.borrowers.map((b) => ({ account: b.account, collateralBase: b.collateralBase.toString(), debtBase: b.debtBase.toString(), reserveDebt: b.reserveDebt.toString() })),
  });
  return {
    method: "pooled-lending",
    formula: r.formula,
    liquidationBonusBps: params.liquidationBonusBps ?? 10_000,
    ...(params.laterHolderScaled !== undefined ? { laterHolderScaled: params.laterHolderScaled.toString() } : {}),
    before: state(before),
    after: state(after),
    unbackedBefore: r.unbackedBefore.toString(),
    unbackedAfter: r.unbackedAfter.toString(),
    netBefore: r.netBefore.toString(),
    netAfter: r.netAfter.toString(),
    poolLoss: r.poolLoss.toString(),
    dust: r.dust.toString(),
    exposureScaled: r.exposureScaled.toString(),
    exposureValue: r.exposureValue.toString(),
    loss: r.loss.toString(),
  };
}
