/**
 * The operator's commands against the full system on the in-process Hardhat network (over HTTP
 * through the counting proxy): the keeper finds the fund and lens in a deployed_addresses.json
 * given only the RPC and chain id; `push-risk` really sends and prints JSON; `init` writes a
 * config that parses back; `doctor` names each failing check with its fix; `set-agent`,
 * `assess`, `settle`, `withdraw`, `pause`/`unpause` send, dry-run or write a Safe batch.
 */
import { loadFixture, setBalance } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Interface } from "ethers";
import { ethers, network } from "hardhat";

import { buyCoverage, PROTOCOLS, units } from "../../../test/helpers/fundFixture";
import { buildProgram } from "../../src/cli/cli";
import { safeBatchChecksum, type SafeBatchFile } from "../../src/cli/commands/safeBatch";
import { devAccount } from "../../src/cli/embedded";
import { parseConfig } from "../../src/config";
import { parseJsonc } from "../../src/config/jsonc";
import { openStateDb } from "../../src/state";
import { deployKeeperSystem, fixtureCopy, KEEPER_KEY, type KeeperSystem } from "../helpers/keeperSystem";
import { startRpcProxy, type RpcProxy } from "../helpers/rpcProxy";

/** The Hardhat network's accounts come from the public test mnemonic: the key of one of them. */
function devKeyOf(address: string): string {
  for (let i = 0; i < 20; i += 1) {
    const wallet = devAccount(i);
    if (wallet.address === address) return wallet.privateKey;
  }
  throw new Error(`${address} is not a dev account`);
}

describe("keeper operator commands (integration)", function () {
  this.timeout(120_000);
  let proxy: RpcProxy;
  const dirs: string[] = [];
  const savedEnv = { ...process.env };

  before(async () => {
    proxy = await startRpcProxy(network.provider);
  });
  after(async () => {
    await proxy.close();
  });
  afterEach(async () => {
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
    process.exitCode = undefined;
    for (const d of dirs.splice(0)) await fs.rm(d, { recursive: true, force: true });
  });

  /** A deployment file + a config with only the RPC, chain id and that file (comments included). */
  async function setup(s: KeeperSystem, extra: Record<string, unknown> = {}) {
    const workDir = await fs.mkdtemp(path.join(os.tmpdir(), "keeper-operator-"));
    const fixtureDir = await fixtureCopy();
    dirs.push(workDir, fixtureDir);
    const deployment = path.join(workDir, "deployments", "chain-31337", "deployed_addresses.json");
    await fs.mkdir(path.dirname(deployment), { recursive: true });
    await fs.writeFile(
      deployment,
      JSON.stringify({
        "Fund#StablecoinInsuranceFund": s.fundAddress,
        "Fund#FundLens": s.lensAddress,
        "NexusAdapter#NexusMutualAdapter": await s.adapter.getAddress(),
        "MockNexus#MockNexusMutualRegistry": await s.nexusRegistry.getAddress(),
        "SecondProvider#MockCapacityLimitedProvider": await s.secondProvider.getAddress(),
      }),
    );
    const config = {
      chain: { rpcUrl: proxy.url, chainId: 31337, deployment: "deployments", rpcMaxRounds: 4, rpcTimeoutMs: 3000 },
      protocols: [{ id: "aave-v3", name: "Aave V3", address: PROTOCOLS.aave }],
      sources: { fixture: { path: fixtureDir } },
      positions: [{ protocol: "aave-v3", asset: s.usdcAddress, assetSymbol: "USDC", targetAmount: "100000", beneficiary: s.beneficiary.address, providers: [1, 2], allowSelfInsure: true }],
      tx: { pollIntervalMs: 50, receiptTimeoutMs: 20_000 },
      state: { dbPath: "state.sqlite" },
      health: { enabled: false, port: 0 },
      ...extra,
    };
    const configPath = path.join(workDir, "keeper.json");
    await fs.writeFile(configPath, `// written by the test\n${JSON.stringify(config, null, 2).replace('"chain": {', '"chain": { // only RPC, chain id and the deployment file')}\n`);
    process.env["KEEPER_PRIVATE_KEY"] = KEEPER_KEY;
    delete process.env["FUND_ADDRESS"];
    delete process.env["LENS_ADDRESS"];
    delete process.env["RPC_URL"];
    delete process.env["RPC_URLS"];
    delete process.env["KEEPER_CONFIG"];
    const run = async (...args: string[]): Promise<{ output: string; exitCode: number }> => {
      const lines: string[] = [];
      process.exitCode = undefined;
      await buildProgram((text) => lines.push(text)).parseAsync(["--config", configPath, "--log-level", "silent", ...args], { from: "user" });
      const exitCode = typeof process.exitCode === "number" ? process.exitCode : 0;
      process.exitCode = undefined;
      return { output: lines.join("\n"), exitCode };
    };
    return { workDir, configPath, deployment, run };
  }

  it("push-risk (not dry-run) finds the fund in the deployment file, sends, and prints JSON with gas as strings", async () => {
    const s = await loadFixture(deployKeeperSystem);
    const { run } = await setup(s);
    const before = await s.fund.getProtocolRisk(PROTOCOLS.aave);
    const sentBefore = proxy.counts()["eth_sendRawTransaction"] ?? 0;
    const { output, exitCode } = await run("push-risk");
    expect(exitCode).to.equal(0);
    const summary = JSON.parse(output) as { transactions: { hash: string; gasUsed: string }[]; gasUsed: string; failures: unknown[] };
    expect(summary.failures).to.deep.equal([]);
    expect(summary.transactions).to.have.length(1);
    expect(summary.transactions[0]!.gasUsed).to.match(/^\d+$/);
    expect(BigInt(summary.gasUsed)).to.be.greaterThan(0n);
    expect((proxy.counts()["eth_sendRawTransaction"] ?? 0) - sentBefore).to.equal(1);
    const after = await s.fund.getProtocolRisk(PROTOCOLS.aave);
    expect(after.lastUpdated).to.be.greaterThan(before.lastUpdated);
  });

  it("refuses an explicit FUND_ADDRESS that is not the deployment's fund (never mixes two deployments)", async () => {
    const s = await loadFixture(deployKeeperSystem);
    const { configPath } = await setup(s);
    process.env["FUND_ADDRESS"] = s.lensAddress;
    let stderr = "";
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
    let code: number;
    try {
      code = await (await import("../../src/cli/cli")).main(["--config", configPath, "--log-level", "silent", "push-risk", "--dry-run"]);
    } finally {
      process.stderr.write = write;
    }
    expect(code).to.equal(2);
    expect(stderr).to.include(`FUND_ADDRESS ${s.lensAddress} is not the fund of`);
    expect(stderr).to.include("never mix two deployments");
  });

  it("init writes a commented config from the fund's coverages of a beneficiary that parses back", async () => {
    const s = await loadFixture(deployKeeperSystem);
    const { run, workDir, deployment } = await setup(s);
    await buyCoverage(s, { amount: units(40_000, 6) });
    await buyCoverage(s, { protocol: PROTOCOLS.compound, asset: await s.dai.getAddress(), amount: units(25_000, 18) });
    await buyCoverage(s, { beneficiary: s.stranger.address, amount: units(1_000, 6) });
    const out = path.join(workDir, "init", "keeper.config.json");
    const { output } = await run("init", "--beneficiary", s.beneficiary.address, "--out", out, "--deployment", deployment);
    expect(output).to.include(`wrote ${out} for chain 31337`);
    expect(output).to.include("protocols: 2, positions: 2");
    const text = await fs.readFile(out, "utf8");
    expect(text).to.match(/^\/\/ Keeper config/);
    expect(text).to.include("// the active coverages of");
    const parsed = parseConfig(parseJsonc(text), { baseDir: path.dirname(out) });
    expect(parsed.chain.chainId).to.equal(31337);
    expect(parsed.chain.deployment).to.equal(deployment);
    expect(parsed.positions.map((p) => [p.asset, p.targetAmount, p.beneficiary, p.allowSelfInsure])).to.deep.equal([
      [s.usdcAddress, "40000", s.beneficiary.address, true],
      [await s.dai.getAddress(), "25000", s.beneficiary.address, true],
    ]);
    expect(parsed.protocols.map((p) => p.address).sort()).to.deep.equal([PROTOCOLS.aave, PROTOCOLS.compound].sort());
    expect(parsed.sources.fixture?.path).to.equal(path.join(path.dirname(out), "keeper-data", "fixtures"));
    expect(await fs.readdir(parsed.sources.fixture!.path)).to.include("aave-v3.json");
    // An existing file is kept unless --force.
    expect((await rejection(run("init", "--out", out, "--deployment", deployment))).message).to.match(/exists — pass --force/);
  });

  it("doctor passes on a ready keeper and names each failing check with its fix (exit 1 when claims are blocked)", async () => {
    const s = await loadFixture(deployKeeperSystem);
    const { run, workDir } = await setup(s);
    const healthy = await run("doctor");
    expect(healthy.exitCode, healthy.output).to.equal(0);
    for (const name of ["chain", "deployment", "code", "keeper key", "role", "agent", "premium USDC", "eth", "nexus member", "source fixture", "state db", "lock"]) {
      expect(healthy.output, name).to.match(new RegExp(`^ok +${name}:`, "m"));
    }
    expect(healthy.output).to.include("claims can be filed");

    const keeper = s.keeper.address;
    // agent approval withdrawn
    await s.fund.connect(s.beneficiary).setAgent(keeper, false);
    // no ETH for the claim deposit
    await setBalance(keeper, 0n);
    // risk role revoked (a warning: claims still work)
    await s.fund.connect(s.admin).revokeRole(await s.fund.RISK_ORACLE_ROLE(), keeper);
    // no premium tokens (a warning)
    const usdcBalance = await s.usdc.balanceOf(keeper);
    await s.usdc.connect(await ethers.getImpersonatedSigner(keeper)).transfer(s.stranger.address, usdcBalance).catch(async () => {
      await setBalance(keeper, ethers.parseEther("1"));
      await s.usdc.connect(await ethers.getImpersonatedSigner(keeper)).transfer(s.stranger.address, usdcBalance);
      await setBalance(keeper, 0n);
    });
    // Nexus membership lost
    await s.nexusRegistry.connect(s.admin).mockNexusSetMember(await s.adapter.getAddress(), false);
    // a live daemon holds the lock
    const state = openStateDb(path.join(workDir, "state.sqlite"));
    state.db.prepare("INSERT INTO daemon_lock (id, pid, hostname, token, started_at, heartbeat_at) VALUES (1, ?, ?, 'x', ?, ?)").run(process.pid, os.hostname(), Date.now(), Date.now());
    state.close();

    const sick = await run("doctor");
    expect(sick.exitCode, sick.output).to.equal(1);
    expect(sick.output).to.match(new RegExp(`^FAIL agent: ${s.beneficiary.address} has not approved ${keeper}.*fix: the beneficiary runs \`npm run keeper -- set-agent ${keeper}\``, "m"));
    expect(sick.output).to.match(/^FAIL eth: 0 ETH < 0\.06 ETH .*fix: send at least 0\.06 ETH to/m);
    expect(sick.output).to.match(/^WARN role: .* lacks RISK_ORACLE_ROLE.*fix: the admin grants it/m);
    expect(sick.output).to.match(/^WARN premium USDC: 0 USDC held.*fix: send USDC to/m);
    expect(sick.output).to.match(/^FAIL nexus member: adapter 0x[0-9a-fA-F]{40} is not a Nexus member.*fix: Registry\.join/m);
    expect(sick.output).to.match(/^WARN lock: a daemon holds the lock \(pid \d+/m);
    expect(sick.output).to.match(/3 problem\(s\) block claims/);
  });

  it("doctor: wrong chain id, no code at the deployment, and an unwritable state DB each fail with the fix", async () => {
    const s = await loadFixture(deployKeeperSystem);
    const wrongChain = await setup(s, { chain: { rpcUrl: proxy.url, chainId: 11155111, deployment: "deployments" } });
    const chain = await wrongChain.run("doctor");
    expect(chain.exitCode).to.equal(1);
    expect(chain.output).to.match(/^FAIL chain: the RPC is on chain 31337, the config says 11155111 — fix: point RPC_URL at the configured chain/m);

    // A state path under a regular file cannot be created.
    const noCode = await setup(s, { state: { dbPath: "not-a-dir/state.sqlite" } });
    await fs.writeFile(path.join(noCode.workDir, "not-a-dir"), "a file");
    await fs.writeFile(
      noCode.deployment,
      JSON.stringify({ "Fund#StablecoinInsuranceFund": s.fundAddress, "Fund#FundLens": ethers.Wallet.createRandom().address }),
    );
    const broken = await noCode.run("doctor");
    expect(broken.exitCode).to.equal(1);
    expect(broken.output).to.match(/^FAIL code: no code at lens 0x[0-9a-fA-F]{40} — fix: wrong RPC or deployment/m);
    expect(broken.output, broken.output).to.match(/^FAIL state db: \/.*\/not-a-dir\/state\.sqlite: .*(EEXIST|ENOTDIR).* — fix: make \/.*\/not-a-dir writable or set KEEPER_DB_PATH/m);
  });

  it("set-agent: --dry-run sends nothing, --safe-json writes a Transaction Builder batch, a send with the beneficiary key approves", async () => {
    const s = await loadFixture(deployKeeperSystem);
    const { run, workDir } = await setup(s);
    await s.fund.connect(s.beneficiary).setAgent(s.keeper.address, false);
    const sentBefore = proxy.counts()["eth_sendRawTransaction"] ?? 0;

    const dry = JSON.parse((await run("set-agent", "--dry-run", "--from", s.beneficiary.address)).output) as { dryRun: boolean; simulation: string; args: unknown[]; function: string };
    expect(dry).to.deep.include({ dryRun: true, simulation: "ok", function: "setAgent(address,bool)" });
    expect(dry.args).to.deep.equal([s.keeper.address, true]);
    expect(proxy.counts()["eth_sendRawTransaction"] ?? 0).to.equal(sentBefore);

    const batchFile = path.join(workDir, "set-agent.safe.json");
    const safe = await run("set-agent", "--safe-json", batchFile, "--safe", s.beneficiary.address);
    expect(safe.output).to.include(`Safe Transaction Builder batch for ${s.beneficiary.address}`);
    const batch = JSON.parse(await fs.readFile(batchFile, "utf8")) as SafeBatchFile;
    expect(batch.version).to.equal("1.0");
    expect(batch.chainId).to.equal("31337");
    expect(batch.createdAt).to.be.a("number");
    expect(batch.meta).to.include({ createdFromSafeAddress: s.beneficiary.address, name: "keeper set-agent" });
    expect(batch.meta.checksum).to.equal(safeBatchChecksum(batch));
    expect(batch.transactions).to.deep.equal([
      {
        to: s.fundAddress,
        value: "0",
        data: null,
        contractMethod: {
          inputs: [
            { internalType: "address", name: "agent", type: "address" },
            { internalType: "bool", name: "approved", type: "bool" },
          ],
          name: "setAgent",
          payable: false,
        },
        contractInputsValues: { agent: s.keeper.address, approved: "true" },
      },
    ]);
    expect(await s.fund.isAgent(s.beneficiary.address, s.keeper.address)).to.equal(false);

    process.env["BENEFICIARY_PRIVATE_KEY"] = devKeyOf(s.beneficiary.address);
    const sent = await run("set-agent");
    expect(sent.output).to.match(new RegExp(`approve ${s.keeper.address} as agent of ${s.beneficiary.address} \\(currently not approved\\)\\nsent by ${s.beneficiary.address}: 0x[0-9a-f]{64}`));
    expect(await s.fund.isAgent(s.beneficiary.address, s.keeper.address)).to.equal(true);
  });

  it("assess → settle → withdraw a self-insured claim; amounts in token units", async () => {
    const s = await loadFixture(deployKeeperSystem);
    const { run } = await setup(s);
    const { coverId } = await buyCoverage(s, { amount: units(40_000, 6) });
    await ethers.provider.send("evm_mine", []);
    await fileClaim(s, coverId, units(12_500, 6));
    const claimId = await s.fund.claimCount();

    process.env["ASSESSOR_PRIVATE_KEY"] = devKeyOf(s.assessor.address);
    const denied = JSON.parse((await run("assess", String(claimId), "--deny", "--dry-run", "--from", s.stranger.address)).output) as { simulation: string };
    expect(denied.simulation).to.match(/^reverts: AccessControlUnauthorizedAccount/);
    const assessed = await run("assess", String(claimId), "--accept", "--payout", "12000.5");
    expect(assessed.output).to.include(`accept claim ${claimId} (coverage ${coverId}): pay 12,000.5 USDC of the 12,500 USDC claimed`);
    expect((await s.fund.getClaim(claimId)).payout).to.equal(units(12_000, 6) + 500_000n);

    await advancePastChallenge(s, claimId);
    const settled = await run("settle", String(claimId));
    expect(settled.output).to.match(/settle claim \d+ \(coverage \d+, 12,500 USDC claimed\) for beneficiary/);
    expect(await s.fund.creditedPayout(s.beneficiary.address, s.usdcAddress)).to.equal(units(12_000, 6) + 500_000n);

    process.env["BENEFICIARY_PRIVATE_KEY"] = devKeyOf(s.beneficiary.address);
    const balanceBefore = await s.usdc.balanceOf(s.beneficiary.address);
    const withdrawn = await run("withdraw", "--asset", "usdc");
    expect(withdrawn.output).to.include(`withdraw 12,000.5 USDC payout of ${s.beneficiary.address} to ${s.beneficiary.address}`);
    expect((await s.usdc.balanceOf(s.beneficiary.address)) - balanceBefore).to.equal(units(12_000, 6) + 500_000n);
  });

  it("pause / unpause: --safe-json for a Safe admin, a send with the guardian key, decoded revert for a key without the role", async () => {
    const s = await loadFixture(deployKeeperSystem);
    const { run, workDir } = await setup(s);
    const file = path.join(workDir, "pause.json");
    await run("pause", "--safe-json", file, "--safe", s.admin.address);
    const batch = JSON.parse(await fs.readFile(file, "utf8")) as SafeBatchFile;
    expect(batch.transactions.map((t) => [t.to, t.contractMethod.name, t.contractInputsValues])).to.deep.equal([[s.fundAddress, "pause", {}]]);
    expect(await s.fund.paused()).to.equal(false);

    process.env["GUARDIAN_PRIVATE_KEY"] = devKeyOf(s.guardian.address);
    await run("pause", "--key-env", "GUARDIAN_PRIVATE_KEY");
    expect(await s.fund.paused()).to.equal(true);
    // The guardian cannot unpause: the revert is decoded before anything is signed.
    expect((await rejection(run("unpause", "--key-env", "GUARDIAN_PRIVATE_KEY"))).message).to.match(/unpause not confirmed \(simulate: AccessControlUnauthorizedAccount/);
    process.env["ADMIN_PRIVATE_KEY"] = devKeyOf(s.admin.address);
    await run("unpause");
    expect(await s.fund.paused()).to.equal(false);
  });

  it("clear-incident: --dry-run by a non-admin shows the decoded revert, --safe-json for the admin Safe, a send lifts the halt", async () => {
    const s = await loadFixture(deployKeeperSystem);
    const { run, workDir } = await setup(s);
    const now = (await ethers.provider.getBlock("latest"))!.timestamp;
    await s.fund.connect(s.admin).grantRole(await s.fund.GUARDIAN_ROLE(), s.admin.address);
    await s.fund.connect(s.guardian).reportIncident(PROTOCOLS.aave, now - 60, ethers.id("evidence"));
    expect((await s.fund.getIncident(PROTOCOLS.aave)).active).to.equal(true);

    const dry = JSON.parse((await run("clear-incident", "aave-v3", "--dry-run", "--from", s.guardian.address)).output) as { simulation: string; args: string[] };
    expect(dry.args).to.deep.equal([PROTOCOLS.aave]);
    expect(dry.simulation).to.match(/^reverts: AccessControlUnauthorizedAccount\(/);

    const file = path.join(workDir, "clear.json");
    const written = await run("clear-incident", "aave-v3", "--safe-json", file, "--safe", s.admin.address);
    expect(written.output).to.include(`clear the incident of aave-v3 (${PROTOCOLS.aave})`);
    expect(written.output).to.include("simulation from the Safe: ok");
    const batch = JSON.parse(await fs.readFile(file, "utf8")) as SafeBatchFile;
    expect(batch.transactions[0]!.contractMethod.name).to.equal("clearIncident");
    expect(batch.transactions[0]!.contractInputsValues).to.deep.equal({ protocol: PROTOCOLS.aave });
    expect((await s.fund.getIncident(PROTOCOLS.aave)).active).to.equal(true);

    process.env["ADMIN_PRIVATE_KEY"] = devKeyOf(s.admin.address);
    await run("clear-incident", "aave-v3");
    expect((await s.fund.getIncident(PROTOCOLS.aave)).active).to.equal(false);
  });
});

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a rejection");
}

/** Files a claim as the beneficiary, with whichever submitClaim the compiled fund has. */
async function fileClaim(s: KeeperSystem, coverId: bigint, amount: bigint): Promise<void> {
  const iface = s.fund.interface as unknown as Interface;
  const fragment = iface.getFunction("submitClaim");
  const evidence = ethers.toUtf8Bytes("{}");
  const block = await ethers.provider.getBlock("latest");
  const args = fragment !== null && fragment.inputs.length === 5 ? [coverId, amount, block!.timestamp, "exploit", evidence] : [coverId, amount, "exploit", evidence];
  await s.beneficiary.sendTransaction({ to: s.fundAddress, data: iface.encodeFunctionData("submitClaim", args) });
}

/** Fund v2 pays an accepted self-insured claim only after its challenge period. */
async function advancePastChallenge(s: KeeperSystem, claimId: bigint): Promise<void> {
  const claim = (await s.fund.getClaim(claimId)) as unknown as { payableAt?: bigint };
  if (claim.payableAt !== undefined && claim.payableAt > 0n) {
    await ethers.provider.send("evm_setNextBlockTimestamp", [Number(claim.payableAt) + 1]);
    await ethers.provider.send("evm_mine", []);
  }
}
