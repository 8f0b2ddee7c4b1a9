/**
 * Sepolia/mainnet errors at the RPC and verify steps name the variable to fix in one line: the
 * pure messages, and a real `hardhat run --network sepolia` against a closed port and
 * `hardhat verify` without ETHERSCAN_API_KEY (child processes, no network).
 */
import { expect } from "chai";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Wallet } from "ethers";

import { etherscanKeyProblem, rpcUnreachableProblem } from "../../deploy/lib/networkEnv";
import { freePort, runHardhat } from "./childProcess";

const KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

describe("deploy: network errors name the variable", function () {
  this.timeout(240_000);

  it("classifies connection failures and hides the URL's path (API keys live there)", () => {
    const env = { SEPOLIA_RPC_URL: "https://sepolia.example.org/v3/secret-project-key" };
    const dns = Object.assign(new Error("getaddrinfo ENOTFOUND sepolia.example.org"), { code: "ENOTFOUND" });
    expect(rpcUnreachableProblem("sepolia", new Error("HH108: Cannot connect to the network sepolia.", { cause: dns }), env)).to.equal(
      "SEPOLIA_RPC_URL (https://sepolia.example.org) cannot be reached (ENOTFOUND) — check the sepolia JSON-RPC URL in .env",
    );
    expect(rpcUnreachableProblem("mainnet", new Error("connect ECONNREFUSED 127.0.0.1:1"), { MAINNET_RPC_URL: "http://127.0.0.1:1" })).to.match(/^MAINNET_RPC_URL \(http:\/\/127\.0\.0\.1:1\) cannot be reached \(ECONNREFUSED\)/);
    expect(rpcUnreachableProblem("sepolia", new Error("execution reverted"), env)).to.equal(null);
    expect(rpcUnreachableProblem("localhost", new Error("ECONNREFUSED"), env)).to.equal(null);
    expect(etherscanKeyProblem({})).to.match(/^ETHERSCAN_API_KEY is not set — /);
    expect(etherscanKeyProblem({ ETHERSCAN_API_KEY: "abc" })).to.equal(null);
  });

  it("`hardhat run --network sepolia` with an unreachable SEPOLIA_RPC_URL stops with one line naming it", async () => {
    const port = await freePort();
    // Own role holders (the shipped dev accounts are refused before the RPC is touched).
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "sepolia-params-"));
    const parameters = JSON.parse(await fs.readFile(path.join(__dirname, "..", "..", "deploy", "parameters", "sepolia.json"), "utf8")) as { Fund: Record<string, unknown> };
    for (const role of ["keeper", "assessor", "guardian"]) parameters.Fund[role] = Wallet.createRandom().address;
    const file = path.join(dir, "sepolia.json");
    await fs.writeFile(file, JSON.stringify(parameters));
    const result = await runHardhat(["run", "--network", "sepolia", "scripts/deploy.ts"], { SEPOLIA_RPC_URL: `http://127.0.0.1:${port}/v3/secret`, DEPLOYER_PRIVATE_KEY: KEY, DEPLOY_PARAMETERS: file });
    await fs.rm(dir, { recursive: true, force: true });
    expect(result.code).to.equal(1);
    expect(result.stderr.trim()).to.equal(`Error: SEPOLIA_RPC_URL (http://127.0.0.1:${port}) cannot be reached (ECONNREFUSED) — check the sepolia JSON-RPC URL in .env`);
    expect(result.stderr + result.stdout).to.not.include("secret");
  });

  it("`hardhat verify` without ETHERSCAN_API_KEY names the variable", async () => {
    const result = await runHardhat(["verify", "--network", "localhost", "0x5FbDB2315678afecb367f032d93F642f64180aa3"], { ETHERSCAN_API_KEY: "" });
    expect(result.code).to.equal(1);
    expect(result.stderr.trim()).to.match(/^Error: ETHERSCAN_API_KEY is not set — put an Etherscan API key/);
  });
});
