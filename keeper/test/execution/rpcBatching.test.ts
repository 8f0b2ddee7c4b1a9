/**
 * The failover provider does not hold requests back to build batches (ethers' default 10 ms
 * stall added 10 ms to every sequential keeper read; found while timing the fault suite), yet
 * calls issued together still travel as one HTTP batch.
 */
import { expect } from "chai";
import { connectFailoverProvider } from "../../src/execution/rpc";
import { silentLogger } from "../../src/sources";

describe("failover provider batching (execution)", () => {
  let bodies: unknown[] = [];

  /** A provider over an injected JSON-RPC endpoint answering eth_chainId 31337 and eth_blockNumber 7, recording bodies. */
  async function provider() {
    const fetchRecording: typeof fetch = async (_input, init) => {
      const body = JSON.parse(String(init?.body)) as { id: number; method: string } | { id: number; method: string }[];
      bodies.push(body);
      const answer = (r: { id: number; method: string }) => ({ jsonrpc: "2.0", id: r.id, result: r.method === "eth_chainId" ? "0x7a69" : "0x7" });
      const reply = Array.isArray(body) ? body.map(answer) : answer(body);
      return new Response(JSON.stringify(reply), { status: 200, headers: { "content-type": "application/json" } });
    };
    return connectFailoverProvider({ urls: ["http://127.0.0.1:9/"], chainId: 31337, logger: silentLogger, fetch: fetchRecording });
  }

  it("sends a sequential call without the 10 ms batch stall", async () => {
    const p = await provider();
    try {
      expect(p._getOption("batchStallTime")).to.equal(0);
      // No call waits on a timer to be batched (ethers' default stall schedules a 10 ms timer per
      // call). Checked on the timers requested, not on a wall-clock bound a loaded machine breaks.
      const realSetTimeout = globalThis.setTimeout;
      const delays: number[] = [];
      globalThis.setTimeout = ((handler: () => void, delay?: number, ...args: unknown[]) => {
        delays.push(delay ?? 0);
        return realSetTimeout(() => handler(...(args as [])), delay);
      }) as typeof setTimeout;
      try {
        for (let i = 0; i < 20; i++) expect(await p.getBlockNumber()).to.equal(7);
      } finally {
        globalThis.setTimeout = realSetTimeout;
      }
      expect(delays.filter((d) => d >= 10 && d < 1000), `timers requested: ${delays.join(", ")}`).to.deep.equal([]);
    } finally {
      p.destroy();
    }
  });

  it("still sends calls issued in the same tick as one batch", async () => {
    const p = await provider();
    try {
      bodies = [];
      const numbers = await Promise.all([p.getBlockNumber(), p.getBlockNumber(), p.getBlockNumber()]);
      expect(numbers).to.deep.equal([7, 7, 7]);
      expect(bodies).to.have.length(1);
      expect(bodies[0]).to.be.an("array").with.length(3);
    } finally {
      p.destroy();
    }
  });
});
