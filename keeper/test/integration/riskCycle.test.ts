/**
 * Risk cycles end to end on the in-process Hardhat network, reached over HTTP through a counting
 * JSON-RPC proxy, with the fixture source and with DefiLlama behind the loopback server.
 */
import { loadFixture, setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Wallet } from "ethers";
import { ethers, network } from "hardhat";

import { deployFund } from "../../../test/helpers/fundFixture";
import { buildContainer, type KeeperContainer } from "../../src/cli/container";
import { standbyLoops } from "../../src/cli/daemon";
import { DEFAULT_FIXTURE_DIR, embeddedDefaultConfig, parseConfig } from "../../src/config";
import type { ConfigFile } from "../../src/config/schema";
import { RiskPusher } from "../../src/execution/riskPusher";
import { defiLlamaRoutes, generatePortfolio } from "../helpers/defiLlamaPortfolio";
import { startLoopbackServer, type LoopbackServer } from "../helpers/loopbackServer";
import { startRpcProxy, type RpcProxy } from "../helpers/rpcProxy";
import { recordingLogger, type RecordingLogger } from "../sources/testDeps";

const DAY = 86_400;
const KEEPER_KEY = ethers.id("keeper integration test key");

async function deployWithKeeper() {
  const f = await deployFund();
  const keeper = new Wallet(KEEPER_KEY);
  await setBalance(keeper.address, ethers.parseEther("100"));
  await f.fund.connect(f.admin).grantRole(await f.fund.RISK_ORACLE_ROLE(), keeper.address);
  return { ...f, fundAddress: await f.fund.getAddress(), lensAddress: await f.lens.getAddress() };
}

/** A fixture snapshot of the protocol "drop": three years old, no exploits, the given TVL and audit score. */
function dropSnapshot(now: number, tvlUsd: number, auditScore: number) {
  return { protocol: "drop", tvlUsd, auditScore, deployedAt: now - 3 * 365 * DAY, exploits: [], teamReputation: 80, githubActivity: 60, tokenPriceStability: 0.999 };
}

describe("keeper risk cycle (integration)", function () {
  let proxy: RpcProxy;
  const opened: KeeperContainer[] = [];
  /** The deployment of the current test (loadFixture reverts to a fresh one per call). */
  let deployed: Awaited<ReturnType<typeof deployWithKeeper>>;
  const servers: LoopbackServer[] = [];

  before(async () => {
    proxy = await startRpcProxy(network.provider);
  });
  after(async () => {
    await proxy.close();
  });
  afterEach(async () => {
    for (const c of opened.splice(0)) c.close();
    for (const s of servers.splice(0)) await s.close();
  });

  async function keeper(
    file: Pick<ConfigFile, "protocols" | "sources"> & Partial<ConfigFile>,
    options: { signer?: boolean } = {},
  ): Promise<{ container: KeeperContainer; logger: RecordingLogger }> {
    const f = (deployed = await loadFixture(deployWithKeeper));
    const config = parseConfig(
      { ...file, chain: { rpcUrl: proxy.url, chainId: 31337, fundAddress: f.fundAddress, lensAddress: f.lensAddress } },
      { env: options.signer === false ? {} : { KEEPER_PRIVATE_KEY: KEEPER_KEY } },
    );
    const logger = recordingLogger();
    const container = await buildContainer(config, logger);
    opened.push(container);
    return { container, logger };
  }

  /** A keeper of the one fixture protocol "drop" (fixtures in `dir`), alerting to a loopback webhook. */
  async function dropKeeper(address: string, dir: string): Promise<{ container: KeeperContainer; hook: LoopbackServer }> {
    const hook = await startLoopbackServer({ "/hook/secret": { json: { ok: true } } });
    servers.push(hook);
    const { container } = await keeper({
      protocols: [{ id: "drop", name: "Drop", address }],
      sources: { fixture: { path: dir } },
      alerts: { webhookUrl: `${hook.baseUrl}/hook/secret` },
    });
    return { container, hook };
  }

  /** Runs the cycle once a chain day until a run steps nothing; every run lands. Returns the days. */
  async function stepDaily(cycle: ReturnType<KeeperContainer["riskCycle"]>, beforeRun: () => Promise<void> = async () => undefined): Promise<number> {
    let days = 0;
    for (;;) {
      await time.increase(DAY);
      days += 1;
      await beforeRun();
      const summary = await cycle.run();
      expect(summary.failures, `day ${days}`).to.deep.equal([]);
      if (!summary.pushes.some((p) => p.stepped)) return days;
      expect(days).to.be.below(12);
    }
  }

  async function onChainComponents(address: string) {
    const r = await deployed.fund.getProtocolRisk(address);
    return {
      tvl: Number(r.tvlStability),
      audit: Number(r.auditQuality),
      time: Number(r.timeSinceDeployment),
      exploit: Number(r.exploitHistory),
      team: Number(r.teamReputation),
      lastUpdated: Number(r.lastUpdated),
    };
  }

  describe("with the fixture source", () => {
    const portfolio = embeddedDefaultConfig();

    it("pushes every protocol in one transaction, first scores clamped to 90 minus one day's allowance, steps daily to the assessment, then nothing, reading the chain twice per cycle", async () => {
      const { container, logger } = await keeper({ protocols: portfolio.protocols, sources: { fixture: { path: DEFAULT_FIXTURE_DIR } } });
      const cycle = container.riskCycle();

      const first = await cycle.run();
      expect(first.planned).to.equal(portfolio.protocols.length);
      expect(first.transactions).to.have.length(1);
      expect(first.transactions[0]?.items).to.equal(portfolio.protocols.length);
      expect(first.failures).to.deep.equal([]);
      const keys = ["tvl", "audit", "time", "exploit", "team"] as const;
      for (const push of first.pushes) {
        const { lastUpdated, ...components } = await onChainComponents(push.address);
        // The fund bounds a first score as if it came from 90 one day ago (10/day): nothing below 80.
        const clamped = Object.fromEntries(keys.map((k) => [k, Math.max(push.target[k], 80)]));
        expect(components, push.protocol).to.deep.equal(clamped);
        expect(push.stepped, push.protocol).to.equal(keys.some((k) => push.target[k] < 80));
        expect(lastUpdated).to.be.greaterThan(0);
      }
      const stepping = logger.entries.filter((e) => /^score \(assessed\) \d+, pushing \d+ on-chain: the fund lowers a score by at most 10\/day/.test(e.msg ?? ""));
      expect(stepping).to.have.length(first.pushes.filter((p) => p.stepped).length);
      expect(stepping.length).to.be.greaterThan(0);

      // Later ticks step on, one allowance a day, never a reverting write.
      const days = await stepDaily(cycle);
      expect(days).to.be.within(2, 9);

      proxy.reset();
      const second = await cycle.run();
      expect(second.planned).to.equal(0);
      expect(second.transactions).to.deep.equal([]);
      expect(second.skipped["up-to-date"]).to.equal(portfolio.protocols.length);
      // latest block (chain time) + one FundLens call; parameters() was cached by the first cycle.
      expect(proxy.counts()).to.deep.equal({ eth_getBlockByNumber: 1, eth_call: 1 });
    });

    it("signs pushes only through the container's TxSender: journaled with the pushed values, assessments stored; a pusher without one refuses", async () => {
      const { container } = await keeper({ protocols: portfolio.protocols, sources: { fixture: { path: DEFAULT_FIXTURE_DIR } } });
      const summary = await container.riskCycle().run();
      expect(summary.transactions).to.have.length(1);
      const journal = container.state().journal.list({ kind: "risk-push", state: "confirmed" });
      expect(journal.map((e) => e.txHash)).to.deep.equal([summary.transactions[0]?.hash]);
      const detail = (journal[0]?.payload as { detail: { at: number; values: { protocol: string; tvl: number }[] } }).detail;
      expect(detail.at).to.equal(summary.now);
      expect(detail.values.map((v) => v.protocol)).to.deep.equal(summary.pushes.map((p) => p.address));
      for (const p of portfolio.protocols) expect(container.state().assessments.latest(p.id)?.assessedAt, p.id).to.equal(summary.now);

      const first = portfolio.protocols[0];
      if (first === undefined || container.fund === undefined) throw new Error("setup");
      const values = { tvl: 50, audit: 50, time: 50, exploit: 50, team: 50 };
      const lone = new RiskPusher(container.fund, recordingLogger());
      const dry = await lone.push([[{ protocol: first.address, values, target: values, current: values, isNew: false, stepped: false, reasons: ["risk-rose"] }]], { dryRun: true });
      expect(dry.itemsPlanned).to.equal(1);
      let error: Error | undefined;
      await lone
        .push([[{ protocol: first.address, values, target: values, current: values, isNew: false, stepped: false, reasons: ["risk-rose"] }]])
        .catch((err: Error) => (error = err));
      expect(error?.message).to.match(/no TxSender — risk pushes are signed only through the keeper's TxSender/);
    });

    it("dry run plans the pushes and sends nothing (no key needed)", async () => {
      const { container, logger } = await keeper(
        { protocols: portfolio.protocols, sources: { fixture: { path: DEFAULT_FIXTURE_DIR } } },
        { signer: false },
      );
      proxy.reset();
      const summary = await container.riskCycle({ dryRun: true }).run({ dryRun: true });
      expect(summary.dryRun).to.equal(true);
      expect(summary.planned).to.equal(portfolio.protocols.length);
      expect(summary.transactions).to.deep.equal([]);
      expect(proxy.counts()["eth_sendRawTransaction"]).to.equal(undefined);
      expect(logger.entries.some((e) => e.msg === "dry run: would send updateProtocolRisks")).to.equal(true);
      const first = portfolio.protocols[0];
      if (first === undefined) throw new Error("empty default portfolio");
      expect((await onChainComponents(first.address)).lastUpdated).to.equal(0);
    });

    it("a standby's read-only scoring scores every protocol but pushes, alerts and stores nothing; the leader's cycle after it does", async () => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), "keeper-standby-"));
      const now = await time.latest();
      const snapshot = (auditScore: number) => dropSnapshot(now, 5_000_000, auditScore);
      await fs.writeFile(path.join(dir, "drop.json"), JSON.stringify(snapshot(95)));
      const address = "0x00000000000000000000000000000000000d130b";
      const { container, hook } = await dropKeeper(address, dir);
      const db = container.state().db;
      const rows = (): Record<string, number> =>
        Object.fromEntries(["assessments", "action_journal", "alert_outbox", "alert_log", "kv"].map((t) => [t, Number((db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n)]));
      // The old leader scored and pushed once; then the audit collapses (a move that alerts).
      const first = await container.riskCycle().run();
      expect(first.transactions).to.have.length(1);
      const pushed = await onChainComponents(address);
      await fs.writeFile(path.join(dir, "drop.json"), JSON.stringify(snapshot(0)));
      await time.increase(DAY);
      const before = rows();
      proxy.reset();
      const standby = await standbyLoops(container).risk?.();
      expect(standby?.scores?.["drop"]).to.be.a("number");
      expect(standby?.scores?.["drop"]).to.be.above(first.scores["drop"] ?? 100); // the standby sees the rise live
      expect(standby?.line).to.match(/^standby risk chain=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ .* scores=drop=\d+ would-push=1 .*read-only$/);
      expect(standby?.actions).to.deep.equal([]);
      expect(proxy.counts()["eth_sendRawTransaction"]).to.equal(undefined);
      expect(await onChainComponents(address)).to.deep.equal(pushed);
      expect(rows()).to.deep.equal(before); // no assessment, journal entry or alert stored
      expect(hook.requestCount("/hook/secret")).to.equal(0);
      // Leading, the signing cycle (a separate, recording instance) pushes, stores and alerts.
      const led = await container.riskCycle().run();
      expect(led.transactions).to.have.length(1);
      expect(led.alerts).to.equal(1);
      expect(rows()["assessments"]).to.be.above(before["assessments"] ?? 0);
    });

    it("steps a risk drop within the fund's daily limit over several days and alerts on the move", async () => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), "keeper-drop-"));
      const file = path.join(dir, "drop.json");
      const now = await time.latest();
      const snapshot = (tvlUsd: number, auditScore: number) => dropSnapshot(now, tvlUsd, auditScore);
      await fs.writeFile(file, JSON.stringify(snapshot(5_000_000, 0)));
      const address = "0x00000000000000000000000000000000000d120b";
      const { container, hook } = await dropKeeper(address, dir);
      const cycle = container.riskCycle();

      const first = await cycle.run();
      expect(first.transactions).to.have.length(1);
      const before = await onChainComponents(address);
      expect(before.tvl).to.equal(80);
      expect(before.audit).to.equal(95);

      await fs.writeFile(file, JSON.stringify(snapshot(20_000_000_000, 95)));
      let days = 0;
      let previous = before;
      let alerted = 0;
      for (;;) {
        await time.increase(DAY);
        days += 1;
        const summary = await cycle.run();
        alerted += summary.alerts;
        expect(summary.failures, `day ${days}`).to.deep.equal([]);
        const now = await onChainComponents(address);
        expect(previous.tvl - now.tvl, `tvl step on day ${days}`).to.be.at.most(summary.maxDecreasePerDay);
        expect(previous.audit - now.audit, `audit step on day ${days}`).to.be.at.most(summary.maxDecreasePerDay);
        previous = now;
        const push = summary.pushes[0];
        if (push === undefined || !push.stepped) break;
        expect(days).to.be.below(20);
      }
      // audit 95 -> 10 at 10 points/day takes ceil(85 / 10) = 9 days.
      expect(days).to.equal(9);
      expect(previous.audit).to.equal(10);
      expect(previous.tvl).to.equal(38);
      expect(alerted).to.equal(1);
      expect(hook.requestCount("/hook/secret")).to.equal(1);
    });

    it("reports a reverting chunk with the decoded custom error and sends nothing for it", async () => {
      const { container } = await keeper({ protocols: portfolio.protocols, sources: { fixture: { path: DEFAULT_FIXTURE_DIR } } });
      const protocol = portfolio.protocols[0];
      if (protocol === undefined || container.fund === undefined) throw new Error("setup");
      await container.riskCycle().run();
      const onChain = await onChainComponents(protocol.address);
      const { lastUpdated: _ignored, ...current } = onChain;
      const tooLow = { ...current, tvl: 0, audit: current.audit };
      const logger = recordingLogger();
      const result = await new RiskPusher(container.fund, logger, { txSender: container.txSender() }).push([
        [{ protocol: protocol.address, values: tooLow, target: tooLow, current, isNew: false, stepped: false, reasons: ["risk-fell"] }],
      ]);
      expect(result.transactions).to.deep.equal([]);
      expect(result.failures).to.have.length(1);
      expect(result.failures[0]?.stage).to.equal("simulate");
      expect(result.failures[0]?.error).to.match(/^FundRiskDecreaseTooFast\(protocol=0x[0-9a-fA-F]{40}, current=\d+, requested=0, allowedDecrease=\d+\)$/);
    });
  });

  describe("with DefiLlama behind the loopback server", () => {
    let chainTime = 0;

    async function llamaKeeper(count: number, prefix: string) {
      chainTime = await time.latest();
      const portfolio = generatePortfolio(count, prefix);
      const server = await startLoopbackServer(defiLlamaRoutes(portfolio, () => chainTime));
      servers.push(server);
      const { container, logger } = await keeper({
        protocols: portfolio.protocols,
        sources: {
          operator: portfolio.operator,
          defiLlama: {
            apiBaseUrl: server.baseUrl,
            stablecoinsBaseUrl: server.baseUrl,
            listTtlSeconds: 0,
            detailTtlSeconds: 0,
            http: { maxAttempts: 1, timeoutMs: 2_000 },
          },
        },
      });
      return { container, logger, portfolio, server };
    }

    it("reads the chain the same number of times for 5 and for 40 protocols", async () => {
      const readsFor = async (count: number): Promise<number> => {
        const { container } = await llamaKeeper(count, `n${count}`);
        proxy.reset();
        const summary = await container.riskCycle({ dryRun: true }).run({ dryRun: true });
        expect(summary.planned).to.equal(count);
        expect(summary.degraded).to.equal(0);
        return proxy.reads();
      };
      const small = await readsFor(5);
      const large = await readsFor(40);
      expect(small).to.equal(3); // latest block, FundLens, parameters (first cycle of the process)
      expect(large).to.equal(small);
    });

    it("outage policy: malformed API data never moves the chain; the last good TVL is kept and an alert is sent", async () => {
      const { container, logger, portfolio, server } = await llamaKeeper(3, "bad");
      const cycle = container.riskCycle();
      const first = await cycle.run();
      expect(first.transactions).to.have.length(1);
      // First scores start at 80 at most (the fund's bound from 90): step down to the good data.
      await stepDaily(cycle, async () => {
        chainTime = await time.latest();
      });
      const target = portfolio.protocols[0];
      if (target === undefined) throw new Error("setup");
      expect((await onChainComponents(target.address)).tvl).to.be.below(40);

      server.route("/protocols", { body: "{ not json" });
      server.route("/protocol/*", { json: { tvl: "not an array" } });
      await time.increase(DAY);
      chainTime = await time.latest();
      const second = await cycle.run();
      expect(second.failures).to.deep.equal([]);
      expect(second.degraded).to.equal(3);
      // The assessments want TVL 80 (the missing-data default); the chain keeps the last good value.
      expect(second.heldRises).to.equal(3);
      expect(second.transactions).to.deep.equal([]);
      for (const protocol of portfolio.protocols) {
        const onChain = await onChainComponents(protocol.address);
        expect(onChain.tvl, protocol.id).to.be.below(40);
      }
      const warned = logger.entries.filter((e) => e.msg === "assessment used high-risk defaults for missing or invalid metrics");
      expect(warned).to.have.length(3);
      expect(JSON.stringify(warned[0]?.obj)).to.contain("tvlUsd");
      const held = logger.entries.filter((e) => e.msg === "alert: " + `Protocol bad 0: risk rise held back (data degraded, confidence 40)`);
      expect(held, JSON.stringify(logger.entries.filter((e) => e.msg?.startsWith("alert:")).map((e) => e.msg))).to.have.length(1);
      // The next cycle of the same outage does not alert again.
      await time.increase(3600);
      chainTime = await time.latest();
      const third = await cycle.run();
      expect(third.heldRises).to.equal(3);
      expect(logger.entries.filter((e) => e.msg?.includes("risk rise held back (data degraded")).length).to.equal(3);
      // The assessment's move comes from defaults: no "risk rose" alert either.
      expect(logger.entries.filter((e) => / risk rose /.test(e.msg ?? ""))).to.deep.equal([]);
    });
  });
});
