import { extendEnvironment, scope, subtask, task } from "hardhat/config";
import {
  TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD,
  TASK_TEST_GET_TEST_FILES,
} from "hardhat/builtin-tasks/task-names";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { HardhatUserConfig } from "hardhat/config";
import "@nomicfoundation/hardhat-toolbox";
import "dotenv/config";
import {
  deployerAccounts,
  envValue,
  forkBlock,
  hardhatChainId,
  etherscanKeyProblem,
  mainnetConfirmationProblem,
  networkEnvProblems,
  REMOTE_NETWORK_ENV,
  rpcUnreachableProblem,
} from "./deploy/lib/networkEnv";
import { rolePlaceholderProblems } from "./deploy/lib/parameters";

/**
 * The compiler version is pinned here and in package.json ("solc": exact). Compilation never
 * downloads anything: the override below hands Hardhat the solc-js build shipped inside the
 * `solc` npm package.
 */
const SOLC_VERSION = "0.8.28";

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) {
    return runSuper(args);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const installed: string = require("solc/package.json").version;
  if (installed !== SOLC_VERSION) {
    throw new Error(
      `hardhat.config.ts pins solc ${SOLC_VERSION} but node_modules has solc ${installed}; run \`npm ci\`.`,
    );
  }
  return {
    compilerPath: require.resolve("solc/soljson.js"),
    isSolcJs: true,
    version: SOLC_VERSION,
    longVersion: `${SOLC_VERSION}+solcjs`,
  };
});

/**
 * Files that take a minute or more (child processes: a hardhat node, a deploy, Chromium; the
 * seeded property model and fault suite). `--parallel` hands files to its workers in order, so
 * these go first: the run's tail is then short files, not a 100 s one started last.
 */
const SLOW_TEST_FILES = [
  "keeper/test/e2e/operatorWalkthrough.test.ts",
  "keeper/test/e2e/dashboard.test.ts",
  "keeper/test/e2e/demo.test.ts",
  "keeper/test/e2e/startCtrlC.test.ts",
  "test/property/",
  "keeper/test/faults/",
  "test/deploy/",
  "keeper/test/e2e/",
];

function slowRank(file: string): number {
  const relative = path.relative(__dirname, file).split(path.sep).join("/");
  const rank = SLOW_TEST_FILES.findIndex((prefix) => relative.startsWith(prefix));
  return rank < 0 ? SLOW_TEST_FILES.length : rank;
}

/** `npx hardhat test` with no file arguments runs the contract suite and the keeper suite, slowest files first. */
subtask(TASK_TEST_GET_TEST_FILES, async (args: { testFiles: string[] }, _hre, runSuper) => {
  const files: string[] = await runSuper(args);
  if (args.testFiles.length > 0) return files;
  const all = [...files, ...listTestFiles(path.join(__dirname, "keeper", "test"))];
  // A stable sort: within a rank, the files keep their order.
  return all.map((file, index) => ({ file, index, rank: slowRank(file) })).sort((a, b) => a.rank - b.rank || a.index - b.index).map((x) => x.file);
});

function listTestFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return listTestFiles(full);
      return entry.name.endsWith(".test.ts") ? [full] : [];
    })
    .sort();
}

/**
 * Remote networks are always defined (so `--network sepolia` is recognised) but their env is
 * checked only when one is actually used: a missing variable stops the run with one line naming it.
 */
extendEnvironment((hre) => {
  const problems = networkEnvProblems(hre.network.name, process.env);
  if (problems.length > 0) exitWithMessage(`network "${hre.network.name}":\n  ${problems.join("\n  ")}`);
  if (REMOTE_NETWORK_ENV[hre.network.name] === undefined) return;
  // An unreachable RPC (typo, dead host) stops with one line naming the variable, not an HH108 stack.
  const provider = hre.network.provider;
  const named = <T>(call: Promise<T>): Promise<T> =>
    call.catch((err: unknown) => {
      const line = rpcUnreachableProblem(hre.network.name, err, process.env);
      if (line !== null) exitWithMessage(line);
      throw err;
    });
  const request = provider.request.bind(provider);
  const send = provider.send.bind(provider);
  provider.request = (args) => named(request(args));
  provider.send = (method, params) => named(send(method, params));
});

/** Verification names the variable to set instead of "No etherscan API key configured". */
task("verify").setAction(async (args, _hre, runSuper) => {
  const problem = etherscanKeyProblem(process.env);
  if (problem !== null) exitWithMessage(problem);
  return runSuper(args);
});
scope("ignition")
  .task("verify")
  .setAction(async (args, _hre, runSuper) => {
    const problem = etherscanKeyProblem(process.env);
    if (problem !== null) exitWithMessage(problem);
    return runSuper(args);
  });

/**
 * Stops with one clear message. Hardhat prints a stack trace for any thrown error on a Linux host
 * without a display (it assumes CI), so configuration problems exit here instead.
 */
function exitWithMessage(message: string): never {
  console.error(`Error: ${message}`);
  process.exit(1);
}

/** Guards on `hardhat ignition deploy`: mainnet needs CONFIRM_MAINNET=yes; real networks need real role holders. */
scope("ignition")
  .task("deploy")
  .setAction(async (args: { parameters?: string; verify?: boolean }, hre, runSuper) => {
    if (args.verify === true) {
      const problem = etherscanKeyProblem(process.env);
      if (problem !== null) exitWithMessage(problem);
    }
    if (hre.network.name === "mainnet" || hre.network.config.chainId === 1) {
      const refusal = mainnetConfirmationProblem(process.env);
      if (refusal !== null) exitWithMessage(refusal);
    }
    if (hre.network.name === "mainnet" || hre.network.name === "sepolia") {
      const problems = args.parameters === undefined ? [] : rolePlaceholderProblems(readJson(args.parameters));
      if (problems.length > 0) exitWithMessage(`${args.parameters}:\n  ${problems.join("\n  ")}`);
    }
    return runSuper(args);
  });

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(path.resolve(file), "utf8"));
}

const MAINNET_RPC_URL = envValue(process.env, "MAINNET_RPC_URL");

/** A malformed FORK_BLOCK / HARDHAT_CHAIN_ID stops with one line, not a stack trace. */
function fromEnv<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    return exitWithMessage((err as Error).message);
  }
}
/** Placeholder URL for an unset remote network; never contacted (the env check above stops first). */
const unsetUrl = (variable: string) => `http://unset-${variable.toLowerCase()}.invalid`;

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      // EVM target: Cancun (mainnet and Sepolia since March 2024). Transient storage is not used.
      evmVersion: "cancun",
      optimizer: { enabled: true, runs: 200 },
      viaIR: true,
    },
  },
  networks: {
    hardhat: {
      hardfork: "cancun",
      chainId: fromEnv(() => hardhatChainId(process.env)),
      // Forks mainnet at a pinned block only when MAINNET_RPC_URL is set (FORK_BLOCK overrides the block).
      ...(MAINNET_RPC_URL !== undefined
        ? { forking: { url: MAINNET_RPC_URL, blockNumber: fromEnv(() => forkBlock(process.env)), enabled: true } }
        : {}),
    },
    localhost: {
      url: envValue(process.env, "LOCALHOST_RPC_URL") ?? "http://127.0.0.1:8545",
    },
    sepolia: {
      url: envValue(process.env, "SEPOLIA_RPC_URL") ?? unsetUrl("SEPOLIA_RPC_URL"),
      chainId: 11155111,
      accounts: deployerAccounts(process.env),
    },
    mainnet: {
      url: MAINNET_RPC_URL ?? unsetUrl("MAINNET_RPC_URL"),
      chainId: 1,
      accounts: deployerAccounts(process.env),
    },
  },
  paths: {
    // Modules in deploy/modules, deployments in deploy/deployments/chain-<id>. SIF_IGNITION_DIR
    // points deployments elsewhere (tests use a temp dir).
    ignition: envValue(process.env, "SIF_IGNITION_DIR") ?? "deploy",
  },
  etherscan: {
    apiKey: envValue(process.env, "ETHERSCAN_API_KEY") ?? "",
  },
  sourcify: {
    enabled: false,
  },
  typechain: {
    outDir: "typechain-types",
    target: "ethers-v6",
    // Coverage compiles instrumented contracts: keep their bytecode out of typechain-types, so a
    // coverage run beside `npm test` (as .ci/run does) never changes what the tests deploy.
    dontOverrideCompile: process.env.SIF_COVERAGE === "1",
  },
  gasReporter: {
    enabled: process.env.REPORT_GAS === "true",
  },
  mocha: {
    timeout: 120_000,
    // `npm test` runs mocha in parallel (`--parallel`): one worker per core, at least 2, since
    // most of the suite's wall time is child processes and loopback servers waiting on each other.
    jobs: Number(process.env.MOCHA_JOBS ?? Math.max(2, os.cpus().length)),
    // `npm run test:times` adds each file's wall time at the end (where the time goes).
    ...(process.env.TEST_FILE_TIMES !== undefined ? { reporter: path.join(__dirname, "scripts", "mocha", "fileTimesReporter.cjs") } : {}),
  },
};

export default config;
