/**
 * `npm run bench:startup`: wall time from process spawn to exit of `keeper --help`, run through
 * ts-node (`npm run keeper:dev`, development) and as compiled JavaScript (`npm run keeper`,
 * production, after `npm run build`). Prints one JSON object; nothing is timed inside a test.
 *
 * Env: BENCH_RUNS (measured runs per mode, default 7; one unmeasured warm-up run precedes them).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const TS_NODE = path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js");
const COMPILED_CLI = path.join(ROOT, "dist", "keeper", "src", "app", "cli.js");

interface ModeResult {
  readonly command: string;
  readonly runs: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
}

function measure(args: readonly string[], runs: number): ModeResult {
  const once = (): number => {
    const started = process.hrtime.bigint();
    const result = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", env: { ...process.env, KEEPER_CONFIG: "" } });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (result.status !== 0 || !result.stdout.includes("Usage: keeper")) {
      throw new Error(`node ${args.join(" ")} exited ${result.status}: ${result.stderr.slice(0, 2000)}`);
    }
    return ms;
  };
  once(); // warm-up: file-system cache, V8 code cache of node itself
  const samples = Array.from({ length: runs }, once).sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms);
  return {
    command: `node ${args.map((a) => path.relative(ROOT, a) || a).join(" ")}`,
    runs,
    medianMs: round(samples[Math.floor(samples.length / 2)] ?? NaN),
    minMs: round(samples[0] ?? NaN),
    maxMs: round(samples[samples.length - 1] ?? NaN),
  };
}

function main(): void {
  const runs = Number(process.env["BENCH_RUNS"] ?? "7");
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`BENCH_RUNS=${process.env["BENCH_RUNS"]}: use a positive integer`);
  const tsNode = measure([TS_NODE, "--transpile-only", path.join(ROOT, "keeper", "src", "app", "cli.ts"), "--help"], runs);
  const compiled = existsSync(COMPILED_CLI) ? measure([COMPILED_CLI, "--help"], runs) : undefined;
  const out = {
    bench: "keeper --help start-up",
    node: process.version,
    tsNode,
    compiled: compiled ?? `missing ${path.relative(ROOT, COMPILED_CLI)}: run \`npm run build\` first`,
    ...(compiled !== undefined ? { speedup: Math.round((tsNode.medianMs / compiled.medianMs) * 100) / 100 } : {}),
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

main();
