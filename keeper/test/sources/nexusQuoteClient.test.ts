import { expect } from "chai";
import { AbiCoder } from "ethers";

import { silentLogger } from "../../src/sources/http";
import { COVER_ROUTER_MESSAGES, NexusQuoteClient, encodeCoverData } from "../../src/sources/nexusQuoteClient";
import { startLoopbackServer, type LoopbackServer } from "../helpers/loopbackServer";

/**
 * Shape of a cover-router v2.7 `GET /v2/quote` reply (src/routes/quote.js): USDC (6 decimals), 2 pools,
 * every number an integer string, refund fields always present (0 for a new cover), no `capacities`.
 */
const QUOTE = {
  quote: {
    totalCoverAmountInAsset: "100000200000",
    annualPrice: "251",
    premiumInNXM: "41666750000000000000",
    premiumInAsset: "2500005000",
    refundInNXM: "0",
    refundInAsset: "0",
    premiumInNXMWithRefund: "41666750000000000000",
    premiumInAssetWithRefund: "2500005000",
    poolAllocationRequests: [
      { poolId: "2", coverAmountInAsset: "60000120000" },
      { poolId: "22", coverAmountInAsset: "40000080000" },
    ],
    asset: { id: 6, symbol: "USDC", decimals: 6 },
  },
};

/** An edit quote: the new cover's premium and the refund of the replaced cover's unused premium. */
const EDIT_QUOTE = {
  quote: {
    ...QUOTE.quote,
    refundInNXM: "10000000000000000000",
    refundInAsset: "600000000",
    premiumInNXMWithRefund: "31666750000000000000",
    premiumInAssetWithRefund: "1900005000",
  },
};

/** The router's ApiError bodies: `{ message }` (helpers.js asyncRoute). */
const apiError = (status: number, message: string) => ({ status, json: { message } });

describe("sources/nexusQuoteClient", () => {
  let server: LoopbackServer;
  const client = () => new NexusQuoteClient({ baseUrl: server.baseUrl, maxAttempts: 2, baseDelayMs: 0 }, { logger: silentLogger, sleep: async () => undefined });
  const request = { productId: 156, amount: 100_000_000_000n, periodSec: 365 * 86_400 - 1, coverAsset: 6 };
  afterEach(async () => server?.close());

  it("parses a quote, asks for whole days rounded up, and encodes the pool allocations for the adapter", async () => {
    server = await startLoopbackServer({ "/v2/quote": { json: QUOTE } });
    const r = await client().quote(request);
    expect(r.ok).to.equal(true);
    if (!r.ok) return;
    expect(r.premiumInAsset).to.equal(2_500_005_000n);
    expect(r.premiumDueInAsset).to.equal(2_500_005_000n);
    expect(r.refundInAsset).to.equal(0n);
    expect(r.capacityShort).to.equal(false);
    expect(r.poolAllocations).to.deep.equal([
      { poolId: 2n, coverAmountInAsset: 60_000_120_000n },
      { poolId: 22n, coverAmountInAsset: 40_000_080_000n },
    ]);
    const [decoded] = AbiCoder.defaultAbiCoder().decode(["tuple(uint256 poolId, uint256 coverAmountInAsset)[]"], r.coverData);
    expect((decoded as unknown as [bigint, bigint][]).map((t) => [t[0], t[1]])).to.deep.equal([[2n, 60_000_120_000n], [22n, 40_000_080_000n]]);
    expect(r.coverData).to.equal(encodeCoverData(r.poolAllocations));
    const query = new URLSearchParams(server.requests[0]!.query);
    // a new cover: no coverEditId
    expect(Object.fromEntries(query)).to.deep.equal({ productId: "156", amount: "100000000000", period: "365", coverAsset: "6", paymentAsset: "6" });
    expect(r.meta?.sha256).to.match(/^[0-9a-f]{64}$/);
  });

  it("an edit quote passes coverEditId and the edited cover's real period, and uses the premium net of the refund", async () => {
    server = await startLoopbackServer({ "/v2/quote": { json: EDIT_QUOTE } });
    const now = 1_750_000_000;
    const newEnd = now + 200 * 86_400 + 3_600; // the renewed cover ends 200 days and 1 hour from now
    const r = await client().quote({ ...request, periodSec: newEnd - now, coverEditId: 4_321n });
    expect(r.ok).to.equal(true);
    if (!r.ok) return;
    expect(r.premiumInAsset).to.equal(2_500_005_000n);
    expect(r.refundInAsset).to.equal(600_000_000n);
    expect(r.premiumDueInAsset).to.equal(1_900_005_000n); // what Cover actually charges
    const query = Object.fromEntries(new URLSearchParams(server.requests[0]!.query));
    expect(query.coverEditId).to.equal("4321");
    expect(query.period).to.equal("201"); // newEnd − now, rounded up to whole days (not the extension)
  });

  it("an edit quote from a router without refund fields is an error, never a guess", async () => {
    const { refundInAsset: _r, premiumInAssetWithRefund: _p, ...legacy } = EDIT_QUOTE.quote;
    server = await startLoopbackServer({ "/v2/quote": { json: { quote: legacy } } });
    const r = await client().quote({ ...request, coverEditId: 7n });
    expect(r).to.deep.include({ ok: false, kind: "missing-refund" });
  });

  it("reports the router's 'Not enough capacity for the cover amount' 400 as capacityShort, without retrying", async () => {
    server = await startLoopbackServer({ "/v2/quote": apiError(400, COVER_ROUTER_MESSAGES.capacity) });
    const r = await client().quote(request);
    expect(r).to.deep.include({ ok: true, capacityShort: true, coverData: "0x", premiumDueInAsset: 0n });
    expect(server.requestCount("/v2/quote")).to.equal(1);
  });

  it("maps the router's known 400 messages to typed errors", async () => {
    const cases = [
      [COVER_ROUTER_MESSAGES.invalidProduct, "invalid-product"],
      [COVER_ROUTER_MESSAGES.deprecatedProduct, "deprecated-product"],
      [COVER_ROUTER_MESSAGES.notOriginalCoverId, "not-original-cover-id"],
      ["Something new", "rejected"],
    ] as const;
    for (const [message, kind] of cases) {
      server = await startLoopbackServer({ "/v2/quote": apiError(400, message) });
      const r = await client().quote({ ...request, coverEditId: 2n });
      expect(r.ok).to.equal(false);
      if (!r.ok) {
        expect(r.kind, message).to.equal(kind);
        expect(r.status).to.equal(400);
        expect(r.error).to.contain(message);
      }
      expect(server.requestCount("/v2/quote")).to.equal(1); // 4xx is not retried
      await server.close();
    }
    server = await startLoopbackServer({ "/v2/quote": apiError(400, "x") }); // for afterEach
  });

  it("a 500 Internal Server Error (e.g. an edit of a cover the router has not indexed) is retried, then a server error", async () => {
    server = await startLoopbackServer({ "/v2/quote": apiError(500, "Internal Server Error") });
    const r = await client().quote({ ...request, coverEditId: 99n });
    expect(r).to.deep.include({ ok: false, kind: "server", status: 500 });
    expect(server.requestCount("/v2/quote")).to.equal(2);
  });

  it("flags a quote that covers less than asked as capacityShort", async () => {
    const partial = { quote: { ...QUOTE.quote, totalCoverAmountInAsset: "60000120000", poolAllocationRequests: [QUOTE.quote.poolAllocationRequests[0]] } };
    server = await startLoopbackServer({ "/v2/quote": { json: partial } });
    const r = await client().quote(request);
    expect(r.ok && r.capacityShort).to.equal(true);
  });

  it("returns an error for malformed bodies and schema failures", async () => {
    server = await startLoopbackServer({
      "/v2/quote": (req) => (req.count === 1 ? { body: "{not json" } : { json: { quote: { ...QUOTE.quote, premiumInAsset: "-5" } } }),
    });
    const c = client();
    const malformed = await c.quote(request);
    expect(malformed.ok === false && malformed.kind).to.equal("invalid-response");
    expect(malformed.ok === false && malformed.error).to.match(/json error/);
    const schema = await c.quote(request);
    expect(schema.ok === false && schema.error).to.match(/schema error at quote\.premiumInAsset/);
  });
});
