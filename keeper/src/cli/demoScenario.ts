/**
 * The `npm run demo` scenario over the embedded environment (./embedded): the keeper's own loops
 * (`daemonFor(...).runLoop`) do the work; the scenario only moves chain time, writes the exploit
 * into the fixture feed, plays the assessors and the beneficiary, and checks each stage's result.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Contract, formatUnits } from "ethers";
import { MockCapacityLimitedProvider__factory } from "../../../typechain-types/factories/contracts/mocks/MockCapacityLimitedProvider__factory";
import { MockNexusMutualClaims__factory } from "../../../typechain-types/factories/contracts/mocks/MockNexusMutualClaims__factory";
import { MockNexusMutualAssessments__factory } from "../../../typechain-types/factories/contracts/mocks/MockNexusMutualAssessments__factory";
import { StablecoinInsuranceFund__factory } from "../../../typechain-types/factories/contracts/StablecoinInsuranceFund__factory";
import { DEMO_PORTFOLIO, PROVIDER_ID, TOKEN_DECIMALS } from "../demo/portfolio";
import { collapseTvl } from "../demo/exploit";
import { decideIncident } from "./commands/incident";
import { parseConfig } from "../config";
import { formatReportTable, formatUsd } from "../policy/report";
import { fixtureSnapshotSchema } from "../sources/fixtureSource";
import { buildContainer, type KeeperContainer } from "./container";
import { currentCoverageReport, daemonFor, type KeeperDaemon, type LoopResult } from "./daemon";
import { ACCOUNT_INDEX, devAccount, drainDemoProtocol, openDemoPosition, startEmbedded, type EmbeddedEnvironment } from "./embedded";
import { FUND_INCIDENT_ABI } from "../cycles/exploitWatch";
import { demoProtocolAddress } from "../config";
import type { LoopName } from "../server/health";
import type { Logger } from "../lib/logger";

const DAY = 86_400;
/** Cover length the keeper buys in the demo, so renewals come round quickly (days). */
const DEMO_COVER_DAYS = 60;
/** Share of TVL lost in the exploit, as the fixture feed later reports it. */
const EXPLOIT_COLLAPSE = 0.9;
/** Share of the stand-in's stablecoin drained on-chain in the exploit. */
const EXPLOIT_DRAIN = 0.6;
/** Claim status `Paid` in IStablecoinInsuranceFund.ClaimStatus. */
const CLAIM_PAID = 4n;
const ERC20_ABI = ["function balanceOf(address) view returns (uint256)"];

export class DemoStageError extends Error {
  constructor(
    readonly stage: string,
    message: string,
  ) {
    super(message);
    this.name = "DemoStageError";
  }
}

export interface DemoOptions {
  readonly logger: Logger;
  readonly out: (line: string) => void;
  /** Fixture id of the protocol to exploit (default aave-v3, Nexus-hedged). */
  readonly exploitProtocol?: string;
}

/** Runs the scenario; returns the exit code (0 = every stage passed). */
export async function runDemo(options: DemoOptions): Promise<number> {
  const { out, logger } = options;
  const startedAt = Date.now();
  const exploitId = options.exploitProtocol ?? "aave-v3";
  const position = DEMO_PORTFOLIO.find((p) => p.id === exploitId);
  let stage = "setup";
  let embedded: EmbeddedEnvironment | undefined;
  let container: KeeperContainer | undefined;
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupted ??= signal;
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const wall = () => `+${((Date.now() - startedAt) / 1000).toFixed(1)}s`;
  const chainTime = async (): Promise<number> => {
    const block = await embedded?.provider.getBlock("latest");
    return block?.timestamp ?? 0;
  };
  const iso = (t: number) => new Date(t * 1000).toISOString().replace(".000Z", "Z");
  const say = async (name: string, message: string) => {
    out(`[demo ${wall().padStart(7)}] chain ${iso(await chainTime())}  ${name.padEnd(16)} ${message}`);
  };
  const check = (condition: boolean, message: string): void => {
    if (!condition) throw new DemoStageError(stage, message);
  };
  const checkInterrupted = (): void => {
    if (interrupted !== undefined) throw new DemoStageError(stage, `interrupted by ${interrupted}`);
  };
  const advance = async (seconds: number) => {
    await embedded?.provider.send("evm_increaseTime", [seconds]);
    await embedded?.provider.send("evm_mine", []);
  };

  try {
    if (position === undefined) throw new DemoStageError(stage, `DEMO_PROTOCOL=${exploitId} is not one of ${DEMO_PORTFOLIO.map((p) => p.id).join(", ")}`);
    out(`demo: the original investor's portfolio on an embedded local chain (exploited: ${position.name})`);
    embedded = await startEmbedded({
      logger,
      progress: (line) => out(`[demo ${wall().padStart(7)}] setup            ${line}`),
      config: { purchaseDurationDays: DEMO_COVER_DAYS, healthPort: false },
    });
    const env = embedded;
    checkInterrupted();
    const config = parseConfig(env.config, { env: { KEEPER_PRIVATE_KEY: env.keeperKey }, origin: "embedded demo", baseDir: env.workDir });
    container = await buildContainer(config, logger);
    await container.verify();
    const daemon: KeeperDaemon = daemonFor(container, { out: (line) => out(`    keeper | ${line.replace(/^\S+ /, "")}`) });
    const runLoop = async (loop: LoopName): Promise<LoopResult> => {
      checkInterrupted();
      const result = await daemon.runLoop(loop);
      if (result === undefined) throw new DemoStageError(stage, `the keeper's ${loop} cycle failed (see the keeper line above)`);
      return result;
    };
    const kinds = (r: LoopResult, kind: string) => r.actions.filter((a) => a.kind === kind && a.result === "confirmed").length;
    const fund = StablecoinInsuranceFund__factory.connect(env.stack.fund, env.provider);

    stage = "scores pushed";
    const risk = await runLoop("risk");
    check(kinds(risk, "risk-push") > 0, "no risk-score transaction confirmed");
    const scored = await Promise.all(config.protocols.map(async (p) => `${p.id} ${await fund.calculateProtocolRisk(p.address)}`));
    await say(stage, `${config.protocols.length} protocols scored on-chain by the keeper: ${scored.join(", ")}`);

    stage = "coverage bought";
    const bought = await runLoop("coverage");
    const purchases = kinds(bought, "purchase");
    check(purchases === DEMO_PORTFOLIO.length, `expected ${DEMO_PORTFOLIO.length} purchases, ${purchases} confirmed`);
    let report = await currentCoverageReport(container);
    const byProvider = await providerMix(fund, env.accounts.beneficiary);
    await say(stage, `${purchases} covers for ${DEMO_COVER_DAYS} days, total ${formatUsd(report.totalCoverageWad)}, premium ${formatUsd(report.totalPremiumPaidWad)} (${byProvider})`);

    for (const round of [1, 2]) {
      stage = `renewal ${round}`;
      const covers = await activeCovers(fund, env.accounts.beneficiary);
      const firstEnd = Math.min(...covers.map((c) => Number(c.end)));
      const target = firstEnd - 10 * DAY;
      await advance(target - (await chainTime()));
      const renewed = await runLoop("coverage");
      const renewals = kinds(renewed, "renew");
      check(renewals === covers.length, `expected ${covers.length} renewals, ${renewals} confirmed`);
      const after = await activeCovers(fund, env.accounts.beneficiary);
      const nextEnd = Math.min(...after.map((c) => Number(c.end)));
      check(nextEnd > firstEnd, "renewed covers did not move their end");
      await say(stage, `time +${Math.round((target - Number(covers[0]?.start ?? target)) / DAY)}d since purchase, 10 days before expiry: ${renewals} covers renewed by the keeper as the beneficiary's agent, next expiry ${iso(nextEnd)}`);
    }

    const state = container.state();
    const decimals = TOKEN_DECIMALS[position.stablecoin];
    const amount = (v: bigint) => `${Number(formatUnits(v, decimals)).toLocaleString("en-US")} ${position.stablecoin}`;

    stage = "position grew";
    const grower = DEMO_PORTFOLIO.find((p) => p.id !== exploitId && p.stablecoin === "USDC") ?? DEMO_PORTFOLIO[0];
    if (grower !== undefined) {
      await openDemoPosition(env.stack, grower, env.signer(ACCOUNT_INDEX.beneficiary), grower.usd / 2, env.signer(ACCOUNT_INDEX.deployer));
      const topped = await runLoop("coverage");
      check(kinds(topped, "increase") === 1, `expected 1 increase after ${grower.name} grew 50%, got ${kinds(topped, "increase")}`);
      await say(stage, `the investor adds 50% to ${grower.name} (read on-chain: $${(grower.usd * 1.5).toLocaleString("en-US")}); next coverage cycle tops the cover up to the live value`);
    }

    stage = "exploit";
    // The incident watch ticks before the exploit too (as the daemon does every incidentWatchSec).
    await runLoop("incident");
    const attacker = devAccount(ACCOUNT_INDEX.attacker).address;
    const drained = await drainDemoProtocol(env.stack, position, env.signer(ACCOUNT_INDEX.deployer), attacker, EXPLOIT_DRAIN);
    await say(stage, `block ${drained.block}: ${EXPLOIT_DRAIN * 100}% of the ${position.stablecoin} in the ${position.standIn.label} (${amount(drained.amount)}) drained to ${attacker}`);

    stage = "alert + halt";
    const watchTick = await runLoop("incident");
    const reported = watchTick.actions.filter((a) => a.kind === "report-incident" && a.result === "confirmed").length;
    const signals = container.exploitWatch().storedSignals().filter((x) => x.signal.protocolId === exploitId);
    check(signals.length > 0, `the next incident-watch tick saw no drain of ${exploitId}`);
    check(reported === 1, `reportIncident not mined in the tick after the drain (${reported})`);
    const incident = (await new Contract(env.stack.fund, FUND_INCIDENT_ABI, env.provider).getFunction("getIncident")(demoProtocolAddress(exploitId))) as { active: boolean; occurredAt: bigint };
    check(incident.active, `sales of ${exploitId} not halted on the fund`);
    check(state.claims.list().length === 0, "a claim was filed on a suspected incident");
    const first = signals[0]?.signal;
    await say(
      stage,
      `next incident-watch tick (read at block ${first?.drain?.after.block ?? "?"}): critical alert "on-chain drain: ${position.name}" (${signals.length} watched balances fell, largest -${((Math.max(...signals.map((x) => x.signal.drain?.dropFraction ?? 0))) * 100).toFixed(0)}%); reportIncident mined: ${position.name} sales halted on the fund; incident suspected, no claim yet`,
    );

    stage = "confirmation";
    const fixtureFile = path.join(env.fixtureDir, `${exploitId}.json`);
    const snapshot = fixtureSnapshotSchema.parse(JSON.parse(readFileSync(fixtureFile, "utf8")));
    const collapsed = collapseTvl(snapshot, { fraction: EXPLOIT_COLLAPSE, afterSeconds: 3600 });
    writeFileSync(`${fixtureFile}.tmp`, `${JSON.stringify(collapsed, null, 2)}\n`);
    renameSync(`${fixtureFile}.tmp`, fixtureFile);
    await advance(3600);
    const newest = collapsed.tvlHistory?.[collapsed.tvlHistory.length - 1];
    await say(stage, `the fixture feed corroborates: ${position.name} TVL down ${EXPLOIT_COLLAPSE * 100}% to $${newest?.tvlUsd.toLocaleString("en-US")}; chain time +1h`);

    stage = "incident detected";
    let claim = state.claims.list().find((c) => c.fundClaimId !== undefined);
    for (let tick = 0; tick < 3 && claim === undefined; tick += 1) {
      if (tick > 0) await advance(1);
      await runLoop("incident");
      const detected = state.incidents.list().find((i) => i.protocol === exploitId);
      if (tick === 0) {
        check(detected !== undefined, `no incident detected for ${exploitId}`);
        await say(stage, `${detected?.dedupeKey}: ${detected?.state}${detected?.haltReportedAt !== undefined ? ", sales halted on-chain (reportIncident)" : ""} (evidence pack ${path.basename(detected?.evidencePath ?? "-")})`);
        if (detected !== undefined && detected.state === "suspected") {
          // A drain or a TVL drop alone is only suspected: the operator confirms it (`keeper incident confirm <id>`).
          decideIncident(state, String(detected.id), "confirmed", await chainTime());
          await say("incident confirmed", `the operator confirms incident #${detected.id} (keeper incident confirm ${detected.id}); the next tick files the claims`);
        }
      }
      claim = state.claims.list().find((c) => c.fundClaimId !== undefined);
      const scheduled = state.claims.list().find((c) => c.state === "scheduled");
      if (claim === undefined && scheduled !== undefined) await say("claim scheduled", `cover #${scheduled.coverageId}: earliest filing ${iso(scheduled.fileAfter ?? 0)}`);
    }

    // The investor's loss, measured by the position readers at the recorded blocks.
    const watch = container.exploitWatch();
    const positionId = watch.positionReads().find((r) => r.protocolId === exploitId)?.id;
    const drainSignal = signals.find((x) => x.signal.drain?.holder.toLowerCase() === env.accounts.beneficiary.toLowerCase())?.signal ?? first;
    let measured: Awaited<ReturnType<typeof watch.measurePositionLoss>> | undefined;
    if (positionId !== undefined && drainSignal?.drain !== undefined) {
      measured = await watch.measurePositionLoss(positionId, drainSignal.drain.before.block, drainSignal.drain.after.block);
      await say("measured loss", `${amount(measured.loss)} (position ${amount(measured.before.value)} at block ${measured.before.block} → ${amount(measured.after.value)} at block ${measured.after.block})`);
    }

    stage = "claim filed";
    check(claim?.fundClaimId !== undefined, "the keeper filed no claim");
    const claimId = BigInt(claim?.fundClaimId ?? "0");
    const filed = await fund.getClaim(claimId);
    const cover = await fund.getCoverageDetails(filed.coverageId);
    check(filed.submittedAt > cover.start, "claim filed in the purchase block (not allowed)");
    await say(stage, `fund claim #${claimId} on cover #${filed.coverageId} (provider ${cover.providerId}) for ${amount(filed.amount)}, submitted at ${iso(Number(filed.submittedAt))}, evidence hash ${filed.evidenceHash.slice(0, 18)}…`);

    stage = "assessed";
    const owner = env.signer(ACCOUNT_INDEX.deployer);
    if (cover.providerId === BigInt(PROVIDER_ID.nexus)) {
      const claims = MockNexusMutualClaims__factory.connect(env.stack.nexusClaims, owner);
      await (await claims.mockNexusCastVote(filed.providerClaimId, true)).wait();
      // votingEnd and the cooldown are read from Nexus each time (voting can be closed early or extended)
      const assessment = await MockNexusMutualAssessments__factory.connect(await claims.assessments(), owner).getAssessment(filed.providerClaimId);
      const latest = await env.provider.getBlock("latest");
      const wait = Number(assessment.votingEnd) + Number(assessment.cooldownPeriod) + 1 - (latest?.timestamp ?? 0);
      await advance(wait);
      await say(stage, `Nexus assessors vote yes on Nexus claim #${filed.providerClaimId}; chain time +${(wait / DAY).toFixed(1)}d through voting and cooldown`);
    } else if (cover.providerId === BigInt(PROVIDER_ID.second)) {
      const second = MockCapacityLimitedProvider__factory.connect(env.stack.secondProvider, owner);
      await (await second.mockDecideClaim(filed.providerClaimId, 0, filed.amount)).wait();
      await say(stage, `second provider accepts claim #${filed.providerClaimId}`);
    } else {
      const assessor = StablecoinInsuranceFund__factory.connect(env.stack.fund, env.signer(ACCOUNT_INDEX.assessor));
      await (await assessor.assessClaim(claimId, true, filed.amount)).wait();
      const challenge = Number((await fund.parameters()).challengePeriod) + 1;
      await advance(challenge);
      await say(stage, `the fund's claims assessor accepts the self-insured claim for ${amount(filed.amount)}; chain time +${(challenge / DAY).toFixed(1)}d through the challenge period`);
    }

    stage = "settled";
    const asset = cover.asset;
    const creditedBefore = await fund.creditedPayout(env.accounts.beneficiary, asset);
    const settle = await runLoop("incident");
    check(kinds(settle, "settle-claim") === 1, "the keeper did not settle the claim");
    const settled = await fund.getClaim(claimId);
    check(settled.status === CLAIM_PAID, `claim status ${settled.status}, expected Paid (${CLAIM_PAID})`);
    const credited = (await fund.creditedPayout(env.accounts.beneficiary, asset)) - creditedBefore;
    check(credited > 0n, "nothing credited to the beneficiary");
    await say(stage, `claim #${claimId} settled by the keeper: Paid, ${amount(credited)} credited to the beneficiary`);

    stage = "withdrawn";
    const token = new Contract(asset, ERC20_ABI, env.provider);
    const balanceOf = token.getFunction("balanceOf");
    const before = (await balanceOf(env.accounts.beneficiary)) as bigint;
    const beneficiaryFund = StablecoinInsuranceFund__factory.connect(env.stack.fund, env.signer(ACCOUNT_INDEX.beneficiary));
    await (await beneficiaryFund.withdrawPayout(asset, env.accounts.beneficiary)).wait();
    const received = ((await balanceOf(env.accounts.beneficiary)) as bigint) - before;
    check(received === credited, `beneficiary received ${received}, expected ${credited}`);
    await say(stage, `beneficiary ${env.accounts.beneficiary} withdrew ${amount(received)}`);

    stage = "report";
    report = await currentCoverageReport(container);
    await say(stage, `final coverage report (${report.protocolsCount} protocols):`);
    out(formatReportTable(report));
    out(`demo: all stages passed in ${((Date.now() - startedAt) / 1000).toFixed(1)} s wall time`);
    return 0;
  } catch (err) {
    const failedStage = err instanceof DemoStageError ? err.stage : stage;
    out(`demo FAILED at stage "${failedStage}": ${err instanceof Error ? err.message : String(err)}`);
    return interrupted !== undefined ? 130 : 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    container?.close();
    await embedded?.stop();
  }
}

interface ActiveCover {
  readonly id: bigint;
  readonly start: bigint;
  readonly end: bigint;
  readonly providerId: bigint;
}

/** The beneficiary's active covers over the demo protocols. */
async function activeCovers(fund: ReturnType<typeof StablecoinInsuranceFund__factory.connect>, beneficiary: string): Promise<ActiveCover[]> {
  const { demoProtocolAddress } = await import("../config");
  const ids = (await Promise.all(DEMO_PORTFOLIO.map(async (p) => (await fund.getProtocolCoverages(demoProtocolAddress(p.id), 0, 500)).ids))).flat();
  const details = await Promise.all(ids.map((id) => fund.getCoverageDetails(id)));
  return details
    .filter((c) => c.beneficiary === beneficiary && c.status === 1n)
    .map((c) => ({ id: c.id, start: c.start, end: c.end, providerId: c.providerId }));
}

async function providerMix(fund: ReturnType<typeof StablecoinInsuranceFund__factory.connect>, beneficiary: string): Promise<string> {
  const names: Record<string, string> = { "0": "self-insured", "1": "Nexus-hedged", "2": "second provider" };
  const counts = new Map<string, number>();
  for (const c of await activeCovers(fund, beneficiary)) {
    const name = names[c.providerId.toString()] ?? `provider ${c.providerId}`;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts].map(([name, n]) => `${n} ${name}`).join(", ");
}
