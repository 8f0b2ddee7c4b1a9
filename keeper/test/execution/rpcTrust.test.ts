/**
 * RPC you can trust (issue 20 §3): a node that answers "I cannot answer this" (pruned state,
 * missing trie node, header not found) is failed over like an outage; a node lagging more than
 * `maxLagBlocks` behind the others is not used; a claim-critical read is compared across two
 * nodes at one block, and a disagreement is refused.
 */
import { expect } from "chai";
import { Contract } from "ethers";
import { connectFailoverProvider, RpcDisagreementError } from "../../src/execution/rpc";
import { recordingLogger } from "../sources/testDeps";

interface Node {
  height: number;
  /** eth_call's answer (hex), or an error message. */
  call: { result: string } | { error: string };
}

/** JSON-RPC nodes as a fetch: eth_chainId, eth_blockNumber, eth_call, eth_getBalance. */
function nodes(spec: Record<string, Node>): { fetch: typeof fetch; calls: Record<string, string[]> } {
  const calls: Record<string, string[]> = {};
  const impl = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    const node = spec[url];
    if (node === undefined) throw new TypeError("fetch failed");
    const body = JSON.parse(String(init?.body)) as { id: number; method: string } | { id: number; method: string }[];
    const answer = (p: { id: number; method: string }) => {
      (calls[url] ??= []).push(p.method);
      if (p.method === "eth_chainId") return { jsonrpc: "2.0", id: p.id, result: "0x7a69" };
      if (p.method === "eth_blockNumber") return { jsonrpc: "2.0", id: p.id, result: `0x${node.height.toString(16)}` };
      if (p.method === "eth_call" || p.method === "eth_getBalance") {
        return "result" in node.call ? { jsonrpc: "2.0", id: p.id, result: node.call.result } : { jsonrpc: "2.0", id: p.id, error: { code: -32000, message: node.call.error } };
      }
      return { jsonrpc: "2.0", id: p.id, error: { code: -32601, message: "method not found" } };
    };
    const reply = Array.isArray(body) ? body.map(answer) : answer(body);
    return new Response(JSON.stringify(reply), { status: 200, headers: { "content-type": "application/json" } });
  };
  return { fetch: impl as typeof fetch, calls };
}

const word = (n: bigint) => `0x${n.toString(16).padStart(64, "0")}`;
const FUND = "0x00000000000000000000000000000000000F00D0";

describe("RPC: failover on bad answers, lag and cross-checked reads (execution)", () => {
  for (const message of ["missing trie node 4f3a… (path )", "header not found", "historical state not available in path scheme yet", "state is not available"]) {
    it(`fails over when the primary answers "${message}" and returns the archive backup's answer`, async () => {
      const { fetch, calls } = nodes({ "http://pruned.test/": { height: 100, call: { error: message } }, "http://archive.test/": { height: 100, call: { result: word(42n) } } });
      const provider = await connectFailoverProvider({ urls: ["http://pruned.test/", "http://archive.test/"], chainId: 31337, logger: recordingLogger(), fetch });
      try {
        const out = await provider.call({ to: FUND, data: "0x12345678", blockTag: 50 });
        expect(BigInt(out)).to.equal(42n);
        expect(calls["http://archive.test/"]).to.include("eth_call");
      } finally {
        provider.destroy();
      }
    });
  }

  it("a revert is still an answer: no failover", async () => {
    const { fetch, calls } = nodes({ "http://a.test/": { height: 100, call: { error: "execution reverted" } }, "http://b.test/": { height: 100, call: { result: word(1n) } } });
    const provider = await connectFailoverProvider({ urls: ["http://a.test/", "http://b.test/"], chainId: 31337, logger: recordingLogger(), fetch, maxLagBlocks: 0 });
    try {
      let error: unknown;
      await provider.call({ to: FUND, data: "0x12345678" }).catch((e: unknown) => (error = e));
      expect(String(error)).to.match(/revert/);
      expect(calls["http://b.test/"] ?? []).to.not.include("eth_call");
    } finally {
      provider.destroy();
    }
  });

  it("when no node can answer, the node's own error is returned (not an outage)", async () => {
    const { fetch } = nodes({ "http://a.test/": { height: 100, call: { error: "missing trie node" } }, "http://b.test/": { height: 100, call: { error: "missing trie node" } } });
    const provider = await connectFailoverProvider({ urls: ["http://a.test/", "http://b.test/"], chainId: 31337, logger: recordingLogger(), fetch, baseDelayMs: 1 });
    try {
      let error: unknown;
      await provider.getBalance(FUND, 1).catch((e: unknown) => (error = e));
      expect(String(error)).to.match(/missing trie node/);
      expect(String(error)).to.not.match(/every RPC URL failed/);
    } finally {
      provider.destroy();
    }
  });

  it("compares heights every tick: a node more than maxLagBlocks behind is not used while another answers, and health names it", async () => {
    const { fetch, calls } = nodes({ "http://behind.test/": { height: 90, call: { result: word(1n) } }, "http://head.test/": { height: 100, call: { result: word(2n) } } });
    const logger = recordingLogger();
    const provider = await connectFailoverProvider({ urls: ["http://behind.test/", "http://head.test/"], chainId: 31337, logger, fetch, maxLagBlocks: 5 });
    try {
      await provider.checkHeights(); // the keeper's tick (it also runs on its own every heightCheckMs)
      expect(BigInt(await provider.call({ to: FUND, data: "0x12345678" }))).to.equal(2n);
      expect(calls["http://behind.test/"] ?? []).to.not.include("eth_call");
      expect(provider.health().laggingUrls?.[0]).to.match(/behind\.test/);
      expect(logger.entries.some((e) => /lags behind/.test(e.msg ?? ""))).to.equal(true);
    } finally {
      provider.destroy();
    }
  });

  it("cross-checks a claim-critical read on two nodes at one block: agree → the value; disagree → refused", async () => {
    const abi = ["function claimStatus(uint256) view returns (uint256)"];
    const read = async (p: import("ethers").JsonRpcProvider, blockTag: number) => (await new Contract(FUND, abi, p).getFunction("claimStatus").staticCall(1n, { blockTag })) as bigint;

    const agreeing = nodes({ "http://a.test/": { height: 101, call: { result: word(3n) } }, "http://b.test/": { height: 100, call: { result: word(3n) } } });
    const p1 = await connectFailoverProvider({ urls: ["http://a.test/", "http://b.test/"], chainId: 31337, logger: recordingLogger(), fetch: agreeing.fetch });
    try {
      const checked = await p1.crossCheck(read);
      expect(checked).to.deep.include({ status: "agree", value: 3n, blockNumber: 100 });
      expect(await p1.readAgreed("claim 1 status", read)).to.equal(3n);
    } finally {
      p1.destroy();
    }

    const disagreeing = nodes({ "http://a.test/": { height: 100, call: { result: word(3n) } }, "http://b.test/": { height: 100, call: { result: word(5n) } } });
    const p2 = await connectFailoverProvider({ urls: ["http://a.test/", "http://b.test/"], chainId: 31337, logger: recordingLogger(), fetch: disagreeing.fetch });
    try {
      expect((await p2.crossCheck(read)).status).to.equal("disagree");
      let error: unknown;
      await p2.readAgreed("claim 1 status", read).catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(RpcDisagreementError);
      expect(String(error)).to.match(/disagree on claim 1 status at block 100 .*"3".*"5"/);
    } finally {
      p2.destroy();
    }

    const single = nodes({ "http://only.test/": { height: 100, call: { result: word(3n) } } });
    const p3 = await connectFailoverProvider({ urls: ["http://only.test/"], chainId: 31337, logger: recordingLogger(), fetch: single.fetch });
    try {
      expect((await p3.crossCheck(read)).status).to.equal("single");
    } finally {
      p3.destroy();
    }
  });
});
