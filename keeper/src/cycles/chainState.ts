/**
 * One batched, block-pinned read of everything the coverage and claims policies need:
 * `FundLens.getProtocolStates` (scores, exposure, active ids) → `FundLens.getCoveragesWithDeadlines`
 * (details and each coverage's own claimDeadline) and `FundLens.getClaims`, plus `parameters()` and the pool views per asset — all at the same
 * block, so the plan never mixes two chain states. RPC calls: 1 block + 2 + 2 × assets + (0|1)
 * claims + (0|1) coverages, independent of the number of protocols.
 */
import type { FundLens } from "../../../typechain-types/contracts/FundLens";
import type { StablecoinInsuranceFund } from "../../../typechain-types/contracts/StablecoinInsuranceFund";
import { FUND_CLAIM_STATUSES, type FundClaimStatus } from "../policy/claims";
import type { AssetPoolState, CoverageChainState, CoverageStatus, FundParams, OnChainCoverage, ProtocolChainState } from "../policy/coverage";

const COVERAGE_STATUS: readonly CoverageStatus[] = ["None", "Active", "Expired"];
const CLAIM_STATUS: readonly FundClaimStatus[] = FUND_CLAIM_STATUSES;

export interface FundClaim {
  readonly id: bigint;
  readonly coverageId: bigint;
  readonly claimant: string;
  /** Asset units. */
  readonly amount: bigint;
  readonly payout: bigint;
  /** Wei. */
  readonly deposit: bigint;
  readonly providerClaimId: bigint;
  readonly submittedAt: number;
  readonly status: FundClaimStatus;
  readonly evidenceHash: string;
  /** Time of loss the claimant named (unix seconds). */
  readonly incidentAt?: number;
  /** End of the challenge period of an accepted self-insured payout (absent = n/a). */
  readonly payableAt?: number;
  /** Accepted above the daily payout limit: the admin must confirm before settlement. */
  readonly confirmationRequired?: boolean;
}

export interface ChainSnapshot {
  /** Chain time: the pinned block's timestamp. */
  readonly now: number;
  readonly blockNumber: number;
  readonly coverage: CoverageChainState;
  /** Every coverage read this cycle (active ones plus `extraCoverIds`), by decimal id. */
  readonly coverages: ReadonlyMap<string, OnChainCoverage>;
  /** By decimal id. */
  readonly claims: ReadonlyMap<string, FundClaim>;
}

export interface ChainReadDeps {
  readonly provider: { getBlock(tag: "latest"): Promise<{ number: number; timestamp: number } | null> };
  readonly fund: StablecoinInsuranceFund;
  readonly lens: FundLens;
  readonly fundAddress: string;
}

export interface ChainReadRequest {
  /** Protocol addresses (fund keys). */
  readonly protocols: readonly string[];
  readonly assets: readonly { readonly address: string; readonly decimals: number }[];
  /** Coverages to read besides the active ones (e.g. expired covers with an incident or claim). */
  readonly extraCoverIds?: readonly bigint[];
  readonly claimIds?: readonly bigint[];
}

interface CoverageLike {
  id: bigint;
  protocol: string;
  asset: string;
  beneficiary: string;
  amount: bigint;
  premium: bigint;
  claimed: bigint;
  start: bigint;
  end: bigint;
  riskScore: bigint;
  providerId: bigint;
  status: bigint;
  providerCoverId: bigint;
  openClaimId: bigint;
}

/** A coverage row and its `claimDeadline` (FundLens.getCoveragesWithDeadlines) as the policies use it. */
export function toOnChainCoverage(c: CoverageLike, claimDeadline: bigint): OnChainCoverage {
  return {
    id: c.id,
    protocol: c.protocol,
    asset: c.asset,
    beneficiary: c.beneficiary,
    amount: c.amount,
    premium: c.premium,
    claimed: c.claimed,
    start: Number(c.start),
    end: Number(c.end),
    providerId: Number(c.providerId),
    providerCoverId: c.providerCoverId,
    openClaimId: c.openClaimId,
    status: COVERAGE_STATUS[Number(c.status)] ?? "None",
    riskScore: Number(c.riskScore),
    claimDeadline: Number(claimDeadline),
  };
}

/** Live coverage ids read per protocol in one FundLens call (the fund caps a protocol at $500K). */
export const MAX_COVERAGE_IDS_PER_PROTOCOL = 500;

export async function readChainSnapshot(deps: ChainReadDeps, request: ChainReadRequest): Promise<ChainSnapshot> {
  const block = await deps.provider.getBlock("latest");
  if (block === null) throw new Error("the RPC returned no latest block");
  const at = { blockTag: block.number };
  const { fund, lens, fundAddress } = deps;

  const [states, parameters, pools] = await Promise.all([
    request.protocols.length > 0 ? lens.getProtocolStates(fundAddress, [...request.protocols], MAX_COVERAGE_IDS_PER_PROTOCOL, at) : Promise.resolve([]),
    fund.parameters(at),
    Promise.all(
      request.assets.map(async (asset): Promise<AssetPoolState> => {
        const [pool, selfInsured] = await Promise.all([fund.poolBalance(asset.address, at), fund.getSelfInsuredCoverage(asset.address, at)]);
        return { asset: asset.address, decimals: asset.decimals, pool, selfInsured };
      }),
    ),
  ]);

  const ids = new Set<bigint>();
  for (const s of states) for (const id of s.activeCoverageIds) ids.add(id);
  for (const id of request.extraCoverIds ?? []) if (id > 0n) ids.add(id);
  const claimIds = [...new Set(request.claimIds ?? [])].filter((id) => id > 0n);
  const [coverageRows, claimRows] = await Promise.all([
    ids.size > 0 ? lens.getCoveragesWithDeadlines(fundAddress, [...ids], at) : Promise.resolve(undefined),
    claimIds.length > 0 ? readClaims(lens, fund, fundAddress, claimIds, at) : Promise.resolve([]),
  ]);

  const coverages = new Map<string, OnChainCoverage>();
  if (coverageRows !== undefined) {
    const [rows, deadlines] = coverageRows;
    rows.forEach((row, i) => coverages.set(row.id.toString(), toOnChainCoverage(row, deadlines[i] ?? 0n)));
  }
  const protocols: ProtocolChainState[] = states.map((s) => ({
    protocol: s.protocol,
    riskScore: Number(s.riskScore),
    exposureWad: s.activeCoverage,
    coverages: s.activeCoverageIds.map((id) => coverages.get(id.toString())).filter((c): c is OnChainCoverage => c !== undefined),
  }));
  const params: FundParams = {
    baseRateBps: Number(parameters.baseRateBps),
    reserveRatioBps: Number(parameters.reserveRatioBps),
    renewalWindowSec: Number(parameters.renewalWindow),
    claimGracePeriodSec: Number(parameters.claimGracePeriod),
    maxCoveragePerProtocolWad: parameters.maxCoveragePerProtocol,
  };
  const claims = new Map<string, FundClaim>();
  for (const c of claimRows) {
    claims.set(c.id.toString(), toFundClaim(c, c.id));
  }
  return { now: block.timestamp, blockNumber: block.number, coverage: { protocols, pools, params }, coverages, claims };
}

type ClaimFields = Parameters<typeof toFundClaim>[0] & { readonly id: bigint };

/**
 * The claims in one lens call; when it fails (a claim a reorg removed reverts the whole batch
 * with `FundUnknownClaim`), one by one with failures allowed: an unreadable claim is left out
 * (the claims cycle re-checks it against its receipt), never the whole tick.
 */
async function readClaims(lens: FundLens, fund: StablecoinInsuranceFund, fundAddress: string, ids: readonly bigint[], at: { blockTag: number }): Promise<ClaimFields[]> {
  try {
    return await lens.getClaims(fundAddress, [...ids], at);
  } catch {
    const rows = await Promise.allSettled(
      // The fund's own view has every field the lens batch has (a reverted id is left out).
      ids.map((id): Promise<ClaimFields> => fund.getClaim(id, at)),
    );
    return rows.filter((r): r is PromiseFulfilledResult<ClaimFields> => r.status === "fulfilled").map((r) => r.value);
  }
}

/** The fund's `Claim` view as the keeper uses it. */
export function toFundClaim(
  c: {
    coverageId: bigint;
    claimant: string;
    amount: bigint;
    payout: bigint;
    deposit: bigint;
    providerClaimId: bigint;
    submittedAt: bigint;
    status: bigint;
    evidenceHash: string;
    incidentAt: bigint;
    payableAt: bigint;
    confirmationRequired: boolean;
  },
  id: bigint,
): FundClaim {
  return {
    id,
    coverageId: c.coverageId,
    claimant: c.claimant,
    amount: c.amount,
    payout: c.payout,
    deposit: c.deposit,
    providerClaimId: c.providerClaimId,
    submittedAt: Number(c.submittedAt),
    status: CLAIM_STATUS[Number(c.status)] ?? "None",
    evidenceHash: c.evidenceHash,
    incidentAt: Number(c.incidentAt),
    ...(c.payableAt > 0n ? { payableAt: Number(c.payableAt) } : {}),
    confirmationRequired: c.confirmationRequired,
  };
}

/** The five on-chain risk components of a lens protocol state, as numbers. */
export function riskComponentsOf(risk: { tvlStability: bigint; auditQuality: bigint; timeSinceDeployment: bigint; exploitHistory: bigint; teamReputation: bigint }) {
  return {
    tvl: Number(risk.tvlStability),
    audit: Number(risk.auditQuality),
    time: Number(risk.timeSinceDeployment),
    exploit: Number(risk.exploitHistory),
    team: Number(risk.teamReputation),
  };
}
