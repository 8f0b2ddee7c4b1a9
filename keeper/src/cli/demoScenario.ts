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
import { DEMO_PORTFOLIO, PROVIDER_ID, TOKEN_DECIMALS, type DemoPosition } from "../demo/portfolio";
import { collapseTvl } from "../demo/exploit";
import { decideIncident } from "./commands/incident";
import { recordOperatorAmount } from "./commands/claimFile";
import { parseConfig, type KeeperConfig } from "../config";
import { formatReportTable, formatUsd } from "../policy/report";
import { fixtureSnapshotSchema } from "../sources/fixtureSource";
import { buildContainer, type KeeperContainer } from "./container";
import { currentCoverageReport, daemonFor, type KeeperDaemon, type LoopResult } from "./daemon";
import { ACCOUNT_INDEX, devAccount, drainDemoProtocol, openDemoPosition, startEmbedded, stepScoresDown, type EmbeddedEnvironment } from "./embedded";
import { FUND_INCIDENT_ABI, type StoredDrainSignal } from "../cycles/exploitWatch";
import { measureLendingLoss } from "../policy/lendingLoss";
import type { ClaimDerivation } from "../policy/claims";
import { IncidentLossReader, readAaveLendingState, resolveAaveReserve, windowBorrowers } from "../sources/positions";
import { demoProtocolAddress } from "../config";
import type { LoopName } from "../server/health";
import type { Logger } from "../lib/logger";
import type { ClaimRecord } from "../state";
import type { IStablecoinInsuranceFund, StablecoinInsuranceFund } from "../../../typechain-types/contracts/StablecoinInsuranceFund";
import { STOP_SIGNALS } from "./entry";

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
  const run = new DemoRun(options.out);
  run.listenForSignals();
  try {
    const stages = new DemoStages(run, await setUpWorld(run, options));
    await stages.pushScores();
    await stages.buyCoverage();
    for (const round of [1, 2]) await stages.renew(round);
    await stages.growPosition();
    await stages.exploit();
    await stages.alertAndHalt();
    await stages.corroborate();
    const claim = await stages.detectIncident();
    await stages.measureLoss(claim);
    const filed = await stages.fileClaim(claim);
    await stages.assess(filed);
    const credited = await stages.settle(filed);
    await stages.withdraw(filed, credited);
    await stages.report();
    return 0;
  } catch (err) {
    return run.failed(err);
  } finally {
    await run.tearDown();
  }
}

/** The scenario's narration and lifecycle: the current stage, a caught signal, what to shut down. */
class DemoRun {
  stage = "setup";
  interrupted: NodeJS.Signals | undefined;
  embedded: EmbeddedEnvironment | undefined;
  container: KeeperContainer | undefined;
  readonly startedAt = Date.now();
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    this.interrupted ??= signal;
  };

  constructor(readonly out: (line: string) => void) {}

  listenForSignals(): void {
    for (const signal of STOP_SIGNALS) process.on(signal, this.onSignal);
  }

  /** Wall time since the start, e.g. `+12.3s`. */
  wall(): string {
    return `+${((Date.now() - this.startedAt) / 1000).toFixed(1)}s`;
  }

  async chainTime(): Promise<number> {
    const block = await this.embedded?.provider.getBlock("latest");
    return block?.timestamp ?? 0;
  }

  async say(name: string, message: string): Promise<void> {
    this.out(`[demo ${this.wall().padStart(7)}] chain ${iso(await this.chainTime())}  ${name.padEnd(16)} ${message}`);
  }

  check(condition: boolean, message: string): void {
    if (!condition) throw new DemoStageError(this.stage, message);
  }

  checkInterrupted(): void {
    if (this.interrupted !== undefined) throw new DemoStageError(this.stage, `interrupted by ${this.interrupted}`);
  }

  async advance(seconds: number): Promise<void> {
    await this.embedded?.provider.send("evm_increaseTime", [seconds]);
    await this.embedded?.provider.send("evm_mine", []);
  }

  /** Reports the failed stage; the exit code (130 when interrupted). */
  failed(err: unknown): number {
    const failedStage = err instanceof DemoStageError ? err.stage : this.stage;
    this.out(`demo FAILED at stage "${failedStage}": ${err instanceof Error ? err.message : String(err)}`);
    return this.interrupted !== undefined ? 130 : 1;
  }

  async tearDown(): Promise<void> {
    for (const signal of STOP_SIGNALS) process.off(signal, this.onSignal);
    this.container?.close();
    await this.embedded?.stop();
  }
}

function iso(t: number): string {
  return new Date(t * 1000).toISOString().replace(".000Z", "Z");
}

/** What the stages play on: the embedded chain, the keeper on it, and the position to exploit. */
interface DemoWorld {
  readonly env: EmbeddedEnvironment;
  readonly config: KeeperConfig;
  readonly container: KeeperContainer;
  readonly daemon: KeeperDaemon;
  readonly fund: StablecoinInsuranceFund;
  readonly exploitId: string;
  readonly position: DemoPosition;
}

/** Stage "setup": the embedded chain (deploy and seed), then the keeper's container and daemon on it. */
async function setUpWorld(run: DemoRun, options: DemoOptions): Promise<DemoWorld> {
  const { out, logger } = options;
  const exploitId = options.exploitProtocol ?? "aave-v3";
  const position = DEMO_PORTFOLIO.find((p) => p.id === exploitId);
  if (position === undefined) throw new DemoStageError(run.stage, `DEMO_PROTOCOL=${exploitId} is not one of ${DEMO_PORTFOLIO.map((p) => p.id).join(", ")}`);
  out(`demo: the original investor's portfolio on an embedded local chain (exploited: ${position.name})`);
  run.embedded = await startEmbedded({
    logger,
    progress: (line) => out(`[demo ${run.wall().padStart(7)}] setup            ${line}`),
    config: { purchaseDurationDays: DEMO_COVER_DAYS, healthPort: false },
  });
  const env = run.embedded;
  run.checkInterrupted();
  const config = parseConfig(env.config, { env: { KEEPER_PRIVATE_KEY: env.keeperKey }, origin: "embedded demo", baseDir: env.workDir });
  run.container = await buildContainer(config, logger);
  const container = run.container;
  await container.verify();
  const daemon = daemonFor(container, { out: (line) => out(`    keeper | ${line.replace(/^\S+ /, "")}`) });
  const fund = StablecoinInsuranceFund__factory.connect(env.stack.fund, env.provider);
  return { env, config, container, daemon, fund, exploitId, position };
}

/** The fund's claim the keeper filed, and the coverage it is on. */
interface FiledClaim {
  readonly claimId: bigint;
  readonly filed: IStablecoinInsuranceFund.ClaimStructOutput;
  readonly cover: IStablecoinInsuranceFund.CoverageStructOutput;
}

/** The stages in order; each sets its name, lets the keeper's loops work, and checks the result. */
class DemoStages {
  constructor(
    private readonly run: DemoRun,
    private readonly w: DemoWorld,
  ) {}

  private async runLoop(loop: LoopName): Promise<LoopResult> {
    this.run.checkInterrupted();
    const result = await this.w.daemon.runLoop(loop);
    if (result === undefined) throw new DemoStageError(this.run.stage, `the keeper's ${loop} cycle failed (see the keeper line above)`);
    return result;
  }

  private amount(v: bigint): string {
    const { stablecoin } = this.w.position;
    return `${Number(formatUnits(v, TOKEN_DECIMALS[stablecoin])).toLocaleString("en-US")} ${stablecoin}`;
  }

  async pushScores(): Promise<void> {
    const { run, w } = this;
    run.stage = "scores pushed";
    // The fund lowers a score by at most 10/day and a first score counts from 90: the keeper steps
    // down one push a day, the chain's clock moving a day per step.
    run.checkInterrupted();
    const stepped = await stepScoresDown(w.daemon, (seconds) => run.advance(seconds));
    run.check(stepped.pushingTicks > 0, "no risk-score transaction confirmed");
    const scored = await Promise.all(w.config.protocols.map(async (p) => `${p.id} ${await w.fund.calculateProtocolRisk(p.address)}`));
    await run.say(
      run.stage,
      `${w.config.protocols.length} protocols scored on-chain by the keeper: ${scored.join(", ")} (stepped down from 90 in ${stepped.pushingTicks} daily pushes, time +${stepped.days}d: the fund lowers a score by at most 10/day)`,
    );
  }

  async buyCoverage(): Promise<void> {
    const { run, w } = this;
    run.stage = "coverage bought";
    const bought = await this.runLoop("coverage");
    const purchases = confirmed(bought, "purchase");
    run.check(purchases === DEMO_PORTFOLIO.length, `expected ${DEMO_PORTFOLIO.length} purchases, ${purchases} confirmed`);
    const report = await currentCoverageReport(w.container);
    const byProvider = await providerMix(w.fund, w.env.accounts.beneficiary);
    await run.say(run.stage, `${purchases} covers for ${DEMO_COVER_DAYS} days, total ${formatUsd(report.totalCoverageWad)}, premium ${formatUsd(report.totalPremiumPaidWad)} (${byProvider})`);
  }

  /** Ten days before the first cover ends, the next coverage cycle renews every cover. */
  async renew(round: number): Promise<void> {
    const { run, w } = this;
    run.stage = `renewal ${round}`;
    const covers = await activeCovers(w.fund, w.env.accounts.beneficiary);
    const firstEnd = Math.min(...covers.map((c) => Number(c.end)));
    const target = firstEnd - 10 * DAY;
    await run.advance(target - (await run.chainTime()));
    const renewed = await this.runLoop("coverage");
    const renewals = confirmed(renewed, "renew");
    run.check(renewals === covers.length, `expected ${covers.length} renewals, ${renewals} confirmed`);
    const after = await activeCovers(w.fund, w.env.accounts.beneficiary);
    const nextEnd = Math.min(...after.map((c) => Number(c.end)));
    run.check(nextEnd > firstEnd, "renewed covers did not move their end");
    await run.say(run.stage, `time +${Math.round((target - Number(covers[0]?.start ?? target)) / DAY)}d since purchase, 10 days before expiry: ${renewals} covers renewed by the keeper as the beneficiary's agent, next expiry ${iso(nextEnd)}`);
  }

  /** The investor adds 50% to another USDC position; the next coverage cycle tops its cover up. */
  async growPosition(): Promise<void> {
    const { run, w } = this;
    run.stage = "position grew";
    const grower = DEMO_PORTFOLIO.find((p) => p.id !== w.exploitId && p.stablecoin === "USDC") ?? DEMO_PORTFOLIO[0];
    if (grower === undefined) return;
    await openDemoPosition(w.env.stack, grower, w.env.signer(ACCOUNT_INDEX.beneficiary), grower.usd / 2, w.env.signer(ACCOUNT_INDEX.deployer));
    const topped = await this.runLoop("coverage");
    run.check(confirmed(topped, "increase") === 1, `expected 1 increase after ${grower.name} grew 50%, got ${confirmed(topped, "increase")}`);
    await run.say(run.stage, `the investor adds 50% to ${grower.name} (read on-chain: $${(grower.usd * 1.5).toLocaleString("en-US")}); next coverage cycle tops the cover up to the live value`);
  }

  async exploit(): Promise<void> {
    const { run, w } = this;
    run.stage = "exploit";
    // The incident watch ticks before the exploit too (as the daemon does every incidentWatchSec).
    await this.runLoop("incident");
    const attacker = devAccount(ACCOUNT_INDEX.attacker).address;
    const drained = await drainDemoProtocol(w.env, w.position, w.env.signer(ACCOUNT_INDEX.deployer), w.env.signer(ACCOUNT_INDEX.attacker), EXPLOIT_DRAIN);
    await run.say(run.stage, `block ${drained.block}: ${EXPLOIT_DRAIN * 100}% of the ${w.position.stablecoin} in the ${w.position.standIn.label} (${this.amount(drained.amount)}) drained to ${attacker} (${drained.how})`);
  }

  /** The next incident-watch tick sees the drain, alerts and halts sales; no claim on a suspected incident. */
  async alertAndHalt(): Promise<StoredDrainSignal[]> {
    const { run, w } = this;
    run.stage = "alert + halt";
    const watchTick = await this.runLoop("incident");
    const reported = watchTick.actions.filter((a) => a.kind === "report-incident" && a.result === "confirmed").length;
    const signals = w.container.exploitWatch().storedSignals().filter((x) => x.signal.protocolId === w.exploitId);
    run.check(signals.length > 0, `the next incident-watch tick saw no drain of ${w.exploitId}`);
    run.check(reported === 1, `reportIncident not mined in the tick after the drain (${reported})`);
    const incident = (await new Contract(w.env.stack.fund, FUND_INCIDENT_ABI, w.env.provider).getFunction("getIncident")(demoProtocolAddress(w.exploitId))) as { active: boolean; occurredAt: bigint };
    run.check(incident.active, `sales of ${w.exploitId} not halted on the fund`);
    run.check(w.container.state().claims.list().length === 0, "a claim was filed on a suspected incident");
    const first = signals[0]?.signal;
    await run.say(
      run.stage,
      `next incident-watch tick (read at block ${first?.drain?.after.block ?? "?"}): critical alert "on-chain drain: ${w.position.name}" (${signals.length} watched balances fell, largest -${((Math.max(...signals.map((x) => x.signal.drain?.dropFraction ?? 0))) * 100).toFixed(0)}%); reportIncident mined: ${w.position.name} sales halted on the fund; incident suspected, no claim yet`,
    );
    return signals;
  }

  /** Stage "confirmation": the fixture feed reports the TVL collapse an hour later. */
  async corroborate(): Promise<void> {
    const { run, w } = this;
    run.stage = "confirmation";
    const fixtureFile = path.join(w.env.fixtureDir, `${w.exploitId}.json`);
    const snapshot = fixtureSnapshotSchema.parse(JSON.parse(readFileSync(fixtureFile, "utf8")));
    const collapsed = collapseTvl(snapshot, { fraction: EXPLOIT_COLLAPSE, afterSeconds: 3600 });
    writeFileSync(`${fixtureFile}.tmp`, `${JSON.stringify(collapsed, null, 2)}\n`);
    renameSync(`${fixtureFile}.tmp`, fixtureFile);
    await run.advance(3600);
    const newest = collapsed.tvlHistory?.[collapsed.tvlHistory.length - 1];
    await run.say(run.stage, `the fixture feed corroborates: ${w.position.name} TVL down ${EXPLOIT_COLLAPSE * 100}% to $${newest?.tvlUsd.toLocaleString("en-US")}; chain time +1h`);
  }

  /** Up to three incident-watch ticks: the incident is detected, the operator confirms it, the keeper files. */
  async detectIncident(): Promise<ClaimRecord | undefined> {
    const { run, w } = this;
    run.stage = "incident detected";
    const state = w.container.state();
    let claim = state.claims.list().find((c) => c.fundClaimId !== undefined);
    for (let tick = 0; tick < 3 && claim === undefined; tick += 1) {
      if (tick > 0) await run.advance(1);
      await this.runLoop("incident");
      if (tick === 0) await this.confirmDetected();
      else await this.fileHeldClaim();
      claim = state.claims.list().find((c) => c.fundClaimId !== undefined);
      const scheduled = state.claims.list().find((c) => c.state === "scheduled");
      if (claim === undefined && scheduled !== undefined) await run.say("claim scheduled", `cover #${scheduled.coverageId}: earliest filing ${iso(scheduled.fileAfter ?? 0)}`);
    }
    return claim;
  }

  /**
   * A claim the keeper held because it could not measure the loss (a read that failed, a Uniswap v3
   * id that changed owner): the keeper holds the claim with a critical alert and the operator sets
   * the amount (`keeper claim file --incident <id> --position <id> --amount <tokens>`) — here the
   * position's drop over the drain's blocks when it has one. Every pooled-lending stand-in (the real
   * Aave v3 market, Radiant, Comet) is measured and never reaches this.
   */
  private async fileHeldClaim(): Promise<void> {
    const { run, w } = this;
    const state = w.container.state();
    const held = state.claims.list().find((c) => c.state === "unfileable" && /keeper claim file/.test(String((c.details as { reason?: string }).reason ?? "")));
    const incident = held === undefined ? undefined : state.incidents.get(held.incidentId);
    const watch = w.container.exploitWatch();
    const read = watch.positionReads().find((r) => r.protocolId === w.exploitId);
    const drain = watch.storedSignals().find((x) => x.signal.protocolId === w.exploitId && x.signal.drain !== undefined)?.signal.drain;
    if (held === undefined || incident === undefined || read === undefined || drain === undefined) return;
    const measured = await watch.measurePositionLoss(read.id, drain.before.block, drain.after.block);
    if (measured.loss === 0n) {
      await run.say("claim held", `the keeper held the claim (no measurable loss on this stand-in): the operator sets it with keeper claim file --incident ${incident.id} --position ${read.id} --amount <tokens>`);
      return;
    }
    const tokens = formatUnits(measured.loss, TOKEN_DECIMALS[w.position.stablecoin]);
    recordOperatorAmount(state, w.config, { incident: String(incident.id), position: read.id, amount: tokens, note: "the position's drop over the drain's blocks" }, TOKEN_DECIMALS[w.position.stablecoin], {
      setBy: "operator via CLI (demo)",
      now: await run.chainTime(),
    });
    await run.say("claim held", `the keeper held the claim (no balance sheet it can measure on this stand-in): the operator runs keeper claim file --incident ${incident.id} --position ${read.id} --amount ${tokens}`);
  }

  /** The incident the first tick detected; a suspected one the operator confirms (`keeper incident confirm <id>`). */
  private async confirmDetected(): Promise<void> {
    const { run, w } = this;
    const state = w.container.state();
    const detected = state.incidents.list().find((i) => i.protocol === w.exploitId);
    run.check(detected !== undefined, `no incident detected for ${w.exploitId}`);
    await run.say(run.stage, `${detected?.dedupeKey}: ${detected?.state}${detected?.haltReportedAt !== undefined ? ", sales halted on-chain (reportIncident)" : ""} (evidence pack ${path.basename(detected?.evidencePath ?? "-")})`);
    if (detected !== undefined && detected.state === "suspected") {
      // A drain or a TVL drop alone is only suspected: the operator confirms it (`keeper incident confirm <id>`).
      decideIncident(state, String(detected.id), "confirmed", await run.chainTime());
      await run.say("incident confirmed", `the operator confirms incident #${detected.id} (keeper incident confirm ${detected.id}); the next tick files the claims`);
    }
  }

  /**
   * The investor's loss as the keeper measured it: the figure, rule and blocks of the claim's
   * evidence pack. Then an assessor's check: the same loss recomputed from the chain alone at the
   * pack's blocks (real Aave: the reserve's balance sheet; other kinds: the position readers).
   */
  async measureLoss(claim: ClaimRecord | undefined): Promise<void> {
    const { run, w } = this;
    run.stage = "measured loss";
    const incident = claim === undefined ? undefined : w.container.state().incidents.get(claim.incidentId);
    run.check(incident?.evidencePath !== undefined, "the claim's incident has no evidence pack");
    if (claim === undefined || incident?.evidencePath === undefined) return;
    const pack = JSON.parse(readFileSync(incident.evidencePath, "utf8")) as { claims?: (ClaimDerivation & { coverId: string })[] };
    const entry = pack.claims?.find((c) => String(c.coverId) === claim.coverageId);
    const loss = entry?.loss;
    run.check(loss?.method === "measured", `the evidence pack has no measured loss for cover #${claim.coverageId}`);
    if (entry === undefined || loss?.method !== "measured" || loss.blockBefore === undefined || loss.blockAfter === undefined) return;
    const positionLoss = BigInt(entry.positionLoss);
    await run.say(
      run.stage,
      `${this.amount(positionLoss)} in the evidence pack (${loss.rule ?? "?"} rule, blocks ${loss.blockBefore} → ${loss.blockAfter}${loss.chainId !== undefined ? ` on chain ${loss.chainId}` : ""}; claimed ${this.amount(BigInt(entry.amount))})`,
    );
    const recomputed = await this.assessorRecomputation(loss.positionId, loss.blockBefore, loss.blockAfter);
    if (recomputed === undefined) return;
    run.check(recomputed.loss === positionLoss, `an assessor recomputes ${recomputed.loss} from the chain, the pack says ${positionLoss}`);
    await run.say("assessor's check", `${this.amount(recomputed.loss)} recomputed from the chain alone at the pack's blocks: ${recomputed.how}`);
  }

  /** The loss recomputed from public chain data at the pack's blocks, as an assessor would. */
  private async assessorRecomputation(positionId: string | undefined, before: number, after: number): Promise<{ loss: bigint; how: string } | undefined> {
    const { w } = this;
    if (positionId === undefined) return undefined;
    if (w.position.standIn.kind === "aave-v3") {
      // A real Aave drain leaves the aToken balance where it was: the loss is the holder's share of
      // the value the reserve lost (cash gone against unbacked debt), read from the real market.
      const reserve = await resolveAaveReserve(w.env.provider, w.env.stack.protocols[w.exploitId]?.positionContract ?? "");
      const borrowers = await windowBorrowers(w.env.provider, reserve, before + 1, after);
      const holder = w.env.accounts.beneficiary;
      const lending = measureLendingLoss(
        await readAaveLendingState(w.env.provider, reserve, holder, borrowers, before),
        await readAaveLendingState(w.env.provider, reserve, holder, borrowers, after),
        {}, // as the keeper's claims path measures it: collateral at the oracle price, no liquidation bonus deducted
      );
      return { loss: lending.loss, how: `the holder's share of the ${this.amount(lending.poolLoss)} of cash the reserve lost against debt its collateral does not back (at the oracle price); its aToken balance did not move` };
    }
    // Other kinds: the kind's rule run afresh on the chain (a reader that learned nothing from the keeper).
    const read = w.container.exploitWatch().positionReads().find((r) => r.id === positionId);
    if (read === undefined) return undefined;
    const measured = await new IncidentLossReader({ chain: w.env.provider }).measure(read, before, after);
    return { loss: measured.loss, how: `${measured.rule}: exposed value ${this.amount(measured.valueBefore)} → ${this.amount(measured.valueAfter)}` };
  }

  async fileClaim(claim: ClaimRecord | undefined): Promise<FiledClaim> {
    const { run, w } = this;
    run.stage = "claim filed";
    run.check(claim?.fundClaimId !== undefined, "the keeper filed no claim");
    const claimId = BigInt(claim?.fundClaimId ?? "0");
    const filed = await w.fund.getClaim(claimId);
    const cover = await w.fund.getCoverageDetails(filed.coverageId);
    run.check(filed.submittedAt > cover.start, "claim filed in the purchase block (not allowed)");
    await run.say(run.stage, `fund claim #${claimId} on cover #${filed.coverageId} (provider ${cover.providerId}) for ${this.amount(filed.amount)}, submitted at ${iso(Number(filed.submittedAt))}, evidence hash ${filed.evidenceHash.slice(0, 18)}…`);
    return { claimId, filed, cover };
  }

  /** Whoever decides the claim accepts it: Nexus assessors, the second provider, or the fund's assessor. */
  async assess({ claimId, filed, cover }: FiledClaim): Promise<void> {
    const { run, w } = this;
    run.stage = "assessed";
    const owner = w.env.signer(ACCOUNT_INDEX.deployer);
    if (cover.providerId === BigInt(PROVIDER_ID.nexus)) {
      const claims = MockNexusMutualClaims__factory.connect(w.env.stack.nexusClaims, owner);
      await (await claims.mockNexusCastVote(filed.providerClaimId, true)).wait();
      // votingEnd and the cooldown are read from Nexus each time (voting can be closed early or extended)
      const assessment = await MockNexusMutualAssessments__factory.connect(await claims.assessments(), owner).getAssessment(filed.providerClaimId);
      const latest = await w.env.provider.getBlock("latest");
      const wait = Number(assessment.votingEnd) + Number(assessment.cooldownPeriod) + 1 - (latest?.timestamp ?? 0);
      await run.advance(wait);
      await run.say(run.stage, `Nexus assessors vote yes on Nexus claim #${filed.providerClaimId}; chain time +${(wait / DAY).toFixed(1)}d through voting and cooldown`);
    } else if (cover.providerId === BigInt(PROVIDER_ID.second)) {
      const second = MockCapacityLimitedProvider__factory.connect(w.env.stack.secondProvider, owner);
      await (await second.mockDecideClaim(filed.providerClaimId, 0, filed.amount)).wait();
      await run.say(run.stage, `second provider accepts claim #${filed.providerClaimId}`);
    } else {
      const assessor = StablecoinInsuranceFund__factory.connect(w.env.stack.fund, w.env.signer(ACCOUNT_INDEX.assessor));
      await (await assessor.assessClaim(claimId, true, filed.amount)).wait();
      const challenge = Number((await w.fund.parameters()).challengePeriod) + 1;
      await run.advance(challenge);
      await run.say(run.stage, `the fund's claims assessor accepts the self-insured claim for ${this.amount(filed.amount)}; chain time +${(challenge / DAY).toFixed(1)}d through the challenge period`);
    }
  }

  /** The keeper settles the claim; returns what was credited to the beneficiary. */
  async settle({ claimId, cover }: FiledClaim): Promise<bigint> {
    const { run, w } = this;
    run.stage = "settled";
    const beneficiary = w.env.accounts.beneficiary;
    const creditedBefore = await w.fund.creditedPayout(beneficiary, cover.asset);
    const settle = await this.runLoop("incident");
    run.check(confirmed(settle, "settle-claim") === 1, "the keeper did not settle the claim");
    const settled = await w.fund.getClaim(claimId);
    run.check(settled.status === CLAIM_PAID, `claim status ${settled.status}, expected Paid (${CLAIM_PAID})`);
    const credited = (await w.fund.creditedPayout(beneficiary, cover.asset)) - creditedBefore;
    run.check(credited > 0n, "nothing credited to the beneficiary");
    await run.say(run.stage, `claim #${claimId} settled by the keeper: Paid, ${this.amount(credited)} credited to the beneficiary`);
    return credited;
  }

  async withdraw({ cover }: FiledClaim, credited: bigint): Promise<void> {
    const { run, w } = this;
    run.stage = "withdrawn";
    const beneficiary = w.env.accounts.beneficiary;
    const balanceOf = new Contract(cover.asset, ERC20_ABI, w.env.provider).getFunction("balanceOf");
    const before = (await balanceOf(beneficiary)) as bigint;
    const beneficiaryFund = StablecoinInsuranceFund__factory.connect(w.env.stack.fund, w.env.signer(ACCOUNT_INDEX.beneficiary));
    await (await beneficiaryFund.withdrawPayout(cover.asset, beneficiary)).wait();
    const received = ((await balanceOf(beneficiary)) as bigint) - before;
    run.check(received === credited, `beneficiary received ${received}, expected ${credited}`);
    await run.say(run.stage, `beneficiary ${beneficiary} withdrew ${this.amount(received)}`);
  }

  async report(): Promise<void> {
    const { run, w } = this;
    run.stage = "report";
    const report = await currentCoverageReport(w.container);
    await run.say(run.stage, `final coverage report (${report.protocolsCount} protocols):`);
    run.out(formatReportTable(report));
    run.out(`demo: all stages passed in ${((Date.now() - run.startedAt) / 1000).toFixed(1)} s wall time`);
  }
}

/** Actions of one kind the loop saw confirmed. */
function confirmed(result: LoopResult, kind: string): number {
  return result.actions.filter((a) => a.kind === kind && a.result === "confirmed").length;
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
