/**
 * A TypeScript entry point run as a child process (ts-node, transpile only) from the repository
 * root, its stdout and stderr collected: the keeper daemon, the send and HA children of the tests.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..", "..");

export interface SpawnedTs {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** The exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

export function spawnTs(script: string, args: readonly string[], env: Record<string, string>): SpawnedTs {
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, TS_NODE_TRANSPILE_ONLY: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}
