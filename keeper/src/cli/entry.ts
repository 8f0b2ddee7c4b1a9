/**
 * What the `npm start` / `npm run demo` entries share. Kept free of TypeChain imports: on a fresh
 * checkout the bindings do not exist until `hardhat compile` has run.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { LOG_LEVELS } from "../config/schema";
import type { LogLevel } from "../lib/logger";
import { REPO_ROOT } from "../lib/paths";

const FUND_BINDING = path.join(REPO_ROOT, "typechain-types", "factories", "contracts", "StablecoinInsuranceFund__factory.ts");

/** Compiles the contracts (artifacts + TypeChain bindings) when the bindings are missing. */
export function ensureCompiled(): void {
  if (existsSync(FUND_BINDING)) return;
  process.stderr.write("contracts not compiled yet: running `hardhat compile` (once, ~1 min)\n");
  const cli = path.join(REPO_ROOT, "node_modules", "hardhat", "internal", "cli", "cli.js");
  const result = spawnSync(process.execPath, [cli, "compile", "--quiet"], { cwd: REPO_ROOT, stdio: "inherit" });
  if (result.status !== 0) throw new Error("hardhat compile failed");
}

/**
 * The signals that stop the keeper cleanly: Ctrl-C (SIGINT), a service manager (SIGTERM), and a
 * closed terminal (SIGHUP) — each stops the daemon, then the embedded chain, and removes its
 * temporary directory.
 */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** LOG_LEVEL from env when valid, else `fallback`. */
export function logLevelFromEnv(env: NodeJS.ProcessEnv, fallback: LogLevel): LogLevel {
  const raw = (env["LOG_LEVEL"] ?? "").trim();
  return (LOG_LEVELS as readonly string[]).includes(raw) ? (raw as LogLevel) : fallback;
}

/** Sets the exit code from the entry's promise; a throw prints one line and exits 1. */
export function exitWhenDone(done: Promise<number>, name: string): void {
  done.then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${name}: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
