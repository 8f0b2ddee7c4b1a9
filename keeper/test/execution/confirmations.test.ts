import { expect } from "chai";

import { confirmationsOf, SAFE_CONFIRMATIONS } from "../../src/cli/container";

describe("confirmations per chain (issue 19 §5)", () => {
  const cfg = (chain: { chainId?: number; confirmations?: number }, riskPush = 1) => ({ chain: { rpcUrl: "http://x", ...chain }, riskPush: { confirmations: riskPush } }) as unknown as Parameters<typeof confirmationsOf>[0];
  it("a claim, halt or purchase counts as done after 1 block on a local chain, SAFE_CONFIRMATIONS on a public one, or the configured chain.confirmations", () => {
    expect(confirmationsOf(cfg({ chainId: 31337 }))).to.equal(1);
    expect(confirmationsOf(cfg({}))).to.equal(1);
    expect(confirmationsOf(cfg({ chainId: 1 }))).to.equal(SAFE_CONFIRMATIONS);
    expect(confirmationsOf(cfg({ chainId: 11155111 }))).to.equal(SAFE_CONFIRMATIONS);
    expect(confirmationsOf(cfg({ chainId: 1, confirmations: 12 }))).to.equal(12);
    expect(confirmationsOf(cfg({ chainId: 31337 }, 2))).to.equal(2);
  });
});
