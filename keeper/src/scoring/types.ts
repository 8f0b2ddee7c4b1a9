/** The five component risks the fund stores on-chain, each an integer 0-100 (higher = riskier). */
export interface ComponentRisks {
  readonly tvl: number;
  readonly audit: number;
  readonly time: number;
  readonly exploit: number;
  readonly team: number;
}

export type RiskCategory = "LOW" | "MEDIUM" | "HIGH" | "CRITICAL";

/** The off-chain assessment of one protocol. */
export interface RiskAssessment {
  readonly protocol: string;
  /** Unix seconds (chain time) the assessment was made at. */
  readonly assessedAt: number;
  readonly components: ComponentRisks;
  /**
   * The components with every missing or invalid metric at its least risky value instead of its
   * high-risk default: what the data present proves. Equal to `components` when nothing is
   * missing. The outage policy pushes a rise only up to this (policy/riskPush.ts).
   */
  readonly floor?: ComponentRisks;
  /** Weighted composite 0-100, integer semantics identical to the fund's calculateProtocolRisk for fresh data. */
  readonly composite: number;
  readonly category: RiskCategory;
  /** 0-100: sum of the availability weights of the metrics that were present. */
  readonly confidence: number;
  /** Metrics that were missing or invalid, with the reason. */
  readonly missing: readonly { field: string; reason: string }[];
}
