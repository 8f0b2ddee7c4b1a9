/**
 * The keeper under faults: a bounded randomized run of fault schedules. `npm test` runs a
 * seeded cut (30 schedules, seed 20261206, the same every run, chosen because it replays the
 * known regressions); `npm run test:deep` runs 150 schedules on a fresh seed. `FAULT_SCHEDULES`
 * and `FAULT_SEED` (a number, or `random`) override; the seed is printed so any run replays.
 *
 * Each schedule reverts the in-process node to the deployed system, then runs keeper ticks
 * (risk → coverage → incident/claims cycles) over HTTP through the JSON-RPC proxy and against a
 * DefiLlama-shaped loopback server, while
 *   - the proxy drops, delays (past the client timeout), 429s and 500s the next RPC requests;
 *   - the test loses the reply of an accepted broadcast (connection reset after the node took it);
 *   - the DefiLlama server answers malformed JSON, wrong types, partial bodies, cut bodies,
 *     500s, or hangs;
 *   - the keeper is killed at a random RPC request or right after a broadcast, sometimes with a
 *     reorg that discards the block holding that broadcast (see faultHarness.ts), and a new
 *     keeper is started on the same SQLite file (reconcile first, as the daemon does).
 * Then the faults stop, a restarted keeper reconciles and runs one clean tick, and the
 * invariants are checked and counted:
 *   (a) no duplicate action: no journal key mined twice, no keeper transaction or broadcast
 *       outside the journal, one on-chain coverage per confirmed purchase key;
 *   (b) no risk score pushed from invalid data: every component of every mined
 *       `updateProtocolRisks` is ≥ the value the valid data yields at that block (corrupt data
 *       never lowers risk), and no component of a scored protocol rises above the value the
 *       valid data yields (outage policy: a failed source or a thin assessment never raises the
 *       chain; the keeper keeps the last good components);
 *   (c) no journal entry lost: every entry is confirmed/failed, or in flight with a hash the
 *       node knows; no `failed` entry whose transaction was in fact mined;
 *   (d) coverage recovered: `planCoverage` on the final chain state plans no purchase/increase
 *       (a protocol under a confirmed incident is halted: nothing to buy there);
 *   (e) claims: in the half of the schedules that carry an operator-confirmed incident (claims
 *       filed under faults, then accepted upstream and settled under faults), every coverage that
 *       covered it ends with exactly one claim on chain for it, followed by a claim row; no row is
 *       left scheduled/unfileable/blocked beside it — "claims lost 0, duplicate claims 0,
 *       orphaned claim rows 0";
 *   (f) incident lifecycle: four schedules after the randomized ones (each under RPC faults,
 *       kills and DefiLlama corruption in its faulty ticks), on the protocol stand-ins' Aave pool
 *       watched by the exploit watch and a critical-alert webhook sink:
 *         - false alarm then real exploit: an unannounced `Paused` (a leading signal) is dismissed by
 *           the operator and the admin clears the halt; two hours later the pool is drained;
 *         - restart across a drain: the keeper is down for 200 blocks while the pool is drained;
 *         - reorg of a claim: a claim filed and confirmed is removed by a reorg (hardhat
 *           evm_snapshot/evm_revert) and the keeper keeps ticking;
 *         - sink outage during a critical alert: the webhook answers 500 when the drain alert is
 *           raised, the keeper restarts during the outage, the sink comes back;
 *       "real exploits missed 0" (each drain ends with an open incident and the fund's halt active;
 *       the reorged claim is on chain again) and "alerts lost 0" (every critical alert in the
 *       outbox reached the sink).
 */
import { mergeIncidentExploits } from "../../src/policy/incidentExploits";
import { expect } from "chai";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ethers, network } from "hardhat";

import { PROTOCOLS } from "../../../test/helpers/fundFixture";
import { buildRiskSource } from "../../src/cli/container";
import { coveragePolicyOf } from "../../src/cycles/coverageCycle";
import { parseConfig, type KeeperConfig } from "../../src/config";
import type { ConfigFile } from "../../src/config/schema";
import { planCoverage } from "../../src/policy/coverage";
import { decideIncident, recordManualIncident } from "../../src/cli/commands/incident";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { deployStandIns, usdc6 } from "../helpers/protocolStandIns";
import { FUND_INCIDENT_ABI } from "../../src/cycles/exploitWatch";
import { assessProtocol } from "../../src/scoring";
import type { MetricField } from "../../src/domain/types";
import type { ProtocolMetrics } from "../../src/domain/types";
import type { ComponentRisks } from "../../src/scoring/types";
import { defiLlamaRoutes, type GeneratedPortfolio } from "../helpers/defiLlamaPortfolio";
import { deployKeeperSystem, KEEPER_KEY, keeperConfigFile, nexusQuoteRoutes, type KeeperSystem } from "../helpers/keeperSystem";
import { startLoopbackServer, type LoopbackServer } from "../helpers/loopbackServer";
import { startRpcProxy, type RpcFault, type RpcProxy } from "../helpers/rpcProxy";
import {
  corruptibleRoutes,
  pick,
  seededRandom,
  SILENT_LOGGER,
  startIncarnation,
  type BroadcastLog,
  type CorruptibleRoutes,
  type Incarnation,
} from "./faultHarness";

const SCHEDULES = Number(process.env["FAULT_SCHEDULES"] ?? "30");
const SEED = process.env["FAULT_SEED"] === "random" ? Date.now() % 2 ** 31 : Number(process.env["FAULT_SEED"] ?? "20261206");
const DEBUG = process.env["FAULT_DEBUG"] === "1";
/** Rounds of the four incident-lifecycle schedules (after the randomized ones). */
const LIFECYCLE_ROUNDS = Number(process.env["FAULT_LIFECYCLE_ROUNDS"] ?? "1");
const RPC_TIMEOUT_MS = 120;
const CLEAN_RPC_TIMEOUT_MS = 3_000; // after the faults stop: no spurious timeouts on a loaded machine // client timeout; "delay" faults hang longer than this
const RPC_FAULT_KINDS = ["drop", "delay", "429", "500"] as const;
type RpcFaultKind = (typeof RPC_FAULT_KINDS)[number];
const COMPONENTS: readonly (keyof ComponentRisks)[] = ["tvl", "audit", "time", "exploit", "team"];
/** Metrics the DefiLlama source provides (the operator config provides the rest). */
const DEFILLAMA_FIELDS: readonly MetricField[] = ["tvlUsd", "tvlChange7d", "tvlChange30d", "tvlHistory", "auditScore", "deployedAt", "tokenPriceStability"];
/** Hashes of risk pushes sent while the DefiLlama server was corrupting replies. */
const corruptPhasePushes = new Set<string>();

interface Counts {
  schedules: number;
  rpcFaultsArmed: Record<RpcFaultKind, number>;
  rpcRequestsFaulted: number;
  lostReplies: number;
  httpServed: Record<string, number>;
  kills: number;
  killsBetweenSendAndReceipt: number;
  reorgs: number;
  reconciles: number;
  reconciledEntries: number;
  cycleErrors: number;
  actionsSent: number;
  riskPushesChecked: number;
  timeJumps: number;
  /** Risk pushes sent by a cycle that was served corrupt data, and those that lowered a component. */
  corruptPhasePushes: number;
  corruptPhaseLowered: number;
  coveragesBought: number;
  duplicates: number;
  invalidPushes: number;
  /** Components of a scored protocol raised above what valid data yields (a rise made of defaults). */
  invalidRises: number;
  lostEntries: number;
  coverageNotRecovered: number;
  /** Incidents recorded or claims filed although the valid data shows none. */
  falseIncidents: number;
  /** Schedules with a confirmed incident on a covered protocol (claims filed and settled under faults). */
  claimSchedules: number;
  claimsFiled: number;
  claimsSettled: number;
  /** A confirmed incident over a coverage that ended without a claim on chain, or a claim no row follows. */
  claimsLost: number;
  /** More than one claim on chain for one (incident, coverage). */
  duplicateClaims: number;
  /** Claim rows left `scheduled`/`unfileable`/`blocked` while the coverage has the incident's claim, or `filed` without a claim id. */
  orphanedClaimRows: number;
  /** Incident-lifecycle schedules run, real exploits injected, and those the keeper missed (no open incident, or no halt / claim on chain at the end). */
  lifecycleSchedules: number;
  realExploits: number;
  realExploitsMissed: number;
  /** Confirmed claims a reorg removed (claim-reorg schedules). */
  claimsReorged: number;
  /** Critical alerts the outbox held, and those no sink ever received. */
  criticalAlerts: number;
  alertsLost: number;
}

const LIFECYCLE_KINDS = ["false-alarm-then-exploit", "restart-across-drain", "claim-reorg", "sink-outage"] as const;
type LifecycleKind = (typeof LIFECYCLE_KINDS)[number];

/** A JSON webhook sink that records every alert it acknowledged and answers 500 while `down`. */
async function startAlertSink(): Promise<{ url: string; down: boolean; received: { title: string; severity: string }[]; refused: number; close(): Promise<void> }> {
  const sink = {
    url: "",
    down: false,
    received: [] as { title: string; severity: string }[],
    refused: 0,
    close: async () => undefined as void,
  };
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      if (sink.down) {
        sink.refused += 1;
        res.writeHead(500).end();
        return;
      }
      try {
        const parsed = JSON.parse(body) as { title?: string; severity?: string };
        sink.received.push({ title: String(parsed.title), severity: String(parsed.severity) });
      } catch {
        // recorded as nothing
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  sink.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return sink;
}

type Keeper = Incarnation;

describe("keeper under faults (randomized schedules)", function () {
  this.timeout(600_000);

  let s: KeeperSystem;
  let proxy: RpcProxy;
  let llama: LoopbackServer;
  let cleanLlama: LoopbackServer;
  let quotes: LoopbackServer;
  let corrupt: CorruptibleRoutes;
  let workDir: string;
  let baseSnapshot: string;
  let baseBlock: number;
  /** The DefiLlama data's "today" (moves with chain time jumps, so the data never looks stale). */
  let servedAsOf = 0;
  /** Chain times from which each `servedAsOf` of the current schedule was served. */
  let asOfHistory: number[] = [];
  /** The clean server's "today", set to what the faulty server served at the block checked. */
  let oracleAsOf = 0;
  const random = seededRandom(SEED);

  const portfolio: GeneratedPortfolio = {
    protocols: [],
    operator: { "aave-v3": { teamReputation: 85, githubActivity: 120, exploitCount: 0, lastExploitAt: null } },
    tvlBySlug: new Map([["aave-v3", 800_000_000]]),
  };

  before(async () => {
    s = await deployKeeperSystem();
    servedAsOf = await chainTime();
    corrupt = corruptibleRoutes(defiLlamaRoutes(portfolio, () => servedAsOf), seededRandom(SEED ^ 0x5eed));
    llama = await startLoopbackServer(corrupt.routes);
    cleanLlama = await startLoopbackServer(defiLlamaRoutes(portfolio, () => oracleAsOf));
    quotes = await startLoopbackServer(nexusQuoteRoutes());
    proxy = await startRpcProxy(network.provider);
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), "keeper-faults-"));
    baseSnapshot = (await network.provider.request({ method: "evm_snapshot", params: [] })) as string;
    baseBlock = await blockNumber();
  });
  after(async () => {
    await network.provider.request({ method: "evm_revert", params: [baseSnapshot] });
    await proxy.close();
    await llama.close();
    await cleanLlama.close();
    await quotes.close();
    await fs.rm(workDir, { recursive: true, force: true });
  });

  async function chainTime(): Promise<number> {
    const block = (await network.provider.request({ method: "eth_getBlockByNumber", params: ["latest", false] })) as { timestamp: string };
    return Number(BigInt(block.timestamp));
  }

  async function blockNumber(): Promise<number> {
    return Number(BigInt((await network.provider.request({ method: "eth_blockNumber", params: [] })) as string));
  }

  function configFor(dbPath: string, llamaUrl: string, extra: Partial<ConfigFile> = {}): KeeperConfig {
    const file = keeperConfigFile(s, {
      rpcUrl: proxy.url,
      quoteBaseUrl: `${quotes.baseUrl}/`,
      fixtureDir: workDir,
      dbPath,
      workDir,
    });
    const overrides: Partial<ConfigFile> = {
      protocols: [{ id: "aave-v3", name: "Aave V3", address: PROTOCOLS.aave, defiLlamaSlug: "aave-v3", stablecoin: "USDC" }],
      sources: {
        operator: portfolio.operator,
        defiLlama: {
          apiBaseUrl: llamaUrl,
          stablecoinsBaseUrl: llamaUrl,
          listTtlSeconds: 0,
          detailTtlSeconds: 0,
          http: { timeoutMs: 60, maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
        },
      },
      tx: { pollIntervalMs: 10, receiptTimeoutMs: 1_500 },
      // Falls are pushable at once (still limited per day by the fund), so corrupt data gets its chance to lower a score.
      riskPush: { minPushIntervalSec: 0 },
      budget: { maxPremiumPerCycleUsd: 1_000_000, maxPremiumPerDayUsd: 10_000_000 },
    };
    return parseConfig({ ...file, ...overrides, ...extra }, { env: { KEEPER_PRIVATE_KEY: KEEPER_KEY } });
  }

  /**
   * What valid data yields at chain time `at`: the components themselves, and per component every
   * value reachable when any subset of the DefiLlama-sourced metrics is missing or invalid (each
   * replaced by its high-risk default, as the scorer does). Cached per second.
   */
  const validTargets = new Map<string, { components: ComponentRisks; reachable: Record<keyof ComponentRisks, Set<number>> }>();
  /**
   * `incidentAt`: the operator's confirmed incident of a claim schedule. Issue 14's rule counts it
   * as an exploit at once (policy/incidentExploits), so valid data then yields a higher exploit
   * component: the targets are computed with it merged (it is recorded before the schedule's
   * first cycle).
   */
  async function validComponents(
    at: number,
    incidentAt?: number,
  ): Promise<{ components: ComponentRisks; reachable: Record<keyof ComponentRisks, Set<number>> }> {
    oracleAsOf = asOfHistory.filter((t) => t <= at).reduce((a, b) => Math.max(a, b), asOfHistory[0] ?? 0);
    const cacheKey = `${oracleAsOf}:${at}:${incidentAt ?? "-"}`;
    const cached = validTargets.get(cacheKey);
    if (cached !== undefined) return cached;
    const config = configFor(":memory:", cleanLlama.baseUrl);
    const source = buildRiskSource(config, { logger: SILENT_LOGGER });
    const [clean] = await source.fetchMetrics(config.protocols, at);
    if (clean === undefined) throw new Error("clean source returned no metrics");
    const metrics =
      incidentAt === undefined || incidentAt > at
        ? clean
        : mergeIncidentExploits(clean, [{ protocol: "aave-v3", state: "confirmed", occurredAt: incidentAt, detectedAt: incidentAt }], at);
    const assessment = assessProtocol(metrics, at);
    if (assessment.missing.length > 0) throw new Error(`clean data incomplete: ${JSON.stringify(assessment.missing)}`);
    const reachable = { tvl: new Set<number>(), audit: new Set<number>(), time: new Set<number>(), exploit: new Set<number>(), team: new Set<number>() };
    for (let mask = 0; mask < 2 ** DEFILLAMA_FIELDS.length; mask++) {
      const degraded: ProtocolMetrics = { ...metrics };
      DEFILLAMA_FIELDS.forEach((field, bit) => {
        if ((mask & (1 << bit)) !== 0) (degraded as Record<MetricField, unknown>)[field] = { value: undefined, provenance: undefined, error: "invalid" };
      });
      const components = assessProtocol(degraded, at).components;
      for (const c of COMPONENTS) reachable[c].add(components[c]);
    }
    const entry = { components: assessment.components, reachable };
    validTargets.set(cacheKey, entry);
    return entry;
  }

  function armRpcFault(counts: Counts): void {
    if (random() < 0.35) {
      proxy.setFault(undefined);
      return;
    }
    const kind = pick(random, RPC_FAULT_KINDS);
    const times = 1 + Math.floor(random() * 3); // 3 in a row outlasts the client's 3 rounds
    counts.rpcFaultsArmed[kind] += 1;
    const fault: RpcFault =
      kind === "drop"
        ? { kind: "drop", times }
        : kind === "delay"
          ? { kind: "delay", ms: RPC_TIMEOUT_MS + 20, times: Math.min(times, 2) }
          : { kind: "status", status: kind === "429" ? 429 : 500, times };
    proxy.setFault(fault);
  }

  async function reconcile(keeper: Keeper, counts: Counts): Promise<void> {
    counts.reconciles += 1;
    try {
      const results = await keeper.container.txSender().reconcile();
      counts.reconciledEntries += results.length;
    } catch {
      counts.cycleErrors += 1;
    }
  }

  /** One daemon tick; a cycle's failure is caught as the daemon does. */
  async function tick(keeper: Keeper, counts: Counts, faulty: boolean): Promise<void> {
    let corrupting = false;
    const cycles: (() => Promise<unknown>)[] = [
      async () => {
        const summary = await timed(`risk ${faulty}`, () => keeper.container.riskCycle().run());
        if (corrupting) for (const t of summary.transactions) corruptPhasePushes.add(t.hash.toLowerCase());
        return summary;
      },
      () => timed(`coverage ${faulty}`, () => keeper.container.coverageCycle().run()),
      () => timed(`claims ${faulty}`, () => keeper.container.claimsCycle().run()),
    ];
    for (const cycle of cycles) {
      if (keeper.killed()) return;
      if (faulty && random() < 0.25) continue; // a tick may be cut short
      if (faulty) {
        armRpcFault(counts);
        corrupting = random() < 0.6;
        corrupt.setCorruptionRate(corrupting ? 0.5 : 0);
      }
      try {
        const summary = (await cycle()) as { failures?: unknown[] };
        if (DEBUG) console.log(`      cycle ok ${JSON.stringify(summary, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)).slice(0, 400)}`);
      } catch (err) {
        if (DEBUG) console.log(`      cycle error: ${(err as Error).message.slice(0, 200)}`);
        counts.cycleErrors += 1;
      }
    }
  }

  const phaseMs: Record<string, number> = {};
  async function timed<T>(phase: string, job: () => Promise<T>): Promise<T> {
    const t0 = Date.now();
    try {
      return await job();
    } finally {
      phaseMs[phase] = (phaseMs[phase] ?? 0) + Date.now() - t0;
    }
  }

  async function runSchedule(index: number, counts: Counts, log: BroadcastLog): Promise<void> {
    await network.provider.request({ method: "evm_revert", params: [baseSnapshot] });
    baseSnapshot = (await network.provider.request({ method: "evm_snapshot", params: [] })) as string;
    servedAsOf = await chainTime();
    asOfHistory = [servedAsOf];
    const dbPath = path.join(workDir, `schedule-${index}.db`);
    const config = configFor(dbPath, llama.baseUrl);
    // A restart retries its connection, as an operator's supervisor would (a loaded machine can miss a 120 ms timeout).
    const start = (rpcTimeoutMs = RPC_TIMEOUT_MS): Promise<Keeper> =>
      timed("start", async () => {
        for (let attempt = 1; ; attempt++) {
          try {
            // The supervisor's last try waits longer (a loaded machine can miss 120 ms three times).
            return await startIncarnation(config, { rpcUrl: proxy.url, keeperKey: KEEPER_KEY, log, rpcTimeoutMs: attempt >= 3 ? CLEAN_RPC_TIMEOUT_MS : rpcTimeoutMs });
          } catch (err) {
            // A supervisor keeps restarting (systemd RestartSec); on a machine shared by several
            // test runs a 120 ms connect can miss more than twice in a row.
            if (attempt >= 8) throw err;
            await new Promise((resolve) => setTimeout(resolve, 25 * attempt));
          }
        }
      });
    const sendsBefore = log.rawTxHashes.length;
    // Half the schedules carry a real, confirmed incident: a cover is bought cleanly first, then
    // the operator reports the exploit; the faulty ticks file (and later settle) its claim.
    const claimSchedule = random() < 0.5;
    let incidentAt: number | undefined;
    if (claimSchedule) {
      counts.claimSchedules += 1;
      const setup = await start(CLEAN_RPC_TIMEOUT_MS);
      await setup.container.coverageCycle().run();
      await network.provider.request({ method: "evm_increaseTime", params: [3600] });
      await network.provider.request({ method: "evm_mine", params: [] });
      incidentAt = (await chainTime()) - 60;
      recordManualIncident(setup.container.state(), config, { dedupeKey: "", protocolId: "aave-v3", occurredAt: incidentAt, description: "exploit (fault suite)" }, incidentAt + 60);
      setup.close();
    }

    // Faulty phase: 2–3 ticks, up to two kills.
    let keeper = await start();
    const ticks = 2 + Math.floor(random() * 2);
    let kills = random() < 0.7 ? 1 + Math.floor(random() * 2) : 0;
    const armKill = (): void => {
      if (kills <= 0) return;
      kills -= 1;
      if (random() < 0.5) {
        keeper.arm({ afterSend: true, reorg: random() < 0.5 });
      } else keeper.arm({ atRequest: 1 + Math.floor(random() * 40) });
    };
    armKill();
    if (random() < 0.3) keeper.loseNextSendReply();
    for (let t = 0; t < ticks; t++) {
      if (t > 0 && random() < 0.5) {
        // Time passes between ticks: the fund allows a larger risk decrease.
        await network.provider.request({ method: "evm_increaseTime", params: [Math.round(43_200 + random() * 86_400)] });
        await network.provider.request({ method: "evm_mine", params: [] });
        servedAsOf = await chainTime();
        asOfHistory.push(servedAsOf);
        counts.timeJumps += 1;
      }
      await timed("faulty ticks", () => tick(keeper, counts, true));
      if (keeper.killed()) {
        keeper.close();
        proxy.setFault(undefined); // a restart must at least connect
        keeper = await start();
        armKill();
        await reconcile(keeper, counts);
      }
    }
    keeper.close();

    if (claimSchedule) {
      // The claim is filed (a clean tick if the faulty ones did not get there), Nexus accepts, and
      // the settlement runs under faults too.
      proxy.setFault(undefined);
      corrupt.setCorruptionRate(0);
      keeper = await start(CLEAN_RPC_TIMEOUT_MS);
      await reconcile(keeper, counts);
      await tick(keeper, counts, false);
      const claim = await ourOpenClaim();
      if (claim !== undefined) {
        counts.claimsFiled += 1;
        await s.nexusClaims.connect(s.admin).mockNexusCastVote(claim.providerClaimId, true);
        await network.provider.request({ method: "evm_increaseTime", params: [4 * 86_400 + 1] });
        await network.provider.request({ method: "evm_mine", params: [] });
        servedAsOf = await chainTime();
        asOfHistory.push(servedAsOf);
        // Kill during settlement too (after the settle broadcast, with or without a reorg, or at a request).
        if (random() < 0.6) keeper.arm(random() < 0.5 ? { afterSend: true, reorg: random() < 0.5 } : { atRequest: 1 + Math.floor(random() * 40) });
        if (random() < 0.3) keeper.loseNextSendReply();
        await timed("settle ticks", () => tick(keeper, counts, true));
        if (keeper.killed()) {
          keeper.close();
          proxy.setFault(undefined);
          keeper = await start(CLEAN_RPC_TIMEOUT_MS);
          await reconcile(keeper, counts);
        }
      }
      keeper.close();
    }

    // Faults stop: restart, reconcile, one clean tick, reconcile.
    proxy.setFault(undefined);
    corrupt.setCorruptionRate(0);
    keeper = await start(CLEAN_RPC_TIMEOUT_MS);
    await timed("final", async () => {
      await reconcile(keeper, counts);
      await tick(keeper, counts, false);
      const inFlight = keeper.container.state().journal.list().filter((e) => e.state !== "confirmed" && e.state !== "failed");
      if (inFlight.length > 0) await reconcile(keeper, counts);
    });

    await timed("checks", () => checkInvariants(keeper, config, counts, log.rawTxHashes.slice(sendsBefore), incidentAt));
    keeper.close();
    await fs.rm(dbPath, { force: true });
    await fs.rm(`${dbPath}-wal`, { force: true });
    await fs.rm(`${dbPath}-shm`, { force: true });
  }

  /** The beneficiary's coverages on the protocol (every one the fund lists). */
  async function ourCoverages() {
    const [coverIds] = await s.fund.getProtocolCoverages(PROTOCOLS.aave, 0, 500);
    return (await Promise.all(coverIds.map((id) => s.fund.getCoverageDetails(id)))).filter((c) => c.beneficiary === s.beneficiary.address);
  }

  async function ourOpenClaim() {
    for (const c of await ourCoverages()) if (c.openClaimId !== 0n) return s.fund.getClaim(c.openClaimId);
    return undefined;
  }

  async function checkInvariants(keeper: Keeper, config: KeeperConfig, counts: Counts, broadcast: readonly string[], incidentAt: number | undefined): Promise<void> {
    const journal = keeper.container.state().journal;
    const entries = journal.list();
    const keyOfHash = new Map<string, string>();
    // Every try's transactions: a retried action's earlier try is still the keeper's.
    for (const entry of entries) for (const attempt of journal.attempts(entry.id, { allTries: true })) keyOfHash.set(attempt.hash.toLowerCase(), entry.key);

    // (a) Every broadcast was journaled before it left; every keeper tx on chain is journaled,
    // and no key was mined twice.
    for (const hash of broadcast) if (!keyOfHash.has(hash.toLowerCase())) counts.duplicates += 1;
    const minedByKey = new Map<string, number>();
    let minedClaimFilings = 0;
    const minedOk = new Set<string>();
    const head = await blockNumber();
    const keeperAddress = s.keeper.address.toLowerCase();
    for (let n = baseBlock + 1; n <= head; n++) {
      const block = (await network.provider.request({ method: "eth_getBlockByNumber", params: [`0x${n.toString(16)}`, true] })) as {
        timestamp: string;
        transactions: { hash: string; from: string; to: string; input: string }[];
      };
      for (const tx of block.transactions) {
        if (tx.from.toLowerCase() !== keeperAddress) continue;
        const key = keyOfHash.get(tx.hash.toLowerCase());
        if (key === undefined) {
          counts.duplicates += 1;
          continue;
        }
        minedByKey.set(key, (minedByKey.get(key) ?? 0) + 1);
        const receipt = (await network.provider.request({ method: "eth_getTransactionReceipt", params: [tx.hash] })) as { status: string };
        if (BigInt(receipt.status) !== 1n) continue;
        minedOk.add(tx.hash.toLowerCase());
        counts.actionsSent += 1;
        if (tx.input.startsWith(s.fund.interface.getFunction("submitClaim").selector)) minedClaimFilings += 1;
        // (b) Risk pushes never below what valid data yields at that block.
        const fundInterface = s.fund.interface;
        if (tx.input.startsWith(fundInterface.getFunction("updateProtocolRisks").selector)) {
          const [updates] = fundInterface.decodeFunctionData("updateProtocolRisks", tx.input) as unknown as [bigint[][]];
          const { components: valid, reachable } = await validComponents(Number(BigInt(block.timestamp)), incidentAt);
          for (const u of updates) {
            counts.riskPushesChecked += 1;
            const pushed: ComponentRisks = { tvl: Number(u[1]), audit: Number(u[2]), time: Number(u[3]), exploit: Number(u[4]), team: Number(u[5]) };
            const r = await s.fund.getProtocolRisk(PROTOCOLS.aave, { blockTag: n - 1 });
            const wasScored = Number(r.lastUpdated) !== 0;
            // A never-scored protocol is what the fund bounds a first write from: 90 in every component.
            const before: ComponentRisks = wasScored
              ? {
                  tvl: Number(r.tvlStability),
                  audit: Number(r.auditQuality),
                  time: Number(r.timeSinceDeployment),
                  exploit: Number(r.exploitHistory),
                  team: Number(r.teamReputation),
                }
              : { tvl: 90, audit: 90, time: 90, exploit: 90, team: 90 };
            // Each component: unchanged, a value the valid data yields (with invalid metrics at their
            // high-risk defaults), or a step down toward the valid value.
            const explained = (c: keyof ComponentRisks): boolean =>
              pushed[c] === before[c] || reachable[c].has(pushed[c]) || (pushed[c] > valid[c] && pushed[c] < before[c]);
            const duringCorruption = corruptPhasePushes.has(tx.hash.toLowerCase());
            if (duringCorruption) {
              counts.corruptPhasePushes += 1;
              if (COMPONENTS.some((c) => pushed[c] < before[c])) counts.corruptPhaseLowered += 1;
            }
            // A component the push leaves unchanged is not "pushed from invalid data", even below the
            // valid value: while data is missing the outage policy keeps the last on-chain value.
            if (COMPONENTS.some((c) => (pushed[c] !== before[c] && pushed[c] < valid[c]) || !explained(c))) {
              counts.invalidPushes += 1;
              console.log(`    invalid push in block ${n}: ${JSON.stringify(pushed)} (before ${JSON.stringify(before)}, valid ${JSON.stringify(valid)})`);
            }
            // A first score may carry conservative defaults; after that, a rise must be what valid data yields.
            if (wasScored && COMPONENTS.some((c) => pushed[c] > before[c] && pushed[c] > valid[c])) {
              counts.invalidRises += 1;
              console.log(`    rise from invalid data in block ${n}: ${JSON.stringify(pushed)} (before ${JSON.stringify(before)}, valid ${JSON.stringify(valid)})`);
            }
          }
        }
      }
    }
    for (const [key, mined] of minedByKey) {
      if (mined > 1) {
        counts.duplicates += mined - 1;
        console.log(`    duplicate: ${key} mined ${mined}×`);
      }
    }
    const [coverIds] = await s.fund.getProtocolCoverages(PROTOCOLS.aave, 0, 500);
    const ours = (await Promise.all(coverIds.map((id) => s.fund.getCoverageDetails(id)))).filter((c) => c.beneficiary === s.beneficiary.address);
    const purchases = journal.list({ kind: "buy-coverage", state: "confirmed" }).length;
    counts.coveragesBought += ours.length;
    if (ours.length > purchases) {
      counts.duplicates += ours.length - purchases;
      console.log(`    ${ours.length} coverages on chain for ${purchases} confirmed purchase keys`);
    }

    // (c) No entry lost.
    for (const entry of entries) {
      const hashes = journal.attempts(entry.id).map((a) => a.hash.toLowerCase());
      const mined = hashes.some((h) => minedOk.has(h));
      let lost = false;
      if (entry.state === "planned") lost = true;
      else if (entry.state === "confirmed") lost = !mined;
      else if (entry.state === "failed") lost = mined; // the journal forgot that it went through
      else lost = (await network.provider.request({ method: "eth_getTransactionByHash", params: [entry.txHash] })) === null;
      if (lost) {
        counts.lostEntries += 1;
        console.log(`    lost entry: ${entry.key} ${entry.state}${mined ? " (mined)" : ""} ${entry.error ?? ""}`);
      }
    }
    if (ours.length < purchases) counts.lostEntries += purchases - ours.length;

    // No incident and no claim out of corrupt data (the valid TVL history never drops): only the
    // operator's incident of a claim schedule may exist, and claims only for it.
    const state = keeper.container.state();
    const incidents = state.incidents.list();
    const unexpected = incidents.filter((i) => incidentAt === undefined || i.kind !== "manual" || i.occurredAt !== incidentAt);
    const claimTxs = incidentAt === undefined ? minedClaimFilings : 0;
    if (unexpected.length > 0 || claimTxs > 0) {
      counts.falseIncidents += unexpected.length + claimTxs;
      console.log(`    false incident(s): ${JSON.stringify(unexpected.map((i) => i.kind))}, claims filed ${claimTxs}`);
    }

    // Claims: every coverage that covered the operator's incident has exactly one claim on chain
    // for it, followed by a row; no row is left scheduled/unfileable/blocked beside it.
    if (incidentAt !== undefined) {
      const incident = incidents.find((i) => i.kind === "manual");
      const claimCount = Number(await s.fund.claimCount());
      const claims = await Promise.all(Array.from({ length: claimCount }, (_, i) => s.fund.getClaim(BigInt(i + 1))));
      for (const c of await ourCoverages()) {
        if (Number(c.start) > incidentAt || Number(c.end) < incidentAt) continue;
        const onChain = claims.filter((x) => x.coverageId === c.id && Number(x.incidentAt) === incidentAt);
        const rows = incident === undefined ? [] : state.claims.list({ coverageId: c.id.toString() }).filter((r) => r.incidentId === incident.id);
        if (onChain.length === 0 || !rows.some((r) => r.fundClaimId === onChain[0]?.id.toString())) {
          counts.claimsLost += 1;
          console.log(`    claim lost: coverage ${c.id} on chain ${onChain.length}, rows ${JSON.stringify(rows.map((r) => [r.state, r.fundClaimId]))}`);
        }
        if (onChain.length > 1) {
          counts.duplicateClaims += onChain.length - 1;
          console.log(`    duplicate claims: coverage ${c.id} has ${onChain.length}`);
        }
        if (onChain.some((x) => x.status === 4n)) counts.claimsSettled += 1;
        for (const r of rows) {
          const orphan = (["scheduled", "unfileable", "blocked"].includes(r.state) && onChain.length > 0) || (r.state === "filed" && r.fundClaimId === undefined);
          if (orphan) {
            counts.orphanedClaimRows += 1;
            console.log(`    orphaned claim row: #${r.id} ${r.state} on coverage ${c.id}`);
          }
        }
      }
    }

    // (d) Coverage recovered: nothing left to buy or top up.
    const coverage = keeper.container.coverageCycle();
    const positions = await coverage.positions();
    const snapshot = await coverage.snapshot(positions);
    // A confirmed incident halts buying on its protocol: that is not a coverage gap.
    const halted = new Set(incidents.some((i) => i.state !== "dismissed") ? [PROTOCOLS.aave.toLowerCase()] : []);
    const plan = planCoverage(positions, snapshot.coverage, snapshot.now, coveragePolicyOf(config), halted);
    const missing = plan.actions.filter((a) => a.kind === "purchase" || a.kind === "increase");
    if (missing.length > 0) {
      counts.coverageNotRecovered += 1;
      console.log(`    coverage not recovered: ${missing.map((a) => a.idempotencyKey).join(", ")}`);
    }
  }

  /**
   * One incident-lifecycle schedule (see (f) in the header). Faulty ticks as in `runSchedule`
   * (RPC faults, DefiLlama corruption, cut ticks, kills with restart + reconcile), then a clean
   * restart and tick; then the exploit and alert checks.
   */
  async function runLifecycleSchedule(kind: LifecycleKind, index: number, counts: Counts, log: BroadcastLog): Promise<void> {
    await network.provider.request({ method: "evm_revert", params: [baseSnapshot] });
    baseSnapshot = (await network.provider.request({ method: "evm_snapshot", params: [] })) as string;
    servedAsOf = await chainTime();
    asOfHistory = [servedAsOf];
    const p = await deployStandIns({ usdc: s.usdc, dai: s.dai });
    const signers = await ethers.getSigners();
    const whale = signers[8] as (typeof signers)[number];
    const attacker = signers[12] as (typeof signers)[number];
    await p.open("aave-v3", whale, usdc6(900_000));
    const target = await (await ethers.getContractFactory("MockAdminTarget")).deploy((signers[0] as (typeof signers)[number]).address);
    // The target's constructor events (owner, default admin) are older than the first tick's look-back.
    await network.provider.request({ method: "hardhat_mine", params: ["0x40", "0xc"] });
    const sink = await startAlertSink();
    const dbPath = path.join(workDir, `lifecycle-${index}.db`);
    const config = configFor(dbPath, llama.baseUrl, {
      protocols: [
        {
          id: "aave-v3",
          name: "Aave V3",
          address: PROTOCOLS.aave,
          defiLlamaSlug: "aave-v3",
          stablecoin: "USDC",
          watch: { balances: [{ token: p.addresses.usdc, holder: p.addresses.aToken, label: "USDC held by the aToken" }], adminContracts: [{ address: await target.getAddress() }] },
        },
      ],
      alerts: { sinks: [{ type: "webhook", url: sink.url, minSeverity: "critical" }], retryBaseSeconds: 0.001, retryMaxSeconds: 0.005 },
    });
    /** Clean phases use the clean client timeout; restarts inside the faulty phase the short one. */
    const start = async (rpcTimeoutMs = CLEAN_RPC_TIMEOUT_MS): Promise<Keeper> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await startIncarnation(config, { rpcUrl: proxy.url, keeperKey: KEEPER_KEY, log, rpcTimeoutMs: attempt >= 2 ? CLEAN_RPC_TIMEOUT_MS : rpcTimeoutMs });
        } catch (err) {
          if (attempt >= 8) throw err;
          await new Promise((resolve) => setTimeout(resolve, 25 * attempt));
        }
      }
    };
    const clean = async (keeper: Keeper): Promise<void> => {
      proxy.setFault(undefined);
      corrupt.setCorruptionRate(0);
      await tick(keeper, counts, false);
    };
    /** 2–3 faulty ticks, a kill armed in 70% of them; a killed keeper is restarted and reconciles. */
    const faulty = async (keeper: Keeper): Promise<Keeper> => {
      const ticks = 2 + Math.floor(random() * 2);
      for (let t = 0; t < ticks; t++) {
        if (random() < 0.7) keeper.arm(random() < 0.5 ? { afterSend: true, reorg: random() < 0.5 } : { atRequest: 1 + Math.floor(random() * 40) });
        await tick(keeper, counts, true);
        if (keeper.killed()) {
          keeper.close();
          proxy.setFault(undefined);
          keeper = await start(RPC_TIMEOUT_MS);
          await reconcile(keeper, counts);
        }
      }
      return keeper;
    };
    const drain = async (fraction: bigint): Promise<void> => {
      const cash = await s.usdc.balanceOf(p.addresses.aToken);
      // A real-market drain: the cash borrowed against a manipulated collateral price (aToken balances never move).
      await p.aave.oracleDrain(attacker, "USDC", { amount: (cash * fraction) / 100n });
      counts.realExploits += 1;
    };
    const mineBlocks = (n: number) => network.provider.request({ method: "hardhat_mine", params: [`0x${n.toString(16)}`, "0xc"] });

    let keeper = await start();
    await clean(keeper); // baseline observations
    let expectClaim = false;
    if (kind === "false-alarm-then-exploit") {
      await (await target.pause()).wait();
      await clean(keeper);
      const alarm = keeper.container.state().incidents.list().find((i) => i.state === "suspected");
      if (alarm !== undefined) decideIncident(keeper.container.state(), String(alarm.id), "dismissed", await chainTime());
      await clean(keeper);
      // The admin clears the halt of the false alarm; two hours later the real exploit.
      await (await s.fund.connect(s.admin).clearIncident(PROTOCOLS.aave)).wait();
      await network.provider.request({ method: "evm_increaseTime", params: [7_200] });
      await drain(60n);
      keeper = await faulty(keeper);
    } else if (kind === "restart-across-drain") {
      keeper.close(); // down for 200 blocks; the pool is drained in the middle
      await mineBlocks(100);
      await drain(60n);
      await mineBlocks(100);
      keeper = await start();
      await reconcile(keeper, counts);
      keeper = await faulty(keeper);
    } else if (kind === "claim-reorg") {
      expectClaim = true;
      const bought = await keeper.container.coverageCycle().run();
      if (DEBUG || (await ourCoverages()).length === 0) console.log(`    claim-reorg: coverage cycle ${JSON.stringify(bought, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)).slice(0, 1500)}`);
      await network.provider.request({ method: "evm_increaseTime", params: [3600] });
      await network.provider.request({ method: "evm_mine", params: [] });
      const at = (await chainTime()) - 60;
      recordManualIncident(keeper.container.state(), config, { dedupeKey: "", protocolId: "aave-v3", occurredAt: at, description: "exploit (fault suite, claim reorg)" }, at + 60);
      counts.realExploits += 1;
      const beforeClaim = (await network.provider.request({ method: "evm_snapshot", params: [] })) as string;
      await clean(keeper);
      if ((await ourOpenClaim()) !== undefined) {
        // The block holding the confirmed claim is reorged away.
        await network.provider.request({ method: "evm_revert", params: [beforeClaim] });
        await mineBlocks(2);
        if ((await ourOpenClaim()) === undefined) counts.claimsReorged += 1;
      } else {
        counts.realExploitsMissed += 1; // a clean tick did not even file the claim
        console.log("    ^ claim-reorg schedule: no claim filed before the reorg");
      }
      keeper = await faulty(keeper);
    } else {
      sink.down = true;
      await drain(60n);
      await clean(keeper); // the drain alert meets the outage
      keeper.close(); // and the keeper restarts during it
      keeper = await start();
      keeper = await faulty(keeper);
      sink.down = false;
    }
    keeper.close();

    // Faults stop: restart, reconcile, a clean tick, the outbox flushed.
    keeper = await start();
    await reconcile(keeper, counts);
    await clean(keeper);
    const state = keeper.container.state();
    // A claim the clean tick scheduled for a later moment (the re-filed claim of a reorged block can
    // be due only after the next block) is filed by the keeper's next ticks, as in a running keeper:
    // follow it for at most 3 ticks at its due time. One still scheduled after that counts as missed.
    for (let i = 0; i < 3 && state.claims.list().some((c) => c.state === "scheduled"); i++) {
      const due = Math.max(...state.claims.list().filter((c) => c.state === "scheduled").map((c) => c.fileAfter ?? 0));
      if (due >= (await chainTime())) await network.provider.request({ method: "evm_setNextBlockTimestamp", params: [due + 1] });
      await mineBlocks(1);
      await clean(keeper);
    }
    for (let i = 0; i < 10 && state.alertOutbox.pending().length > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await keeper.container.alerter.flush?.();
    }

    // Real exploit missed: no open incident holding the drain, no halt on chain, or (claim reorg) no claim on chain.
    const open = state.incidents.list().filter((i) => i.state === "suspected" || i.state === "confirmed");
    const halted = ((await new ethers.Contract(s.fundAddress, FUND_INCIDENT_ABI, ethers.provider).getFunction("getIncident")(PROTOCOLS.aave)) as { active: boolean }).active;
    const missed = expectClaim
      ? (await ourOpenClaim()) === undefined
      : !halted || !open.some((i) => state.incidents.signals(i.id).some((x) => x.kind === "onchain-drain"));
    if (missed) {
      counts.realExploitsMissed += 1;
      console.log(`    ^ real exploit missed in lifecycle schedule ${kind} (halted ${halted}, incidents ${JSON.stringify(state.incidents.list().map((i) => [i.id, i.state, state.incidents.signals(i.id).map((x) => x.kind)]))}, coverages ${(await ourCoverages()).length}, claims ${JSON.stringify(state.claims.list().map((c) => [c.state, c.coverageId]), (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))})`);
    }
    // Alerts lost: a critical alert of the outbox that the sink never received.
    const titles = new Set(sink.received.map((a) => a.title));
    const critical = state.alertOutbox.list().filter((e) => (e.alert as { severity?: string }).severity === "critical");
    counts.criticalAlerts += critical.length;
    const lost = critical.filter((e) => !titles.has(String((e.alert as { title?: string }).title)));
    counts.alertsLost += lost.length;
    if (lost.length > 0) console.log(`    ^ alerts lost in lifecycle schedule ${kind}: ${lost.map((e) => (e.alert as { title?: string }).title).join(", ")}`);
    if (kind === "sink-outage" && sink.refused === 0) {
      counts.alertsLost += 1; // the outage never met an alert: the schedule proved nothing
      console.log("    ^ sink-outage schedule: no alert met the outage");
    }
    keeper.close();
    await sink.close();
    counts.lifecycleSchedules += 1;
    for (const suffix of ["", "-wal", "-shm"]) await fs.rm(`${dbPath}${suffix}`, { force: true });
  }

  it(`keeps its invariants over ${SCHEDULES} fault schedules (seed printed)`, async () => {
    console.log(`    fault schedules: ${SCHEDULES}, seed ${SEED} (FAULT_SEED=${SEED} replays)`);
    const counts: Counts = {
      schedules: 0,
      rpcFaultsArmed: { drop: 0, delay: 0, "429": 0, "500": 0 },
      rpcRequestsFaulted: 0,
      lostReplies: 0,
      httpServed: {},
      kills: 0,
      killsBetweenSendAndReceipt: 0,
      reorgs: 0,
      reconciles: 0,
      reconciledEntries: 0,
      cycleErrors: 0,
      actionsSent: 0,
      riskPushesChecked: 0,
      timeJumps: 0,
      corruptPhasePushes: 0,
      corruptPhaseLowered: 0,
      coveragesBought: 0,
      duplicates: 0,
      invalidPushes: 0,
      invalidRises: 0,
      lostEntries: 0,
      coverageNotRecovered: 0,
      falseIncidents: 0,
      claimSchedules: 0,
      claimsFiled: 0,
      claimsSettled: 0,
      claimsLost: 0,
      duplicateClaims: 0,
      orphanedClaimRows: 0,
      lifecycleSchedules: 0,
      realExploits: 0,
      realExploitsMissed: 0,
      claimsReorged: 0,
      criticalAlerts: 0,
      alertsLost: 0,
    };
    const log: BroadcastLog = { rawTxHashes: [], kills: 0, killsAfterSend: 0, reorgs: 0, lostReplies: 0 };
    const started = Date.now();
    proxy.reset();
    for (let i = 0; i < SCHEDULES; i++) {
      const before = { duplicates: counts.duplicates, invalid: counts.invalidPushes, rises: counts.invalidRises, lost: counts.lostEntries, cov: counts.coverageNotRecovered, incidents: counts.falseIncidents, claims: counts.claimsLost + counts.duplicateClaims + counts.orphanedClaimRows };
      await runSchedule(i, counts, log);
      counts.schedules += 1;
      if (
        counts.duplicates !== before.duplicates ||
        counts.invalidPushes !== before.invalid ||
        counts.invalidRises !== before.rises ||
        counts.lostEntries !== before.lost ||
        counts.coverageNotRecovered !== before.cov ||
        counts.falseIncidents !== before.incidents ||
        counts.claimsLost + counts.duplicateClaims + counts.orphanedClaimRows !== before.claims
      ) {
        console.log(`    ^ violation in schedule ${i} (seed ${SEED})`);
      }
    }
    for (let round = 0; round < LIFECYCLE_ROUNDS; round++) {
      for (const [k, kind] of LIFECYCLE_KINDS.entries()) await runLifecycleSchedule(kind, round * LIFECYCLE_KINDS.length + k, counts, log);
    }
    counts.rpcRequestsFaulted = proxy.faulted();
    counts.kills = log.kills;
    counts.killsBetweenSendAndReceipt = log.killsAfterSend;
    counts.reorgs = log.reorgs;
    counts.lostReplies = log.lostReplies;
    counts.httpServed = { ...corrupt.served };
    console.log(`    fault run (${((Date.now() - started) / 1000).toFixed(1)} s, seed ${SEED}):`);
    console.log(`      schedules ${counts.schedules}`);
    if (DEBUG) console.log(`      time by phase (ms) ${JSON.stringify(phaseMs)}`);
    console.log(`      rpc faults armed ${JSON.stringify(counts.rpcFaultsArmed)}, rpc requests faulted ${counts.rpcRequestsFaulted}, broadcast replies lost ${counts.lostReplies}`);
    console.log(`      defillama replies ${JSON.stringify(counts.httpServed)}`);
    console.log(`      time jumps ${counts.timeJumps}`);
    console.log(`      kills ${counts.kills} (between send and receipt ${counts.killsBetweenSendAndReceipt}), reorgs ${counts.reorgs}`);
    console.log(`      reconciles ${counts.reconciles} (entries settled ${counts.reconciledEntries}), cycle errors caught ${counts.cycleErrors}`);
    console.log(`      actions mined ${counts.actionsSent} (raw broadcasts ${log.rawTxHashes.length}), risk updates checked ${counts.riskPushesChecked} (sent during corrupt data ${counts.corruptPhasePushes}, of which lowered a component ${counts.corruptPhaseLowered}), coverages bought ${counts.coveragesBought}`);
    console.log(`      claim schedules ${counts.claimSchedules} (claims filed ${counts.claimsFiled}, settled paid ${counts.claimsSettled})`);
    console.log(`      incident-lifecycle schedules ${counts.lifecycleSchedules} (real exploits ${counts.realExploits}, claims reorged ${counts.claimsReorged}, critical alerts ${counts.criticalAlerts})`);
    console.log(`      duplicates ${counts.duplicates}, invalid pushes ${counts.invalidPushes}, rises from invalid data ${counts.invalidRises}, lost entries ${counts.lostEntries}, coverage not recovered ${counts.coverageNotRecovered}, false incidents/claims ${counts.falseIncidents}, claims lost ${counts.claimsLost}, duplicate claims ${counts.duplicateClaims}, orphaned claim rows ${counts.orphanedClaimRows}, real exploits missed ${counts.realExploitsMissed}, alerts lost ${counts.alertsLost}`);

    expect(counts.schedules).to.equal(SCHEDULES);
    expect(counts.duplicates, "duplicate actions").to.equal(0);
    expect(counts.invalidPushes, "risk pushed from invalid data").to.equal(0);
    expect(counts.invalidRises, "risk raised on-chain from a failed source / thin data").to.equal(0);
    expect(counts.lostEntries, "journal entries lost").to.equal(0);
    expect(counts.coverageNotRecovered, "schedules ending under-covered").to.equal(0);
    expect(counts.falseIncidents, "incidents or claims from corrupt data").to.equal(0);
    expect(counts.claimsLost, "claims lost").to.equal(0);
    expect(counts.duplicateClaims, "duplicate claims").to.equal(0);
    expect(counts.orphanedClaimRows, "orphaned claim rows").to.equal(0);
    expect(counts.lifecycleSchedules).to.equal(LIFECYCLE_ROUNDS * LIFECYCLE_KINDS.length);
    expect(counts.realExploits, "the lifecycle schedules injected their exploits").to.equal(LIFECYCLE_ROUNDS * LIFECYCLE_KINDS.length);
    expect(counts.criticalAlerts, "the lifecycle schedules raised critical alerts").to.be.greaterThan(0);
    expect(counts.claimsReorged, "the claim-reorg schedules reorged a confirmed claim away").to.equal(LIFECYCLE_ROUNDS);
    expect(counts.realExploitsMissed, "real exploits missed").to.equal(0);
    expect(counts.alertsLost, "alerts lost").to.equal(0);
    // The run must actually have exercised the faults it claims to.
    if (SCHEDULES >= 50) {
      expect(counts.kills).to.be.greaterThan(0);
      expect(counts.reorgs).to.be.greaterThan(0);
      expect(counts.rpcRequestsFaulted).to.be.greaterThan(0);
      expect(counts.actionsSent).to.be.greaterThan(0);
      expect(counts.claimsFiled).to.be.greaterThan(0);
      expect(Object.entries(counts.httpServed).filter(([k]) => k !== "valid").every(([, n]) => n > 0)).to.equal(true);
    }
  });
});
