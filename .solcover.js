// solidity-coverage: measure the production contracts only.
module.exports = {
  skipFiles: ["mocks/"],
  // viaIR is on in hardhat.config.ts; keep the optimizer's IR pipeline under instrumentation too.
  configureYulOptimizer: true,
};
