/**
 * The operator's second day (issue 22), end to end on the in-process chain with the full system
 * (fund, Nexus mocks behind the adapter as provider 1): a Nexus-hedged position bought on day one
 * through the quote API, then run on day two with a config that lost `providers.nexus.quoteBaseUrl`
 * and does not allow self-insurance:
 * - `keeper doctor` FAILS naming the position and the fix;
 * - the coverage status line, /healthz (degraded) and `keeper status` name the reason and the fix;
 * - a critical alert fires `coverage.lapseAlertDays` before the cover lapses — not earlier, and not
 *   again on the next tick;
 * - `keeper report` without a config against this chain (a deployment named by FUND_ADDRESS /
 *   LENS_ADDRESS) refuses instead of printing an empty portfolio.
 */
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { network } from "hardhat";

import { PROTOCOLS } from "../../../test/helpers/fundFixture";
import { buildContainer, type KeeperContainer } from "../../src/cli/container";
import { main } from "../../src/cli/cli";
import { containerLoops, KeeperDaemon } from "../../src/cli/daemon";
import { runDoctor } from "../../src/cli/commands/doctor";
import { parseConfig } from "../../src/config";
import type { ConfigFile } from "../../src/config/schema";
import { startHealthServer } from "../../src/server/health";
import { startLoopbackServer, type LoopbackServer } from "../helpers/loopbackServer";
import { deployKeeperSystem, fixtureCopy, KEEPER_KEY, keeperConfigFile, nexusQuoteRoutes, type KeeperSystem } from "../helpers/keeperSystem";
import { startRpcProxy, type RpcProxy } from "../helpers/rpcProxy";
import { recordingLogger } from "../sources/testDeps";

const DAY = 86_400;
const ENV_NAMES = ["KEEPER_CONFIG", "RPC_URL", "RPC_URLS", "CHAIN_ID", "FUND_ADDRESS", "LENS_ADDRESS", "KEEPER_DB_PATH", "KEEPER_PRIVATE_KEY", "LOG_LEVEL", "SIF_IGNITION_DIR"];

describe("the operator's second day: nothing lapses silently (e2e)", function () {
  this.timeout(120_000);
  let proxy: RpcProxy;
  let quotes: LoopbackServer;
  const dirs: string[] = [];
  const opened: KeeperContainer[] = [];
  let savedEnv: Record<string, string | undefined>;
  let cwd: string;

  before(async () => {
    proxy = await startRpcProxy(network.provider);
    quotes = await startLoopbackServer(nexusQuoteRoutes());
  });
  after(async () => {
    await proxy.close();
    await quotes.close();
  });
  beforeEach(() => {
    savedEnv = Object.fromEntries(ENV_NAMES.map((n) => [n, process.env[n]]));
    cwd = process.cwd();
  });
  afterEach(async () => {
    for (const c of opened.splice(0)) c.close();
    process.chdir(cwd);
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    process.exitCode = undefined;
    for (const d of dirs.splice(0)) await fs.rm(d, { recursive: true, force: true });
  });

  /** Nexus only (provider 1), no self-insurance; the quote API only when `quoteBaseUrl` is given. */
  function configFile(s: KeeperSystem, workDir: string, fixtureDir: string, quoteBaseUrl: string | undefined): ConfigFile {
    const file = keeperConfigFile(s, { rpcUrl: proxy.url, fixtureDir, workDir, dbPath: path.join(workDir, "state.sqlite"), ...(quoteBaseUrl !== undefined ? { quoteBaseUrl } : {}) });
    return {
      ...file,
      positions: (file.positions ?? []).map((p) => ({ ...p, providers: [1], allowSelfInsure: false })),
      alerts: { dedupMinutes: 0 },
    } as ConfigFile;
  }

  async function keeperOn(file: ConfigFile) {
    const config = parseConfig(file, { env: { KEEPER_PRIVATE_KEY: KEEPER_KEY } });
    const logger = recordingLogger();
    const container = await buildContainer(config, logger);
    opened.push(container);
    return { config, logger, container };
  }

  const alertsOf = (logger: ReturnType<typeof recordingLogger>) =>
    logger.entries.filter((e) => typeof e.msg === "string" && e.msg.startsWith("alert: ")).map((e) => ({ title: (e.msg as string).slice(7), ...e.obj }));

  it("a Nexus-hedged position without a quote source: doctor fails naming it, the status line, /healthz and status say why, and a critical alert fires before the cover lapses", async () => {
    const s = await loadFixture(deployKeeperSystem);
    const workDir = await fs.mkdtemp(path.join(os.tmpdir(), "keeper-day2-"));
    const fixtureDir = await fixtureCopy();
    dirs.push(workDir, fixtureDir);

    // Day one: the quote API is configured; the keeper buys the Nexus cover.
    const dayOne = await keeperOn(configFile(s, workDir, fixtureDir, `${quotes.baseUrl}/`));
    const bought = await dayOne.container.coverageCycle().run();
    expect(bought.actions.find((a) => a.kind === "purchase")).to.include({ status: "confirmed", providerId: 1 });
    expect(bought.held).to.deep.equal([]);
    const [coverId] = (await s.fund.getProtocolCoverages(PROTOCOLS.aave, 0, 10))[0];
    const cover = await s.fund.getCoverageDetails(coverId as bigint);
    const end = Number(cover.end);
    dayOne.container.close();

    // Day two: the quote URL is gone from the config.
    const file = configFile(s, workDir, fixtureDir, undefined);
    const day2 = await keeperOn(file);

    const checks = await runDoctor({ config: day2.config, logger: day2.logger, env: { KEEPER_PRIVATE_KEY: KEEPER_KEY }, allowFixture: true });
    const coverCheck = checks.find((c) => c.name === "cover aave-v3");
    expect(coverCheck?.status).to.equal("fail");
    expect(coverCheck?.detail).to.match(/positions\[0\] \(aave-v3, USDC\) can be bought by no provider — provider 1 \(Nexus\) has no quote source: providers\.nexus\.quoteBaseUrl is not set/);
    expect(coverCheck?.fix).to.match(/set providers\.nexus\.quoteBaseUrl/);

    // Ten days before the end: the renewal cannot be priced — named everywhere, no alert yet.
    await time.increaseTo(end - 10 * DAY);
    const lines: string[] = [];
    const daemon = new KeeperDaemon(day2.config, day2.container.state(), containerLoops(day2.container, false), day2.logger, {}, { out: (l) => lines.push(l) });
    const early = await daemon.runLoop("coverage");
    expect(early?.line, early?.line).to.match(/unfundable=1 .*cannot cover: aave-v3: no-quote-source — provider 1: (quote-)?error \(providers\.nexus\.quoteBaseUrl is not configured\); cover lapses \d{4}-\d\d-\d\d \d\d:\d\d UTC \(chain time, in (9|10) days/);
    expect(early?.degraded).to.match(/aave-v3: no-quote-source/);
    expect(alertsOf(day2.logger).filter((a) => a.title.startsWith("cover lapses"))).to.deep.equal([]);

    const health = await startHealthServer({ metrics: daemon.metrics, intervalsMs: daemon.loopIntervalsMs, port: 0 });
    try {
      const res = await fetch(`${health.url}/healthz`);
      const body = (await res.json()) as { status: string; degraded: Record<string, string> };
      expect(res.status).to.equal(503);
      expect(body.degraded["coverage"]).to.match(/1 coverage\(s\) cannot be bought or renewed: aave-v3: no-quote-source — provider 1: (quote-)?error \(providers\.nexus\.quoteBaseUrl is not configured\)/);
    } finally {
      await health.close();
    }

    // Six days before the end (within lapseAlertDays = 7): one critical alert, not repeated next tick.
    await time.increaseTo(end - 6 * DAY);
    await daemon.runLoop("coverage");
    await daemon.runLoop("coverage");
    const lapse = alertsOf(day2.logger).filter((a) => a.title.startsWith("cover lapses"));
    expect(lapse).to.have.length(1);
    expect(lapse[0]?.title).to.match(/^cover lapses in (6 days|5 days 23 h): aave-v3 \(no-quote-source\)$/);
    const message = String((lapse[0] as { alert?: { message?: string } }).alert?.message);
    expect(message).to.match(/set providers\.nexus\.quoteBaseUrl/);
    expect(message, message).to.not.match(/\b\d{10,}\b/); // the text a person reads: no unix seconds, no base units
    day2.container.close();

    // `keeper status` names the reason and the fix, and says what to do next.
    process.chdir(workDir);
    for (const name of ENV_NAMES) process.env[name] = "";
    process.env["LOG_LEVEL"] = "silent";
    const configPath = path.join(workDir, "keeper.config.json");
    await fs.writeFile(configPath, JSON.stringify(file, null, 2));
    process.env["KEEPER_CONFIG"] = configPath;
    const out: string[] = [];
    const code = await main(["--log-level", "silent", "status"], { out: (t) => out.push(t), err: () => undefined, stdoutIsTty: false });
    expect(code).to.equal(0);
    const text = out.join("\n");
    expect(text).to.match(/cover the keeper cannot buy or renew: \n {2}aave-v3: no-quote-source/);
    expect(text).to.match(/next:\n {2}- cover aave-v3: no-quote-source — set providers\.nexus\.quoteBaseUrl/);
  });

  it("`keeper report` without a config against a chain with a deployment refuses (exit 2) instead of printing an empty portfolio", async () => {
    const s = await loadFixture(deployKeeperSystem);
    const workDir = await fs.mkdtemp(path.join(os.tmpdir(), "keeper-day2-"));
    dirs.push(workDir);
    process.chdir(workDir);
    for (const name of ENV_NAMES) process.env[name] = "";
    Object.assign(process.env, { RPC_URL: proxy.url, FUND_ADDRESS: s.fundAddress, LENS_ADDRESS: s.lensAddress, LOG_LEVEL: "silent" });
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(["--log-level", "silent", "report"], { out: (t) => out.push(t), err: (t) => err.push(t), stdoutIsTty: false });
    expect(code).to.equal(2);
    expect(out.join("\n")).to.not.match(/Protocols: 0|Total coverage/);
    expect(err.join("\n")).to.match(/no keeper config for `keeper report` — looked at:/);
  });
});
