/**
 * The right config or none, and errors whose fixes work (issue 22), through the CLI's `main(argv)`
 * in-process: without a config file the keeper refuses and says where it looked; every command
 * names its config (first line on a terminal, `context` in JSON); `score` without a reachable RPC
 * scores with the chain sources off and says so once; `init`'s "set FUND_ADDRESS and
 * LENS_ADDRESS" advice works.
 */
import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { main } from "../../src/cli/cli";
import { initDeployment, renderInitConfig, type ChainFacts } from "../../src/cli/commands/init";
import { ConfigError, embeddedDefaultConfig, loadConfig, parseConfig } from "../../src/config";
import { parseJsonc } from "../../src/config/jsonc";

const ENV_NAMES = ["KEEPER_CONFIG", "RPC_URL", "RPC_URLS", "CHAIN_ID", "FUND_ADDRESS", "LENS_ADDRESS", "KEEPER_DB_PATH", "KEEPER_PRIVATE_KEY", "LOG_LEVEL", "SIF_IGNITION_DIR"];
const UNREACHABLE_RPC = "http://127.0.0.1:9";
const FUND = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const LENS = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";

describe("keeper CLI: the right config or none (main in-process)", function () {
  this.timeout(60_000);
  let dir: string;
  let cwd: string;
  let saved: Record<string, string | undefined>;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "sif-config-choice-"));
    cwd = process.cwd();
    saved = Object.fromEntries(ENV_NAMES.map((n) => [n, process.env[n]]));
    for (const name of ENV_NAMES) process.env[name] = "";
    process.env["LOG_LEVEL"] = "silent";
    process.chdir(dir);
    process.exitCode = undefined;
  });
  afterEach(() => {
    process.chdir(cwd);
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    process.exitCode = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(args: string[], options: { tty?: boolean } = {}): Promise<{ code: number; out: string[]; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(["--log-level", "silent", ...args], { out: (t) => out.push(t), err: (t) => err.push(t), stdoutIsTty: options.tty ?? false });
    process.exitCode = undefined;
    return { code, out, err: err.join("\n") };
  }

  function writeConfig(name: string, extra: Record<string, unknown> = {}): string {
    const file = path.join(dir, name);
    const base = embeddedDefaultConfig();
    writeFileSync(file, JSON.stringify({ ...base, chain: { rpcUrl: UNREACHABLE_RPC }, state: { dbPath: "keeper.sqlite" }, ...extra }, null, 2));
    return file;
  }

  for (const command of [["report"], ["status"], ["once", "--dry-run"], ["doctor"], ["incident", "list"]]) {
    it(`\`keeper ${command.join(" ")}\` without a config refuses (exit 2) and says where it looked`, async () => {
      const { code, out, err } = await run(command);
      expect(code, err).to.equal(2);
      expect(out).to.deep.equal([]);
      expect(err).to.include(`no keeper config for \`keeper ${command[0]}`);
      expect(err).to.include("env KEEPER_CONFIG (not set)");
      expect(err).to.include(`${path.join(dir, "keeper.config.json")} (not found)`);
      expect(err).to.include("npm run keeper -- init --beneficiary");
    });
  }

  it("./keeper.config.json is found without KEEPER_CONFIG; status names it on its first line (TTY) and in its JSON", async () => {
    const file = writeConfig("keeper.config.json");
    const json = await run(["status", "--json"]);
    expect(json.code, json.err).to.equal(0);
    const view = JSON.parse(json.out.join("\n")) as { context: { config: string }; database: string };
    expect(view.context.config).to.equal(file);
    expect(view.database).to.equal(path.join(dir, "keeper.sqlite"));
    const text = await run(["status"], { tty: true });
    expect(text.out[0]).to.equal(`config: ${file}`);
    const piped = await run(["status"], { tty: false });
    expect(piped.out[0]).to.match(/^database: /);
  });

  it("`incident list` names its config on its first line on a terminal, and only there", async () => {
    const file = writeConfig("keeper.config.json");
    expect((await run(["incident", "list"], { tty: true })).out).to.deep.equal([`config: ${file}`, "no incidents"]);
    expect((await run(["incident", "list"], { tty: false })).out).to.deep.equal(["no incidents"]);
  });

  it("KEEPER_CONFIG wins over ./keeper.config.json", async () => {
    writeConfig("keeper.config.json");
    const other = writeConfig("other.jsonc", { state: { dbPath: "other.sqlite" } });
    process.env["KEEPER_CONFIG"] = other;
    const { code, out } = await run(["status", "--json"]);
    expect(code).to.equal(0);
    expect((JSON.parse(out.join("\n")) as { context: { config: string } }).context.config).to.equal(other);
  });

  it("`score --all` without a config and without a reachable RPC scores the fixture portfolio offline and says so once", async () => {
    process.env["RPC_URL"] = UNREACHABLE_RPC;
    const { code, out, err } = await run(["score", "--all", "--json"]);
    expect(code, err).to.equal(0);
    const report = JSON.parse(out.join("\n")) as { context: { config: string; chainId: number | null }; offline: string; scores: unknown[] };
    expect(report.context).to.include({ config: "embedded default", chainId: null });
    expect(report.offline).to.match(/^chain unreachable \(.*\): scored at wall-clock time \d{4}-\d\d-\d\dT.*Z with chain sources off/);
    expect(report.scores).to.have.length(7);
  });

  it("`score --all` with sources.chainDeployment and no reachable RPC: chain sources off, exit 0 (not the contradictory exit 1)", async () => {
    const file = writeConfig("keeper.config.json", { sources: { ...embeddedDefaultConfig().sources, chainDeployment: { enabled: true } } });
    const { code, out, err } = await run(["--config", file, "score", "--all", "--json"]);
    expect(code, err).to.equal(0);
    const report = JSON.parse(out.join("\n")) as { offline: string; scores: { composite: number }[] };
    expect(report.offline).to.include("sources.chainDeployment skipped");
    expect(report.offline.match(/chain sources off/g)).to.have.length(1);
    expect(report.scores).to.have.length(7);
    expect(err).to.equal("");
  });
});

describe("keeper init: the \"set FUND_ADDRESS and LENS_ADDRESS\" advice works", () => {
  const noDeployments = mkdtempSync(path.join(os.tmpdir(), "sif-no-deployments-"));
  after(() => rmSync(noDeployments, { recursive: true, force: true }));

  it("without a deployment file and without the addresses: the error gives that advice", () => {
    const config = parseConfig(embeddedDefaultConfig(), { env: {} });
    const saved = process.env["SIF_IGNITION_DIR"];
    process.env["SIF_IGNITION_DIR"] = noDeployments;
    try {
      expect(() => initDeployment(1, config, undefined)).to.throw(ConfigError, /no deployment for chain 1 .* or set FUND_ADDRESS and LENS_ADDRESS/);
    } finally {
      if (saved === undefined) delete process.env["SIF_IGNITION_DIR"];
      else process.env["SIF_IGNITION_DIR"] = saved;
    }
  });

  it("with FUND_ADDRESS and LENS_ADDRESS set it proceeds, and the config it writes carries them", () => {
    const config = parseConfig(embeddedDefaultConfig(), { env: { FUND_ADDRESS: FUND, LENS_ADDRESS: LENS } });
    const saved = process.env["SIF_IGNITION_DIR"];
    process.env["SIF_IGNITION_DIR"] = noDeployments;
    try {
      const { deployment, fromEnv } = initDeployment(1, config, undefined);
      expect(fromEnv).to.equal(true);
      expect(deployment).to.include({ fundAddress: FUND, lensAddress: LENS });
      const facts: ChainFacts = { chainId: 1, rpcUrl: undefined, deploymentRef: undefined, deployment, protocols: [{ address: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0", coverages: 1 }], providers: [], beneficiary: undefined, positions: [], fixtureDir: undefined };
      const text = renderInitConfig(facts);
      expect(text).to.include("from FUND_ADDRESS (no deployment file for this chain)");
      const written = parseConfig(parseJsonc(text), { baseDir: "/etc/keeper" });
      expect(written.chain).to.include({ chainId: 1, fundAddress: FUND, lensAddress: LENS });
      expect(written.chain.deployment).to.equal(undefined);
    } finally {
      if (saved === undefined) delete process.env["SIF_IGNITION_DIR"];
      else process.env["SIF_IGNITION_DIR"] = saved;
    }
  });

  it("an explicit --deployment that is missing is still an error (no silent fallback)", () => {
    const config = parseConfig(embeddedDefaultConfig(), { env: { FUND_ADDRESS: FUND, LENS_ADDRESS: LENS } });
    expect(() => initDeployment(1, config, path.join(noDeployments, "nope.json"))).to.throw(ConfigError, /not found/);
  });

  it("loadConfig records where it looked when it falls back to the embedded default", () => {
    const config = loadConfig({ env: {}, cwd: noDeployments });
    expect(config.origin).to.equal("embedded default");
    expect(config.searched).to.deep.equal(["--config (not given)", "env KEEPER_CONFIG (not set)", `${path.join(noDeployments, "keeper.config.json")} (not found)`, `${path.join(noDeployments, "keeper.config.jsonc")} (not found)`]);
  });
});
