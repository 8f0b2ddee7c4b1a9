/** The pure leading-signal rules: admin events against the allow-list, the peg feed's thresholds. */
import { expect } from "chai";
import { adminEventSignals, checkPeg, DEFAULT_ADMIN_ROLE, pegSignal, type AdminEvent, type AdminWatchRule, type OracleRound, type PegRule } from "../../src/policy/leadingSignals";
import { confirmsAlone, independentlyCorroborated, signalFamily } from "../../src/policy/incidentSignals";

const PROXY = "0x00000000000000000000000000000000000000a1";
const NEW_IMPL = "0x00000000000000000000000000000000000000b2";
const UPGRADER = `0x${"ab".repeat(32)}`;

const rule = (announced: AdminWatchRule["announced"] = []): AdminWatchRule => ({
  protocolId: "p",
  protocolName: "P",
  contracts: new Map([[PROXY, { label: "pool proxy", adminRoles: [UPGRADER] }]]),
  announced,
});
const event = (over: Partial<AdminEvent>): AdminEvent => ({ contract: PROXY, event: "Upgraded", subject: NEW_IMPL, block: 10, timestamp: 1_000, txHash: "0xaa", logIndex: 0, ...over });

describe("leading signals (policy)", () => {
  it("an unannounced upgrade is a signal; announced before its expiry it is not, after it again is", () => {
    expect(adminEventSignals([event({})], rule(), 2_000).signals.map((s) => s.sourceId)).to.deep.equal([`admin-event:${PROXY}:0xaa:0`]);
    const announced = rule([{ account: NEW_IMPL.toUpperCase().replace("0X", "0x"), event: "Upgraded", untilSec: 1_000 }]);
    expect(adminEventSignals([event({})], announced, 2_000).signals).to.have.length(0);
    expect(adminEventSignals([event({ timestamp: 1_001 })], announced, 2_000).signals).to.have.length(1);
    // The announcement is for that event: the same address made owner is still a signal.
    expect(adminEventSignals([event({ event: "OwnershipTransferred" })], announced, 2_000).signals).to.have.length(1);
  });

  it("RoleGranted counts only for DEFAULT_ADMIN_ROLE and configured roles; events of other contracts never count", () => {
    const grants = [event({ event: "RoleGranted", role: DEFAULT_ADMIN_ROLE, logIndex: 1 }), event({ event: "RoleGranted", role: UPGRADER, logIndex: 2 }), event({ event: "RoleGranted", role: `0x${"cd".repeat(32)}`, logIndex: 3 })];
    const { signals, ignored } = adminEventSignals([...grants, event({ contract: "0x00000000000000000000000000000000000000c3", logIndex: 4 })], rule(), 2_000);
    expect(signals.map((s) => s.sourceId.split(":").pop())).to.deep.equal(["1", "2"]);
    expect(ignored.map((i) => i.ignored)).to.deep.equal([`role 0x${"cd".repeat(32)} is not an admin role`, "not a configured contract"]);
  });

  it("a leading signal neither confirms alone nor counts toward the two-signal rule", () => {
    const [s] = adminEventSignals([event({})], rule(), 2_000).signals;
    expect(confirmsAlone(s!)).to.equal(false);
    expect(signalFamily(s!)).to.equal(undefined);
    expect(independentlyCorroborated([s!, { kind: "oracle-deviation" }, { kind: "hallmark" }])).to.equal(false);
  });

  const peg: PegRule = { protocolId: "p", label: "USDC/USD", pegMicro: 1_000_000n, deviationBps: 200, staleAfterSec: 87_000 };
  const round = (answer: bigint, updatedAt = 10_000, roundId = 5n): OracleRound => ({ aggregator: "0xFeed", roundId, answer, updatedAt, decimals: 8 });

  it("the peg threshold is inclusive at 2% either side; a non-positive answer is invalid; staleness after heartbeat + grace", () => {
    expect(checkPeg(round(98_000_001n), peg, 10_000).status).to.equal("on-peg");
    expect(checkPeg(round(98_000_000n), peg, 10_000).status).to.equal("off-peg");
    expect(checkPeg(round(102_000_000n), peg, 10_000).status).to.equal("off-peg");
    expect(checkPeg(round(0n), peg, 10_000).status).to.equal("invalid");
    expect(checkPeg(round(100_000_000n), peg, 10_000 + 87_000).status).to.equal("on-peg");
    expect(checkPeg(round(100_000_000n), peg, 10_000 + 87_001).status).to.equal("stale");
  });

  it("one depeg episode is one signal id across rounds; back on peg ends it", () => {
    const first = pegSignal(round(95_000_000n, 10_000, 7n), peg, 10_000, undefined);
    const next = pegSignal(round(94_000_000n, 10_100, 8n), peg, 10_100, first.offPegSince);
    expect(next.signal?.sourceId).to.equal(first.signal?.sourceId);
    const back = pegSignal(round(100_000_000n, 10_200, 9n), peg, 10_200, next.offPegSince);
    expect(back.signal).to.equal(undefined);
    expect(back.offPegSince).to.equal(undefined);
    expect(pegSignal(round(95_000_000n, 10_300, 10n), peg, 10_300, back.offPegSince).signal?.sourceId).to.not.equal(first.signal?.sourceId);
  });
});
