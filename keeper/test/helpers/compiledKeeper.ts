/**
 * The compiled keeper (`npm run build` → dist/), built on demand for the tests that run it the way
 * an operator does (`npm run keeper -- …` = keeper/bin/keeper.js). Builds when dist/ is missing or
 * older than any keeper source file; parallel mocha workers share one build through a lock dir.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";

export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
export const KEEPER_LAUNCHER = path.join(REPO_ROOT, "keeper", "bin", "keeper.js");
export const COMPILED_CLI = path.join(REPO_ROOT, "dist", "keeper", "src", "cli", "cli.js");
const LOCK = path.join(REPO_ROOT, "dist", ".build-lock");

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : entry.name.endsWith(".ts") ? statSync(full).mtimeMs : 0);
  }
  return newest;
}

function isFresh(): boolean {
  return existsSync(COMPILED_CLI) && statSync(COMPILED_CLI).mtimeMs >= newestSource(path.join(REPO_ROOT, "keeper", "src"));
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Makes sure dist/ holds a build of the current keeper sources (runs `npm run build`'s tsc if not). */
export async function ensureCompiledKeeper(): Promise<void> {
  if (isFresh()) return;
  mkdirSync(path.dirname(LOCK), { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK); // atomic: one builder at a time
      break;
    } catch {
      // Another worker is building; a lock older than 5 minutes is a crashed build.
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > 300_000) rmSync(LOCK, { recursive: true, force: true });
      await sleep(500);
      if (isFresh()) return;
    }
  }
  try {
    if (isFresh()) return;
    const tsc = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
    const result = spawnSync(process.execPath, [tsc, "-p", path.join(REPO_ROOT, "tsconfig.build.json")], { cwd: REPO_ROOT, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`npm run build failed:\n${result.stdout}${result.stderr}`);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
