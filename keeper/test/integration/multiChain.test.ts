/**
 * Positions on two chains (issue 18 §3), on two local Hardhat chains: the fund's (31337: the fund,
 * the cover, the halt and the claim) and a second one with chain id 42161 standing in for
 * Arbitrum One, where the operator holds a Curve USDC/USDT LP position and the pool's USDC is
 * watched. The keeper reaches the second chain only through `chains."42161".rpcUrls` (its first
 * URL is dead, so failover is exercised on every run).
 */
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { promises as fs } from "node:fs";
import { ethers } from "hardhat";
import { keccak256, Wallet, type Contract, type Signer } from "ethers";

import { PROTOCOLS } from "../../../test/helpers/fundFixture";
import { installLocalMulticall3 } from "../../src/cli/localMulticall";
import { checkRemoteChains } from "../../src/cli/commands/doctor";
import { containerLoops } from "../../src/cli/daemon";
import { buildContainer } from "../../src/cli/container";
import { FUND_INCIDENT_ABI } from "../../src/cycles/exploitWatch";
import { parseConfig } from "../../src/config";
import type { ConfigFile } from "../../src/config/schema";
import { deployKeeperSystem, fixtureCopy, KEEPER_KEY, keeperConfigFile } from "../helpers/keeperSystem";
import { usdc6 } from "../helpers/protocolStandIns";
import { confirmTheIncident, keeperHarness } from "../helpers/keeperHarness";
import { startSecondChain, type SecondChain } from "../helpers/secondChain";
import { recordingLogger } from "../sources/testDeps";

const REMOTE = 42161;
/** A port nothing listens on: the remote chain's first RPC URL, so every read fails over to the second. */
const DEAD_URL = "http://127.0.0.1:9/";

describe("positions on two chains: per-chain batches, failover, drain → halt → claim measured on the other chain (integration)", function () {
  this.timeout(180_000);
  const h = keeperHarness();
  let b: SecondChain;
  let bClean: string;
  let pool: Contract;
  let usdcB: Contract;
  let thief: Signer;
  let adminTarget: Contract;
  let feed: Contract;

  before(async () => {
    b = await startSecondChain(REMOTE);
    // A contract with admin events and a USDC/USD feed, deployed long before the keeper starts:
    // their constructor events lie outside its first look back (50 × 12 s = 2,400 Arbitrum blocks).
    const owner = await b.signer(0);
    adminTarget = await b.deploy("MockAdminTarget", [await owner.getAddress()]);
    feed = await b.deploy("MockChainlinkAggregator", [8, "USDC / USD", 100_000_000n]);
    await b.mine(3_000); // its own, different block height
    usdcB = await b.deploy("MockUSDC");
    const usdtB = await b.deploy("MockUSDT");
    pool = await b.deploy("MockCurveStableSwapPool", ["Curve.fi USDC/USDT", "2CRV", [await usdcB.getAddress(), await usdtB.getAddress()], [6, 6], 4_000_000n, false]);
    thief = await b.signer(10);
    bClean = await b.snapshot();
  });
  after(async () => {
    await b.close();
  });
  beforeEach(async () => {
    await b.revert(bClean);
    bClean = await b.snapshot();
  });

  /** Mints USDC on the second chain and adds it to the pool for `who` (an unlocked dev account there). */
  async function addLiquidity(who: string, amount: bigint): Promise<void> {
    const signer = await b.ethers.getSigner(who);
    await (await usdcB.getFunction("mint")(who, amount)).wait();
    await (await (usdcB.connect(signer) as Contract).getFunction("approve")(await pool.getAddress(), amount)).wait();
    await (await (pool.connect(signer) as Contract).getFunction("add_liquidity")([amount, 0n], 0n)).wait();
  }

  async function keeper(watchExtra: Record<string, unknown> = {}) {
    const s = await loadFixture(deployKeeperSystem);
    await installLocalMulticall3(ethers.provider);
    // Both chains keep wall-clock time: the second one catches up with the fund chain's clock (the fixture moved it days ahead).
    const now = (await ethers.provider.getBlock("latest"))!.timestamp;
    await b.ethers.send("evm_setNextBlockTimestamp", [now + 1]);
    await b.mine(1);
    const whale = (await ethers.getSigners())[8]!;
    await addLiquidity(whale.address, usdc6(900_000));
    await addLiquidity(s.beneficiary.address, usdc6(100_000));
    await b.mine(1);
    const workDir = await h.tempDir("keeper-2chains-");
    const fixtureDir = h.removeAfter(await fixtureCopy());
    const poolB = await pool.getAddress();
    const file: ConfigFile = {
      ...keeperConfigFile(s, { rpcUrl: h.proxy.url, fixtureDir, workDir }),
      chains: { [String(REMOTE)]: { name: "Arbitrum One (local stand-in)", rpcUrls: [DEAD_URL, b.proxy.url], rpcTimeoutMs: 1000 } },
      protocols: [
        {
          id: "curve",
          name: "Curve",
          address: PROTOCOLS.curve,
          watch: { balances: [{ token: await usdcB.getAddress(), holder: poolB, chainId: REMOTE, label: "USDC held by the USDC/USDT pool on Arbitrum" }], ...watchExtra },
        },
      ],
      positions: [
        {
          protocol: "curve",
          asset: s.usdcAddress,
          assetSymbol: "USDC",
          position: { kind: "curve", pool: poolB, coinIndex: 0, chainId: REMOTE },
          beneficiary: s.beneficiary.address,
          providers: [],
          allowSelfInsure: true,
        },
      ],
    };
    const config = parseConfig(file, { env: { KEEPER_PRIVATE_KEY: KEEPER_KEY } });
    const container = await buildContainer(config, recordingLogger());
    h.track(container);
    return { s, container, poolB };
  }

  const redeemable = async (holder: string, blockTag?: number): Promise<bigint> => {
    const lp = (await pool.getFunction("balanceOf")(holder, { blockTag })) as bigint;
    return (await pool.getFunction("calc_withdraw_one_coin(uint256,int128)")(lp, 0, { blockTag })) as bigint;
  };

  it("each chain is read in one Multicall3 batch per tick, each pinned to its own block; the remote chain fails over past its dead first URL", async () => {
    const { s, container } = await keeper();
    const watch = container.exploitWatch();
    await watch.tick(); // the first tick also looks back over the window (one more batch per chain)
    await mine(1);
    await b.mine(3);
    h.proxy.reset();
    b.proxy.reset();
    const tick = await watch.tick();
    expect(h.proxy.counts()["eth_call"]).to.equal(1);
    expect(b.proxy.counts()["eth_call"]).to.equal(1);
    const chains = tick.readings.chains ?? [];
    expect(chains.map((c) => c.chainId)).to.deep.equal([undefined, REMOTE]);
    expect(chains[0]?.block).to.equal(await ethers.provider.getBlockNumber());
    expect(chains[1]?.block).to.equal(await b.blockNumber());
    expect(chains[1]?.block).to.not.equal(chains[0]?.block);
    const [read] = watch.positionReads();
    expect(read?.id).to.match(/#42161$/);
    const reading = tick.readings.positions.get(read!.id);
    expect(reading?.status).to.equal("fresh");
    expect(reading?.last?.block).to.equal(await b.blockNumber());
    expect(reading?.last?.value).to.equal(await redeemable(s.beneficiary.address));
    // The cover follows the position's value read on the other chain.
    const plan = await container.coverageCycle().run();
    expect(plan.plan.positions[0]?.targetSource).to.equal("live");
    expect(plan.plan.positions[0]?.liveValue?.amount).to.be.closeTo(usdc6(100_000), usdc6(100));
  });

  it("the other chain down: its entries keep their last values (stale, with the error); the fund chain's reads go on", async () => {
    const { container } = await keeper();
    const watch = container.exploitWatch();
    const first = await watch.tick();
    const id = watch.positionReads()[0]!.id;
    const known = first.readings.positions.get(id)?.last;
    b.proxy.setFault({ kind: "status", status: 503 });
    try {
      await mine(1);
      const tick = await watch.tick();
      expect(tick.block).to.equal(await ethers.provider.getBlockNumber());
      const remote = tick.readings.chains?.find((c) => c.chainId === REMOTE);
      expect(remote?.block).to.equal(undefined);
      expect(remote?.error).to.match(/multicall failed/);
      const reading = tick.readings.positions.get(id);
      expect(reading?.status).to.equal("stale");
      expect(reading?.last).to.deep.equal(known);
      expect(tick.signals).to.deep.equal([]); // a failed read is never a drain
      // The daemon's incident loop says so: /healthz degraded, naming the chain.
      await mine(1);
      const loop = await containerLoops(container, false).incident();
      expect(loop.degraded).to.match(/chain 42161 unreadable \(multicall failed: .*\): its positions keep their last values and its drains are not seen/);
    } finally {
      b.proxy.setFault(undefined);
    }
  });

  it("a drain of the pool on the other chain halts sales on the fund's chain; confirmed, the claim is the LP loss at that chain's blocks and the evidence names the chain", async () => {
    const { s, container, poolB } = await keeper();
    await container.coverageCycle().run();
    const claims = container.claimsCycle();
    await claims.run();
    // A minute after the cover was bought (and the other chain's clock a little ahead of the fund's).
    const fundNow = (await ethers.provider.getBlock("latest"))!.timestamp;
    await b.ethers.send("evm_setNextBlockTimestamp", [fundNow + 60]);
    await b.mine(1);
    await time.increase(50);
    const blockBefore = await b.blockNumber();
    const valueBefore = await redeemable(s.beneficiary.address, blockBefore);
    await (await pool.getFunction("mockExploitDrain")(0, await thief.getAddress(), usdc6(600_000))).wait();
    const drainBlock = await b.blockNumber();
    const trueLoss = valueBefore - (await redeemable(s.beneficiary.address, drainBlock));
    expect(trueLoss > usdc6(50_000)).to.equal(true);

    const seen = await claims.run();
    const signal = seen.watch?.signals.find((x) => x.drain?.holder === poolB);
    expect(signal?.drain?.chainId).to.equal(REMOTE);
    expect(signal?.description).to.match(/on chain 42161/);
    expect(seen.watch?.reports.map((r) => r.status)).to.deep.equal(["confirmed"]);
    const incidentOnFund = (await new ethers.Contract(s.fundAddress, FUND_INCIDENT_ABI, ethers.provider).getFunction("getIncident")(PROTOCOLS.curve)) as { active: boolean };
    expect(incidentOnFund.active).to.equal(true);
    expect(seen.filed).to.deep.equal([]);

    // Blocks go on on both chains; the operator confirms the incident.
    await b.mine(5);
    await mine(3);
    await confirmTheIncident(container);
    await mine(1);
    const tick = await claims.run();
    expect(tick.filed.map((f) => f.status)).to.deep.equal(["confirmed"]);
    const claim = await s.fund.getClaim(BigInt(tick.filed[0]!.claimId!));
    expect(claim.amount).to.equal(trueLoss);

    const packText = await fs.readFile(container.state().incidents.list()[0]!.evidencePath!, "utf8");
    expect(claim.evidenceHash).to.equal(keccak256(Buffer.from(packText, "utf8")));
    const pack = JSON.parse(packText) as { claims: { loss: Record<string, unknown> }[] };
    expect(pack.claims[0]!.loss).to.deep.include({ method: "measured", rule: "lp-redeemable", chainId: REMOTE, blockAfter: drainBlock });
    expect(pack.claims[0]!.loss["blockBefore"]).to.be.lessThan(drainBlock);
    expect(pack.claims[0]!.loss["blockBefore"]).to.be.greaterThan(3_000);
    expect(packText).to.not.match(/127\.0\.0\.1/);
    // Two URLs on that chain, the first dead: measured on the one node that answers, and the pack says so.
    expect(pack.claims[0]!.loss["source"]).to.match(/one RPC node answered \(not cross-checked\)$/);
  });

  it("doctor checks each other chain: reachable on its id, Multicall3 and the positions' contracts there; a missing contract is named", async () => {
    const { container } = await keeper();
    const checks: Parameters<typeof checkRemoteChains>[2] = [];
    await checkRemoteChains(container.config, recordingLogger(), checks);
    expect(checks.map((c) => [c.name, c.status])).to.deep.equal([["chain 42161", "ok"]]);
    const wrong = { ...container.config, positions: container.config.positions.map((p) => ({ ...p, position: { kind: "curve" as const, pool: "0x000000000000000000000000000000000000dEaD", coinIndex: 0, indexType: "int128" as const, chainId: REMOTE } })) };
    const bad: typeof checks = [];
    await checkRemoteChains(wrong, recordingLogger(), bad);
    expect(bad[0]?.status).to.equal("fail");
    expect(bad[0]?.detail).to.match(/no code at positions\[0\] \(curve curve\) 0x000000000000000000000000000000000000dEaD/);
    const down = { ...container.config, chains: { "42161": { ...container.config.chains["42161"]!, rpcUrls: [DEAD_URL] } } };
    const unreachable: typeof checks = [];
    await checkRemoteChains(down, recordingLogger(), unreachable);
    expect(unreachable[0]?.status).to.equal("fail");
    expect(unreachable[0]?.fix).to.match(/RPC_URLS_42161/);
  });

  it("leading signals on the other chain: the feed is read in that chain's one batch; an ownership change of a contract there halts the protocol on the fund's chain (one eth_getLogs per chain)", async () => {
    const target = adminTarget;
    const { s, container } = await keeper({
      adminContracts: [{ address: await target.getAddress(), label: "Pool proxy", chainId: REMOTE }],
      pegOracle: { aggregator: await feed.getAddress(), chainId: REMOTE },
    });
    // The feed answers on time (a fresh round at the synced clock).
    await (await feed.getFunction("setAnswer")(100_000_000n, Number((await b.ethers.getBlock("latest"))!.timestamp))).wait();
    const watch = container.exploitWatch();
    expect((await watch.tick()).signals).to.deep.equal([]);
    await mine(1);
    await b.mine(1);
    h.proxy.reset();
    b.proxy.reset();
    const quiet = await watch.tick();
    expect(quiet.signals).to.deep.equal([]);
    expect(b.proxy.counts()["eth_call"]).to.equal(1); // positions, balances and the feed: one batch
    expect(b.proxy.counts()["eth_getLogs"]).to.equal(1);
    expect(h.proxy.counts()["eth_getLogs"]).to.equal(undefined); // no admin contract on the fund's chain

    // The attacker takes the contract over on the other chain (the Radiant way: the admin keys, then the pool).
    const attacker = Wallet.createRandom().address;
    await (await target.getFunction("transferOwnership")(attacker)).wait();
    const tick = await watch.tick();
    const signal = tick.signals.find((x) => x.kind === "admin-event");
    expect(signal?.description).to.match(/Pool proxy \(chain 42161\) ownership transferred .* → /);
    expect(signal?.occurredAt).to.be.at.most(tick.timestamp!);
    expect(tick.reports.map((r) => r.status)).to.deep.equal(["confirmed"]);
    const incident = (await new ethers.Contract(s.fundAddress, FUND_INCIDENT_ABI, ethers.provider).getFunction("getIncident")(PROTOCOLS.curve)) as { active: boolean };
    expect(incident.active).to.equal(true);

    // The feed on the other chain 3% off its peg: a depeg signal from that chain's batch.
    const now = Number((await b.ethers.getBlock("latest"))!.timestamp);
    await (await feed.getFunction("setAnswer")(97_000_000n, now)).wait();
    const depeg = await watch.tick();
    expect(depeg.signals.map((x) => x.kind)).to.include("oracle-deviation");
  });
});
