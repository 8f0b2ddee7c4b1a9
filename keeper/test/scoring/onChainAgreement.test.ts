/**
 * The keeper's mirror of the fund's `calculateProtocolRisk` must agree with the deployed
 * contract exactly, for any components and any staleness (offsets straddling the 7-day edge).
 */
import { loadFixture, takeSnapshot, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";

import { deployFund } from "../../../test/helpers/fundFixture";
import { writeOneRiskStepped } from "../../../test/helpers/riskSteps";
import { onChainRiskScore } from "../../src/scoring";

const DAY = 86_400; // seconds
const STALE_AFTER = 7 * DAY; // seconds

const component = fc.integer({ min: 0, max: 100 });
const componentsArb = fc.record({ tvl: component, audit: component, time: component, exploit: component, team: component });
/** Seconds after the push: right around the 7-day edge, or anywhere in two weeks. */
const offsetArb = fc.oneof(
  fc.integer({ min: STALE_AFTER - 3, max: STALE_AFTER + 3 }),
  fc.integer({ min: 1, max: 14 * DAY }),
);

describe("onChainRiskScore agrees with the deployed fund's calculateProtocolRisk", function () {
  this.timeout(300_000);

  it("exact equality for random components and staleness (200 runs)", async () => {
    const { fund, oracle } = await loadFixture(deployFund);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(componentsArb, offsetArb, fc.boolean(), async (c, offset, scored) => {
        const snapshot = await takeSnapshot();
        try {
          run += 1;
          // A never-scored protocol key each run, stepped down to the components (the fund lowers a
          // score by at most 10/day, a first write as if from 90).
          const protocol = ethers.getAddress(`0x${(0xa9000000 + run).toString(16).padStart(40, "0")}`);
          let lastUpdated = 0;
          if (scored) {
            await writeOneRiskStepped(fund, oracle, protocol, c.tvl, c.audit, c.time, c.exploit, c.team);
            lastUpdated = await time.latest();
            await time.increaseTo(lastUpdated + offset);
          } else {
            await time.increase(offset);
          }
          const now = await time.latest();
          const onChain = Number(await fund.calculateProtocolRisk(protocol));
          const expected = onChainRiskScore(scored ? c : undefined, lastUpdated, now);
          expect(onChain, `components ${JSON.stringify(c)}, ${now - lastUpdated} s after the push`).to.equal(expected);
        } finally {
          await snapshot.restore();
        }
      }),
      { numRuns: 200, verbose: 1 },
    );
    expect(run).to.be.at.least(200);
  });
});
