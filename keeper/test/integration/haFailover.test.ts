/**
 * Leader and standby over one real PostgreSQL (keeper/test/helpers/postgres.ts), as processes:
 * two keepers start at once — exactly one leads; the leader is SIGKILLed between the broadcast of
 * a real fund claim (`submitClaim` for a coverage + incident, as the beneficiary's agent) and the
 * journal update; the standby takes over within ha.takeoverSeconds, reconciles the dead leader's
 * transaction from the journal, and the fund holds exactly one claim per coverage + incident.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers, network } from "hardhat";

import { deployKeeperSystem, KEEPER_KEY } from "../helpers/keeperSystem";
import { prepareHaClaims, runHaKillScenario } from "../helpers/haScenario";
import { POSTGRES_MISSING, postgresBinDir, sharedPostgres } from "../helpers/postgres";
import { startRpcProxy, type RpcProxy } from "../helpers/rpcProxy";

describe("leader and standby over PostgreSQL (processes)", function () {
  this.timeout(90_000);
  let proxy: RpcProxy;

  before(async function () {
    if (postgresBinDir() === undefined) {
      console.log(`    ${POSTGRES_MISSING}`);
      this.skip();
    }
    proxy = await startRpcProxy(network.provider);
  });
  after(async () => {
    await proxy?.close();
  });

  it("two start at once, one leads; the leader killed after a claim's broadcast → the standby takes over in time and the fund holds each claim exactly once", async () => {
    const s = await loadFixture(deployKeeperSystem);
    const chain = { send: (method: string, params: unknown[]) => network.provider.send(method, params) };
    const claims = await prepareHaClaims(s, chain);
    const stateUrl = await (await sharedPostgres()).createDatabase(`ha_kill_${process.pid}`);
    const takeoverSeconds = 4;
    const result = await runHaKillScenario({
      rpcUrl: proxy.url,
      stateUrl,
      keeperKey: KEEPER_KEY,
      keeperAddress: s.keeper.address,
      to: s.fundAddress,
      claims,
      takeoverSeconds,
      chain,
      reader: ethers.provider as unknown as import("ethers").JsonRpcProvider,
      fund: s.fund,
    });
    const [first, second] = claims;
    expect([result.leadersAtStart, result.standbysAtStart]).to.deep.equal([1, 1]);
    expect(result.newLeaderFence).to.equal(2);
    // The dead leader's broadcast claim was mined; the new leader found it through the journal.
    expect(result.reconciled).to.include(`"${first.key}","confirmed"`);
    expect(result.minedPerClaim).to.deep.equal({ [first.key]: 1, [second.key]: 1 });
    expect(result.duplicateSends).to.equal(0);
    // The fund itself: exactly one claim per coverage + incident, filed by the keeper as agent.
    expect(result.claimsOnChain).to.deep.equal({ [first.key]: 1, [second.key]: 1 });
    for (const c of claims) {
      const claimId = (await s.fund.getCoverageDetails(c.coverId)).openClaimId;
      const claim = await s.fund.getClaim(claimId);
      expect([claim.coverageId, claim.incidentAt, claim.claimant]).to.deep.equal([c.coverId, c.incidentAt, s.keeper.address]);
    }
    expect(result.takeoverSeconds).to.be.below(takeoverSeconds);
    console.log(`      takeover ${result.takeoverSeconds}s`);
  });
});
