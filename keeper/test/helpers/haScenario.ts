/**
 * The HA kill scenario, shared by keeper/test/integration/haFailover.test.ts and
 * `npm run bench:keeper` (ha.takeoverSeconds, ha.duplicateSends): two keeper processes
 * (haChild.ts) start at once against one PostgreSQL state; exactly one leads and files the first
 * real fund claim (`submitClaim` as the beneficiary's agent, journal kind `file-claim`, the claims
 * cycle's idempotency key); it is SIGKILLed right after the broadcast, before its journal records
 * `sent`; the standby takes over, reconciles the dead leader's transaction from the journal (as a
 * restart does) and files the second claim. Measured: leader killed → the standby's first newly
 * signed transaction (seconds), transactions mined beyond one per claim (must be 0), and the fund's
 * own claims per coverage + incident (must be 1 each).
 */
import type { ChildProcess } from "node:child_process";
import type { JsonRpcProvider } from "ethers";

import { buyCoverage, units } from "../../../test/helpers/fundFixture";
import { claimIdempotencyKey } from "../../src/policy/claims";
import type { KeeperSystem } from "./keeperSystem";
import { spawnTs } from "./spawnTs";


export interface HaChild {
  readonly child: ChildProcess;
  readonly out: () => string;
  readonly err: () => string;
  readonly exited: Promise<number | null>;
}

export function spawnHaChild(env: Record<string, string>): HaChild {
  const spawned = spawnTs("keeper/test/helpers/haChild.ts", [], env);
  return { child: spawned.child, out: spawned.stdout, err: spawned.stderr, exited: spawned.exited };
}

export async function waitFor(check: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** One claim the keeper files: `submitClaim(coverId, amount, incidentAt, …)` calldata and its journal key. */
export interface HaClaim {
  readonly key: string;
  readonly data: string;
  readonly coverId: bigint;
  readonly incidentAt: bigint;
}

/** The fund's claims, as far as the scenario reads them. */
export interface HaFundReader {
  claimCount(): Promise<bigint>;
  getClaim(id: bigint): Promise<{ coverageId: bigint; incidentAt: bigint }>;
}

/**
 * Two self-insured coverages of the beneficiary (whose agent the keeper is, deployKeeperSystem) on
 * Aave, one exploit after both started, and the two claims the claims cycle would file for it:
 * `submitClaim` calldata under the cycle's idempotency key `claim:<incident>:<coverId>`.
 */
export async function prepareHaClaims(
  s: KeeperSystem,
  chain: { send(method: string, params: unknown[]): Promise<unknown> },
): Promise<[HaClaim, HaClaim]> {
  const covers = [await buyCoverage(s, { amount: units(20_000, 6) }), await buyCoverage(s, { amount: units(30_000, 6) })];
  const incidentAt = (covers[1]?.start ?? 0n) + 60n;
  await chain.send("evm_setNextBlockTimestamp", [Number(incidentAt) + 60]);
  await chain.send("evm_mine", []);
  const incidentKey = `exploit:aave-v3:${incidentAt}`;
  const claim = (c: { coverId: bigint }, amount: bigint): HaClaim => ({
    key: claimIdempotencyKey(incidentKey, c.coverId),
    coverId: c.coverId,
    incidentAt,
    data: s.fund.interface.encodeFunctionData("submitClaim", [c.coverId, amount, incidentAt, `exploit: ${incidentKey}`, Buffer.from(`{"incident":"${incidentKey}"}`)]),
  });
  return [claim(covers[0] as { coverId: bigint }, units(5_000, 6)), claim(covers[1] as { coverId: bigint }, units(7_500, 6))];
}

export interface HaScenarioInput {
  readonly rpcUrl: string;
  readonly stateUrl: string;
  readonly keeperKey: string;
  readonly keeperAddress: string;
  readonly to: string;
  /** The two claims, in filing order (the leader is killed after broadcasting the first). */
  readonly claims: readonly [HaClaim, HaClaim];
  readonly takeoverSeconds: number;
  /** The chain, for automine and the mined transactions. */
  readonly chain: { send(method: string, params: unknown[]): Promise<unknown> };
  readonly reader: JsonRpcProvider;
  readonly fund: HaFundReader;
}

export interface HaScenarioResult {
  /** How many of the two processes led before the kill (must be 1). */
  readonly leadersAtStart: number;
  readonly standbysAtStart: number;
  readonly takeoverSeconds: number;
  /** Transactions mined beyond one per claim key. */
  readonly duplicateSends: number;
  readonly minedPerClaim: Record<string, number>;
  /** The fund's claims per claim key (its coverage + incident time), read from the fund after the run. */
  readonly claimsOnChain: Record<string, number>;
  readonly newLeaderFence: number;
  readonly reconciled: string;
}

export async function runHaKillScenario(input: HaScenarioInput): Promise<HaScenarioResult> {
  const children: HaChild[] = [];
  const startBlock = await input.reader.getBlockNumber();
  const actions = input.claims.map((c) => ({ key: c.key, data: c.data }));
  const [first, second] = input.claims;
  const claimsBefore = await input.fund.claimCount();
  const env = {
    RPC_URL: input.rpcUrl,
    STATE_URL: input.stateUrl,
    KEY: input.keeperKey,
    TO: input.to,
    ACTIONS: JSON.stringify(actions),
    TAKEOVER_SECONDS: String(input.takeoverSeconds),
    HANG_AT_FENCE: "1",
  };
  await input.chain.send("evm_setAutomine", [false]);
  let miner: NodeJS.Timeout | undefined;
  try {
    children.push(spawnHaChild(env), spawnHaChild(env));
    const all = (): string => children.map((c, i) => `--- child ${i}\n${c.out()}\n${c.err()}`).join("\n");
    const leaderIndex = (): number => children.findIndex((c) => /^leader /m.test(c.out()));
    await waitFor(() => leaderIndex() >= 0 && children.some((c) => /^standby$/m.test(c.out())), 60_000, () => `one leader and one standby\n${all()}`);
    const leader = children[leaderIndex()] as HaChild;
    const standby = children.find((c) => c !== leader) as HaChild;
    const leadersAtStart = children.filter((c) => /^leader /m.test(c.out())).length;
    const standbysAtStart = children.filter((c) => /^standby$/m.test(c.out())).length;
    const firstBroadcast = new RegExp(`^broadcast (0x[0-9a-f]+) ${first.key} `, "m");
    await waitFor(() => firstBroadcast.test(leader.out()), 60_000, () => `the leader's broadcast\n${all()}`);
    const firstHash = firstBroadcast.exec(leader.out())?.[1] as string;
    leader.child.kill("SIGKILL");
    const killedAt = Date.now();
    await leader.exited;
    miner = setInterval(() => void input.chain.send("evm_mine", []).catch(() => undefined), 250);
    await waitFor(() => /^done$/m.test(standby.out()), 60_000, () => `the standby to take over and file ${second.key}\n${all()}`);
    const broadcasts = [...standby.out().matchAll(/^broadcast (0x[0-9a-f]+) (\S+) (\d+)$/gm)].map((m) => ({ hash: m[1] as string, key: m[2] as string, at: Number(m[3]) }));
    const firstNew = broadcasts.find((b) => b.hash !== firstHash);
    if (firstNew === undefined) throw new Error(`the standby signed nothing new\n${all()}`);
    const fence = Number(/^leader fence=(\d+)/m.exec(standby.out())?.[1] ?? "0");
    const reconciled = /^reconciled (.*)$/m.exec(standby.out())?.[1] ?? "";
    // What the chain says: every transaction the keeper got mined in the scenario, per claim.
    const head = await input.reader.getBlockNumber();
    const minedPerClaim: Record<string, number> = Object.fromEntries(actions.map((a) => [a.key, 0]));
    for (let n = startBlock + 1; n <= head; n++) {
      const block = await input.reader.getBlock(n, true);
      for (const tx of block?.prefetchedTransactions ?? []) {
        if (tx.from.toLowerCase() !== input.keeperAddress.toLowerCase()) continue;
        const action = actions.find((a) => a.data.toLowerCase() === tx.data.toLowerCase());
        if (action !== undefined) minedPerClaim[action.key] = (minedPerClaim[action.key] ?? 0) + 1;
      }
    }
    const duplicateSends = Object.values(minedPerClaim).reduce((sum, n) => sum + Math.max(0, n - 1), 0);
    // What the fund says: its claims filed in the scenario, per coverage + incident time.
    const claimsOnChain: Record<string, number> = Object.fromEntries(actions.map((a) => [a.key, 0]));
    const claimsAfter = await input.fund.claimCount();
    for (let id = claimsBefore + 1n; id <= claimsAfter; id++) {
      const claim = await input.fund.getClaim(id);
      const match = input.claims.find((c) => c.coverId === BigInt(claim.coverageId) && c.incidentAt === BigInt(claim.incidentAt));
      const key = match?.key ?? `unexpected:${claim.coverageId}:${claim.incidentAt}`;
      claimsOnChain[key] = (claimsOnChain[key] ?? 0) + 1;
    }
    return { leadersAtStart, standbysAtStart, takeoverSeconds: Math.round((firstNew.at - killedAt) / 10) / 100, duplicateSends, minedPerClaim, claimsOnChain, newLeaderFence: fence, reconciled };
  } finally {
    if (miner !== undefined) clearInterval(miner);
    for (const c of children) if (c.child.exitCode === null) c.child.kill("SIGKILL");
    await Promise.all(children.map((c) => c.exited));
    await input.chain.send("evm_setAutomine", [true]);
  }
}
