/** The docs/demo.md drift check's normalisation (the real comparison runs in e2e/demo.test.ts). */
import { expect } from "chai";
import { readFileSync } from "node:fs";

import { DEMO_DOC, normaliseDemoOutput, replaceSampleBlock, sampleBlock } from "../helpers/demoSample";

describe("docs/demo.md sample: normalisation", () => {
  it("two runs differing only in wall time, ports, pids, temp dirs, chain times and hashes normalise equal", () => {
    const a = [
      "[demo   +2.2s] setup            local chain: hardhat node at http://127.0.0.1:45289 (pid 5494)",
      "    keeper | risk chain=2026-11-24T18:25:04Z protocols=7 planned=7 txs=1 failures=0 alerts=0 (256 ms)",
      "[demo  +12.6s] chain 2026-11-24T18:25:05Z  scores pushed    7 protocols scored on-chain by the keeper: aave-v3 14",
      "[demo  +17.5s] chain 2027-03-04T19:25:17Z  claim filed      fund claim #1 on cover #1, evidence hash 0x628d7883a211d530…, data in /tmp/sif-embedded-GogI3i/fixtures",
      "demo: all stages passed in 18.2 s wall time",
    ].join("\n");
    const b = a
      .replace("+2.2s", "+3.9s")
      .replace("45289", "40001")
      .replace("5494", "777")
      .replace("2026-11-24T18:25:04Z", "2026-12-01T09:00:00Z")
      .replace("256 ms", "1003 ms")
      .replace("2026-11-24T18:25:05Z", "2026-12-06T08:00:00Z")
      .replace("0x628d7883a211d530", "0xabcdefabcdefabcd")
      .replace("GogI3i", "Xy12Zz")
      .replace("18.2 s", "25.0 s");
    expect(normaliseDemoOutput(a)).to.equal(normaliseDemoOutput(b));
  });

  it("a changed amount, score or stage does not normalise away", () => {
    const line = "[demo  +18.0s] chain 2027-03-08T19:25:20Z  settled          claim #1 settled by the keeper: Paid, 27,000 USDC credited";
    expect(normaliseDemoOutput(line)).not.to.equal(normaliseDemoOutput(line.replace("27,000", "45,000")));
    expect(normaliseDemoOutput("aave-v3 | 24 | LOW")).not.to.equal(normaliseDemoOutput("aave-v3 | 25 | LOW"));
  });

  it("finds and replaces the doc's sample block", () => {
    const doc = readFileSync(DEMO_DOC, "utf8");
    const { block } = sampleBlock(doc);
    expect(block).to.match(/^demo: the original investor.s portfolio/m);
    expect(block).to.match(/^demo: all stages passed in/m);
    const replaced = replaceSampleBlock(doc, "new\nblock\n");
    expect(sampleBlock(replaced).block).to.equal("new\nblock");
    expect(replaced.slice(0, doc.indexOf("## Sample output"))).to.equal(doc.slice(0, doc.indexOf("## Sample output")));
  });
});
