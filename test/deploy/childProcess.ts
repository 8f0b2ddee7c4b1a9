/** Child Hardhat processes for the deploy tests (no shell, explicit env, always killed). */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

import { freePort } from "../../keeper/src/cli/embedded";

export { freePort };

export const REPO_ROOT = path.join(__dirname, "..", "..");
const HARDHAT_CLI = path.join(REPO_ROOT, "node_modules", "hardhat", "internal", "cli", "cli.js");

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The child env: this process's env without anything that would reach a real network
 * (fork URL, remote RPC URLs, keys), then `overrides`.
 */
export function childEnv(overrides: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ["MAINNET_RPC_URL", "SEPOLIA_RPC_URL", "DEPLOYER_PRIVATE_KEY", "CONFIRM_MAINNET", "FORK_BLOCK", "SIF_IGNITION_DIR"]) {
    env[name] = ""; // empty (not deleted) so dotenv does not fill it from a developer's .env
  }
  // Hardhat reads HARDHAT_* env as CLI arguments (the parent `hardhat test` sets HARDHAT_NETWORK).
  for (const name of Object.keys(env)) if (name.startsWith("HARDHAT_")) delete env[name];
  return { ...env, ...overrides };
}

export function runHardhat(args: readonly string[], env: Readonly<Record<string, string>>, timeoutMs = 120_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HARDHAT_CLI, ...args], { cwd: REPO_ROOT, env: childEnv(env) });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`hardhat ${args.join(" ")} timed out after ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface LocalNode {
  readonly url: string;
  stop(): Promise<void>;
}

/** `hardhat node` on 127.0.0.1:<free port>; resolves once it listens. */
export async function startNode(env: Readonly<Record<string, string>>, timeoutMs = 60_000): Promise<LocalNode> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [HARDHAT_CLI, "node", "--hostname", "127.0.0.1", "--port", String(port)], {
    cwd: REPO_ROOT,
    env: childEnv(env),
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("close", () => resolve());
      child.kill("SIGTERM");
    });
  let output = "";
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`hardhat node did not start in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onReady = () => {
      if (output.includes("Started HTTP")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.stdout?.on("data", onReady);
    child.once("close", (code) => {
      clearTimeout(timer);
      reject(new Error(`hardhat node exited (${code}):\n${output}`));
    });
  });
  // Keep draining (the node logs every request) without holding the output.
  child.stdout?.off("data", onData);
  child.stdout?.removeAllListeners("data");
  child.stderr?.off("data", onData);
  child.stdout?.resume();
  child.stderr?.resume();
  return { url: `http://127.0.0.1:${port}`, stop };
}
