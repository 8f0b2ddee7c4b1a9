import { expect } from "chai";
import { JsonRpcProvider } from "ethers";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { DEMO_PORTFOLIO, demoProtocol } from "../../keeper/src/demo/portfolio";
import { ROLE } from "../../deploy/modules/Fund";
import sepoliaParameters from "../../deploy/parameters/sepolia.json";
import { deployedAddressesFile, readDeployedFund, type DeployedFund } from "../../keeper/src/config/deployments";
import { StablecoinInsuranceFund__factory } from "../../typechain-types";
import { REPO_ROOT, runHardhat, startNode, type LocalNode, type RunResult } from "./childProcess";

const SEPOLIA_CHAIN_ID = 11155111;
const FIXTURE_DIR = path.join(REPO_ROOT, "keeper", "fixtures", "portfolio");

function expectClean(result: RunResult): void {
  expect(result.code, `${result.stdout}\n${result.stderr}`).to.equal(0);
}

/** A failed script run: exit code 1, the message, and no stack trace. */
function expectRefusal(result: RunResult, message: string): void {
  expect(result.code).to.equal(1);
  expect(result.stderr).to.include(message);
  expect(result.stderr).not.to.match(/\n\s+at /);
}

describe("deploy: the Sepolia path offline (LocalStack + sepolia parameters on a chain-11155111 node)", function () {
  this.timeout(240_000);
  let node: LocalNode | undefined;
  let workDir: string;
  let deployed: DeployedFund;

  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    LOCALHOST_RPC_URL: node!.url,
    SIF_IGNITION_DIR: workDir,
    HARDHAT_IGNITION_CONFIRM_DEPLOYMENT: "true",
    ...extra,
  });
  const runScript = (script: string, extra: Record<string, string> = {}) =>
    runHardhat(["run", "--network", "localhost", `scripts/${script}.ts`], env(extra));
  const fundOnNode = () => StablecoinInsuranceFund__factory.connect(deployed.fundAddress, new JsonRpcProvider(node!.url));

  before(async function () {
    // A temp Ignition dir keeps the repo's deploy/deployments untouched; Ignition only deploys
    // modules inside <ignition dir>/modules, so that links to the real deploy/modules.
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), "sif-deploy-"));
    fs.symlinkSync(path.join(REPO_ROOT, "deploy", "modules"), path.join(workDir, "modules"), "dir");
    node = await startNode({ HARDHAT_CHAIN_ID: String(SEPOLIA_CHAIN_ID) });
  });

  after(async function () {
    await node?.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it("`hardhat ignition deploy` writes the addresses under chain-11155111 and the fund works as specified", async function () {
    const result = await runHardhat(
      [
        "ignition",
        "deploy",
        path.join(workDir, "modules", "LocalStack.ts"),
        "--parameters",
        "deploy/parameters/sepolia.json",
        "--network",
        "localhost",
      ],
      env(),
    );
    expectClean(result);
    const deployments = path.join(workDir, "deployments");
    expect(fs.existsSync(deployedAddressesFile(SEPOLIA_CHAIN_ID, deployments))).to.equal(true);
    deployed = readDeployedFund(SEPOLIA_CHAIN_ID, deployments);

    const fund = fundOnNode();
    expect((await fund.runner!.provider!.getNetwork()).chainId).to.equal(BigInt(SEPOLIA_CHAIN_ID));
    const { keeper, assessor, guardian } = sepoliaParameters.Fund;
    expect(await fund.hasRole(ROLE.RISK_ORACLE_ROLE, keeper)).to.equal(true);
    expect(await fund.hasRole(ROLE.CLAIMS_ASSESSOR_ROLE, keeper)).to.equal(false);
    expect(await fund.hasRole(ROLE.GUARDIAN_ROLE, keeper)).to.equal(false);
    expect(await fund.hasRole(ROLE.CLAIMS_ASSESSOR_ROLE, assessor)).to.equal(true);
    expect(await fund.hasRole(ROLE.GUARDIAN_ROLE, guardian)).to.equal(true);
    expect(await fund.providerCount()).to.equal(2);
    const [usdc] = await fund.stablecoins();
    expect(await fund.poolBalance(usdc!)).to.equal(100_000n * 10n ** 6n); // sepolia.json initialCapitalUSDC
  });

  it("grant-role / revoke-role change a role; a bad role name is refused with a clear message", async function () {
    const account = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc";
    expectClean(await runScript("grant-role", { ROLE: "guardian", ACCOUNT: account }));
    expect(await fundOnNode().hasRole(ROLE.GUARDIAN_ROLE, account)).to.equal(true);
    expectClean(await runScript("revoke-role", { ROLE: "GUARDIAN_ROLE", ACCOUNT: account }));
    expect(await fundOnNode().hasRole(ROLE.GUARDIAN_ROLE, account)).to.equal(false);
    expectRefusal(await runScript("grant-role", { ROLE: "DEFAULT_ADMIN", ACCOUNT: account }), "ROLE=DEFAULT_ADMIN is not a grantable role");
  });

  it("fund-reserve deposits pool capital; a missing AMOUNT is refused naming it", async function () {
    const fund = fundOnNode();
    const [, , dai] = await fund.stablecoins();
    const before = await fund.poolBalance(dai!);
    expectClean(await runScript("fund-reserve", { ASSET: "DAI", AMOUNT: "5000", MINT: "yes" }));
    expect((await fund.poolBalance(dai!)) - before).to.equal(5_000n * 10n ** 18n);
    expectRefusal(await runScript("fund-reserve", { ASSET: "DAI" }), "AMOUNT is not set");
  });

  it("seed-portfolio pushes the scores and buys the seven coverages of the original portfolio", async function () {
    const result = await runScript("seed-portfolio");
    expectClean(result);
    const fund = fundOnNode();
    expect(await fund.coverageCount()).to.equal(BigInt(DEMO_PORTFOLIO.length));
    for (const [index, position] of DEMO_PORTFOLIO.entries()) {
      const coverage = await fund.getCoverageDetails(index + 1);
      expect(coverage.protocol).to.equal(demoProtocol(position));
      const decimals = position.stablecoin === "DAI" ? 18n : 6n;
      expect(coverage.amount).to.equal(BigInt(position.usd) * 10n ** decimals);
    }
    expect(result.stdout).to.include("Radiant: 15,000 USDT ($15,000)");
  });

  it("simulate-exploit collapses the TVL in a fixture copy and moves chain time; it refuses the committed fixture", async function () {
    const fixtureCopy = path.join(workDir, "portfolio");
    fs.cpSync(FIXTURE_DIR, fixtureCopy, { recursive: true });
    const provider = new JsonRpcProvider(node!.url);
    const before = (await provider.getBlock("latest"))!.timestamp;
    expectClean(await runScript("simulate-exploit", { PROTOCOL: "curve", FIXTURE_DIR: fixtureCopy, COLLAPSE_PERCENT: "80" }));

    const history = (JSON.parse(fs.readFileSync(path.join(fixtureCopy, "curve.json"), "utf8")) as { tvlHistory: { tvlUsd: number }[] }).tvlHistory;
    // Two collapsed readings (the incident rule needs two in a row), after the last normal one.
    const [previous, first, newest] = history.slice(-3);
    expect(first!.tvlUsd).to.be.closeTo(previous!.tvlUsd * 0.2, 1);
    expect(newest!.tvlUsd).to.be.closeTo(previous!.tvlUsd * 0.2, 1);
    expect((await provider.getBlock("latest"))!.timestamp).to.be.greaterThanOrEqual(before + 24 * 3600);

    expectRefusal(await runScript("simulate-exploit", { PROTOCOL: "curve", FIXTURE_DIR: FIXTURE_DIR }), "the fixture directory is the committed fixture");
    expectRefusal(await runScript("simulate-exploit", { PROTOCOL: "nope", FIXTURE_DIR: fixtureCopy }), "PROTOCOL=nope");
  });
});
