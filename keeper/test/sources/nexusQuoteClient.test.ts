import { expect } from "chai";
import { AbiCoder } from "ethers";

import { silentLogger } from "../../src/sources/http";
import { NexusQuoteClient, encodeCoverData } from "../../src/sources/nexusQuoteClient";
import { startLoopbackServer, type LoopbackServer } from "../helpers/loopbackServer";

// Shape of a cover-router GET /v2/quote reply (USDC, 6 decimals, 2 pools).
const QUOTE = {
  quote: {
    totalCoverAmountInAsset: "100000000000",
    annualPrice: "250",
    premiumInNXM: "30120000000000000000",
    premiumInAsset: "2500000000",
    poolAllocationRequests: [
      { poolId: "2", coverAmountInAsset: "60000000000", skip: false },
      { poolId: "22", coverAmountInAsset: "40000000000", skip: false },
    ],
    asset: { id: 6, symbol: "USDC", decimals: 6 },
  },
  capacities: [
    { poolId: "2", capacity: [{ assetId: "6", amount: "900000000000" }] },
    { poolId: "22", capacity: [{ assetId: "6", amount: "500000000000" }] },
  ],
};

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
    expect(r.premiumInAsset).to.equal(2_500_000_000n);
    expect(r.capacityShort).to.equal(false);
    expect(r.poolAllocations).to.deep.equal([
      { poolId: 2n, coverAmountInAsset: 60_000_000_000n },
      { poolId: 22n, coverAmountInAsset: 40_000_000_000n },
    ]);
    const [decoded] = AbiCoder.defaultAbiCoder().decode(["tuple(uint256 poolId, uint256 coverAmountInAsset)[]"], r.coverData);
    expect((decoded as unknown as [bigint, bigint][]).map((t) => [t[0], t[1]])).to.deep.equal([[2n, 60_000_000_000n], [22n, 40_000_000_000n]]);
    expect(r.coverData).to.equal(encodeCoverData(r.poolAllocations));
    const query = new URLSearchParams(server.requests[0]!.query);
    expect(Object.fromEntries(query)).to.deep.equal({ productId: "156", amount: "100000000000", period: "365", coverAsset: "6", paymentAsset: "6" });
    expect(r.meta?.sha256).to.match(/^[0-9a-f]{64}$/);
  });

  it("reports the router's 'Not enough capacity' 400 as capacityShort, not an error, without retrying", async () => {
    server = await startLoopbackServer({ "/v2/quote": { status: 400, json: { error: "Not enough capacity for the cover amount", response: null } } });
    const r = await client().quote(request);
    expect(r).to.deep.include({ ok: true, capacityShort: true, coverData: "0x" });
    expect(server.requestCount("/v2/quote")).to.equal(1);
  });

  it("flags a quote that covers less than asked as capacityShort", async () => {
    const partial = { ...QUOTE, quote: { ...QUOTE.quote, totalCoverAmountInAsset: "60000000000", poolAllocationRequests: [QUOTE.quote.poolAllocationRequests[0]] } };
    server = await startLoopbackServer({ "/v2/quote": { json: partial } });
    const r = await client().quote(request);
    expect(r.ok && r.capacityShort).to.equal(true);
  });

  it("returns an error for other API errors, malformed bodies and schema failures", async () => {
    server = await startLoopbackServer({
      "/v2/quote": (req) =>
        req.count === 1
          ? { status: 400, json: { error: "Invalid Product Id", response: null } }
          : req.count === 2
            ? { body: "{not json" }
            : { json: { quote: { ...QUOTE.quote, premiumInAsset: "-5" } } },
    });
    const c = client();
    const invalid = await c.quote(request);
    expect(invalid.ok).to.equal(false);
    if (!invalid.ok) expect(invalid.error).to.contain("Invalid Product Id");
    const malformed = await c.quote(request);
    expect(malformed.ok === false && malformed.error).to.match(/json error/);
    const schema = await c.quote(request);
    expect(schema.ok === false && schema.error).to.match(/schema error at quote\.premiumInAsset/);
  });
});
