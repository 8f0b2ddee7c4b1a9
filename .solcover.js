// solidity-coverage: measure the production contracts only (mocks are test doubles).
module.exports = {
  skipFiles: ["mocks/"],
};
