/**
 * Test helper: brings protocols' risk components to low target scores the way the fund allows.
 *
 * The fund lowers a component by at most `maxRiskDecreasePerDay` points per day since its last
 * write, and a protocol's first write is bounded as if it came from 90 (the unscored price) one day
 * earlier. Rises are never limited. `writeRiskStepped` therefore writes what is allowed now, moves
 * the chain clock just far enough (`time.increase`, one jump) and writes the targets: at most two
 * writes and one clock jump per call, whatever the targets.
 */
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { Signer } from "ethers";

import type { StablecoinInsuranceFund } from "../../typechain-types";

/** The fund's `RiskUpdate` struct. */
export interface RiskTarget {
  protocol: string;
  tvlStability: number;
  auditQuality: number;
  timeSinceDeployment: number;
  exploitHistory: number;
  teamReputation: number;
}

/** What the fund prices a never-scored protocol at, per component (RiskMath.UNSCORED_RISK). */
export const UNSCORED_COMPONENT = 90;
const DAY = 86_400;
const FIELDS = ["tvlStability", "auditQuality", "timeSinceDeployment", "exploitHistory", "teamReputation"] as const;

/** Components the fund treats as current for a protocol, and the seconds of allowance already earned. */
async function currentOf(fund: StablecoinInsuranceFund, protocol: string, now: number): Promise<{ values: number[]; elapsed: number }> {
  const risk = await fund.getProtocolRisk(protocol);
  const lastUpdated = Number(risk.lastUpdated);
  if (lastUpdated === 0) return { values: FIELDS.map(() => UNSCORED_COMPONENT), elapsed: DAY };
  return { values: FIELDS.map((f) => Number(risk[f])), elapsed: now - lastUpdated };
}

/**
 * Writes each target's five components as soon as the decrease limit allows: one batch with every
 * component at max(target, allowed now), then — only if some component is still above its target —
 * one `time.increase` of whole days and a second batch with the targets.
 */
export async function writeRiskStepped(fund: StablecoinInsuranceFund, oracle: Signer, targets: readonly RiskTarget[]): Promise<void> {
  if (targets.length === 0) return;
  const perDay = Number((await fund.parameters()).maxRiskDecreasePerDay);
  // The next block is at least one second after the latest: its allowance is no smaller.
  const now = (await time.latest()) + 1;
  let remainingDays = 0;
  const first: RiskTarget[] = [];
  for (const target of targets) {
    const { values, elapsed } = await currentOf(fund, target.protocol, now);
    const allowed = Math.floor((perDay * elapsed) / DAY);
    const step = { ...target };
    FIELDS.forEach((field, i) => {
      const floor = values[i]! - allowed;
      if (target[field] < floor) {
        step[field] = floor;
        if (perDay === 0) throw new Error(`writeRiskStepped: maxRiskDecreasePerDay is 0, ${field} can never fall to ${target[field]}`);
        remainingDays = Math.max(remainingDays, Math.ceil((floor - target[field]) / perDay));
      }
    });
    first.push(step);
  }
  await (await fund.connect(oracle).updateProtocolRisks(first)).wait();
  if (remainingDays === 0) return;
  await time.increase(remainingDays * DAY);
  await (await fund.connect(oracle).updateProtocolRisks([...targets])).wait();
}

/** `writeRiskStepped` for one protocol, with the components in the order of `updateProtocolRisk`. */
export async function writeOneRiskStepped(
  fund: StablecoinInsuranceFund,
  oracle: Signer,
  protocol: string,
  tvlStability: number,
  auditQuality: number,
  timeSinceDeployment: number,
  exploitHistory: number,
  teamReputation: number,
): Promise<void> {
  await writeRiskStepped(fund, oracle, [{ protocol, tvlStability, auditQuality, timeSinceDeployment, exploitHistory, teamReputation }]);
}
