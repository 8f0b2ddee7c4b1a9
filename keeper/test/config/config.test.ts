import { expect } from "chai";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";

import { DEFAULT_FIXTURE_DIR, embeddedDefaultConfig, loadConfig, parseConfig, redactConfig } from "../../src/config";
import { issuesOf } from "../helpers/configIssues";

const KEY = `0x${"ab".repeat(32)}`;


describe("keeper config", () => {
  it("embedded default: local chain, fixture portfolio, documented push defaults", () => {
    const config = loadConfig({ env: {} });
    expect(config.origin).to.equal("embedded default");
    expect(config.chain.rpcUrl).to.equal("http://127.0.0.1:8545");
    expect(config.sources.fixture?.path).to.equal(DEFAULT_FIXTURE_DIR);
    expect(config.protocols.map((p) => p.id)).to.include.members(["aave-v3", "compound-v3", "curve"]);
    expect(config.riskPush).to.include({ minPushIntervalSec: 21_600, staleLeadSec: 86_400, maxGasPerTx: 3_000_000 });
    expect(config.alerts.thresholdPoints).to.equal(10);
  });

  it("names the field and the fix for a bad protocol address and a bad env key", () => {
    const raw = embeddedDefaultConfig();
    const protocols = raw.protocols.map((p, i) => (i === 2 ? { ...p, address: "0x1234" } : p));
    expect(issuesOf(() => parseConfig({ ...raw, protocols }))).to.deep.equal([
      "config.protocols[2].address: not an address — use a 0x-prefixed 20-byte hex address",
    ]);
    expect(issuesOf(() => parseConfig(raw, { env: { KEEPER_PRIVATE_KEY: "0xnope" } }))).to.deep.equal([
      "env.KEEPER_PRIVATE_KEY: not a private key — use a 0x-prefixed 32-byte hex key",
    ]);
  });

  it("leading signals: a bad admin role id, an unknown event and an undated expiry name the field and the fix; the peg defaults are 2% and 86400 s", () => {
    const raw = embeddedDefaultConfig();
    const contract = "0x1111111111111111111111111111111111111111";
    const withWatch = (watch: Record<string, unknown>) => ({ ...raw, protocols: raw.protocols.map((p, i) => (i === 0 ? { ...p, watch } : p)) });
    const issues = issuesOf(() =>
      parseConfig(withWatch({ adminContracts: [{ address: contract, adminRoles: ["UPGRADER_ROLE"] }], announced: [{ account: contract, event: "Upgrade", until: "next week" }] })),
    );
    expect(issues.find((i) => i.startsWith("config.protocols[0].watch.adminContracts[0].adminRoles[0]:"))).to.match(/not a bytes32 role id — use 0x followed by 64 hex digits/);
    expect(issues.find((i) => i.startsWith("config.protocols[0].watch.announced[0].event:"))).to.match(/Upgraded/);
    expect(issues.find((i) => i.startsWith("config.protocols[0].watch.announced[0].until:"))).to.match(/not a date — use ISO 8601/);
    const ok = parseConfig(withWatch({ pegOracle: { aggregator: contract } }));
    expect(ok.protocols[0]?.watch?.pegOracle).to.deep.include({ peg: 1, heartbeatSec: 86_400 });
    expect(ok.watch).to.deep.include({ oracleDeviationPercent: 2, oracleStaleGraceSec: 600 });
  });

  it("Nexus: default cover assets are USDC 6 only; a DAI/USDT/id-1 mapping names the field and the fix; ipfsApiUrl must be a URL", () => {
    const raw = embeddedDefaultConfig();
    const withNexus = (nexus: Record<string, unknown>) => ({ ...raw, providers: { ...(raw.providers ?? {}), nexus } });
    expect(parseConfig(withNexus({})).providers.nexus?.coverAssets).to.deep.equal({ USDC: 6 });
    const dai = issuesOf(() => parseConfig(withNexus({ coverAssets: { USDC: 6, DAI: 1 } })));
    expect(dai).to.have.length(1);
    expect(dai[0]).to.match(/^config\.providers\.nexus\.coverAssets\.DAI: DAI -> 1: Nexus does not cover DAI .*remove this entry/);
    expect(issuesOf(() => parseConfig(withNexus({ coverAssets: { "0x6B175474E89094C44Da98b954EedeAC495271d0F": 1 } })))[0]).to.match(/coverAssets\.0x6B17/);
    expect(issuesOf(() => parseConfig(withNexus({ coverAssets: { USDT: 6 } })))[0]).to.match(/coverAssets\.USDT/);
    expect(issuesOf(() => parseConfig(withNexus({ ipfsApiUrl: "localhost:5001" })))[0]).to.match(/^config\.providers\.nexus\.ipfsApiUrl: not an http\(s\) URL/);
    expect(issuesOf(() => parseConfig(withNexus({ ipfsApiUrl: "not a url" })))[0]).to.match(/^config\.providers\.nexus\.ipfsApiUrl: not a URL/);
    expect(parseConfig(withNexus({ ipfsApiUrl: "http://127.0.0.1:5001/" })).providers.nexus?.ipfsApiUrl).to.equal("http://127.0.0.1:5001/");
  });

  it("rejects duplicate protocol ids, unknown operator ids and impossible push params", () => {
    const raw = embeddedDefaultConfig();
    const first = raw.protocols[0];
    if (first === undefined) throw new Error("setup");
    const dup = { ...raw, protocols: [...raw.protocols, { ...first, address: "0x00000000000000000000000000000000000000aa" }] };
    expect(issuesOf(() => parseConfig(dup))[0]).to.match(/^config\.protocols\[7\]\.id: duplicate of protocols\[0\]\.id/);
    const unknown = { ...raw, sources: { ...raw.sources, operator: { nope: { auditScore: 50 } } } };
    expect(issuesOf(() => parseConfig(unknown))[0]).to.match(/^config\.sources\.operator\.nope: not a protocol id/);
    const tooTight = { ...raw, riskPush: { minPushIntervalSec: 4 * 86_400, staleLeadSec: 4 * 86_400 } };
    expect(issuesOf(() => parseConfig(tooTight))[0]).to.match(/^config\.riskPush: staleLeadSec \+ minPushIntervalSec/);
  });

  it("env overrides the file; secrets never appear in the redacted dump", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "keeper-config-"));
    const file = path.join(dir, "keeper.json");
    await fs.writeFile(file, JSON.stringify({ ...embeddedDefaultConfig(), sources: { fixture: { path: "fixtures" } } }));
    const config = loadConfig({
      configPath: file,
      env: { KEEPER_PRIVATE_KEY: KEY, RPC_URL: "https://rpc.example/v3/apikey123", ALERT_WEBHOOK_URL: "https://hooks.example/T0/B0/secret" },
    });
    expect(config.chain.privateKey).to.equal(KEY);
    expect(config.chain.rpcUrl).to.equal("https://rpc.example/v3/apikey123");
    expect(config.sources.fixture?.path).to.equal(path.join(dir, "fixtures"));
    const dump = JSON.stringify(redactConfig(config));
    expect(dump).not.to.contain("abab");
    expect(dump).not.to.contain("apikey123");
    expect(dump).not.to.contain("secret");
  });

  it("a missing or non-JSON config file is a config error", async () => {
    expect(issuesOf(() => loadConfig({ configPath: "/nonexistent/keeper.json", env: {} }))[0]).to.match(/cannot be read/);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "keeper-config-"));
    const file = path.join(dir, "bad.json");
    await fs.writeFile(file, "{ nope");
    expect(issuesOf(() => loadConfig({ configPath: file, env: {} }))[0]).to.match(/not valid JSON/);
  });
});
