import { FORK_SKIP_LINE, forkEnabled } from "./mainnet";
import { forkEnv, installReplica } from "./mainnetReplica";
import { defineMainnetSuite } from "./mainnetSuite";

/**
 * The mainnet suite twice: against a real fork when MAINNET_RPC_URL is set (hardhat.config.ts
 * then forks mainnet at the pinned block), and always against the offline replica, which places
 * the mocks at the mainnet addresses so the same bodies prove the wiring by address.
 */
if (forkEnabled()) {
  describe("fork: mainnet (real state)", function () {
    this.timeout(600_000);
    defineMainnetSuite(async () => forkEnv());
  });
} else {
  console.log(FORK_SKIP_LINE);
}

describe("fork: mainnet replica (offline, mocks at the mainnet addresses)", function () {
  this.timeout(120_000);
  defineMainnetSuite((admin) => installReplica(admin));
});
