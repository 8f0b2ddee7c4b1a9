/**
 * Claims on the real Aave v3 bytecode (test/helpers/realAave.ts, over the fund's own USDC), through
 * the keeper's whole claims path: the exploit watch over the reserve's cash, the incident state
 * machine, the pooled-lending loss between the block before the drain and the drain window's end,
 * the claim on the fund and its evidence pack.
 * - an oracle-manipulation drain (WETH's price source swapped to $1M, all the cash borrowed, the
 *   source restored) → halt, then after confirmation a claim equal to the holder's share of the
 *   bad debt (within 1%), whose evidence hash is the pack's, and the pack records the blocks, the
 *   reads and the formula — and no RPC URL;
 * - the operator withdrawing part of the position after the alert → the claim excludes it;
 * - a withdrawal wave of solvent suppliers → no drain and no claim; confirmed by hand anyway → the
 *   loss measures 0: a critical alert naming the position, no claim at the configured size, until
 *   `keeper claim file` sets one (recorded with who set it);
 * - interest accrual → the keeper's position value equals `aToken.balanceOf`.
 */
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ethers, network } from "hardhat";
import { keccak256, type Signer } from "ethers";

import { PROTOCOLS, units } from "../../../test/helpers/fundFixture";
import { deployRealAaveHere, USD8, type RealAaveMarket } from "../../../test/helpers/realAave";
import { buildProgram } from "../../src/cli/cli";
import { buildContainer, type KeeperContainer } from "../../src/cli/container";
import { installLocalMulticall3 } from "../../src/cli/localMulticall";
import { confirmTheIncident } from "../helpers/keeperHarness";
import { parseConfig } from "../../src/config";
import type { ConfigFile } from "../../src/config/schema";
import { deployKeeperSystem, fixtureCopy, KEEPER_KEY, keeperConfigFile, type KeeperSystem } from "../helpers/keeperSystem";
import { startRpcProxy, type RpcProxy } from "../helpers/rpcProxy";
import { recordingLogger } from "../sources/testDeps";

const USDC = (n: number) => units(n, 6);

interface World {
  s: KeeperSystem;
  m: RealAaveMarket;
  holder: Signer;
  whale: Signer;
  borrower: Signer;
  attacker: Signer;
}

/** The keeper system, a real Aave market over its USDC: 900k from a whale, 100k from the beneficiary, a solvent borrower of 150k against 100 WETH. */
async function aaveWorld(): Promise<World> {
  const s = await deployKeeperSystem();
  const m = await deployRealAaveHere({ tokens: { USDC: await s.usdc.getAddress() } });
  const signers = await ethers.getSigners();
  const [whale, borrower, attacker] = [signers[15]!, signers[16]!, signers[17]!];
  await m.supply(whale, "USDC", USDC(900_000));
  await m.supply(s.beneficiary, "USDC", USDC(100_000));
  await m.supply(borrower, "WETH", m.units("WETH", 100));
  await m.borrow(borrower, "USDC", USDC(150_000));
  await installLocalMulticall3(ethers.provider);
  return { s, m, holder: s.beneficiary, whale, borrower, attacker };
}

/** WETH's price source pushed to $1M, every USDC of cash borrowed against 10 WETH, the source restored. */
async function oracleDrain(w: World): Promise<{ end: number }> {
  const { m, attacker } = w;
  await m.supply(attacker, "WETH", m.units("WETH", 10));
  await m.setPrice("WETH", 1_000_000n * USD8);
  await m.borrow(attacker, "USDC", await m.cash("USDC"));
  await m.setPrice("WETH", 3_000n * USD8);
  return { end: await ethers.provider.getBlockNumber() };
}

/** The attacker's bad debt in USDC units (debt − collateral at the restored price; $1 = 1 USDC). */
async function badDebt(w: World): Promise<bigint> {
  const account = await w.m.pool.getFunction("getUserAccountData")(await w.attacker.getAddress());
  return (((account.totalDebtBase as bigint) - (account.totalCollateralBase as bigint)) * 10n ** 6n) / USD8;
}

describe("claims on the real Aave v3: the loss an assessor measures (integration)", function () {
  this.timeout(240_000);
  let proxy: RpcProxy;
  const opened: KeeperContainer[] = [];
  const dirs: string[] = [];
  const savedKey = process.env["KEEPER_PRIVATE_KEY"];

  before(async () => {
    process.env["KEEPER_PRIVATE_KEY"] = KEEPER_KEY;
    proxy = await startRpcProxy(network.provider);
  });
  after(async () => {
    if (savedKey === undefined) delete process.env["KEEPER_PRIVATE_KEY"];
    else process.env["KEEPER_PRIVATE_KEY"] = savedKey;
    await proxy.close();
  });
  afterEach(async () => {
    for (const c of opened.splice(0)) c.close();
    for (const d of dirs.splice(0)) await fs.rm(d, { recursive: true, force: true });
  });

  async function keeper(w: World) {
    const { s, m } = w;
    const workDir = await fs.mkdtemp(path.join(os.tmpdir(), "keeper-aave-"));
    const fixtureDir = await fixtureCopy();
    dirs.push(workDir, fixtureDir);
    const base = keeperConfigFile(s, { rpcUrl: `${proxy.url}?apikey=SECRET-RPC-KEY`, fixtureDir, workDir, dbPath: path.join(workDir, "state.sqlite") });
    const aToken = await m.reserves.USDC.aToken.getAddress();
    const file: ConfigFile = {
      ...base,
      protocols: [{ id: "aave-v3", name: "Aave V3", address: PROTOCOLS.aave, watch: { balances: [{ token: s.usdcAddress, holder: aToken, owedBy: aToken, label: "USDC held by aUSDC" }] } }],
      positions: base.positions?.map((p) => ({ ...p, providers: [], allowSelfInsure: true, position: { kind: "aave-v3" as const, aToken } })),
      alerts: { dedupMinutes: 0 },
    } as ConfigFile;
    const configPath = path.join(workDir, "keeper.json");
    await fs.writeFile(configPath, JSON.stringify(file));
    const config = parseConfig(file, { env: { KEEPER_PRIVATE_KEY: KEEPER_KEY } });
    const logger = recordingLogger();
    const container = await buildContainer(config, logger);
    opened.push(container);
    const cli = async (...args: string[]): Promise<string> => {
      const lines: string[] = [];
      await buildProgram((text) => lines.push(text)).parseAsync(["--config", configPath, "--log-level", "silent", ...args], { from: "user" });
      return lines.join("\n");
    };
    const alerts = () =>
      logger.entries
        .filter((e) => typeof e.msg === "string" && e.msg.startsWith("alert: "))
        .map((e) => (e.obj["alert"] ?? {}) as { title: string; message: string; severity: string });
    return { container, logger, cli, alerts };
  }

  /** Cover bought (self-insured), an hour passes, one watch tick sees the reserve before the drain. */
  async function covered(w: World) {
    const k = await keeper(w);
    await k.container.coverageCycle().run();
    await time.increase(3600);
    await k.container.claimsCycle().run();
    return k;
  }

  it("an oracle-manipulation drain: halted, then after confirmation a claim of the holder's share of the bad debt (within 1%), carrying the evidence pack's hash", async () => {
    const w = await loadFixture(aaveWorld);
    const { s, m, holder } = w;
    const { container } = await covered(w);
    const { end } = await oracleDrain(w);
    const holderBalance = (await m.reserves.USDC.aToken.getFunction("balanceOf")(await holder.getAddress())) as bigint;
    const supply = (await m.reserves.USDC.aToken.getFunction("totalSupply")()) as bigint;
    const trueLoss = ((await badDebt(w)) * holderBalance) / supply;
    // The suppliers' balances did not move: a balance drop finds nothing.
    expect(holderBalance).to.be.gte(USDC(100_000));

    const seen = await container.claimsCycle().run();
    expect(seen.incidents).to.deep.include({ suspected: 1, confirmed: 0 });
    expect((await s.fund.getIncident(PROTOCOLS.aave)).active).to.equal(true);
    expect(seen.filed).to.deep.equal([]);
    // Blocks pass after the drain (the operator sleeps on it; interest accrues): "after" stays the drain's end.
    await time.increase(6 * 3600);
    await mine(20);
    await confirmTheIncident(container);
    const tick = await container.claimsCycle().run();
    expect(tick.filed.map((f) => f.status)).to.deep.equal(["confirmed"]);
    const claim = await s.fund.getClaim(BigInt(tick.filed[0]!.claimId!));
    expect(claim.amount).to.be.closeTo(trueLoss, trueLoss / 100n);
    expect(trueLoss).to.be.closeTo(USDC(82_000), USDC(1_000));
    const lossErrorPct = (Number(claim.amount > trueLoss ? claim.amount - trueLoss : trueLoss - claim.amount) / Number(trueLoss)) * 100;
    expect(lossErrorPct).to.be.lte(1);

    // The pack: its keccak256 is the claim's evidence hash; it records the chain, the blocks, the reads and the formula.
    const incident = container.state().incidents.list()[0]!;
    const packText = await fs.readFile(incident.evidencePath!, "utf8");
    expect(claim.evidenceHash).to.equal(keccak256(Buffer.from(packText, "utf8")));
    const pack = JSON.parse(packText) as { claims: { amount: string; loss: Record<string, unknown> & { reads: Record<string, unknown> } }[] };
    const loss = pack.claims[0]!.loss;
    expect(loss).to.deep.include({ method: "measured", rule: "pooled-lending", chainId: 31337, blockAfter: end });
    expect(loss.formula).to.match(/poolLoss = max\(0, net_before - net_after\)/);
    expect(loss.blockAfterIs).to.match(/end of the drain window/);
    expect(loss.reads).to.include.keys("before", "after", "poolLoss", "exposureScaled", "reserve");
    expect((loss.reads["after"] as { cash: string }).cash).to.equal("0");
    expect(pack.claims[0]!.amount).to.equal(claim.amount.toString());
    // No secret in it: the RPC URL (with its key) is nowhere.
    expect(packText).to.not.match(/SECRET-RPC-KEY|127\.0\.0\.1/);
    // Claimed: the next ticks do not measure the position again (no log scan, no past-block reads).
    proxy.reset();
    const later = await container.claimsCycle().run();
    expect(later.filed).to.deep.equal([]);
    expect(proxy.counts()["eth_getLogs"]).to.equal(undefined);
  });

  it("the operator withdrawing part of the position after the alert: the claim excludes it", async () => {
    const w = await loadFixture(aaveWorld);
    const { s, m, holder, whale } = w;
    const { container } = await covered(w);
    await oracleDrain(w);
    const supplyAtEnd = (await m.reserves.USDC.aToken.getFunction("totalSupply")()) as bigint;
    const bad = await badDebt(w);
    await container.claimsCycle().run(); // the alert
    // Cash comes back (a new supply); the operator pulls 70k of its 100k out at par.
    await m.supply(whale, "USDC", USDC(80_000));
    await m.withdraw(holder, "USDC", USDC(70_000));
    const kept = (await m.reserves.USDC.aToken.getFunction("balanceOf")(await holder.getAddress())) as bigint;
    expect(kept).to.be.closeTo(USDC(30_000), USDC(10));
    await confirmTheIncident(container);
    const tick = await container.claimsCycle().run();
    const claim = await s.fund.getClaim(BigInt(tick.filed[0]!.claimId!));
    const expected = (bad * kept) / supplyAtEnd; // the haircut on the 30k that stayed exposed
    expect(claim.amount).to.be.closeTo(expected, expected / 100n);
    expect(claim.amount).to.be.lt(USDC(30_000));
  });

  it("a withdrawal wave of solvent suppliers: no drain, no claim; confirmed by hand anyway, the 0 is held with a critical alert until `keeper claim file` sets the amount", async () => {
    const w = await loadFixture(aaveWorld);
    const { s, m, whale } = w;
    const { container, cli, alerts } = await covered(w);
    await m.withdraw(whale, "USDC", USDC(400_000));
    await m.withdraw(whale, "USDC", USDC(300_000));
    const wave = await container.claimsCycle().run();
    expect(wave.newIncidents).to.deep.equal([]);
    expect(wave.filed).to.deep.equal([]);
    expect(await s.fund.claimCount()).to.equal(0n);

    // A mistaken report confirms an incident: the measure finds no loss; no claim at the configured size.
    const occurredAt = (await time.latest()) - 600;
    expect(await cli("incident", "add", "--protocol", "aave-v3", "--at", String(occurredAt), "--note", "rumour")).to.match(/\(confirmed\)/);
    await time.increase(2 * 3600); // the fallback drain window (1 h) has ended
    const held = await container.claimsCycle().run();
    expect(held.filed).to.deep.equal([]);
    expect(held.unfileable).to.have.length(1);
    const positionId = container.config.positions.length > 0 ? /position (\S+):/.exec(held.unfileable[0]!.reason)?.[1] : undefined;
    expect(held.unfileable[0]!.reason).to.match(/pooled-lending measure finds no loss while the protocol was drained/);
    expect(held.unfileable[0]!.reason).to.match(/keeper claim file --incident \d+ --position aave-v3:aave-v3:/);
    const critical = alerts().filter((a) => a.title.startsWith("claim cannot be filed"));
    expect(critical.map((a) => a.severity)).to.deep.equal(["critical"]);
    expect(critical[0]!.message).to.include(positionId!);
    expect(await s.fund.claimCount()).to.equal(0n);

    // The operator sets 5,000 USDC: filed, and the pack records who set it.
    const incidentId = container.state().incidents.list()[0]!.id;
    const out = await cli("claim", "file", "--incident", String(incidentId), "--position", positionId!, "--amount", "5000", "--note", "assessor's figure");
    expect(out).to.match(/claim amount set: .* 5000000000 asset units/);
    expect(out).to.match(/filed 1/);
    const claim = await s.fund.getClaim(1n);
    expect(claim.amount).to.equal(USDC(5_000));
    const pack = JSON.parse(await fs.readFile(container.state().incidents.list()[0]!.evidencePath!, "utf8")) as { claims: { loss: Record<string, unknown> }[] };
    expect(pack.claims[0]!.loss).to.deep.include({ method: "operator", amount: USDC(5_000).toString(), positionId, note: "assessor's figure" });
    expect(String(pack.claims[0]!.loss["setBy"])).to.match(/^operator via CLI \(keeper signer 0x/);
    expect(String(pack.claims[0]!.loss["heldBecause"])).to.match(/finds no loss/);
  });

  it("`keeper claim file` refuses an unknown incident or position and a non-amount, naming the fix", async () => {
    const w = await loadFixture(aaveWorld);
    const { cli } = await keeper(w);
    const error = (args: string[]) => cli(...args).then(() => undefined, (err: Error) => err.message);
    expect(await error(["claim", "file", "--incident", "99", "--position", "x", "--amount", "1"])).to.match(/--incident: 99 not found/);
    expect(await cli("incident", "add", "--protocol", "aave-v3", "--note", "x")).to.match(/recorded/);
    const message = await error(["claim", "file", "--incident", "1", "--position", "nope", "--amount", "ten"]);
    expect(message).to.match(/--position: "nope" is not a position of aave-v3 — use one of aave-v3:aave-v3:/);
    expect(message).to.match(/--amount: "ten" is not an amount/);
  });

  it("interest accrual: the keeper's reported value of the position equals aToken.balanceOf, and no drain is seen", async () => {
    const w = await loadFixture(aaveWorld);
    const { m, holder } = w;
    const { container } = await covered(w);
    await time.increase(365 * 86_400);
    await mine();
    const tick = await container.claimsCycle().run();
    expect(tick.newIncidents).to.deep.equal([]);
    const block = await ethers.provider.getBlockNumber();
    const [read] = container.config.positions.map((_, i) => i);
    expect(read).to.equal(0);
    const reading = await container.positionReader().readAt({ id: "p", spec: { kind: "aave-v3", aToken: await m.reserves.USDC.aToken.getAddress(), holder: await holder.getAddress() } }, block);
    const balance = (await m.reserves.USDC.aToken.getFunction("balanceOf")(await holder.getAddress(), { blockTag: block })) as bigint;
    expect(reading.value).to.equal(balance);
    expect(balance).to.be.gt(USDC(100_000));
  });
});
