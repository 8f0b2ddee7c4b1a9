/**
 * docs/operator-local.md, run as written: every command of its ```sh blocks, in order, each in a
 * child process (node → deploy → seed → build → init → doctor → set-agent → once → simulate-exploit →
 * once (suspected: halt, no claim) → incident confirm → claim filed → assess → settle → withdraw →
 * status (claim paid, next step) → incident resolve → clear-incident → status). The only translations are where things live:
 * `npm run node` is a hardhat node on a free port (RPC_URL / LOCALHOST_RPC_URL point at it),
 * Ignition writes to a temp dir (SIF_IGNITION_DIR, which the keeper also reads), and the commands
 * run in a temp working directory (`npm run build` = the build, made once for all the tests that
 * run it, `npm run keeper -- x` = keeper/bin/keeper.js, the compiled CLI, `npx hardhat run
 * ... scripts/x.ts` = the Hardhat CLI in this repository, KEEPER_CONFIG made absolute). Asserts the claim was
 * filed by the keeper's account and paid to the beneficiary.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import { promises as fs, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Contract, Interface, JsonRpcProvider, NonceManager } from "ethers";

import { devAccount, hardhatChildEnv, startHardhatNode, type EmbeddedNode } from "../../src/cli/embedded";
import type { SafeBatchFile } from "../../src/cli/commands/safeBatch";
import { deployRealSafe } from "../../../test/helpers/realSafe";
import { KEEPER_LAUNCHER, ensureCompiledKeeper } from "../helpers/compiledKeeper";
import { StablecoinInsuranceFund__factory } from "../../../typechain-types/factories/contracts/StablecoinInsuranceFund__factory";

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
const DOC = path.join(REPO_ROOT, "docs", "operator-local.md");
const HARDHAT_CLI = path.join(REPO_ROOT, "node_modules", "hardhat", "internal", "cli", "cli.js");
const KEEPER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const BENEFICIARY = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65";

/** The command lines of the doc's ```sh blocks, in order. */
export function docCommands(text: string): string[] {
  const commands: string[] = [];
  for (const block of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of (block[1] ?? "").split("\n")) {
      const command = line.replace(/\s+#.*$/, "").trim();
      if (command !== "") commands.push(command);
    }
  }
  return commands;
}

/** `A=1 B=2 rest...` → ({A, B}, rest words). */
function splitAssignments(words: readonly string[]): { env: Record<string, string>; rest: string[] } {
  const env: Record<string, string> = {};
  let i = 0;
  for (; i < words.length; i += 1) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(words[i] as string);
    if (m === null) break;
    env[m[1] as string] = m[2] as string;
  }
  return { env, rest: words.slice(i) };
}

interface Ran {
  readonly command: string;
  readonly code: number | null;
  readonly output: string;
}

function runChild(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...argv], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe("docs/operator-local.md walk-through (e2e)", function () {
  this.timeout(900_000);
  let node: EmbeddedNode | undefined;
  let workDir: string;

  after(async () => {
    await node?.stop();
    if (workDir !== undefined) await fs.rm(workDir, { recursive: true, force: true });
  });

  it("every documented command runs; the keeper files the claim and the beneficiary is paid", async () => {
    const commands = docCommands(await fs.readFile(DOC, "utf8"));
    expect(commands[0]).to.equal("npm run node");
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), "operator-walkthrough-"));
    const ignitionDir = path.join(workDir, "ignition");
    await fs.mkdir(ignitionDir);
    symlinkSync(path.join(REPO_ROOT, "deploy", "modules"), path.join(ignitionDir, "modules"), "dir");

    // The shell's environment: exported variables accumulate.
    const shell: Record<string, string> = {
      SIF_IGNITION_DIR: ignitionDir,
      TS_NODE_TRANSPILE_ONLY: "true",
      TS_NODE_PROJECT: path.join(REPO_ROOT, "tsconfig.json"),
      HARDHAT_IGNITION_CONFIRM_DEPLOYMENT: "true",
    };
    const ran: Ran[] = [];
    let provider: JsonRpcProvider | undefined;
    try {
      for (const command of commands) {
        const words = command.split(/\s+/);
        if (words[0] === "export") {
          Object.assign(shell, splitAssignments(words.slice(1)).env);
          ran.push({ command, code: 0, output: "" });
          continue;
        }
        const { env: inline, rest } = splitAssignments(words);
        let argv: string[];
        if (rest.join(" ") === "npm run node") {
          node = await startHardhatNode();
          shell["RPC_URL"] = node.url;
          shell["LOCALHOST_RPC_URL"] = node.url;
          provider = new JsonRpcProvider(node.url, 31337, { staticNetwork: true });
          ran.push({ command, code: 0, output: node.url });
          continue;
        } else if (rest.join(" ") === "npm run build") {
          await ensureCompiledKeeper();
          ran.push({ command, code: 0, output: "" });
          continue;
        } else if (rest.join(" ") === "npm run deploy:local") {
          argv = [HARDHAT_CLI, "run", "--network", "localhost", "scripts/deploy.ts"];
        } else if (rest[0] === "npx" && rest[1] === "hardhat" && rest[2] === "run") {
          const script = rest[rest.length - 1] as string;
          argv = [HARDHAT_CLI, ...rest.slice(2, -1), script];
        } else if (rest[0] === "npm" && rest[1] === "run" && rest[2] === "keeper" && rest[3] === "--") {
          argv = [KEEPER_LAUNCHER, ...rest.slice(4)];
        } else {
          throw new Error(`the walk-through test does not know how to run: ${command}`);
        }
        const isHardhat = argv[0] === HARDHAT_CLI;
        const base = isHardhat ? hardhatChildEnv() : { ...process.env };
        for (const name of Object.keys(base)) if (name.startsWith("HARDHAT_") && name !== "HARDHAT_IGNITION_CONFIRM_DEPLOYMENT") delete base[name];
        for (const name of ["KEEPER_CONFIG", "KEEPER_PRIVATE_KEY", "FUND_ADDRESS", "LENS_ADDRESS", "KEEPER_DB_PATH", "CHAIN_ID", "RPC_URLS", "ALERT_WEBHOOK_URL", "BENEFICIARY_PRIVATE_KEY", "ASSESSOR_PRIVATE_KEY", "ADMIN_PRIVATE_KEY", "FIXTURE_DIR"]) base[name] = "";
        const env: NodeJS.ProcessEnv = { ...base, ...shell, ...inline };
        // Hardhat runs inside the project; the shell's relative paths are the working directory's.
        if (isHardhat && env["KEEPER_CONFIG"] !== undefined && env["KEEPER_CONFIG"] !== "") env["KEEPER_CONFIG"] = path.resolve(workDir, env["KEEPER_CONFIG"]);
        const result = await runChild(argv, isHardhat ? REPO_ROOT : workDir, env, 300_000);
        ran.push({ command, ...result });
        const step = ran.length;
        // The first doctor runs before set-agent: it must fail, naming the missing approval.
        const expectedCode = command.endsWith("-- doctor") && !ran.slice(0, -1).some((r) => r.command.includes("set-agent")) ? 1 : 0;
        expect(result.code, `step ${step} \`${command}\`:\n${result.output}`).to.equal(expectedCode);
      }
    } finally {
      provider?.destroy();
    }

    const out = (needle: string): string => ran.find((r) => r.command.includes(needle))?.output ?? "";
    const transcript = ran.map((r) => `$ ${r.command}\n${r.output}`).join("\n");
    if (process.env["WALKTHROUGH_TRANSCRIPT"]) await fs.writeFile(process.env["WALKTHROUGH_TRANSCRIPT"], transcript);
    expect(out("deploy:local"), transcript).to.match(/deployed_addresses\.json/);
    expect(out("init --beneficiary"), transcript).to.match(/protocols: 7, positions: 7 \(active coverages of 0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65\)/);
    const doctors = ran.filter((r) => r.command.endsWith("-- doctor"));
    expect(doctors[0]!.output, transcript).to.match(new RegExp(`^FAIL agent: ${BENEFICIARY} has not approved ${KEEPER}`, "m"));
    expect(doctors[1]!.output).to.match(new RegExp(`^ok +agent: ${BENEFICIARY} approves ${KEEPER}`, "m"));
    expect(doctors[1]!.output).to.include("claims can be filed");
    // The TVL drop alone is a suspected incident (sales halted, no claim) until the operator confirms it.
    expect(out("incident list"), transcript).to.match(/^#1 radiant suspected .* halt reported/m);
    expect(out("incident confirm 1"), transcript).to.match(/^incident 1 \(.+\): confirmed$/m);
    expect(out("incident confirm 1"), transcript).to.match(/^incident tick: filed 1,/m);
    expect(out("-- status"), transcript).to.match(/open claims: #\d+ coverage \d+ \w+/);

    // On-chain truth: claim 1 was filed by the keeper's account for the beneficiary's Radiant cover, and paid.
    const deployed = JSON.parse(await fs.readFile(path.join(ignitionDir, "deployments", "chain-31337", "deployed_addresses.json"), "utf8")) as Record<string, string>;
    const fund = StablecoinInsuranceFund__factory.connect(deployed["Fund#StablecoinInsuranceFund"] as string, new JsonRpcProvider(node!.url, 31337, { staticNetwork: true }));
    const claim = await fund.getClaim(1n);
    expect(claim.claimant, transcript).to.equal(KEEPER);
    const coverage = await fund.getCoverageDetails(claim.coverageId);
    expect(coverage.beneficiary).to.equal(BENEFICIARY);
    expect(coverage.asset).to.equal(deployed["MockTokens#MockUSDT"]);
    expect(Number(claim.status)).to.equal(4); // Paid
    expect(claim.payout).to.be.greaterThan(0n);
    expect(await fund.creditedPayout(BENEFICIARY, coverage.asset)).to.equal(0n);
    const usdt = new Contract(coverage.asset, ["event Transfer(address indexed from, address indexed to, uint256 value)"], fund.runner);
    const paid = await usdt.queryFilter(usdt.filters["Transfer"]!(await fund.getAddress(), BENEFICIARY));
    expect(paid.map((e) => (e as unknown as { args: [string, string, bigint] }).args[2])).to.deep.include(claim.payout);
    expect(out("withdraw --asset USDT")).to.match(/withdraw [\d,.]+ USDT payout of 0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65/);

    // Resuming cover: status reads the paid claim from the chain and says how to resume; the
    // incident is resolved and the admin's clear-incident lifts the halt on chain.
    const statuses = ran.filter((r) => r.command.endsWith("-- status"));
    expect(statuses).to.have.length(3);
    expect(statuses[1]!.output, transcript).to.match(/closed claims: #\d+ coverage \d+ paid \(on chain\) \(fund claim 1\)/);
    expect(statuses[1]!.output, transcript).to.match(/to resume cover on radiant, resolve it \(`npm run keeper -- incident resolve 1`\), then the admin lifts the sales halt \(`npm run keeper -- clear-incident radiant`/);
    expect(out("incident resolve 1"), transcript).to.match(/^incident 1 \(.+\): resolved$/m);
    expect((await fund.getIncident(coverage.protocol)).active, transcript).to.equal(false); // sales of Radiant resume
    expect(statuses[2]!.output, transcript).to.match(/#1 Radiant — TVL drop, \d{4}-\d\d-\d\d \d\d:\d\d UTC: resolved(,|\n)/);

    // A beneficiary that is a Safe (the doc's "a Safe would use --safe-json"): the keeper writes the
    // set-agent batch, two of the Safe's three owners sign it and one sends execTransaction on the real
    // Safe 1.5.0 bytecode; the fund then lists the keeper as the Safe's agent.
    const rpc = new JsonRpcProvider(node!.url, 31337, { staticNetwork: true });
    rpc.pollingInterval = 50; // automining: receipts are there at once
    try {
      const owners = [10, 11, 12].map((i) => new NonceManager(devAccount(i).connect(rpc)));
      const safe = await deployRealSafe(owners, 2, { deployer: owners[0] });
      expect(await fund.isAgent(safe.address, KEEPER)).to.equal(false);
      const batchFile = path.join(workDir, "set-agent.safe.json");
      const env: NodeJS.ProcessEnv = { ...process.env, ...shell, BENEFICIARY_PRIVATE_KEY: "" };
      const written = await runChild([KEEPER_LAUNCHER, "set-agent", "--safe-json", batchFile, "--safe", safe.address], workDir, env, 120_000);
      expect(written.code, written.output).to.equal(0);
      const batch = JSON.parse(await fs.readFile(batchFile, "utf8")) as SafeBatchFile;
      expect(batch.meta.createdFromSafeAddress).to.equal(safe.address);
      expect(batch.chainId).to.equal("31337");
      for (const tx of batch.transactions) {
        // The Transaction Builder encodes from the method and its inputs when `data` is null; so does this.
        const data = tx.data ?? new Interface([{ type: "function", name: tx.contractMethod.name, inputs: [...tx.contractMethod.inputs], outputs: [], stateMutability: tx.contractMethod.payable ? "payable" : "nonpayable" }]).encodeFunctionData(tx.contractMethod.name, tx.contractMethod.inputs.map((i) => tx.contractInputsValues[i.name]));
        await safe.exec({ to: tx.to, data, value: BigInt(tx.value) }, [owners[1]!, owners[2]!], owners[0]);
      }
      expect(await fund.isAgent(safe.address, KEEPER)).to.equal(true);
      expect(await safe.safe.getFunction("nonce")()).to.equal(BigInt(batch.transactions.length));
    } finally {
      rpc.destroy();
    }
  });
});
