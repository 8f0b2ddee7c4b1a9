/** Pure risk scoring: metrics → component risks, composite, category, confidence. No I/O. */
export * from "./constants";
export * from "./components";
export { compositeRisk, riskCategory } from "./composite";
export { onChainRiskScore } from "./onChainScore";
export { assessProtocol, failedAssessment } from "./assess";
export type { ComponentRisks, RiskAssessment, RiskCategory } from "./types";
