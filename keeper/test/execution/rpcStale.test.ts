/**
 * A node that stops advancing: its latest block is older than `maxBlockAgeSec` (wall clock).
 * The provider tries the next URL and reports it; when every node is stale it still answers
 * (with the freshest block) and `health()` turns unhealthy, which /healthz shows.
 */
import { expect } from "chai";
import { connectFailoverProvider } from "../../src/execution/rpc";
import { KeeperMetrics } from "../../src/server/health";
import { recordingLogger } from "../sources/testDeps";

const NOW_SEC = 1_800_000_000;

/** JSON-RPC nodes as a fetch: each URL answers eth_chainId and eth_getBlockByNumber with its own head time. */
function nodes(heads: Record<string, { number: number; timestamp: number }>): { fetch: typeof fetch; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const impl = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    calls[url] = (calls[url] ?? 0) + 1;
    const head = heads[url];
    if (head === undefined) throw new TypeError("fetch failed");
    const body = JSON.parse(String(init?.body)) as { id: number; method: string } | { id: number; method: string }[];
    const answer = (p: { id: number; method: string }) => {
      if (p.method === "eth_chainId") return { jsonrpc: "2.0", id: p.id, result: "0x7a69" };
      if (p.method === "eth_getBlockByNumber") {
        return {
          jsonrpc: "2.0",
          id: p.id,
          result: {
            number: `0x${head.number.toString(16)}`, timestamp: `0x${head.timestamp.toString(16)}`, hash: `0x${"aa".repeat(32)}`, parentHash: `0x${"bb".repeat(32)}`,
            nonce: "0x0000000000000000", difficulty: "0x0", gasLimit: "0x1c9c380", gasUsed: "0x0", miner: `0x${"00".repeat(20)}`, extraData: "0x",
            baseFeePerGas: "0x7", transactions: [],
          },
        };
      }
      return { jsonrpc: "2.0", id: p.id, error: { code: -32601, message: "method not found" } };
    };
    const reply = Array.isArray(body) ? body.map(answer) : answer(body);
    return new Response(JSON.stringify(reply), { status: 200, headers: { "content-type": "application/json" } });
  };
  return { fetch: impl as typeof fetch, calls };
}

describe("RPC: stale node detection (execution)", () => {
  it("a node whose latest block is older than maxBlockAgeSec is skipped for the next URL; health stays ok", async () => {
    const { fetch, calls } = nodes({ "http://a.test/": { number: 100, timestamp: NOW_SEC - 600 }, "http://b.test/": { number: 150, timestamp: NOW_SEC - 12 } });
    const logger = recordingLogger();
    const provider = await connectFailoverProvider({ urls: ["http://a.test/", "http://b.test/"], chainId: 31337, logger, fetch, maxBlockAgeSec: 120, nowMs: () => NOW_SEC * 1000 });
    try {
      const block = await provider.getBlock("latest");
      expect(block?.number).to.equal(150);
      expect(provider.health()).to.deep.include({ ok: true, latestBlockAgeSec: 12 });
      expect(provider.health().staleUrls).to.have.length(1);
      expect(provider.health().staleUrls[0]).to.match(/^http:\/\/a\.test\//);
      expect(provider.stats().failovers).to.equal(1);
      expect(logger.entries.some((e) => /RPC node is stale/.test(e.msg ?? ""))).to.equal(true);
      // Sticky on the fresh node.
      const before = calls["http://a.test/"] ?? 0;
      await provider.getBlock("latest");
      expect(calls["http://a.test/"] ?? 0).to.equal(before);
    } finally {
      provider.destroy();
    }
  });

  it("every node stale: the freshest answer is returned and health() turns /healthz unhealthy until a node advances", async () => {
    const heads = { "http://a.test/": { number: 100, timestamp: NOW_SEC - 900 }, "http://b.test/": { number: 101, timestamp: NOW_SEC - 600 } };
    const { fetch } = nodes(heads);
    const provider = await connectFailoverProvider({ urls: ["http://a.test/", "http://b.test/"], chainId: 31337, logger: recordingLogger(), fetch, maxBlockAgeSec: 120, nowMs: () => NOW_SEC * 1000 });
    try {
      const block = await provider.getBlock("latest");
      expect(block?.number).to.equal(101);
      const health = provider.health();
      expect(health.ok).to.equal(false);
      expect(health.detail).to.match(/every RPC node is stale: latest block 600 s old \(limit 120 s\)/);
      const metrics = new KeeperMetrics();
      metrics.setDegraded("rpc", health.detail);
      expect(metrics.health({ risk: 1e9, coverage: 1e9, incident: 1e9 }).ok).to.equal(false);
      heads["http://b.test/"] = { number: 140, timestamp: NOW_SEC - 5 };
      await provider.getBlock("latest");
      expect(provider.health().ok).to.equal(true);
      metrics.setDegraded("rpc", undefined);
      expect(metrics.health({ risk: 1e9, coverage: 1e9, incident: 1e9 }).ok).to.equal(true);
    } finally {
      provider.destroy();
    }
  });

  it("maxBlockAgeSec 0 turns the check off", async () => {
    const { fetch } = nodes({ "http://a.test/": { number: 1, timestamp: NOW_SEC - 86_400 } });
    const provider = await connectFailoverProvider({ urls: ["http://a.test/"], chainId: 31337, logger: recordingLogger(), fetch, maxBlockAgeSec: 0, nowMs: () => NOW_SEC * 1000 });
    try {
      await provider.getBlock("latest");
      expect(provider.health()).to.deep.include({ ok: true, latestBlockAgeSec: undefined });
    } finally {
      provider.destroy();
    }
  });
});
