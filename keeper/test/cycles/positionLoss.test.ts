/** WatchLossMeasurer: which position, which blocks ("after" = the end of the drain window, never the head), and what happens when no reader or a failed read. */
import { expect } from "chai";
import { LossNotReadyError, WatchLossMeasurer } from "../../src/cycles/positionLoss";
import type { KeeperConfig } from "../../src/config";
import type { IncidentSignal } from "../../src/policy/incidentSignals";
import type { MeasuredIncidentLoss } from "../../src/sources/positions";
import { recordingLogger } from "../sources/testDeps";

const ASSET = "0x00000000000000000000000000000000000000a1";
const BEN = "0x00000000000000000000000000000000000000b1";
/** Block n has timestamp 1000 + 12 n; head 100. */
const provider = {
  getBlockNumber: async () => 100,
  getBlock: async (n: unknown) => ({ timestamp: 1000 + 12 * Number(n) }),
  getTransactionReceipt: async (hash: string) => (hash === "0xexploit" ? { blockNumber: 57 } : null),
} as never;
const config = { positions: [{ protocol: "euler", asset: ASSET, beneficiary: BEN }, { protocol: "aave-v3", asset: ASSET, beneficiary: BEN }] } as unknown as Pick<KeeperConfig, "positions">;
const position = { protocolId: "aave-v3", protocol: "0x01", asset: ASSET, beneficiary: BEN, targetAmount: 1000n };

function drainSignal(sourceId: string, occurredAt: number, beforeBlock: number, afterBlock: number): IncidentSignal {
  return {
    kind: "onchain-drain",
    protocolId: "aave-v3",
    sourceId,
    occurredAt,
    observedAt: occurredAt + 100,
    description: "drain",
    sourceRef: "chain",
    drain: { token: ASSET, holder: BEN, before: { block: beforeBlock, timestamp: 0, balance: "1" }, after: { block: afterBlock, timestamp: 0, balance: "0" }, dropFraction: 1 },
  } as unknown as IncidentSignal;
}

function setup(options: { reads?: { index: number; id: string }[]; drains?: IncidentSignal[]; fail?: boolean; drainWindowSec?: number } = {}) {
  const calls: [string, number, number][] = [];
  const measure = {
    measure: async (read: { id: string }, before: number, after: number): Promise<MeasuredIncidentLoss> => {
      calls.push([read.id, before, after]);
      if (options.fail === true) throw new Error("missing trie node (not an archive node)");
      return { positionId: read.id, kind: "aave-v3", rule: "pooled-lending", loss: 350n, valueBefore: 1000n, valueAfter: 650n, blockBefore: before, blockAfter: after, formula: "f", reads: { x: "1" } };
    },
  };
  const watch = {
    positionReads: () => (options.reads ?? [{ index: 1, id: "aave-v3:pos" }]).map((r) => ({ ...r, protocolId: "aave-v3", spec: { kind: "aave-v3" } })) as never,
    storedSignals: () => (options.drains ?? []).map((signal) => ({ signal, evidenceHash: "0x" })) as never,
  };
  const measurer = new WatchLossMeasurer({ watch, provider, config, measure, chainId: 31337, logger: recordingLogger(), ...(options.drainWindowSec !== undefined ? { drainWindowSec: options.drainWindowSec } : {}) });
  return { calls, measurer };
}

describe("WatchLossMeasurer (app)", () => {
  it("a watched drain: from its first observation to the last block the watch saw it at — not the chain head — with the rule, chain and reads recorded", async () => {
    const { calls, measurer } = setup({ drains: [drainSignal("d1", 1500, 33, 42), drainSignal("d2", 1510, 35, 47)] });
    const loss = await measurer.measureLoss(position, { protocolId: "aave-v3", occurredAt: 1500 });
    expect(calls).to.deep.equal([["aave-v3:pos", 33, 47]]);
    expect(loss?.loss).to.equal(350n);
    expect(loss?.derivation).to.deep.include({ method: "measured", valueBefore: "1000", valueAfter: "650", blockBefore: 33, blockAfter: 47, rule: "pooled-lending", chainId: 31337, positionId: "aave-v3:pos", formula: "f" });
    expect((loss?.derivation as { blockAfterIs: string }).blockAfterIs).to.match(/end of the drain window.*d1, d2/);
  });

  it("no drain watched: from the last block before the incident to the exploit transaction's block", async () => {
    const { calls, measurer } = setup();
    await measurer.measureLoss(position, { protocolId: "aave-v3", occurredAt: 1000 + 12 * 40 + 5, exploitTxHash: "0xexploit" });
    expect(calls).to.deep.equal([["aave-v3:pos", 40, 57]]);
  });

  it("no drain, no exploit transaction: the last block within the drain window after the incident; a window still open at the head waits (LossNotReadyError)", async () => {
    const closed = setup({ drainWindowSec: 120 });
    await closed.measurer.measureLoss(position, { protocolId: "aave-v3", occurredAt: 1000 + 12 * 40 + 5 });
    // 1485 + 120 = 1605 → block 50 (1600) is the last at or before it.
    expect(closed.calls).to.deep.equal([["aave-v3:pos", 40, 50]]);
    const open = setup({ drainWindowSec: 3600 });
    const error = await open.measurer.measureLoss(position, { protocolId: "aave-v3", occurredAt: 1000 + 12 * 90 }).catch((err: unknown) => err);
    expect(error).to.be.instanceOf(LossNotReadyError);
    expect(open.calls).to.deep.equal([]);
  });

  it("no reader for the position → undefined (the configured size waits for the operator); a failed read throws; the position id names the reader", async () => {
    const none = setup({ reads: [{ index: 0, id: "euler:pos" }] });
    expect(await none.measurer.measureLoss(position, { protocolId: "aave-v3", occurredAt: 1500 })).to.equal(undefined);
    expect(none.measurer.positionIdOf(position)).to.equal(`aave-v3:${ASSET}:${BEN}`);
    const failing = setup({ fail: true, drains: [drainSignal("d1", 1500, 33, 42)] });
    expect(failing.measurer.positionIdOf(position)).to.equal("aave-v3:pos");
    const error = await failing.measurer.measureLoss(position, { protocolId: "aave-v3", occurredAt: 1500 }).catch((err: Error) => err);
    expect((error as Error).message).to.match(/archive/);
  });
});
