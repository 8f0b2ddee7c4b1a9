/**
 * The dashboard in a real headless Chromium (Debian's `chromium`, driven by puppeteer-core):
 * `npm run demo -- --keep-open` runs the whole scenario on the embedded chain, then the page is
 * loaded from the URL the demo prints. Checks: no console error, no failed request, every chart
 * drawn with the series and points the keeper's own /api/snapshot says it should have, pixels on
 * every canvas; a full-page screenshot goes to test-output/dashboard.png (git-ignored).
 *
 * Without /usr/bin/chromium (or CHROMIUM_PATH) the suite skips with one line, except under CI
 * (`.ci/run` installs it with apt), where it fails.
 */
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import puppeteer, { type Browser } from "puppeteer-core";
import type { DashboardSnapshot } from "../../src/server/dashboard/snapshot";

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";
const OUTPUT_DIR = path.join(REPO_ROOT, "test-output");
const SCREENSHOT = path.join(OUTPUT_DIR, "dashboard.png");
/** The demo on a busy 2-core machine can take minutes. */
const DEMO_TIMEOUT_MS = 480_000;

/** The launch flags the project uses for Chromium in tests. */
export function chromiumArgs(userDataDir: string): string[] {
  return [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    `--user-data-dir=${userDataDir}`,
  ];
}

function demoEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TS_NODE_TRANSPILE_ONLY: "true", LOG_LEVEL: "error" };
  for (const name of ["RPC_URL", "RPC_URLS", "KEEPER_CONFIG", "KEEPER_PRIVATE_KEY", "FUND_ADDRESS", "LENS_ADDRESS", "KEEPER_DB_PATH", "ALERT_WEBHOOK_URL", "MAINNET_RPC_URL", "SEPOLIA_RPC_URL", "DEMO_PROTOCOL", "DEMO_DASHBOARD_PORT"]) {
    env[name] = "";
  }
  for (const name of Object.keys(env)) if (name.startsWith("HARDHAT_")) delete env[name];
  return env;
}

interface ChartFacts {
  readonly type: string;
  readonly labels: number;
  readonly series: { readonly label: string; readonly points: number; readonly nonNull: number }[];
  readonly paintedPixels: number;
}

describe("dashboard in headless Chromium (demo data)", function () {
  this.timeout(DEMO_TIMEOUT_MS + 120_000);
  let demo: ChildProcess | undefined;
  let browser: Browser | undefined;
  let userDataDir: string | undefined;
  let output = "";

  before(function () {
    if (!existsSync(CHROMIUM)) {
      if (process.env["CI"] !== undefined && process.env["CI"] !== "") throw new Error(`${CHROMIUM} missing under CI: .ci/run installs it with apt-get install -y chromium`);
      console.log(`    skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
      this.skip();
    }
  });

  after(async () => {
    await browser?.close();
    if (userDataDir !== undefined) rmSync(userDataDir, { recursive: true, force: true });
    if (demo !== undefined && demo.exitCode === null) {
      const exited = new Promise((resolve) => demo?.once("exit", resolve));
      demo.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
      if (demo.exitCode === null) demo.kill("SIGKILL");
    }
  });

  it("loads the demo's data, draws every chart with the right series and points, logs no error, writes a screenshot", async () => {
    demo = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(REPO_ROOT, "keeper", "src", "cli", "demo.ts"), "--keep-open"], {
      cwd: REPO_ROOT,
      env: demoEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    demo.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    demo.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        const open = /demo: the dashboard stays open on the final state at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
        if (open?.[1] !== undefined) {
          clearInterval(poll);
          resolve(open[1]);
        } else if (demo?.exitCode !== null || Date.now() - started > DEMO_TIMEOUT_MS) {
          clearInterval(poll);
          reject(new Error(`the demo did not keep its dashboard open:\n${output}`));
        }
      }, 250);
    });
    expect(output).to.match(/^dashboard: http:\/\/127\.0\.0\.1:\d+\/$/m);
    expect(output).to.include("demo: all stages passed");

    const snapshot = (await (await fetch(`${url}api/snapshot`)).json()) as DashboardSnapshot;
    expect(snapshot.errors).to.deep.equal([]);
    expect(snapshot.coverage?.rows).to.have.length(7);

    userDataDir = mkdtempSync(path.join(os.tmpdir(), "sif-chromium-"));
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: chromiumArgs(userDataDir) });
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warn") problems.push(`console.${message.type()}: ${message.text()}`);
    });
    page.on("pageerror", (err) => problems.push(`page error: ${err instanceof Error ? err.message : String(err)}`));
    page.on("requestfailed", (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ""}`));
    page.on("response", (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()} for ${response.url()}`);
      if (!response.url().startsWith(url)) problems.push(`request left the keeper: ${response.url()}`);
    });
    await page.setViewport({ width: 1400, height: 1000 });
    await page.goto(url, { waitUntil: "networkidle0", timeout: 60_000 });
    await page.waitForFunction(() => (globalThis as unknown as { sifDashboard?: { ready: boolean } }).sifDashboard?.ready === true, { timeout: 30_000 });

    const charts = await page.evaluate(() => {
      interface CanvasLike {
        width: number;
        height: number;
        getContext(kind: "2d"): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
      }
      interface ChartLike {
        config: { type: string };
        data: { labels?: unknown[]; datasets: { label?: string; data: unknown[] }[] };
        canvas: CanvasLike;
      }
      const all = (globalThis as unknown as { sifDashboard: { charts: Record<string, ChartLike> } }).sifDashboard.charts;
      const out: Record<string, ChartFacts> = {};
      for (const [name, chart] of Object.entries(all)) {
        const ctx = chart.canvas.getContext("2d");
        let painted = 0;
        if (ctx !== null) {
          const pixels = ctx.getImageData(0, 0, chart.canvas.width, chart.canvas.height).data;
          for (let i = 3; i < pixels.length; i += 4) if ((pixels[i] ?? 0) > 0) painted += 1;
        }
        out[name] = {
          type: chart.config.type,
          labels: chart.data.labels?.length ?? 0,
          series: chart.data.datasets.map((d) => ({ label: d.label ?? "", points: d.data.length, nonNull: d.data.filter((v) => v !== null && v !== undefined).length })),
          paintedPixels: painted,
        };
      }
      return out;
    });

    const rows = snapshot.coverage?.rows ?? [];
    const claims = snapshot.incidents.flatMap((i) => i.claims);
    expect(Object.keys(charts).sort()).to.deep.equal(["budget", "coverage", "ratio", "risk", "timeline"]);
    for (const [name, chart] of Object.entries(charts)) expect(chart.paintedPixels, `${name} canvas is blank`).to.be.above(2_000);

    // Coverage: position, coverage and optimal target for each of the 7 positions.
    // Issue 22 (one vocabulary): "Position" and "Target" (= position × risk multiplier), as in the CLI.
    expect(charts["coverage"]?.series.map((s) => [s.label, s.points])).to.deep.equal([
      ["Position", 7],
      ["Coverage", 7],
      ["Target", 7],
    ]);
    // Ratio bars plus the two band lines.
    expect(charts["ratio"]?.series.map((s) => s.points)).to.deep.equal([rows.length, rows.length, rows.length]);
    // Risk: one line per protocol (its stored assessments) and one series of on-chain pushes.
    const risk = charts["risk"];
    expect(risk?.series).to.have.length(snapshot.risk.length + 1);
    snapshot.risk.forEach((p, i) => {
      expect(p.history.length, p.protocol).to.be.at.least(1);
      expect(risk?.series[i]?.points, p.protocol).to.equal(p.history.length);
    });
    const pushes = snapshot.risk.reduce((n, p) => n + p.pushes.length, 0);
    expect(pushes, "the demo pushed every protocol's score on-chain").to.be.at.least(7);
    expect(risk?.series[snapshot.risk.length]).to.include({ label: "On-chain pushes", points: pushes });
    // Timeline: the exploited Nexus cover's claim with its window, voting, cooldown and redemption window.
    expect(claims).to.have.length(1);
    expect(charts["timeline"]?.labels).to.equal(1);
    expect(charts["timeline"]?.series.map((s) => [s.label, s.nonNull])).to.deep.equal([
      ["Claim window", 1],
      ["Voting", 1],
      ["Cooldown", 1],
      ["Redemption window", 1],
    ]);
    expect(claims[0]).to.include({ state: "paid", fundStatus: "Paid" });
    // Budget: one bar per chain day with premium (purchase + two renewals).
    expect(charts["budget"]?.series.map((s) => s.points)).to.deep.equal([snapshot.budget.perDay.length]);
    expect(snapshot.budget.perDay.length).to.equal(3);

    // Tables carry the same data.
    expect(await page.$$eval("#coverageTable tbody tr", (trs) => trs.length)).to.equal(7);
    expect(await page.$$eval("#loopTable tbody tr", (trs) => trs.length)).to.equal(3);
    expect(await page.$$eval("#claimsTable tbody tr td", (tds) => tds.map((td) => td.textContent ?? ""))).to.include("done (paid)");

    // Issue 22: every number a person reads has its unit; no raw 18000 or 277.150707 in a table.
    const cells = async (table: string): Promise<string[][]> =>
      page.$$eval(`#${table} tbody tr`, (trs) => trs.map((tr) => Array.from(tr.querySelectorAll("td")).map((td) => (td as { textContent: string | null }).textContent ?? "")));
    const headers = async (table: string): Promise<string[]> => page.$$eval(`#${table} thead th`, (ths) => ths.map((th) => th.textContent ?? ""));
    const USD = /^\$\d{1,3}(,\d{3})*$/;
    const CHAIN_TIME = /^(\d{4}-\d\d-\d\d \d\d:\d\d UTC|–)$/;
    expect(await headers("coverageTable")).to.deep.equal(["Protocol", "Score (on-chain)", "Position", "Coverage", "Target", "Coverage / target", "Premium paid", "Next expiry (chain time)"]);
    for (const row of await cells("coverageTable")) {
      for (const i of [2, 3, 4, 6]) expect(row[i], row.join(" | ")).to.match(USD);
      expect(row[5], row.join(" | ")).to.match(/^(\d+% of target|–)$/);
      expect(row[7], row.join(" | ")).to.match(CHAIN_TIME);
    }
    const aaveRow = (await cells("coverageTable")).find((row) => row[0] === "Aave V3");
    // The position is the aToken balance, which a real Aave drain never lowers (the loss is the
    // claim, measured on the reserve's balance sheet): $45,000 plus interest, not a raw 45007.
    expect(aaveRow?.[2]).to.match(/^\$45,0\d\d$/);
    for (const row of await cells("budgetTable")) for (const i of [1, 2]) expect(row[i], row.join(" | ")).to.match(USD);
    for (const row of await cells("reserveTable")) {
      for (const i of [1, 2, 3]) expect(row[i], row.join(" | ")).to.match(USD);
      expect(row[4], row.join(" | ")).to.match(/^(\d+% of self-insured|–)$/);
    }
    const riskHeaders = await headers("riskTable");
    expect(riskHeaders).to.include.members(["Score (assessed)", "Score (on-chain)"]);
    for (const row of await cells("riskTable")) expect(row[3], row.join(" | ")).to.match(/^(\d+%|–)$/);
    // The incident is named for a person; its key is on hover (and in the JSON).
    const incidentCell = await page.$eval("#claimsTable tbody tr td", (td) => ({ text: td.textContent ?? "", title: td.getAttribute("title") ?? "" }));
    expect(incidentCell.text).to.match(/^Aave V3 — on-chain drain, \d{4}-\d\d-\d\d \d\d:\d\d UTC \(\w+\)$/);
    expect(incidentCell.title).to.equal(snapshot.incidents[0]?.dedupeKey);
    expect(snapshot.incidents[0]?.name).to.equal(incidentCell.text.replace(/ \(\w+\)$/, ""));
    for (const row of await cells("claimsTable")) for (const i of [5, 8]) expect(row[i], row.join(" | ")).to.match(CHAIN_TIME);
    // The risk history is drawn on chain time, like the rest of the page.
    const riskAxis = await page.evaluate(() => {
      const chart = (globalThis as unknown as { sifDashboard: { charts: Record<string, { options: { scales: { x: { title: { text: string } } } } }> } }).sifDashboard.charts["risk"];
      return chart?.options.scales.x.title.text;
    });
    expect(riskAxis).to.equal("chain time (UTC)");
    const lastAssessment = Math.max(...snapshot.risk.flatMap((p) => p.history.map((h) => h.t)));
    expect(Math.abs(lastAssessment - (snapshot.chain?.blockTimestamp ?? 0)), "risk history t is chain time").to.be.below(400 * 86_400);

    mkdirSync(OUTPUT_DIR, { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).to.be.above(50_000);
    expect(problems, problems.join("\n")).to.deep.equal([]);
  });
});
