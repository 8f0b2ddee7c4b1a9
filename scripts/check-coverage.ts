/**
 * CI gate for `npm run coverage`: reads coverage/coverage-summary.json (istanbul json-summary, see
 * .solcover.js) and fails below the thresholds over contracts/ excluding mocks/. Prints one JSON line.
 *
 *   npx ts-node --transpile-only scripts/check-coverage.ts [summaryPath]
 */
import fs from "node:fs";
import path from "node:path";

const THRESHOLDS = { statements: 95, branches: 90 } as const;

interface Metric {
  total: number;
  covered: number;
}
type FileSummary = Record<"lines" | "statements" | "functions" | "branches", Metric>;

function main(): void {
  const file = process.argv[2] ?? path.join("coverage", "coverage-summary.json");
  if (!fs.existsSync(file)) {
    console.error(`check-coverage: ${file} not found; run \`npm run coverage\` first (it writes json-summary, see .solcover.js)`);
    process.exit(1);
  }
  const summary = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, FileSummary>;
  const totals = { statements: { total: 0, covered: 0 }, branches: { total: 0, covered: 0 } };
  const files: string[] = [];
  for (const [name, s] of Object.entries(summary)) {
    if (name === "total") continue;
    const rel = name.replace(/\\/g, "/");
    // contracts/ only, mocks excluded (solidity-coverage already skips them; double-check here)
    if (!/(^|\/)contracts\//.test(rel) || /\/mocks\//.test(rel)) continue;
    files.push(rel.slice(rel.indexOf("contracts/")));
    for (const k of ["statements", "branches"] as const) {
      totals[k].total += s[k].total;
      totals[k].covered += s[k].covered;
    }
  }
  if (files.length === 0) {
    console.error(`check-coverage: no contracts/ entries in ${file}`);
    process.exit(1);
  }
  const pct = (m: Metric) => (m.total === 0 ? 100 : (100 * m.covered) / m.total);
  const result = {
    files: files.length,
    statements: Number(pct(totals.statements).toFixed(2)),
    branches: Number(pct(totals.branches).toFixed(2)),
    thresholds: THRESHOLDS,
  };
  const ok = result.statements >= THRESHOLDS.statements && result.branches >= THRESHOLDS.branches;
  console.log(JSON.stringify({ ...result, ok }));
  if (!ok) {
    console.error(
      `check-coverage: below the thresholds (statements ${result.statements}% < ${THRESHOLDS.statements}% or branches ${result.branches}% < ${THRESHOLDS.branches}%)`,
    );
    process.exit(1);
  }
}

main();
