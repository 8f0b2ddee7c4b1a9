/** WatchLossMeasurer: which position, which blocks, and what happens when no reader or a failed read. */
import { expect } from "chai";
import { WatchLossMeasurer } from "../../src/cycles/positionLoss";
import type { KeeperConfig } from "../../src/config";
import type { IncidentSignal } from "../../src/policy/incidentSignals";
import { recordingLogger } from "../sources/testDeps";

const ASSET = "0x00000000000000000000000000000000000000a1";
const BEN = "0x00000000000000000000000000000000000000b1";
/** Block n has timestamp 1000 + 12 n; head 100. */
const provider = {
  getBlockNumber: async () => 100,
  getBlock: async (n: unknown) => ({ timestamp: 1000 + 12 * Number(n) }),
} as never;
const config = { positions: [{ protocol: "euler", asset: ASSET, beneficiary: BEN }, { protocol: "aave-v3", asset: ASSET, beneficiary: BEN }] } as unknown as Pick<KeeperConfig, "positions">;
const position = { protocolId: "aave-v3", protocol: "0x01", asset: ASSET, beneficiary: BEN, targetAmount: 1000n };

function watch(options: { reads?: { index: number; id: string }[]; drains?: IncidentSignal[]; fail?: boolean } = {}) {
  const calls: [string, number, number][] = [];
  return {
    calls,
    watch: {
      positionReads: () => (options.reads ?? [{ index: 1, id: "aave-v3:pos" }]).map((r) => ({ ...r, protocolId: "aave-v3", spec: { kind: "aave-v3" } })) as never,
      storedSignals: () => (options.drains ?? []).map((signal) => ({ signal, evidenceHash: "0x" })),
      measurePositionLoss: async (id: string, before: number, after: number) => {
        calls.push([id, before, after]);
        if (options.fail === true) throw new Error("missing trie node (not an archive node)");
        return { positionId: id, before: { value: 1000n, block: before, timestamp: 0 }, after: { value: 650n, block: after, timestamp: 0 }, loss: 350n };
      },
    },
  };
}

describe("WatchLossMeasurer (app)", () => {
  it("measures from the last block before the incident to the head, and records the derivation", async () => {
    const w = watch();
    const m = new WatchLossMeasurer({ watch: w.watch, provider, config, logger: recordingLogger() });
    const loss = await m.measureLoss(position, { protocolId: "aave-v3", occurredAt: 1000 + 12 * 40 + 5 });
    expect(w.calls).to.deep.equal([["aave-v3:pos", 40, 100]]);
    expect(loss?.loss).to.equal(350n);
    expect(loss?.derivation).to.deep.include({ method: "measured", valueBefore: "1000", valueAfter: "650", blockBefore: 40, blockAfter: 100 });
  });

  it("uses the drain's first observation as the block before when the watch saw one", async () => {
    const drain = { kind: "onchain-drain", protocolId: "aave-v3", sourceId: "d1", occurredAt: 1500, observedAt: 1600, description: "drain", sourceRef: "chain", drain: { token: ASSET, holder: BEN, before: { token: ASSET, holder: BEN, block: 33, timestamp: 1396, balance: "1" }, after: { token: ASSET, holder: BEN, block: 42, timestamp: 1504, balance: "0" }, dropFraction: 1 } } as IncidentSignal;
    const w = watch({ drains: [drain] });
    const m = new WatchLossMeasurer({ watch: w.watch, provider, config, logger: recordingLogger() });
    await m.measureLoss(position, { protocolId: "aave-v3", occurredAt: 1500 });
    expect(w.calls[0]?.[1]).to.equal(33);
  });

  it("no reader for the position → undefined (the configured size is claimed); a failed read throws", async () => {
    const none = new WatchLossMeasurer({ watch: watch({ reads: [{ index: 0, id: "euler:pos" }] }).watch, provider, config, logger: recordingLogger() });
    expect(await none.measureLoss(position, { protocolId: "aave-v3", occurredAt: 1500 })).to.equal(undefined);
    const failing = new WatchLossMeasurer({ watch: watch({ fail: true }).watch, provider, config, logger: recordingLogger() });
    let error: Error | undefined;
    await failing.measureLoss(position, { protocolId: "aave-v3", occurredAt: 1500 }).catch((err: Error) => (error = err));
    expect(error?.message).to.match(/archive/);
  });
});
