/**
 * `npm run bench:startup`: wall time from process spawn to exit of `keeper --help`, and the CPU
 * time the process used (less sensitive to a busy machine), run through ts-node (`npm run
 * keeper:dev`, development: what `npm run keeper` was before the build existed) and as compiled
 * JavaScript (`npm run keeper`, production: keeper/bin/keeper.js → dist/). Prints one JSON object;
 * nothing is timed inside a test.
 *
 * Env: BENCH_RUNS (measured runs per mode, default 7; one unmeasured warm-up run precedes them).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const TS_NODE = path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js");
const COMPILED_CLI = path.join(ROOT, "dist", "keeper", "src", "cli", "cli.js");
const LAUNCHER = path.join(ROOT, "keeper", "bin", "keeper.js");
const CPU_PRELOAD = path.join(ROOT, "scripts", "lib", "cpu-at-exit.js");

interface ModeResult {
  readonly command: string;
  readonly runs: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** CPU time (user + system) of the process, median, ms. */
  readonly cpuMedianMs: number;
}

function measure(args: readonly string[], runs: number): ModeResult {
  const once = (): { wall: number; cpu: number } => {
    const started = process.hrtime.bigint();
    const result = spawnSync(process.execPath, ["-r", CPU_PRELOAD, ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, KEEPER_CONFIG: "" } });
    const wall = Number(process.hrtime.bigint() - started) / 1e6;
    if (result.status !== 0 || !result.stdout.includes("Usage: keeper")) {
      throw new Error(`node ${args.join(" ")} exited ${result.status}: ${result.stderr.slice(0, 2000)}`);
    }
    const cpu = Number(/BENCH_CPU_US (\d+)/.exec(result.stderr)?.[1] ?? NaN) / 1000;
    return { wall, cpu };
  };
  once(); // warm-up: file-system cache, V8 code cache of node itself
  const samples = Array.from({ length: runs }, once);
  const wall = samples.map((s) => s.wall).sort((a, b) => a - b);
  const cpu = samples.map((s) => s.cpu).sort((a, b) => a - b);
  const median = (xs: number[]) => Math.round(xs[Math.floor(xs.length / 2)] ?? NaN);
  return {
    command: `node ${args.map((a) => path.relative(ROOT, a) || a).join(" ")}`,
    runs,
    medianMs: median(wall),
    minMs: Math.round(wall[0] ?? NaN),
    maxMs: Math.round(wall[wall.length - 1] ?? NaN),
    cpuMedianMs: median(cpu),
  };
}

function main(): void {
  const runs = Number(process.env["BENCH_RUNS"] ?? "7");
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`BENCH_RUNS=${process.env["BENCH_RUNS"]}: use a positive integer`);
  const tsNode = measure([TS_NODE, "--transpile-only", path.join(ROOT, "keeper", "src", "cli", "cli.ts"), "--help"], runs);
  const compiled = existsSync(COMPILED_CLI) ? measure([LAUNCHER, "--help"], runs) : undefined;
  const out = {
    bench: "keeper --help start-up",
    node: process.version,
    tsNode,
    compiled: compiled ?? `missing ${path.relative(ROOT, COMPILED_CLI)}: run \`npm run build\` first`,
    ...(compiled !== undefined
      ? {
          speedupWall: Math.round((tsNode.medianMs / compiled.medianMs) * 100) / 100,
          speedupCpu: Math.round((tsNode.cpuMedianMs / compiled.cpuMedianMs) * 100) / 100,
        }
      : {}),
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

main();
