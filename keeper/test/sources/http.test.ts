import { expect } from "chai";
import { createHash } from "node:crypto";
import pino from "pino";
import { z } from "zod";
import {
  JsonHttpClient,
  describeHttpError,
  fullJitterDelayMs,
  parseRetryAfterMs,
  type HttpClientConfig,
  type Logger,
} from "../../src/sources/http";
import { startLoopbackServer, type LoopbackServer } from "../helpers/loopbackServer";
import { testDeps, type TestDeps } from "./testDeps";

const tvlSchema = z
  .object({ tvl: z.array(z.object({ date: z.number(), totalLiquidityUSD: z.number() }).passthrough()) })
  .passthrough();

describe("sources/http JsonHttpClient", () => {
  let server: LoopbackServer;
  let deps: TestDeps;

  const client = (config: Partial<HttpClientConfig> = {}): JsonHttpClient =>
    new JsonHttpClient({ baseUrl: server.baseUrl, timeoutMs: 2_000, maxAttempts: 3, baseDelayMs: 100, ...config }, deps);

  beforeEach(async () => {
    server = await startLoopbackServer();
    deps = testDeps();
  });
  afterEach(async () => {
    await server.close();
  });

  it("returns validated data with url, status, attempts, sha256 and fetchedAt", async () => {
    const body = JSON.stringify({ tvl: [{ date: 1, totalLiquidityUSD: 5 }], extra: "ignored" });
    server.route("/protocol/aave", { body });
    const result = await client().getJson("/protocol/aave", tvlSchema);
    expect(result.ok).to.equal(true);
    if (!result.ok) return;
    expect(result.data.tvl[0]?.totalLiquidityUSD).to.equal(5);
    expect(result.meta).to.deep.equal({
      url: `${server.baseUrl}/protocol/aave`,
      status: 200,
      attempts: 1,
      sha256: createHash("sha256").update(body).digest("hex"),
      fetchedAt: 1_800_000_000,
    });
    expect(deps.sleeps).to.deep.equal([]);
  });

  it("joins base URLs and paths without doubled slashes", async () => {
    server.route("/api/x", { json: [] });
    const c = new JsonHttpClient({ baseUrl: `${server.baseUrl}/api/` }, deps);
    expect(c.urlFor("/x")).to.equal(`${server.baseUrl}/api/x`);
    expect(c.urlFor("")).to.equal(`${server.baseUrl}/api`);
    expect((await c.getJson("x", z.array(z.unknown()))).ok).to.equal(true);
  });

  it("reports malformed JSON as a json error without retrying", async () => {
    server.route("/bad", { body: '{"tvl": [' });
    const result = await client().getJson("/bad", tvlSchema);
    expect(result.ok).to.equal(false);
    if (result.ok) return;
    expect(result.error.kind).to.equal("json");
    expect(result.error.url).to.equal(`${server.baseUrl}/bad`);
    expect(server.requestCount("/bad")).to.equal(1);
  });

  it("names the first failing field of a wrong-typed body and logs it", async () => {
    server.route("/typed", { json: { tvl: [{ date: 1, totalLiquidityUSD: 2 }, { date: 2, totalLiquidityUSD: "3" }] } });
    const result = await client().getJson("/typed", tvlSchema);
    expect(result.ok).to.equal(false);
    if (result.ok) return;
    expect(result.error.kind).to.equal("schema");
    expect(result.error.field).to.equal("tvl[1].totalLiquidityUSD");
    expect(server.requestCount("/typed")).to.equal(1);
    const logged = deps.logger.entries.find((e) => e.obj["kind"] === "schema");
    expect(logged?.obj["field"]).to.equal("tvl[1].totalLiquidityUSD");
  });

  it("honours 429 Retry-After in seconds (via the injected sleep)", async () => {
    server.route("/limited", [{ status: 429, headers: { "retry-after": "7" } }, { json: { tvl: [] } }]);
    const result = await client().getJson("/limited", tvlSchema);
    expect(result.ok).to.equal(true);
    if (!result.ok) return;
    expect(result.meta.attempts).to.equal(2);
    expect(deps.sleeps).to.deep.equal([7_000]);
    const retryLog = deps.logger.entries.find((e) => e.msg === "http request retrying");
    expect(retryLog?.obj).to.include({ attempt: 1, delayMs: 7_000, status: 429 });
  });

  it("honours 429 Retry-After as an HTTP date, and caps it", async () => {
    const inTwelveSeconds = new Date(1_800_000_000_000 + 12_000).toUTCString();
    server.route("/dated", [{ status: 429, headers: { "retry-after": inTwelveSeconds } }, { json: { tvl: [] } }]);
    expect((await client().getJson("/dated", tvlSchema)).ok).to.equal(true);
    expect(deps.sleeps).to.deep.equal([12_000]);

    server.route("/greedy", [{ status: 429, headers: { "retry-after": "3600" } }, { json: { tvl: [] } }]);
    expect((await client({ maxRetryAfterMs: 30_000 }).getJson("/greedy", tvlSchema)).ok).to.equal(true);
    expect(deps.sleeps).to.deep.equal([12_000, 30_000]);
  });

  it("retries a 500 with full-jitter backoff, then succeeds", async () => {
    server.route("/flaky", [{ status: 500 }, { status: 503 }, { json: { tvl: [] } }]);
    const result = await client({ baseDelayMs: 100 }).getJson("/flaky", tvlSchema);
    expect(result.ok).to.equal(true);
    if (!result.ok) return;
    expect(result.meta.attempts).to.equal(3);
    // random() = 0.5: 0.5 × 100 × 2^0, then 0.5 × 100 × 2^1
    expect(deps.sleeps).to.deep.equal([50, 100]);
    expect(server.requestCount("/flaky")).to.equal(3);
  });

  it("gives up after maxAttempts on persistent 5xx", async () => {
    server.route("/down", { status: 502 });
    const c = client({ maxAttempts: 4 });
    const result = await c.getJson("/down", tvlSchema);
    expect(result.ok).to.equal(false);
    if (result.ok) return;
    expect(result.error).to.include({ kind: "http", status: 502, attempts: 4 });
    expect(server.requestCount("/down")).to.equal(4);
    expect(c.requestCount).to.equal(4);
    expect(deps.sleeps).to.have.length(3);
    expect(deps.logger.entries.filter((e) => e.msg === "http request failed")).to.have.length(1);
  });

  it("times out a hanging server, with bounded attempts", async () => {
    server.route("/hang", { hang: true });
    const started = Date.now();
    const result = await client({ timeoutMs: 150, maxAttempts: 2 }).getJson("/hang", tvlSchema);
    expect(result.ok).to.equal(false);
    if (result.ok) return;
    expect(result.error.kind).to.equal("timeout");
    expect(result.error.attempts).to.equal(2);
    expect(server.requestCount("/hang")).to.equal(2);
    expect(Date.now() - started).to.be.lessThan(2_000);
  });

  it("does not retry a 404", async () => {
    const result = await client().getJson("/missing", tvlSchema);
    expect(result.ok).to.equal(false);
    if (result.ok) return;
    expect(result.error).to.include({ kind: "http", status: 404, attempts: 1 });
    expect(server.requestCount("/missing")).to.equal(1);
    expect(deps.sleeps).to.deep.equal([]);
  });

  it("retries a connection cut mid-body as a network error", async () => {
    server.route("/cut", [{ cutMidBody: true, json: { tvl: [{ date: 1, totalLiquidityUSD: 1 }] } }, { json: { tvl: [] } }]);
    const result = await client().getJson("/cut", tvlSchema);
    expect(result.ok).to.equal(true);
    expect(server.requestCount("/cut")).to.equal(2);
    const retry = deps.logger.entries.find((e) => e.msg === "http request retrying");
    expect(retry?.obj["kind"]).to.equal("network");
  });

  it("separates the headers timeout from the body timeout", async () => {
    const big = { tvl: Array.from({ length: 50 }, (_, i) => ({ date: i, totalLiquidityUSD: i })) };
    // Prompt headers, a body that takes 300 ms: fine with a 100 ms headers timeout and a long body timeout.
    server.route("/slow-body", { json: big, dripMs: 300 });
    const ok = await client({ timeoutMs: 100, bodyTimeoutMs: 2_000, maxAttempts: 1 }).getJson("/slow-body", tvlSchema);
    expect(ok.ok).to.equal(true);
    // The same body with a 100 ms body timeout fails, and says which phase.
    const late = await client({ timeoutMs: 2_000, bodyTimeoutMs: 100, maxAttempts: 1 }).getJson("/slow-body", tvlSchema);
    expect(late.ok).to.equal(false);
    if (late.ok) return;
    expect(late.error.kind).to.equal("timeout");
    expect(late.error.message).to.equal("body not complete within 100 ms after the headers");
    // No headers at all: the headers timeout.
    server.route("/silent", { hang: true });
    const silent = await client({ timeoutMs: 100, bodyTimeoutMs: 5_000, maxAttempts: 1 }).getJson("/silent", tvlSchema);
    expect(silent.ok).to.equal(false);
    if (!silent.ok) expect(silent.error.message).to.equal("no response headers within 100 ms");
  });

  it("caps the body size: by content-length before reading, and while streaming", async () => {
    const body = JSON.stringify({ tvl: Array.from({ length: 200 }, (_, i) => ({ date: i, totalLiquidityUSD: i })) });
    server.route("/declared", { body, headers: { "content-length": String(Buffer.byteLength(body)) } });
    const declared = await client({ maxBodyBytes: 1_000 }).getJson("/declared", tvlSchema);
    expect(declared.ok).to.equal(false);
    if (declared.ok) return;
    expect(declared.error).to.include({ kind: "too-large", attempts: 1 });
    expect(declared.error.message).to.contain("exceeds maxBodyBytes 1000");
    server.route("/streamed", { body, dripMs: 10 });
    const streamed = await client({ maxBodyBytes: 1_000 }).getJson("/streamed", tvlSchema);
    expect(streamed.ok).to.equal(false);
    if (!streamed.ok) expect(streamed.error.kind).to.equal("too-large");
    expect(server.requestCount("/streamed")).to.equal(1); // not retried
    const fits = await client({ maxBodyBytes: body.length }).getJson("/declared", tvlSchema);
    expect(fits.ok).to.equal(true);
  });

  it("keeps the text body of a 400 (DefiLlama: unknown slug) and does not retry it", async () => {
    server.route("/protocol/nope", { status: 400, body: "Protocol not found", headers: { "content-type": "text/plain" } });
    const result = await client().getJson("/protocol/nope", tvlSchema);
    expect(result.ok).to.equal(false);
    if (result.ok) return;
    expect(result.error).to.include({ kind: "http", status: 400, body: "Protocol not found", attempts: 1 });
    expect(describeHttpError(result.error)).to.contain('HTTP 400 "Protocol not found"');
  });

  it("redacts configured secrets from every URL it logs or returns", async () => {
    const key = "pro-key-0123456789";
    server.route(`/${key}/api/hacks`, [{ status: 500, body: `internal error for ${key}` }, { status: 500 }, { json: { tvl: [] } }]);
    const c = new JsonHttpClient({ baseUrl: `${server.baseUrl}/${key}`, maxAttempts: 3, secrets: [key] }, deps);
    const result = await c.getJson("/api/hacks", tvlSchema);
    expect(result.ok).to.equal(true);
    if (result.ok) expect(result.meta.url).to.equal(`${server.baseUrl}/<redacted>/api/hacks`);
    expect(c.displayUrlFor("/api/hacks")).to.equal(`${server.baseUrl}/<redacted>/api/hacks`);
    expect(deps.logger.entries.length).to.be.greaterThan(0);
    expect(JSON.stringify(deps.logger.entries)).not.to.contain(key);
  });

  it("reports a refused connection as a network error", async () => {
    const closed = await startLoopbackServer();
    const url = closed.baseUrl;
    await closed.close();
    const result = await new JsonHttpClient({ baseUrl: url, maxAttempts: 2 }, deps).getJson("/x", tvlSchema);
    expect(result.ok).to.equal(false);
    if (result.ok) return;
    expect(result.error.kind).to.equal("network");
    expect(result.error.attempts).to.equal(2);
  });

  it("accepts a pino logger", () => {
    const logger: Logger = pino({ level: "silent" });
    expect(() => new JsonHttpClient({ baseUrl: server.baseUrl }, { logger })).not.to.throw();
  });
});

describe("sources/http backoff helpers", () => {
  it("full jitter stays within [0, min(cap, base·2^(n−1)))", () => {
    expect(fullJitterDelayMs(1, 100, 10_000, () => 0)).to.equal(0);
    expect(fullJitterDelayMs(1, 100, 10_000, () => 0.999)).to.equal(99);
    expect(fullJitterDelayMs(4, 100, 10_000, () => 0.5)).to.equal(400);
    expect(fullJitterDelayMs(20, 100, 10_000, () => 0.5)).to.equal(5_000);
  });

  it("parses Retry-After seconds and dates, rejects junk", () => {
    expect(parseRetryAfterMs("5", 0)).to.equal(5_000);
    expect(parseRetryAfterMs(new Date(60_000).toUTCString(), 30_000)).to.equal(30_000);
    expect(parseRetryAfterMs(new Date(0).toUTCString(), 30_000)).to.equal(0);
    expect(parseRetryAfterMs("soon", 0)).to.equal(undefined);
    expect(parseRetryAfterMs(null, 0)).to.equal(undefined);
  });
});
