// solidity-coverage: measure the production contracts only (mocks are test doubles).
// `json-summary` writes coverage/coverage-summary.json, which scripts/check-coverage.ts reads in CI.
module.exports = {
  skipFiles: ["mocks/"],
  istanbulReporter: ["text-summary", "json-summary", "json", "lcov"],
};
