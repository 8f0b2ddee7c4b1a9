import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { MAINNET_NEXUS, MAINNET_TOKENS } from "../../deploy/config/mainnet";
import {
  DEFAULT_FORK_BLOCK,
  deployerAccounts,
  forkBlock,
  hardhatChainId,
  mainnetConfirmationProblem,
  networkEnvProblems,
} from "../../deploy/lib/networkEnv";
import { hardhatDevAccounts, rolePlaceholderProblems } from "../../deploy/lib/parameters";
import localhostParameters from "../../deploy/parameters/localhost.json";
import mainnetParameters from "../../deploy/parameters/mainnet.json";
import {
  DeploymentLookupError,
  FUND_FUTURE_ID,
  LENS_FUTURE_ID,
  parseDeployedFund,
  readDeployedFund,
} from "../../keeper/src/config/deployments";
import { collapseTvl } from "../../keeper/src/demo/exploit";
import { ScriptInputError, parseRole, parseTokenAmount, requireLocalNetwork } from "../../scripts/lib/inputs";
import { runHardhat, type RunResult } from "./childProcess";

const KEY = `0x${"11".repeat(32)}`;
const UNREACHABLE = "http://127.0.0.1:9"; // discard port: nothing listens

function expectCleanRefusal(result: RunResult, ...messages: string[]): void {
  expect(result.code, result.stdout + result.stderr).to.equal(1);
  for (const message of messages) expect(result.stderr).to.include(message);
  expect(result.stderr).not.to.match(/\n\s+at /); // no stack trace
}

describe("deploy: guards on the command line", function () {
  this.timeout(120_000);

  it("a mainnet deploy refuses to run without CONFIRM_MAINNET=yes (script wrapper and `ignition deploy`)", async function () {
    const env = { MAINNET_RPC_URL: UNREACHABLE, DEPLOYER_PRIVATE_KEY: KEY };
    expectCleanRefusal(await runHardhat(["run", "--network", "mainnet", "scripts/deploy.ts"], env), "CONFIRM_MAINNET=yes");
    expectCleanRefusal(
      await runHardhat(
        ["ignition", "deploy", "deploy/modules/MainnetStack.ts", "--parameters", "deploy/parameters/mainnet.json", "--network", "mainnet"],
        env,
      ),
      "refusing to deploy to mainnet",
    );
  });

  it("a confirmed mainnet deploy still refuses the placeholder role holders of mainnet.json", async function () {
    const result = await runHardhat(["run", "--network", "mainnet", "scripts/deploy.ts"], {
      MAINNET_RPC_URL: UNREACHABLE,
      DEPLOYER_PRIVATE_KEY: KEY,
      CONFIRM_MAINNET: "yes",
    });
    expectCleanRefusal(result, "Fund.keeper: is the zero address placeholder");
  });

  it("a missing SEPOLIA_RPC_URL stops a Sepolia run with one line naming it", async function () {
    const result = await runHardhat(["run", "--network", "sepolia", "scripts/deploy.ts"], { DEPLOYER_PRIVATE_KEY: KEY });
    expectCleanRefusal(result, "SEPOLIA_RPC_URL is not set");
    expect(result.stderr).not.to.include("DEPLOYER_PRIVATE_KEY");
  });
});

describe("deploy: environment and parameter checks (pure)", function () {
  it("asks nothing of local networks and names every missing variable of a remote one", function () {
    expect(networkEnvProblems("hardhat", {})).to.deep.equal([]);
    expect(networkEnvProblems("localhost", {})).to.deep.equal([]);
    const problems = networkEnvProblems("mainnet", { DEPLOYER_PRIVATE_KEY: "0x1234" });
    expect(problems).to.have.length(2);
    expect(problems[0]).to.include("MAINNET_RPC_URL is not set");
    expect(problems[1]).to.include("DEPLOYER_PRIVATE_KEY is not a 0x-prefixed 32-byte hex private key");
    expect(networkEnvProblems("sepolia", { SEPOLIA_RPC_URL: "https://rpc.example", DEPLOYER_PRIVATE_KEY: KEY })).to.deep.equal([]);
    expect(networkEnvProblems("sepolia", { SEPOLIA_RPC_URL: "rpc.example", DEPLOYER_PRIVATE_KEY: KEY })[0]).to.include(
      "not an http(s):// URL",
    );
  });

  it("keeps a malformed deployer key out of the accounts (the env check reports it instead)", function () {
    expect(deployerAccounts({ DEPLOYER_PRIVATE_KEY: KEY })).to.deep.equal([KEY]);
    expect(deployerAccounts({ DEPLOYER_PRIVATE_KEY: "nope" })).to.deep.equal([]);
  });

  it("pins the fork block unless FORK_BLOCK overrides it, and reads HARDHAT_CHAIN_ID", function () {
    expect(forkBlock({})).to.equal(DEFAULT_FORK_BLOCK);
    expect(forkBlock({ FORK_BLOCK: "21000000" })).to.equal(21_000_000);
    expect(() => forkBlock({ FORK_BLOCK: "latest" })).to.throw("FORK_BLOCK");
    expect(hardhatChainId({})).to.equal(31337);
    expect(hardhatChainId({ HARDHAT_CHAIN_ID: "11155111" })).to.equal(11155111);
    expect(() => hardhatChainId({ HARDHAT_CHAIN_ID: "0" })).to.throw("HARDHAT_CHAIN_ID");
  });

  it("confirms mainnet only on CONFIRM_MAINNET=yes", function () {
    expect(mainnetConfirmationProblem({})).to.include("CONFIRM_MAINNET=yes");
    expect(mainnetConfirmationProblem({ CONFIRM_MAINNET: "true" })).to.include("refusing");
    expect(mainnetConfirmationProblem({ CONFIRM_MAINNET: "yes" })).to.equal(null);
  });

  it("refuses dev accounts, zero addresses and shared keys as role holders on real networks", function () {
    expect(hardhatDevAccounts().size).to.equal(20);
    expect(rolePlaceholderProblems(localhostParameters).join("\n")).to.include("Fund.keeper: 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 is a public Hardhat dev account");
    expect(rolePlaceholderProblems(mainnetParameters)).to.have.length(3);
    const shared = "0x1111111111111111111111111111111111111111";
    const distinct = { Fund: { keeper: shared, assessor: "0x2222222222222222222222222222222222222222", guardian: "0x3333333333333333333333333333333333333333" } };
    expect(rolePlaceholderProblems(distinct)).to.deep.equal([]);
    expect(rolePlaceholderProblems({ Fund: { ...distinct.Fund, guardian: shared } })).to.deep.equal([
      "Fund.guardian: same account as Fund.keeper — each role needs its own key",
    ]);
    expect(rolePlaceholderProblems({})[0]).to.include("Fund.keeper: missing");
  });

  it("mainnet.json uses the addresses of deploy/config/mainnet.ts (@nexusmutual/deployments 3.4.0)", function () {
    expect(mainnetParameters.MainnetNexus).to.deep.equal({ cover: MAINNET_NEXUS.Cover, claims: MAINNET_NEXUS.Claims });
    expect(mainnetParameters.MainnetTokens).to.deep.equal({ usdc: MAINNET_TOKENS.USDC, usdt: MAINNET_TOKENS.USDT, dai: MAINNET_TOKENS.DAI });
  });
});

describe("deploy: keeper deployment lookup", function () {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "sif-deployments-"))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("finds the fund and lens of a chain in deployed_addresses.json", function () {
    fs.mkdirSync(path.join(dir, "chain-31337"), { recursive: true });
    const fund = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
    const lens = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
    fs.writeFileSync(path.join(dir, "chain-31337", "deployed_addresses.json"), JSON.stringify({ [FUND_FUTURE_ID]: fund, [LENS_FUTURE_ID]: lens }));
    const deployed = readDeployedFund(31337, dir);
    expect(deployed.fundAddress).to.equal("0x5FbDB2315678afecb367f032d93F642f64180aa3");
    expect(deployed.lensAddress).to.equal(lens);
  });

  it("says what to run when the chain has no deployment or the file lacks the fund", function () {
    expect(() => readDeployedFund(11155111, dir)).to.throw(DeploymentLookupError, "no deployment for chain 11155111");
    expect(() => parseDeployedFund({ [LENS_FUTURE_ID]: "0x5FbDB2315678afecb367f032d93F642f64180aa3" }, 1, "f.json")).to.throw(
      DeploymentLookupError,
      `no address for "${FUND_FUTURE_ID}"`,
    );
    expect(() => readDeployedFund(0, dir)).to.throw(DeploymentLookupError, "positive integer");
  });
});

describe("deploy: script inputs (pure)", function () {
  it("parses role names and refuses the admin role", function () {
    expect(parseRole({ ROLE: "risk_oracle" }).role).to.equal("RISK_ORACLE_ROLE");
    expect(() => parseRole({ ROLE: "DEFAULT_ADMIN_ROLE" })).to.throw(ScriptInputError, "not a grantable role");
    expect(() => parseRole({})).to.throw(ScriptInputError, "ROLE is not set");
  });

  it("parses token amounts in whole tokens and names the variable when invalid", function () {
    expect(parseTokenAmount({ AMOUNT: "1500.25" }, "AMOUNT", 6)).to.equal(1_500_250_000n);
    expect(() => parseTokenAmount({ AMOUNT: "-1" }, "AMOUNT", 6)).to.throw(ScriptInputError, "AMOUNT=-1");
    expect(() => parseTokenAmount({ AMOUNT: "0.0000001" }, "AMOUNT", 6)).to.throw(ScriptInputError, "more than 6 decimals");
    expect(() => parseTokenAmount({ AMOUNT: "0" }, "AMOUNT", 6)).to.throw(ScriptInputError, "greater than zero");
  });

  it("allows local-only scripts on hardhat/localhost only", function () {
    expect(() => requireLocalNetwork("localhost", "x")).not.to.throw();
    expect(() => requireLocalNetwork("sepolia", "seed-portfolio")).to.throw(ScriptInputError, "only on a local chain");
  });

  it("collapses a fixture TVL by the given share, in two readings after its newest point", function () {
    const snapshot = { protocol: "curve", tvlUsd: 1_000, tvlHistory: [{ date: 200, tvlUsd: 1_000 }, { date: 100, tvlUsd: 900 }] };
    const next = collapseTvl(snapshot, { fraction: 0.9, afterSeconds: 3600 });
    expect(next.tvlUsd).to.equal(100);
    expect(next.tvlHistory).to.deep.equal([{ date: 100, tvlUsd: 900 }, { date: 200, tvlUsd: 1_000 }, { date: 2000, tvlUsd: 100 }, { date: 3800, tvlUsd: 100 }]);
    expect(() => collapseTvl({ protocol: "x" }, { fraction: 0.5, afterSeconds: 1 })).to.throw(RangeError, "no TVL");
    expect(() => collapseTvl(snapshot, { fraction: 1, afterSeconds: 1 })).to.throw(RangeError, "fraction");
  });
});
