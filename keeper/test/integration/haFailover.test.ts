/**
 * Leader and standby over one real PostgreSQL (keeper/test/helpers/postgres.ts), as processes:
 * two keepers start at once — exactly one leads; the leader is SIGKILLed between the broadcast of
 * a claim and the journal update; the standby takes over within ha.takeoverSeconds, reconciles the
 * dead leader's transaction from the journal, and every claim is mined exactly once.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers, network } from "hardhat";

import { deployKeeperSystem, KEEPER_KEY } from "../helpers/keeperSystem";
import { runHaKillScenario } from "../helpers/haScenario";
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

  it("two start at once, one leads; the leader killed after broadcast → the standby takes over in time and each claim is mined once", async () => {
    const s = await loadFixture(deployKeeperSystem);
    const stateUrl = await (await sharedPostgres()).createDatabase(`ha_kill_${process.pid}`);
    const takeoverSeconds = 4;
    const result = await runHaKillScenario({
      rpcUrl: proxy.url,
      stateUrl,
      keeperKey: KEEPER_KEY,
      keeperAddress: s.keeper.address,
      to: s.fundAddress,
      data: [
        s.fund.interface.encodeFunctionData("setAgent", [s.stranger.address, true]),
        s.fund.interface.encodeFunctionData("setAgent", [s.admin.address, true]),
      ],
      takeoverSeconds,
      chain: { send: (method, params) => network.provider.send(method, params) },
      reader: ethers.provider as unknown as import("ethers").JsonRpcProvider,
    });
    expect([result.leadersAtStart, result.standbysAtStart]).to.deep.equal([1, 1]);
    expect(result.newLeaderFence).to.equal(2);
    expect(result.reconciled).to.include('"claim:1","confirmed"');
    expect(result.minedPerClaim).to.deep.equal({ "claim:1": 1, "claim:2": 1 });
    expect(result.duplicateSends).to.equal(0);
    expect(result.takeoverSeconds).to.be.below(takeoverSeconds);
    expect(await s.fund.isAgent(s.keeper.address, s.stranger.address)).to.equal(true);
    console.log(`      takeover ${result.takeoverSeconds}s`);
  });
});
