/**
 * The keeper's layer order (docs/architecture.md), enforced: every relative import in
 * keeper/src points at the importing file's own folder or at a lower layer, and the pure layers
 * (domain, scoring, policy) do no I/O and read no clock.
 */
import { expect } from "chai";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const SRC = path.resolve(__dirname, "..", "..", "src");

/** Lowest first. A file may import its own layer or any layer listed before it. */
export const LAYERS = ["lib", "domain", "scoring", "policy", "config", "sources", "state", "execution", "alerting", "cycles", "server", "demo", "cli"] as const;

const PURE_LAYERS = new Set(["domain", "scoring", "policy"]);
/** What a pure layer must never touch: node's I/O modules, ethers, the network, the wall clock, the process. */
const IMPURE_PATTERNS: readonly [RegExp, string][] = [
  [/from\s+"ethers"/, "imports ethers"],
  [/from\s+"node:/, "imports a node: module"],
  [/\bfetch\s*\(/, "calls fetch()"],
  [/\bDate\.now\s*\(/, "reads the wall clock (Date.now)"],
  [/\bprocess\./, "reads process"],
];

function listTs(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return listTs(full);
    return name.endsWith(".ts") ? [full] : [];
  });
}

/** Relative module specifiers of one file: static imports/exports, `import()` and `require()`. */
export function relativeImports(source: string): string[] {
  const specs: string[] = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']+)["']/gm;
  for (const match of source.matchAll(pattern)) specs.push(match[1]!);
  return specs;
}

/** The layer of a path inside keeper/src, or undefined when it lies outside. */
function layerOf(file: string): string | undefined {
  const rel = path.relative(SRC, file);
  if (rel.startsWith("..")) return undefined;
  return rel.split(path.sep)[0];
}

function rank(layer: string): number {
  return (LAYERS as readonly string[]).indexOf(layer);
}

describe("keeper layering", () => {
  const files = listTs(SRC);

  it("every folder of keeper/src has a place in the layer order", () => {
    const folders = readdirSync(SRC).filter((name) => statSync(path.join(SRC, name)).isDirectory());
    expect(folders.filter((f) => rank(f) < 0), "folders missing from LAYERS (add them to the order and docs/architecture.md)").to.deep.equal([]);
  });

  it("no import runs up the layer order", () => {
    const upward: string[] = [];
    for (const file of files) {
      const from = layerOf(file)!;
      for (const spec of relativeImports(readFileSync(file, "utf8"))) {
        const to = layerOf(path.resolve(path.dirname(file), spec));
        if (to === undefined || to === from) continue;
        if (rank(to) > rank(from)) upward.push(`${path.relative(SRC, file)} (${from}) imports ${spec} (${to})`);
      }
    }
    expect(upward, "upward imports").to.deep.equal([]);
  });

  it("the pure layers do no I/O and read no clock", () => {
    const impure: string[] = [];
    for (const file of files) {
      if (!PURE_LAYERS.has(layerOf(file)!)) continue;
      const source = readFileSync(file, "utf8");
      for (const [pattern, what] of IMPURE_PATTERNS) if (pattern.test(source)) impure.push(`${path.relative(SRC, file)} ${what}`);
    }
    expect(impure).to.deep.equal([]);
  });

  it("the checker itself catches an upward import (it is not vacuous)", () => {
    expect(relativeImports('import type { X } from "../cycles/claimsCycle";\nconst y = require("./z");')).to.deep.equal(["../cycles/claimsCycle", "./z"]);
    expect(rank("policy")).to.be.lessThan(rank("sources"));
    expect(rank("cycles")).to.be.lessThan(rank("cli"));
  });
});
