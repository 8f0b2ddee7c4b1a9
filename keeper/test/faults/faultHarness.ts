/**
 * Building blocks of the keeper fault suite: a seeded PRNG, a DefiLlama-shaped loopback server
 * that serves corrupt or hanging replies on demand, and "incarnations" of the keeper — one
 * container (provider, TxSender, SQLite journal) per simulated process, which can be killed at a
 * chosen RPC request or right after a broadcast, optionally with a reorg.
 *
 * Kill: the incarnation's fetch starts failing and its SQLite connection is closed, so whatever
 * the abandoned in-memory keeper still tries to do has no effect (as after SIGKILL); the next
 * incarnation opens the same DB file and reconciles.
 *
 * Reorg: `evm_snapshot` of the underlying node just before a broadcast reaches it, then
 * `evm_revert` right after the node answered (the keeper having been killed between send and
 * receipt): the block holding the keeper's transaction is discarded and the transaction is gone
 * from the node, so the journal says `planned`/`sent` for a hash the chain does not know. The
 * next incarnation's `reconcile()` must notice and rebroadcast the same signed bytes.
 * Reorgs deeper than the confirmation depth (removing a transaction the journal already marked
 * `confirmed`) are out of the keeper's model and not injected.
 */
import { keccak256, Wallet } from "ethers";
import { network } from "hardhat";

import { buildContainer, type KeeperContainer } from "../../src/cli/container";
import type { KeeperConfig } from "../../src/config";
import { connectFailoverProvider, type FailoverJsonRpcProvider } from "../../src/execution/rpc";
import type { Logger } from "../../src/lib/logger";
import type { ReceivedRequest, RouteScript, ScriptedReply } from "../helpers/loopbackServer";

/** mulberry32: small, seedable, good enough for schedules. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error("pick from an empty list");
  return item;
}

export const SILENT_LOGGER: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

// ---------------------------------------------------------------------------------------------
// Corrupt DefiLlama data

export const HTTP_CORRUPTIONS = ["malformed", "wrong-types", "partial", "cut", "hang", "status-500"] as const;
export type HttpCorruption = (typeof HTTP_CORRUPTIONS)[number];

/** The reply for `request` under a corruption of the valid reply. */
export function corruptReply(kind: HttpCorruption, request: ReceivedRequest, valid: ScriptedReply): ScriptedReply {
  const detail = request.path.startsWith("/protocol/");
  switch (kind) {
    case "malformed":
      return { body: '{"tvl": [{"date": 1, "totalLiquidityUSD": ' };
    case "wrong-types":
      if (detail) return { json: { name: 7, tvl: "not an array", audits: { n: 3 }, listedAt: "yesterday" } };
      if (request.path === "/protocols") return { json: [{ slug: 5, tvl: "lots", audits: [], listedAt: null }] };
      return { json: { prices: "1.0" } };
    case "partial":
      // Valid JSON, most of it missing: no TVL history, no protocol entry, no prices.
      if (detail) return { json: { name: request.path.slice("/protocol/".length) } };
      return { json: [] };
    case "cut":
      return { ...valid, cutMidBody: true };
    case "hang":
      return { hang: true };
    case "status-500":
      return { status: 500, body: "upstream error" };
  }
}

export interface CorruptibleRoutes {
  readonly routes: Record<string, RouteScript>;
  /** Probability that a request is answered with a random corruption (0 = clean). */
  setCorruptionRate(rate: number): void;
  readonly served: Record<HttpCorruption | "valid", number>;
}

/** Wraps valid routes: each request is corrupted with the current probability. */
export function corruptibleRoutes(valid: Record<string, RouteScript>, random: () => number): CorruptibleRoutes {
  let rate = 0;
  const served: Record<HttpCorruption | "valid", number> = { valid: 0, malformed: 0, "wrong-types": 0, partial: 0, cut: 0, hang: 0, "status-500": 0 };
  const routes: Record<string, RouteScript> = {};
  for (const [path, script] of Object.entries(valid)) {
    routes[path] = (request) => {
      const reply = typeof script === "function" ? script(request) : (script as ScriptedReply);
      if (rate === 0 || random() >= rate) {
        served.valid += 1;
        return reply;
      }
      // Hangs cost a full client timeout: keep them rarer than the rest.
      const kind = random() < 0.1 ? "hang" : pick(random, HTTP_CORRUPTIONS.filter((k) => k !== "hang"));
      served[kind] += 1;
      return corruptReply(kind, request, reply);
    };
  }
  return {
    routes,
    setCorruptionRate: (r) => {
      rate = r;
    },
    served,
  };
}

// ---------------------------------------------------------------------------------------------
// Keeper incarnations

export interface KillPlan {
  /** Kill when the incarnation makes its n-th HTTP request to the RPC (1-based). */
  readonly atRequest?: number;
  /** Kill right after the node accepted the next broadcast (between send and receipt). */
  readonly afterSend?: boolean;
  /** With `afterSend`: discard the block holding that broadcast (snapshot before, revert after). */
  readonly reorg?: boolean;
}

export interface BroadcastLog {
  /** Every raw transaction any incarnation tried to broadcast. */
  readonly rawTxHashes: string[];
  kills: number;
  /** Kills right after an accepted broadcast (between send and receipt). */
  killsAfterSend: number;
  reorgs: number;
  /** Replies of accepted broadcasts the test threw away (the client saw a reset). */
  lostReplies: number;
}

export interface Incarnation {
  readonly container: KeeperContainer;
  readonly provider: FailoverJsonRpcProvider;
  killed(): boolean;
  /** Arms a kill; the first trigger wins. */
  arm(plan: KillPlan): void;
  /** The next accepted broadcast's reply is lost (connection reset after the node took it). */
  loseNextSendReply(): void;
  /** Graceful end (no kill): closes the DB and the provider. */
  close(): void;
}

const KILLED = (): Error => Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });

function bodyOf(init: RequestInit | undefined): string {
  return typeof init?.body === "string" ? init.body : "";
}

function rawTxsIn(body: string): string[] {
  if (!body.includes("eth_sendRawTransaction")) return [];
  const parsed = JSON.parse(body) as { method: string; params?: unknown[] } | { method: string; params?: unknown[] }[];
  return (Array.isArray(parsed) ? parsed : [parsed])
    .filter((p) => p.method === "eth_sendRawTransaction")
    .map((p) => String(p.params?.[0] ?? ""));
}

/** Starts one keeper process-equivalent against `rpcUrl` on `config.state.dbPath`. */
export async function startIncarnation(
  config: KeeperConfig,
  options: { rpcUrl: string; keeperKey: string; log: BroadcastLog; rpcTimeoutMs: number; httpFetch?: typeof fetch },
): Promise<Incarnation> {
  let killed = false;
  let requests = 0;
  let plan: KillPlan = {};
  let loseReply = false;
  let container: KeeperContainer | undefined;

  const kill = (): void => {
    if (killed) return;
    killed = true;
    options.log.kills += 1;
    container?.close(); // the journal of the dead process is frozen as it was
  };

  const rpcFetch: typeof fetch = async (input, init) => {
    if (killed) throw KILLED();
    requests += 1;
    if (plan.atRequest !== undefined && requests >= plan.atRequest) {
      kill();
      throw KILLED();
    }
    const raws = rawTxsIn(bodyOf(init));
    for (const raw of raws) options.log.rawTxHashes.push(keccak256(raw));
    const reorg = raws.length > 0 && plan.afterSend === true && plan.reorg === true;
    const snapshot = reorg ? ((await network.provider.request({ method: "evm_snapshot", params: [] })) as string) : undefined;
    const response = await fetch(input, init);
    if (raws.length > 0 && plan.afterSend === true) {
      const text = await response.text();
      kill();
      options.log.killsAfterSend += 1;
      if (snapshot !== undefined) {
        await network.provider.request({ method: "evm_revert", params: [snapshot] });
        options.log.reorgs += 1;
      }
      return new Response(text, { status: response.status, headers: response.headers });
    }
    if (raws.length > 0 && loseReply && response.ok) {
      loseReply = false;
      await response.text();
      options.log.lostReplies += 1;
      throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNRESET" } });
    }
    return response;
  };

  const provider = await connectFailoverProvider({
    urls: [options.rpcUrl],
    chainId: 31337,
    logger: SILENT_LOGGER,
    timeoutMs: options.rpcTimeoutMs,
    maxRounds: 3,
    baseDelayMs: 5,
    maxDelayMs: 20,
    fetch: rpcFetch,
  });
  container = await buildContainer(config, SILENT_LOGGER, {
    provider,
    signer: new Wallet(options.keeperKey, provider),
    ...(options.httpFetch !== undefined ? { fetch: options.httpFetch } : {}),
  });
  const built = container;
  return {
    container: built,
    provider,
    killed: () => killed,
    arm(next) {
      plan = next;
    },
    loseNextSendReply() {
      loseReply = true;
    },
    close() {
      if (!killed) built.close();
      killed = true;
      provider.destroy();
    },
  };
}
