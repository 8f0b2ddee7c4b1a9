/**
 * Leading signals of the exploit watch on real event shapes: OpenZeppelin's own proxies
 * (ERC1967Proxy, TransparentUpgradeableProxy + its ProxyAdmin, UpgradeableBeacon + BeaconProxy,
 * deployed from the installed @openzeppelin/contracts build artifacts), a contract made of
 * OpenZeppelin's Ownable + AccessControl + Pausable, and a Chainlink-style USDC/USD feed. The
 * keeper reads them in its incident-watch tick over HTTP (one eth_getLogs + the multicall).
 */
import { mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import type { BaseContract } from "ethers";
import path from "node:path";
import { ethers } from "hardhat";

import { PROTOCOLS } from "../../../test/helpers/fundFixture";
import { buildContainer } from "../../src/cli/container";
import { installLocalMulticall3 } from "../../src/cli/localMulticall";
import { FUND_INCIDENT_ABI } from "../../src/cycles/exploitWatch";
import { parseConfig } from "../../src/config";
import { standbyLoops } from "../../src/cli/daemon";
import type { ConfigFile } from "../../src/config/schema";
import { confirmsAlone, independentlyCorroborated, type IncidentSignal } from "../../src/policy/incidentSignals";
import { deployKeeperSystem, fixtureCopy, KEEPER_KEY, keeperConfigFile } from "../helpers/keeperSystem";
import { keeperHarness } from "../helpers/keeperHarness";
import { recordingLogger, type RecordingLogger } from "../sources/testDeps";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ozArtifact = (name: string): { abi: unknown[]; bytecode: string } => require(`@openzeppelin/contracts/build/contracts/${name}.json`);
/** OpenZeppelin 5.x proxies refuse an empty initializer (ERC1967ProxyUninitialized): a harmless view call instead. */
const INIT = "0x" + ethers.id("UPGRADER_ROLE()").slice(2, 10);
const ERC1967_ADMIN_SLOT = "0xb53127684a568b3173ae13b9f8a6016e243e63b6e8ee1178d6a717850b5d6103";

async function deployOz(name: string, ...args: unknown[]): Promise<BaseContract & { getAddress(): Promise<string> }> {
  const a = ozArtifact(name);
  const [owner] = await ethers.getSigners();
  const factory = new ethers.ContractFactory(a.abi as never, a.bytecode, owner);
  const c = await factory.deploy(...args);
  await c.waitForDeployment();
  return c as never;
}

describe("leading signals: admin events and the peg feed halt sales before the drain (integration)", function () {
  this.timeout(120_000);
  const h = keeperHarness();

  async function system() {
    const s = await deployKeeperSystem();
    await installLocalMulticall3(ethers.provider);
    const [owner] = await ethers.getSigners();
    const Target = await ethers.getContractFactory("MockAdminTarget");
    const impl1 = await Target.deploy(owner!.address);
    const impl2 = await Target.deploy(owner!.address);
    const target = await Target.deploy(owner!.address);
    const transparent = await deployOz("TransparentUpgradeableProxy", await impl1.getAddress(), owner!.address, INIT);
    const adminSlot = await ethers.provider.getStorage(await transparent.getAddress(), ERC1967_ADMIN_SLOT);
    const proxyAdmin = new ethers.Contract(`0x${adminSlot.slice(26)}`, ozArtifact("ProxyAdmin").abi as never, owner);
    const feed = await (await ethers.getContractFactory("MockChainlinkAggregator")).deploy(8, "USDC / USD", 100_000_000n);
    return { s, owner: owner!, impl1, impl2, target, transparent, proxyAdmin, feed };
  }
  type System = Awaited<ReturnType<typeof system>>;

  async function keeper(sys: System, watch: (sys: System) => Promise<NonNullable<ConfigFile["protocols"]>[number]["watch"]>, options: { dbPath?: string } = {}) {
    const workDir = await h.tempDir("keeper-leading-");
    const fixtureDir = h.removeAfter(await fixtureCopy());
    const base = keeperConfigFile(sys.s, { rpcUrl: h.proxy.url, fixtureDir, workDir, ...(options.dbPath !== undefined ? { dbPath: options.dbPath } : {}) });
    const file: ConfigFile = { ...base, protocols: [{ id: "aave-v3", name: "Aave V3", address: PROTOCOLS.aave, stablecoin: "USDC", watch: await watch(sys) }] };
    const logger: RecordingLogger = recordingLogger();
    const container = await buildContainer(parseConfig(file, { env: { KEEPER_PRIVATE_KEY: KEEPER_KEY } }), logger);
    h.track(container);
    return { container, logger };
  }

  const incidentActive = async (fundAddress: string) =>
    ((await new ethers.Contract(fundAddress, FUND_INCIDENT_ABI, ethers.provider).getFunction("getIncident")(PROTOCOLS.aave)) as { active: boolean }).active;
  const eventsOf = (signals: readonly IncidentSignal[]) => signals.map((x) => x.leading?.event).sort();

  it("every OpenZeppelin admin event shape is read in ONE eth_getLogs: Upgraded, AdminChanged, BeaconUpgraded, OwnershipTransferred, RoleGranted of an admin role, Paused — a non-admin role grant is not a signal", async () => {
    const sys = await system();
    const { owner, impl1, target } = sys;
    // In the first tick's look-back window: constructor events of a fresh ERC1967Proxy, an
    // UpgradeableBeacon and a BeaconProxy, then a role grant of each kind and a pause.
    const erc1967 = await deployOz("ERC1967Proxy", await impl1.getAddress(), INIT);
    const beacon = await deployOz("UpgradeableBeacon", await impl1.getAddress(), owner.address);
    const beaconProxy = await deployOz("BeaconProxy", await beacon.getAddress(), "0x");
    const upgrader = ethers.Wallet.createRandom().address;
    await (await target.grantRole(await target.UPGRADER_ROLE(), upgrader)).wait();
    await (await target.grantRole(ethers.id("MINTER_ROLE"), ethers.Wallet.createRandom().address)).wait();
    await (await target.pause()).wait();
    const { container } = await keeper(sys, async () => ({
      adminContracts: [
        { address: await sys.transparent.getAddress(), label: "pool proxy" },
        { address: await erc1967.getAddress() },
        { address: await beacon.getAddress() },
        { address: await beaconProxy.getAddress() },
        { address: await target.getAddress(), label: "pool configurator", adminRoles: [await target.UPGRADER_ROLE()] },
      ],
    }));
    h.proxy.reset();
    const tick = await container.exploitWatch().tick();
    expect(h.proxy.counts()["eth_getLogs"] ?? 0).to.equal(1);
    expect(tick.logCalls).to.equal(1);
    expect(tick.rpcCalls).to.equal(1);
    // Transparent proxy: AdminChanged + Upgraded; ERC1967Proxy: Upgraded; beacon: OwnershipTransferred +
    // Upgraded; BeaconProxy: BeaconUpgraded; target: OwnershipTransferred, RoleGranted (default admin,
    // then the configured UPGRADER_ROLE), Paused. The MINTER_ROLE grant is left out.
    expect(eventsOf(tick.signals)).to.deep.equal(
      ["AdminChanged", "BeaconUpgraded", "OwnershipTransferred", "OwnershipTransferred", "Paused", "RoleGranted", "RoleGranted", "Upgraded", "Upgraded", "Upgraded"].sort(),
    );
    const grants = tick.signals.filter((x) => x.leading?.event === "RoleGranted");
    expect(grants.map((g) => g.description).join(" ")).to.contain(upgrader).and.not.contain(ethers.id("MINTER_ROLE"));
    expect(tick.signals.every((x) => x.kind === "admin-event" && !confirmsAlone(x))).to.equal(true);
    expect(independentlyCorroborated(tick.signals)).to.equal(false);
    // One protocol, one alert, one halt.
    expect(tick.alerts).to.equal(1);
    expect(tick.reports.map((r) => r.status)).to.deep.equal(["confirmed"]);
  });

  it("an unannounced upgrade through the ProxyAdmin halts sales in the next tick: suspected incident, critical alert, reportIncident mined — and no claim, ever, on that alone", async () => {
    const sys = await system();
    const { s, impl2, transparent, proxyAdmin } = sys;
    await mine(60); // the deployment is older than the first tick's look-back
    const { container, logger } = await keeper(sys, async () => ({ adminContracts: [{ address: await transparent.getAddress(), label: "pool proxy" }, { address: await proxyAdmin.getAddress(), label: "proxy admin" }] }));
    const claims = container.claimsCycle();
    const baseline = await claims.run();
    expect(baseline.watch?.signals).to.have.length(0);
    expect(await incidentActive(s.fundAddress)).to.equal(false);

    await (await proxyAdmin.getFunction("upgradeAndCall")(await transparent.getAddress(), await impl2.getAddress(), "0x")).wait();
    const tick = await claims.run();
    expect(eventsOf(tick.watch?.signals ?? [])).to.deep.equal(["Upgraded"]);
    expect(tick.watch?.signals[0]?.description).to.contain(await impl2.getAddress());
    expect(tick.watch?.reports.map((r) => r.status)).to.deep.equal(["confirmed"]);
    expect(await incidentActive(s.fundAddress)).to.equal(true);
    expect(logger.entries.some((e) => e.msg === "alert: leading signal (admin event): Aave V3")).to.equal(true);
    expect(container.state().incidents.list().map((i) => [i.kind, i.state])).to.deep.equal([["admin-event", "suspected"]]);
    expect(tick.filed).to.have.length(0);

    // Ownership of the ProxyAdmin moves too: a second signal joins the same suspected incident.
    await (await proxyAdmin.getFunction("transferOwnership")(ethers.Wallet.createRandom().address)).wait();
    const next = await claims.run();
    expect(eventsOf(next.watch?.signals ?? [])).to.deep.equal(["OwnershipTransferred"]);
    expect(container.state().incidents.list().map((i) => i.state)).to.deep.equal(["suspected"]);
    expect(next.filed).to.have.length(0);
    expect(container.state().claims.list()).to.have.length(0);
  });

  it("a standby's read-only watch sees an unannounced upgrade but neither alerts, halts nor stores; once it leads, the watch re-reads the shared state and halts", async () => {
    const sys = await system();
    const { s, impl2, transparent, proxyAdmin } = sys;
    await mine(60);
    const { container, logger } = await keeper(sys, async () => ({ adminContracts: [{ address: await transparent.getAddress(), label: "pool proxy" }, { address: await proxyAdmin.getAddress(), label: "proxy admin" }] }));
    const db = container.state().db;
    const rows = (): string => JSON.stringify(["kv", "action_journal", "alert_outbox", "incidents"].map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY 1`).all()));
    await (await proxyAdmin.getFunction("upgradeAndCall")(await transparent.getAddress(), await impl2.getAddress(), "0x")).wait();
    const before = rows();
    h.proxy.reset();
    const loops = standbyLoops(container);
    const first = await loops.incident?.();
    const second = await loops.incident?.();
    expect(first?.line).to.match(/^standby watch block=\d+ reads=\d+ signals=1 read-only$/); // it sees the upgrade
    expect(second?.line).to.match(/ signals=1 read-only$/); // stored nothing, so it sees it again
    expect(h.proxy.counts()["eth_sendRawTransaction"]).to.equal(undefined);
    expect(await incidentActive(s.fundAddress)).to.equal(false);
    expect(logger.entries.some((e) => e.msg === "alert: leading signal (admin event): Aave V3")).to.equal(false);
    expect(rows()).to.equal(before);

    container.exploitWatch().reload(); // what the daemon does when this process starts to lead
    const led = await container.claimsCycle().run();
    expect(eventsOf(led.watch?.signals ?? [])).to.deep.equal(["Upgraded"]);
    expect(led.watch?.reports.map((r) => r.status)).to.deep.equal(["confirmed"]);
    expect(await incidentActive(s.fundAddress)).to.equal(true);
    expect(logger.entries.some((e) => e.msg === "alert: leading signal (admin event): Aave V3")).to.equal(true);
  });

  it("an announced upgrade (allow-listed implementation, before its expiry) is no signal; after the expiry the same upgrade is one", async () => {
    const sys = await system();
    const { s, impl1, impl2, transparent, proxyAdmin } = sys;
    await mine(60);
    const now = await time.latest();
    const { container } = await keeper(sys, async () => ({
      adminContracts: [{ address: await transparent.getAddress() }],
      announced: [
        { account: await impl2.getAddress(), event: "Upgraded" as const, until: new Date((now + 86_400) * 1000).toISOString() },
        { account: await impl1.getAddress(), until: new Date((now + 3_600) * 1000).toISOString() },
      ],
    }));
    const watch = container.exploitWatch();
    await watch.tick();
    await (await proxyAdmin.getFunction("upgradeAndCall")(await transparent.getAddress(), await impl2.getAddress(), "0x")).wait();
    const announced = await watch.tick();
    expect(announced.signals).to.have.length(0);
    expect(await incidentActive(s.fundAddress)).to.equal(false);
    // Two hours later the announcement of impl1 has expired: rolling back to it is a signal.
    await time.increase(7_200);
    await (await proxyAdmin.getFunction("upgradeAndCall")(await transparent.getAddress(), await impl1.getAddress(), "0x")).wait();
    const expired = await watch.tick();
    expect(eventsOf(expired.signals)).to.deep.equal(["Upgraded"]);
    expect(await incidentActive(s.fundAddress)).to.equal(true);
  });

  it("an ownership transfer while the keeper was down for 300 blocks is read on the first tick back (the log cursor is in the state database), in one eth_getLogs", async () => {
    const sys = await system();
    const { s, target } = sys;
    await mine(60);
    const dbDir = await h.tempDir("keeper-leading-db-");
    const dbPath = path.join(dbDir, "state.sqlite");
    const watch = async () => ({ adminContracts: [{ address: await target.getAddress(), label: "pool configurator" }] });
    const first = await keeper(sys, watch, { dbPath });
    expect((await first.container.exploitWatch().tick()).signals).to.have.length(0);
    h.closeNow(first.container);
    await mine(150);
    const attacker = ethers.Wallet.createRandom().address;
    await (await target.transferOwnership(attacker)).wait();
    await mine(150);
    const { container } = await keeper(sys, watch, { dbPath });
    h.proxy.reset();
    const back = await container.exploitWatch().tick();
    expect(h.proxy.counts()["eth_getLogs"] ?? 0).to.equal(1);
    expect(eventsOf(back.signals)).to.deep.equal(["OwnershipTransferred"]);
    expect(back.signals[0]?.description).to.contain(attacker);
    expect(await incidentActive(s.fundAddress)).to.equal(true);
  });

  it("the USDC/USD feed: 1.5% off peg is no signal, 3% off is (halt, one signal for the whole depeg episode), back on peg then off again is a new one", async () => {
    const sys = await system();
    const { s, feed } = sys;
    const { container, logger } = await keeper(sys, async () => ({ pegOracle: { aggregator: await feed.getAddress(), label: "USDC/USD" } }));
    const watch = container.exploitWatch();
    h.proxy.reset();
    expect((await watch.tick()).signals).to.have.length(0);
    // The feed is read inside the one multicall of the tick.
    expect(h.proxy.counts()["eth_call"]).to.equal(1);
    const setAnswer = async (answer: bigint) => (await feed.setAnswer(answer, await time.latest())).wait();
    await setAnswer(98_500_000n);
    expect((await watch.tick()).signals).to.have.length(0);
    await setAnswer(97_000_000n);
    const depeg = await watch.tick();
    expect(depeg.signals.map((x) => [x.kind, x.leading?.event])).to.deep.equal([["oracle-deviation", "depeg"]]);
    expect(depeg.signals[0]?.description).to.contain("0.97").and.contain("3.00% off");
    expect(depeg.reports.map((r) => r.status)).to.deep.equal(["confirmed"]);
    expect(await incidentActive(s.fundAddress)).to.equal(true);
    expect(logger.entries.some((e) => e.msg === "alert: leading signal (price feed): Aave V3")).to.equal(true);
    // The next round of the same depeg is the same episode.
    await setAnswer(96_000_000n);
    expect((await watch.tick()).signals).to.have.length(0);
    await setAnswer(100_000_000n);
    expect((await watch.tick()).signals).to.have.length(0);
    await setAnswer(95_000_000n);
    const again = await watch.tick();
    expect(again.signals).to.have.length(1);
    expect(again.signals[0]?.sourceId).to.not.equal(depeg.signals[0]?.sourceId);
  });

  it("a feed silent past its heartbeat (86400 s + grace) is a stale-oracle signal; an unreadable feed is a data error, never a signal", async () => {
    const sys = await system();
    const { s, feed } = sys;
    const { container, logger } = await keeper(sys, async () => ({ pegOracle: { aggregator: await feed.getAddress(), heartbeatSec: 86_400 } }));
    const watch = container.exploitWatch();
    expect((await watch.tick()).signals).to.have.length(0);
    await time.increase(86_400 + 300); // within the grace (600 s)
    expect((await watch.tick()).signals).to.have.length(0);
    await time.increase(600);
    const stale = await watch.tick();
    expect(stale.signals.map((x) => x.leading?.event)).to.deep.equal(["stale"]);
    expect(await incidentActive(s.fundAddress)).to.equal(true);

    // A feed address with no aggregator behind it: logged, no signal.
    const { container: other, logger: otherLog } = await keeper(sys, async () => ({ pegOracle: { aggregator: ethers.Wallet.createRandom().address } }));
    expect((await other.exploitWatch().tick()).signals).to.have.length(0);
    expect(otherLog.entries.some((e) => (e.msg ?? "").startsWith("price feed unreadable"))).to.equal(true);
    expect(logger.entries.some((e) => (e.msg ?? "").startsWith("price feed unreadable"))).to.equal(false);
  });
});
