/**
 * The health server: loopback by default, Host header checked (DNS rebinding), token only in the
 * Authorization header (Bearer, or Basic with the token as the password) on every route but a detail-free /healthz, the dashboard's static files and Chart.js
 * served locally with a strict CSP, /api/snapshot, and the status gauges set from a snapshot. The
 * config refuses a non-loopback bind address without a token.
 */
import { expect } from "chai";
import http from "node:http";
import { hostCheck, startHealthServer, type HealthServer } from "../../src/server/health";
import { KeeperMetrics } from "../../src/server/metrics";
import type { DashboardSnapshot } from "../../src/server/dashboard/snapshot";
import { ConfigError, DEFAULT_FIXTURE_DIR, isLoopbackHost, parseConfig, redactConfig } from "../../src/config";

const TOKEN = "a".repeat(12) + "b".repeat(12) + "c".repeat(8);
const INTERVALS = { risk: 60_000, coverage: 60_000, incident: 60_000 };

export function sampleSnapshot(overrides: Partial<DashboardSnapshot> = {}): DashboardSnapshot {
  const components = { tvl: 10, audit: 20, time: 15, exploit: 20, team: 10 };
  return {
    generatedAtMs: 1_800_000_000_000,
    chain: { chainId: 31337, blockNumber: 42, blockTimestamp: 1_799_999_990 },
    keeper: { address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", balanceEth: 1.5, nonceLatest: 10, noncePending: 12, pendingTxs: 2, oldestPendingAgeSec: 95 },
    loops: [],
    coverage: {
      at: 1_799_999_990,
      band: [0.8, 1.2],
      rows: [
        { protocol: "aave-v3", name: "Aave V3", riskScore: 24, category: "LOW", positionUsd: 45_000, coverageUsd: 30_000, optimalUsd: 45_000, ratio: 0.666667, premiumPaidUsd: 120.5, nextEnd: 1_805_000_000 },
        { protocol: "gmx", name: "GMX", riskScore: 45, category: "MEDIUM", positionUsd: 25_000, coverageUsd: 27_500, optimalUsd: 27_500, ratio: 1, premiumPaidUsd: 80, nextEnd: 1_805_000_000 },
      ],
      totalCoverageUsd: 57_500,
      totalPremiumPaidUsd: 200.5,
    },
    risk: [{ protocol: "aave-v3", name: "Aave V3", address: "0x1111111111111111111111111111111111111111", latest: { t: 1_799_999_000, composite: 14, components, category: "LOW", confidence: 100, missing: [] }, onChain: { score: 24, components, lastUpdated: 1_799_000_000 }, history: [{ t: 1_799_999_000, composite: 14, components }], pushes: [] }],
    incidents: [
      { id: 1, name: "Aave V3 — TVL drop, 1970-01-01 00:00 UTC", protocol: "aave-v3", kind: "tvl-drop", state: "claiming", open: true, detectedAt: 1, occurredAt: 1, dedupeKey: "tvl-drop:aave-v3:1", claims: [{ claimRow: 1, coverageId: "1", state: "filed", fundClaimId: "1", providerId: 1, amount: "1", fundStatus: "Pending", providerStatus: "Pending", fileAfter: null, window: null, submittedAt: 2, votingStart: 2, votingEnd: 3, cooldownEnd: 4, redeemableUntil: null, next: { action: "wait", at: 3, deadline: null } }] },
      { id: 2, name: "GMX — hack, 1970-01-01 00:00 UTC", protocol: "gmx", kind: "hack", state: "closed", open: false, detectedAt: 1, occurredAt: 1, dedupeKey: "hack:gmx:1", claims: [] },
    ],
    budget: { cycleUsedUsd: 500, cycleLimitUsd: 10_000, dayUsedUsd: 900, dayLimitUsd: 25_000, perDay: [{ day: "2027-01-01", usd: 900 }] },
    reserves: [{ asset: "0x2222222222222222222222222222222222222222", symbol: "USDC", poolUsd: 1_000, selfInsuredUsd: 20_000, requiredUsd: 4_000, ratio: 0.05, ok: false }],
    coverageHeld: [],
    errors: [],
    ...overrides,
  };
}

describe("health server", () => {
  let server: HealthServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("binds 127.0.0.1 by default and serves the dashboard page, its script, its style and Chart.js locally under a strict CSP", async () => {
    const metrics = new KeeperMetrics({ defaultMetrics: false });
    const snapshot = sampleSnapshot();
    server = await startHealthServer({ metrics, intervalsMs: INTERVALS, port: 0, dashboard: { latest: () => snapshot } });
    expect(server.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    const page = await fetch(`${server.url}/`);
    expect(page.status).to.equal(200);
    expect(page.headers.get("content-security-policy")).to.contain("script-src 'self'").and.contain("default-src 'none'");
    const html = await page.text();
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(sources).to.deep.equal(["/assets/dashboard.css", "/assets/chart.umd.min.js", "/assets/dashboard.js"]);
    for (const source of sources) {
      const res = await fetch(`${server.url}${source}`);
      expect(res.status, source).to.equal(200);
      expect((await res.text()).length, source).to.be.above(1_000);
    }
    expect(await (await fetch(`${server.url}/assets/chart.umd.min.js`)).text()).to.contain("Chart.js v4");
    const api = (await (await fetch(`${server.url}/api/snapshot`)).json()) as DashboardSnapshot & { health: { ok: boolean } };
    expect(api.coverage?.rows).to.have.length(2);
    expect(api.health.ok).to.equal(true);
    expect((await fetch(`${server.url}/favicon.ico`)).status).to.equal(204);
    expect((await fetch(`${server.url}/etc/passwd`)).status).to.equal(404);
    expect((await fetch(`${server.url}/`, { method: "POST" })).status).to.equal(405);
  });

  it("a busy port names the setting to change, not a bare EADDRINUSE", async () => {
    const first = await startHealthServer({ metrics: new KeeperMetrics(), intervalsMs: INTERVALS, port: 0 });
    try {
      let message = "";
      await startHealthServer({ metrics: new KeeperMetrics(), intervalsMs: INTERVALS, port: first.port }).catch((err: Error) => (message = err.message));
      expect(message).to.equal(
        `health server: 127.0.0.1:${first.port} is already in use (another keeper or program listens there) — change health.port in the keeper config to a free port (0 picks any free port), or stop the other process`,
      );
      expect(message).not.to.match(/^listen EADDRINUSE/);
    } finally {
      await first.close();
    }
  });

  it("answers 503 on /api/snapshot until the first status read", async () => {
    server = await startHealthServer({ metrics: new KeeperMetrics({ defaultMetrics: false }), intervalsMs: INTERVALS, port: 0, dashboard: { latest: () => undefined } });
    const res = await fetch(`${server.url}/api/snapshot`);
    expect(res.status).to.equal(503);
    expect(res.headers.get("retry-after")).to.equal("5");
  });

  it("with a token: 401 without it, 200 with the bearer header or Basic with the token as password; never from the query string; /healthz stays open without detail", async () => {
    const metrics = new KeeperMetrics({ defaultMetrics: false });
    server = await startHealthServer({ metrics, intervalsMs: INTERVALS, port: 0, bearerToken: TOKEN, dashboard: { latest: () => sampleSnapshot() } });
    for (const route of ["/", "/metrics", "/api/snapshot", "/assets/dashboard.js"]) {
      const res = await fetch(`${server.url}${route}`);
      expect(res.status, route).to.equal(401);
      expect(res.headers.get("www-authenticate")).to.equal('Bearer realm="sif-keeper", Basic realm="sif-keeper", charset="UTF-8"');
    }
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}x` } })).status).to.equal(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).to.equal(200);
    const basic = (password: string) => `Basic ${Buffer.from(`operator:${password}`).toString("base64")}`;
    expect((await fetch(`${server.url}/api/snapshot`, { headers: { authorization: basic(TOKEN) } })).status).to.equal(200);
    expect((await fetch(`${server.url}/api/snapshot`, { headers: { authorization: basic("wrong") } })).status).to.equal(401);
    const open = (await (await fetch(`${server.url}/healthz`)).json()) as Record<string, unknown>;
    expect(open).to.deep.equal({ status: "ok" });
    const detailed = (await (await fetch(`${server.url}/healthz`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as Record<string, unknown>;
    expect(detailed).to.have.property("loops");
    // The token in a URL lands in logs, history and Referer headers: refused, no cookie handed out.
    const login = await fetch(`${server.url}/?token=${TOKEN}`, { redirect: "manual" });
    expect(login.status).to.equal(401);
    expect(login.headers.get("set-cookie")).to.equal(null);
    expect((await fetch(`${server.url}/api/snapshot?token=${TOKEN}`)).status).to.equal(401);
  });

  it("refuses a DNS-rebinding Host (a web page's name resolved to 127.0.0.1) with 421, and serves loopback names and configured names", async () => {
    const metrics = new KeeperMetrics({ defaultMetrics: false });
    server = await startHealthServer({ metrics, intervalsMs: INTERVALS, port: 0, allowedHosts: ["keeper.example.org"], dashboard: { latest: () => sampleSnapshot() } });
    const get = (host: string | undefined, route = "/api/snapshot") =>
      new Promise<number>((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port: server!.port, path: route, method: "GET", setHost: false, headers: host !== undefined ? { host } : {} }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end();
      });
    expect(await get("attacker.example")).to.equal(421);
    expect(await get(`attacker.example:${server.port}`)).to.equal(421);
    expect(await get(`attacker.example:${server.port}`, "/healthz")).to.equal(421);
    expect(await get(undefined)).to.be.oneOf([400, 421]); // node refuses an HTTP/1.1 request without Host itself
    expect(await get(`127.0.0.1:${server.port}`)).to.equal(200);
    expect(await get(`localhost:${server.port}`)).to.equal(200);
    expect(await get(`[::1]:${server.port}`)).to.equal(200);
    expect(await get("keeper.example.org")).to.equal(200);
    expect(hostCheck("0.0.0.0", [])("10.0.0.5:9464")).to.equal(true);
    expect(hostCheck("0.0.0.0", [])("evil.example:9464")).to.equal(false);
    expect(hostCheck("10.0.0.5", [])("10.0.0.5")).to.equal(true);
    expect(hostCheck("10.0.0.5", [])("127.0.0.1")).to.equal(false);
  });

  it("exposes default process metrics and sets the status gauges from a snapshot (incidents by state, ratio, balance, nonce gap, reserve)", async () => {
    const metrics = new KeeperMetrics({ nowMs: () => 1_800_000_000_000 });
    metrics.recordCycle("risk", 1_500, true);
    metrics.updateStatus(sampleSnapshot());
    const text = await metrics.render();
    const lines = text.split("\n");
    const has = (line: string) => expect(lines, line).to.include(line);
    has('keeper_coverage_usd{protocol="aave-v3"} 30000');
    has('keeper_coverage_ratio{protocol="aave-v3"} 0.666667');
    has('keeper_optimal_coverage_usd{protocol="gmx"} 27500');
    has('keeper_risk_score{protocol="aave-v3"} 14');
    has('keeper_onchain_risk_score{protocol="aave-v3"} 24');
    has("keeper_account_balance_eth 1.5");
    has("keeper_nonce_gap 2");
    has("keeper_pending_tx_age_seconds 95");
    has('keeper_open_incidents{state="claiming"} 1');
    has("keeper_open_claims 1");
    has('keeper_budget_used_usd{window="day"} 900');
    has('keeper_reserve_ok{asset="USDC"} 0');
    has("keeper_latest_block_age_seconds 10");
    has('keeper_cycle_duration_seconds_count{loop="risk"} 1');
    has('keeper_cycle_duration_seconds_bucket{le="2.5",loop="risk"} 1');
    expect(text).to.match(/^process_cpu_user_seconds_total \d/m);
    expect(text).to.match(/^nodejs_heap_size_used_bytes \d/m);
    expect(text).not.to.match(/keeper_open_incidents\{state="closed"\}/);
    // A protocol that leaves the snapshot leaves the per-protocol gauges.
    metrics.updateStatus(sampleSnapshot({ coverage: { ...(sampleSnapshot().coverage as NonNullable<DashboardSnapshot["coverage"]>), rows: [] } }));
    expect(await metrics.render()).not.to.match(/keeper_coverage_usd\{/);
  });
});

describe("health config: bind address and token", () => {
  const base = { protocols: [{ id: "aave-v3", name: "Aave V3", address: "0x1111111111111111111111111111111111111111" }], sources: { fixture: { path: DEFAULT_FIXTURE_DIR } } };
  const issues = (raw: unknown, env: Record<string, string> = {}): string[] => {
    try {
      parseConfig(raw, { env });
      return [];
    } catch (err) {
      return [...(err as ConfigError).issues];
    }
  };

  it("knows loopback addresses", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"]) expect(isLoopbackHost(host), host).to.equal(true);
    for (const host of ["0.0.0.0", "::", "10.0.0.5", "192.168.1.2", "keeper.internal"]) expect(isLoopbackHost(host), host).to.equal(false);
  });

  it("refuses a non-loopback bind address without a token, naming the field and the fix; accepts it with one and redacts it", () => {
    expect(issues({ ...base, health: { host: "0.0.0.0" } })).to.deep.equal([
      "config.health.host: 0.0.0.0 is not loopback — set env HEALTH_BEARER_TOKEN (at least 24 characters) so the dashboard, /metrics and /api require it, or bind 127.0.0.1",
    ]);
    expect(issues(base, { HEALTH_HOST: "10.0.0.5" })[0]).to.match(/^config\.health\.host: 10\.0\.0\.5 is not loopback/);
    expect(issues({ ...base, health: { host: "0.0.0.0" } }, { HEALTH_BEARER_TOKEN: "short" })[0]).to.match(/^env\.HEALTH_BEARER_TOKEN: too short — use at least 24 random characters/);
    expect(issues({ ...base, health: { host: "0.0.0.0", enabled: false } })).to.deep.equal([]);
    const cfg = parseConfig({ ...base, health: { host: "0.0.0.0" } }, { env: { HEALTH_BEARER_TOKEN: TOKEN } });
    expect(cfg.health).to.deep.include({ host: "0.0.0.0", bearerToken: TOKEN, dashboard: true });
    expect(JSON.stringify(redactConfig(cfg))).not.to.contain(TOKEN);
    expect(parseConfig(base).health).to.deep.equal({ enabled: true, host: "127.0.0.1", port: 9464, dashboard: true });
  });
});
