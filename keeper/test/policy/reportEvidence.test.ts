import { expect } from "chai";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { keccak256, toUtf8Bytes } from "ethers";

import type { CoverageChainState, CoveragePosition, OnChainCoverage } from "../../src/policy/coverage";
import { buildEvidencePack, canonicalJson } from "../../src/policy/evidence";
import { buildCoverageReport, formatReportTable, formatUsd, reportToJson } from "../../src/policy/report";
import { storeEvidence } from "../../src/sources/evidenceStore";

const NOW = 1_750_000_000;
const DAY = 86_400;
const USDC = "0x1111111111111111111111111111111111111111";
const SAFE = "0x5afe5afe5afe5afe5afe5afe5afe5afe5afe5afe";
const P = (n: number) => `0x${String(n).repeat(40)}`;
const USD6 = 10n ** 6n;

const pos = (id: string, proto: string, target: bigint): CoveragePosition => ({
  protocolId: id, protocol: proto, asset: USDC, assetDecimals: 6, targetAmount: target * USD6, beneficiary: SAFE, preferredProviders: [1], allowSelfInsure: false,
});
const cov = (id: bigint, proto: string, amount: bigint, end: number, over: Partial<OnChainCoverage> = {}): OnChainCoverage => ({
  id, protocol: proto, asset: USDC, beneficiary: SAFE, amount: amount * USD6, premium: 1_000n * USD6, claimed: 0n, start: NOW - DAY, end, providerId: 1, providerCoverId: 1n, openClaimId: 0n, status: "Active", claimDeadline: end + 30 * DAY, ...over,
});

describe("policy/report", () => {
  const chain: CoverageChainState = {
    protocols: [
      { protocol: P(1), riskScore: 20, exposureWad: 0n, coverages: [cov(1n, P(1), 45_000n, NOW + 30 * DAY)] },
      { protocol: P(2), riskScore: 85, exposureWad: 0n, coverages: [cov(2n, P(2), 121_000n, NOW + 31 * DAY)] },
      { protocol: P(3), riskScore: 55, exposureWad: 0n, coverages: [cov(3n, P(3), 10_000n, NOW - 1, { status: "Active" })] },
      { protocol: P(4), riskScore: 70, exposureWad: 0n, coverages: [cov(4n, P(4), 120_000n, NOW + 100 * DAY)] },
    ],
    pools: [],
    params: { baseRateBps: 200, reserveRatioBps: 2_000, renewalWindowSec: 30 * DAY, claimGracePeriodSec: 30 * DAY, maxCoveragePerProtocolWad: 500_000n * 10n ** 18n },
  };
  const positions = [pos("aave", P(1), 45_000n), pos("gmx", P(2), 100_000n), pos("yearn", P(3), 10_000n), pos("curve", P(4), 100_000n)];
  const report = buildCoverageReport(positions, chain, NOW);

  it("has the original fields: totals, by level, expiring (30 d inclusive), uncovered, over-insured (> 1.2 × target)", () => {
    expect(report.timestamp).to.equal(NOW);
    expect(report.protocolsCount).to.equal(4);
    expect(report.totalCoverageWad).to.equal((45_000n + 121_000n + 120_000n) * 10n ** 18n);
    expect(report.totalPremiumPaidWad).to.equal(4_000n * 10n ** 18n);
    expect(report.coverageByRiskLevel).to.deep.equal({ LOW: 45_000n * 10n ** 18n, MEDIUM: 0n, HIGH: 120_000n * 10n ** 18n, CRITICAL: 121_000n * 10n ** 18n });
    expect(report.expiringWithin30Days.map((e) => e.coverId)).to.deep.equal([1n]);
    expect(report.uncoveredProtocols).to.deep.equal(["yearn"]);
    expect(report.overInsuredProtocols).to.deep.equal(["gmx"]); // 121k > 120k; curve at exactly 1.2 is not
  });
  it("one vocabulary: Position is what is protected, Target = position × risk multiplier (issue 22)", () => {
    const gmx = report.rows.find((r) => r.protocolId === "gmx");
    expect(gmx?.positionWad).to.equal(100_000n * 10n ** 18n);
    expect(gmx?.targetWad).to.equal(130_000n * 10n ** 18n); // score 85 → × 1.3
    const aave = report.rows.find((r) => r.protocolId === "aave");
    expect(aave?.targetWad).to.equal(aave?.positionWad); // score 20 → × 1.0
    const table = formatReportTable(report);
    expect(table.split("\n")[1]).to.match(/^Protocol +\| Risk \| Level +\| Value +\| Position +\| Target +\| Coverage +\| Cover\/value/);
    expect(table).to.match(/gmx .*\| \$100,000\.00 \| \$130,000\.00 \| \$121,000\.00/);
    expect(table).to.match(/^Coverage report at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(chain time\); Risk = score \(on-chain\), Target = position × risk multiplier$/m);
  });
  it("prints a table and serialises to JSON with decimal strings", () => {
    const table = formatReportTable(report);
    expect(table).to.contain("gmx");
    expect(table).to.contain("$121,000.00");
    expect(table).to.match(/Uncovered: yearn/);
    expect(formatUsd(1_234_567n * 10n ** 16n)).to.equal("$12,345.67");
    const json = reportToJson(report) as { totalCoverageWad: string };
    expect(json.totalCoverageWad).to.equal(((45_000n + 121_000n + 120_000n) * 10n ** 18n).toString());
  });
});

describe("policy/evidence", () => {
  const incident = { dedupeKey: "tvl-drop:euler:100", kind: "tvl-drop" as const, protocolId: "euler", occurredAt: 100 * DAY, detectedAt: 100 * DAY + 60, description: "TVL fell 90%", sourceRef: "tvl-history", exploitTxHash: "0x" + "cd".repeat(32) };
  const input = {
    incident,
    tvlHistory: [90, 97, 99, 100, 101, 103, 110].map((d) => ({ date: d * DAY, tvlUsd: d })),
    sources: [{ name: "defillama", url: "http://x/protocol/euler", fetchedAt: 1, sha256: "aa" }, { name: "chain", url: "rpc", fetchedAt: 1, sha256: "bb" }],
    coverages: [{ coverId: 7n, protocol: P(1), asset: USDC, providerId: 1, providerCoverId: 3n, amount: 5n, claimed: 0n, start: 1, end: 2 }],
    positions: [{ protocolId: "euler", asset: USDC, beneficiary: SAFE, targetAmount: 5n }],
  };
  it("keeps the TVL series around the event (±3 days inclusive) and sorts sources", () => {
    const pack = buildEvidencePack(input);
    expect(pack.tvlSeries.map((p) => p.date / DAY)).to.deep.equal([97, 99, 100, 101, 103]);
    expect(pack.sources.map((s) => s.name)).to.deep.equal(["chain", "defillama"]);
    expect(pack.incident.exploitTxHash).to.equal(incident.exploitTxHash);
  });
  it("canonical JSON sorts keys, drops undefined, renders bigints, and is independent of input order", () => {
    expect(canonicalJson({ b: 1, a: [2n, "x"], c: undefined })).to.equal('{"a":["2","x"],"b":1}');
    const a = canonicalJson(buildEvidencePack(input));
    const b = canonicalJson(buildEvidencePack({ ...input, sources: [...input.sources].reverse(), tvlHistory: [...input.tvlHistory].reverse() }));
    expect(a).to.equal(b);
    expect(() => canonicalJson({ x: Number.NaN })).to.throw(/non-finite/);
  });
  it("stores the pack and returns the keccak256 of the exact bytes written", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "evidence-"));
    try {
      const stored = await storeEvidence(dir, buildEvidencePack(input));
      expect(path.basename(stored.path)).to.equal("tvl-drop_euler_100.json");
      const bytes = await readFile(stored.path, "utf8");
      expect(keccak256(toUtf8Bytes(bytes))).to.equal(stored.keccak256);
      expect((await storeEvidence(dir, buildEvidencePack(input))).keccak256).to.equal(stored.keccak256);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
