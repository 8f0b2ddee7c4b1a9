/**
 * A failover JSON-RPC provider: several URLs, one preferred at a time. A request that fails at the
 * transport level (connection refused/reset, timeout, HTTP 429 or 5xx, any non-2xx, a body that
 * is not JSON-RPC) moves at once to the next URL; after a full round without success it backs
 * off (exponential, with jitter) and tries again, `maxRounds` times. JSON-RPC errors (a revert,
 * "nonce too low") are answers, not faults: they are returned to ethers as they are.
 *
 * Why a `JsonRpcProvider` subclass overriding `_send` and not ethers' `FallbackProvider`: the
 * fallback provider queries several backends per request and compares them (quorum), broadcasts
 * transactions to all of them, and hides 429/5xx behind its own stall timers — more calls, no
 * sticky primary, and no control of backoff. The keeper wants one node at a time, fast failover,
 * and exact per-URL counts.
 *
 * A node that stops advancing is a fault too: when `maxBlockAgeSec` > 0, every `latest` block a
 * node returns is checked against the wall clock; an older one marks that URL stale and the same
 * request goes to the next URL. When every URL is stale the freshest answer is returned (a
 * stalled chain is still the chain) and `health()` reports it, which turns /healthz unhealthy.
 *
 * A node that answers but cannot answer this (a pruned or lagging node: "missing trie node",
 * "header not found", "historical state not available", …) is a fault for that request too: the
 * next URL gets it, so a non-archive primary does not make an archive backup useless. Other
 * JSON-RPC errors (a revert, "nonce too low") stay answers. When every node says it cannot
 * answer, the last such answer is returned as it is.
 *
 * With two or more URLs, heights are compared at most every `heightCheckMs` (on the next request,
 * so every keeper tick): a node more than `maxLagBlocks` behind the highest is not used while
 * another is. `crossCheck(read)` runs a claim-critical read on two healthy nodes at the same
 * block and reports whether they agree, so the claims code can refuse to act on one node's word.
 *
 * `cacheTimeout: -1` disables ethers' 250 ms result cache (stale latest
 * block / nonce between quick calls). `batchStallTime: 0` stops ethers holding every request
 * 10 ms to collect a batch: the keeper's reads are mostly sequential, so the stall added 10 ms to
 * each of them (calls issued in the same tick are still sent as one batch).
 */
import { JsonRpcProvider, Network, type JsonRpcError, type JsonRpcPayload, type JsonRpcResult } from "ethers";
import { redactUrl } from "../lib/redact";
import type { Logger } from "../lib/logger";
import { sleep } from "../lib/time";

export interface FailoverOptions {
  readonly urls: readonly string[];
  /** Expected chain id; when omitted the first reachable URL's chain id is used. */
  readonly chainId?: number;
  readonly logger: Logger;
  /** Per-request timeout (default 5000 ms). */
  readonly timeoutMs?: number;
  /** Full passes over every URL before a request fails (default 3). */
  readonly maxRounds?: number;
  /** Backoff after the first failed round (default 200 ms), doubling, capped at `maxDelayMs` (default 2000 ms). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Latest block older than this (seconds, wall clock) = stale node; 0 or undefined = off. */
  readonly maxBlockAgeSec?: number;
  readonly nowMs?: () => number;
  /** A node this many blocks behind the highest is not used (default 5; 0 = off). Needs ≥ 2 URLs. */
  readonly maxLagBlocks?: number;
  /** How often heights are compared (default 10 000 ms). */
  readonly heightCheckMs?: number;
}

/** JSON-RPC error messages that mean "this node cannot answer", not "the answer is an error". */
export const NODE_CANNOT_ANSWER =
  /missing trie node|header not found|historical state|state (is )?not available|pruned|state histor(y|ies)|unknown block|block not found|required state unavailable|not an archive/i;

/** Two nodes' answers to one claim-critical read. */
export type CrossCheck<T> =
  | { readonly status: "agree"; readonly value: T; readonly blockNumber: number; readonly urls: readonly string[] }
  | { readonly status: "disagree"; readonly values: readonly T[]; readonly blockNumber: number; readonly urls: readonly string[] }
  /** Only one usable node: nothing to compare against (the caller decides whether that is enough). */
  | { readonly status: "single"; readonly value: T; readonly blockNumber: number; readonly urls: readonly string[] };

export class RpcDisagreementError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RpcDisagreementError";
  }
}

/** The providers' view of node freshness (for /healthz). */
export interface RpcHealth {
  readonly ok: boolean;
  /** Age of the freshest latest block seen in the last request that read one, seconds. */
  readonly latestBlockAgeSec: number | undefined;
  readonly staleUrls: readonly string[];
  /** URLs more than `maxLagBlocks` behind the highest node at the last height check. */
  readonly laggingUrls?: readonly string[];
  readonly detail?: string;
}

export class RpcUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RpcUnavailableError";
  }
}

export class RpcChainMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RpcChainMismatchError";
  }
}

export interface RpcStats {
  /** JSON-RPC calls answered (each call of a batch counts once). */
  readonly calls: number;
  /** Transport failures (each failed attempt at one URL counts once). */
  readonly errors: number;
  /** Times the preferred URL changed. */
  readonly failovers: number;
  readonly byUrl: Readonly<Record<string, { calls: number; errors: number }>>;
}

class TransportError extends Error {}

type Reply = JsonRpcResult | JsonRpcError;

export class FailoverJsonRpcProvider extends JsonRpcProvider {
  private preferred = 0;
  private calls = 0;
  private errors = 0;
  private failovers = 0;
  private readonly perUrl: { calls: number; errors: number }[];
  private readonly urls: readonly string[];
  private readonly settings: Required<Omit<FailoverOptions, "chainId" | "urls">>;
  private readonly staleUrls = new Set<number>();
  private readonly laggingUrls = new Set<number>();
  private latestBlockAgeSec: number | undefined;
  private heightsCheckedAt = Number.NEGATIVE_INFINITY;
  private heightCheck: Promise<void> | undefined;
  private readonly pinnedProviders = new Map<number, JsonRpcProvider>();
  private readonly network: Network;

  constructor(options: FailoverOptions & { network: Network }) {
    const first = options.urls[0];
    if (first === undefined) throw new Error("rpc: no URL configured — set RPC_URL, RPC_URLS or chain.rpcUrls");
    super(first, options.network, { staticNetwork: options.network, cacheTimeout: -1, batchStallTime: 0 });
    this.urls = [...options.urls];
    this.perUrl = this.urls.map(() => ({ calls: 0, errors: 0 }));
    this.settings = {
      logger: options.logger,
      timeoutMs: options.timeoutMs ?? 5000,
      maxRounds: options.maxRounds ?? 3,
      baseDelayMs: options.baseDelayMs ?? 200,
      maxDelayMs: options.maxDelayMs ?? 2000,
      fetch: options.fetch ?? fetch,
      sleep: options.sleep ?? sleep,
      random: options.random ?? Math.random,
      maxBlockAgeSec: options.maxBlockAgeSec ?? 0,
      nowMs: options.nowMs ?? Date.now,
      maxLagBlocks: options.maxLagBlocks ?? 5,
      heightCheckMs: options.heightCheckMs ?? 10_000,
    };
    this.network = options.network;
  }

  /**
   * Compares every URL's `eth_blockNumber`; a node more than `maxLagBlocks` behind the highest is
   * marked lagging (not used while another is). Runs on its own every `heightCheckMs`; callable.
   */
  async checkHeights(): Promise<{ heights: readonly (number | undefined)[]; lagging: readonly string[] }> {
    const { logger, maxLagBlocks, timeoutMs, fetch: fetchImpl } = this.settings;
    this.heightsCheckedAt = this.settings.nowMs();
    const heights = await Promise.all(
      this.urls.map(async (url) => {
        try {
          const [reply] = await postJsonRpc(url, { id: 1, jsonrpc: "2.0", method: "eth_blockNumber", params: [] }, timeoutMs, fetchImpl);
          return reply !== undefined && "result" in reply ? Number(BigInt(reply.result as string)) : undefined;
        } catch {
          return undefined;
        }
      }),
    );
    const highest = Math.max(...heights.map((h) => h ?? -1));
    heights.forEach((h, i) => {
      const url = redactUrl(this.urls[i] ?? "");
      const lags = maxLagBlocks > 0 && h !== undefined && highest - h > maxLagBlocks;
      if (lags && !this.laggingUrls.has(i)) logger.warn({ url, height: h, highest, maxLagBlocks }, "RPC node lags behind the others: not used while they answer");
      if (!lags && this.laggingUrls.has(i)) logger.info({ url, height: h, highest }, "RPC node caught up");
      if (lags) this.laggingUrls.add(i);
      else this.laggingUrls.delete(i);
    });
    return { heights, lagging: [...this.laggingUrls].map((i) => redactUrl(this.urls[i] ?? "")) };
  }

  /**
   * Runs `read` on two usable nodes (not lagging, not stale; the preferred first) at the same
   * block — the lower of their heads — and compares the answers (`equal`, default: JSON with
   * bigints as strings). One usable node: `single`. A node that fails the read is skipped for the
   * next usable one.
   */
  async crossCheck<T>(read: (provider: JsonRpcProvider, blockTag: number) => Promise<T>, equal: (a: T, b: T) => boolean = sameJson): Promise<CrossCheck<T>> {
    if (this.urls.length >= 2) await this.maybeCheckHeights(true);
    const order = this.urls.map((_, step) => (this.preferred + step) % this.urls.length).filter((i) => !this.laggingUrls.has(i) && !this.staleUrls.has(i));
    const usable = order.length > 0 ? order : [this.preferred];
    const heads: { index: number; head: number }[] = [];
    for (const index of usable) {
      if (heads.length === 2) break;
      try {
        heads.push({ index, head: await this.pinned(index).getBlockNumber() });
      } catch (err) {
        this.settings.logger.warn({ url: redactUrl(this.urls[index] ?? ""), error: (err as Error).message }, "cross-check: node did not answer; trying the next");
      }
    }
    if (heads.length === 0) throw new RpcUnavailableError("cross-check: no usable RPC node answered");
    const blockNumber = Math.min(...heads.map((h) => h.head));
    const values: T[] = [];
    const urls: string[] = [];
    for (const { index } of heads) {
      values.push(await read(this.pinned(index), blockNumber));
      urls.push(redactUrl(this.urls[index] ?? ""));
    }
    const [first, second] = values as [T, T | undefined];
    if (values.length === 1 || second === undefined) return { status: "single", value: first, blockNumber, urls };
    if (equal(first, second)) return { status: "agree", value: first, blockNumber, urls };
    this.settings.logger.error({ urls, blockNumber, values: values.map((v) => jsonOf(v)) }, "RPC nodes disagree on a claim-critical read");
    return { status: "disagree", values, blockNumber, urls };
  }

  /** `crossCheck`, throwing `RpcDisagreementError` when two nodes disagree (one node: its answer). */
  async readAgreed<T>(what: string, read: (provider: JsonRpcProvider, blockTag: number) => Promise<T>, equal?: (a: T, b: T) => boolean): Promise<T> {
    const checked = await this.crossCheck(read, equal);
    if (checked.status === "disagree") {
      throw new RpcDisagreementError(
        `RPC nodes disagree on ${what} at block ${checked.blockNumber} (${checked.urls.map((u, i) => `${u}: ${jsonOf(checked.values[i])}`).join("; ")}) — not acting on it`,
      );
    }
    return checked.value;
  }

  /** A provider bound to one URL (no failover), for cross-checks. */
  private pinned(index: number): JsonRpcProvider {
    let provider = this.pinnedProviders.get(index);
    if (provider === undefined) {
      provider = new PinnedJsonRpcProvider(this.urls[index] as string, this.network, this.settings.timeoutMs, this.settings.fetch);
      this.pinnedProviders.set(index, provider);
    }
    return provider;
  }

  override destroy(): void {
    for (const p of this.pinnedProviders.values()) p.destroy();
    super.destroy();
  }

  private async maybeCheckHeights(force = false): Promise<void> {
    if (this.urls.length < 2 || this.settings.maxLagBlocks <= 0) return;
    if (!force && this.settings.nowMs() - this.heightsCheckedAt < this.settings.heightCheckMs) return;
    this.heightCheck ??= this.checkHeights()
      .then(() => undefined)
      .finally(() => {
        this.heightCheck = undefined;
      });
    await this.heightCheck;
  }

  /** Unhealthy when every URL's latest block was stale at the last check. */
  health(): RpcHealth {
    const stale = [...this.staleUrls].map((i) => redactUrl(this.urls[i] ?? ""));
    const allStale = this.staleUrls.size > 0 && this.staleUrls.size >= this.urls.length;
    return {
      ok: !allStale,
      latestBlockAgeSec: this.latestBlockAgeSec,
      staleUrls: stale,
      ...(this.laggingUrls.size > 0 ? { laggingUrls: [...this.laggingUrls].map((i) => redactUrl(this.urls[i] ?? "")) } : {}),
      ...(allStale ? { detail: `every RPC node is stale: latest block ${this.latestBlockAgeSec ?? "?"} s old (limit ${this.settings.maxBlockAgeSec} s)` } : {}),
    };
  }

  stats(): RpcStats {
    return {
      calls: this.calls,
      errors: this.errors,
      failovers: this.failovers,
      byUrl: Object.fromEntries(this.urls.map((url, i) => [redactUrl(url), { ...(this.perUrl[i] as { calls: number; errors: number }) }])),
    };
  }

  /** The URL currently preferred (redacted). */
  currentUrl(): string {
    return redactUrl(this.urls[this.preferred] ?? "");
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const count = Array.isArray(payload) ? payload.length : 1;
    const { logger, maxRounds, sleep } = this.settings;
    const failures: string[] = [];
    // Freshest stale answer so far: returned when every URL is stale.
    let staleFallback: { replies: Reply[]; ageSec: number; index: number } | undefined;
    const readsLatest = latestBlockRequests(payload);
    // In the background: a slow node must not slow this request; the next one uses the result.
    void this.maybeCheckHeights().catch(() => undefined);
    // Lagging nodes last: used only when every other node failed.
    const order = this.urls.map((_, step) => (this.preferred + step) % this.urls.length);
    const ordered = [...order.filter((i) => !this.laggingUrls.has(i)), ...order.filter((i) => this.laggingUrls.has(i))];
    // The last "cannot answer" reply: returned when no node can answer.
    let cannotAnswer: Reply[] | undefined;
    for (let round = 0; round < maxRounds; round += 1) {
      for (const index of ordered) {
        const url = this.urls[index] as string;
        const stats = this.perUrl[index] as { calls: number; errors: number };
        try {
          const replies = await postJsonRpc(url, payload, this.settings.timeoutMs, this.settings.fetch);
          stats.calls += count;
          this.calls += count;
          const unable = replies.find((r) => "error" in r && NODE_CANNOT_ANSWER.test(String((r as JsonRpcError).error?.message ?? "")));
          if (unable !== undefined) {
            const reason = String((unable as JsonRpcError).error.message);
            stats.errors += 1;
            this.errors += 1;
            failures.push(`${redactUrl(url)}: ${reason}`);
            logger.warn({ url: redactUrl(url), round, error: reason }, "RPC node cannot answer this request (pruned or behind): trying the next URL");
            cannotAnswer = replies;
            continue;
          }
          if (readsLatest.size > 0 && this.settings.maxBlockAgeSec > 0) {
            const ageSec = latestBlockAge(replies, readsLatest, this.settings.nowMs());
            if (ageSec !== undefined && ageSec > this.settings.maxBlockAgeSec) {
              if (!this.staleUrls.has(index)) logger.warn({ url: redactUrl(url), latestBlockAgeSec: ageSec, limitSec: this.settings.maxBlockAgeSec }, "RPC node is stale (latest block too old): trying the next URL");
              this.staleUrls.add(index);
              if (staleFallback === undefined || ageSec < staleFallback.ageSec) staleFallback = { replies, ageSec, index };
              continue; // the next URL may be fresh; the end of the round returns the freshest stale answer
            }
            if (ageSec !== undefined) {
              if (this.staleUrls.delete(index)) logger.info({ url: redactUrl(url), latestBlockAgeSec: ageSec }, "RPC node advancing again");
              this.latestBlockAgeSec = ageSec;
            }
          }
          if (index !== this.preferred) {
            this.failovers += 1;
            logger.warn({ from: redactUrl(this.urls[this.preferred] ?? ""), to: redactUrl(url) }, "RPC failover: switched to the next URL");
            this.preferred = index;
          }
          // Errors are answers here; ethers maps them to its own error types.
          return replies as JsonRpcResult[];
        } catch (err) {
          const reason = (err as Error).message;
          stats.errors += 1;
          this.errors += 1;
          failures.push(`${redactUrl(url)}: ${reason}`);
          logger.warn({ url: redactUrl(url), round, error: reason }, "RPC request failed");
        }
      }
      if (cannotAnswer !== undefined) {
        // Every node answered, none could answer this: their own error is the answer.
        return cannotAnswer as JsonRpcResult[];
      }
      if (staleFallback !== undefined) {
        // Every reachable URL answered stale this round: the chain itself is not advancing.
        this.latestBlockAgeSec = staleFallback.ageSec;
        return staleFallback.replies as JsonRpcResult[];
      }
      if (round + 1 < maxRounds) await sleep(this.backoff(round));
    }
    throw new RpcUnavailableError(`every RPC URL failed ${maxRounds} time(s): ${failures.slice(-this.urls.length).join("; ")}`);
  }

  /** Exponential backoff with ±50 % jitter. */
  private backoff(round: number): number {
    const { baseDelayMs, maxDelayMs, random } = this.settings;
    const base = Math.min(maxDelayMs, baseDelayMs * 2 ** round);
    return Math.round(base * (0.5 + random()));
  }
}

/** One URL, no failover: the cross-check's view of one node. */
class PinnedJsonRpcProvider extends JsonRpcProvider {
  constructor(
    private readonly url: string,
    network: Network,
    private readonly timeoutMs: number,
    private readonly fetchImpl: typeof fetch,
  ) {
    super(url, network, { staticNetwork: network, cacheTimeout: -1, batchStallTime: 0 });
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    return (await postJsonRpc(this.url, payload, this.timeoutMs, this.fetchImpl)) as JsonRpcResult[];
  }
}

function jsonOf(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)) ?? "undefined";
}

function sameJson(a: unknown, b: unknown): boolean {
  return jsonOf(a) === jsonOf(b);
}

/** Ids of the payload's `eth_getBlockByNumber("latest", …)` calls. */
function latestBlockRequests(payload: JsonRpcPayload | JsonRpcPayload[]): Set<number | string> {
  const ids = new Set<number | string>();
  for (const p of Array.isArray(payload) ? payload : [payload]) {
    if (p.method === "eth_getBlockByNumber" && Array.isArray(p.params) && p.params[0] === "latest") ids.add(p.id);
  }
  return ids;
}

/** Age in seconds of the newest latest block among the replies (undefined when none has one). */
function latestBlockAge(replies: readonly Reply[], ids: ReadonlySet<number | string>, nowMs: number): number | undefined {
  let newest: number | undefined;
  for (const reply of replies) {
    if (!ids.has(reply.id) || !("result" in reply)) continue;
    const ts = (reply.result as { timestamp?: unknown } | null)?.timestamp;
    if (typeof ts !== "string") continue;
    const t = Number(BigInt(ts));
    newest = newest === undefined ? t : Math.max(newest, t);
  }
  return newest === undefined ? undefined : Math.max(0, Math.round(nowMs / 1000 - newest));
}

async function postJsonRpc(url: string, payload: JsonRpcPayload | JsonRpcPayload[], timeoutMs: number, fetchImpl: typeof fetch): Promise<Reply[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    let response: Response;
    try {
      response = await fetchImpl(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(payload),
        signal: controller.signal,
      });
    } catch (err) {
      if (controller.signal.aborted) throw new TransportError(`timeout after ${timeoutMs} ms`);
      const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
      throw new TransportError(typeof cause?.code === "string" ? cause.code : String(cause?.message ?? (err as Error).message));
    }
    let text: string;
    try {
      text = await response.text();
    } catch {
      throw new TransportError(controller.signal.aborted ? `timeout after ${timeoutMs} ms` : "connection dropped while reading the body");
    }
    if (!response.ok) throw new TransportError(`HTTP ${response.status}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new TransportError("response is not JSON");
    }
    const replies = Array.isArray(body) ? body : [body];
    if (!replies.every((r) => typeof r === "object" && r !== null && ("result" in r || "error" in r))) {
      throw new TransportError("response is not JSON-RPC");
    }
    return replies as Reply[];
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Connects to every URL's `eth_chainId` at start. A URL on another chain is a hard error; an
 * unreachable URL is a warning while at least one URL answers.
 */
export async function connectFailoverProvider(options: FailoverOptions): Promise<FailoverJsonRpcProvider> {
  const fetchImpl = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 5000;
  let expected = options.chainId;
  const unreachable: string[] = [];
  for (const url of options.urls) {
    let chainId: number;
    try {
      const [reply] = await postJsonRpc(url, { id: 1, jsonrpc: "2.0", method: "eth_chainId", params: [] }, timeoutMs, fetchImpl);
      if (reply === undefined || !("result" in reply)) throw new TransportError("eth_chainId returned an error");
      chainId = Number(BigInt(reply.result as string));
    } catch (err) {
      unreachable.push(`${redactUrl(url)} (${(err as Error).message})`);
      options.logger.warn({ url: redactUrl(url), error: (err as Error).message }, "RPC URL unreachable at start");
      continue;
    }
    if (expected === undefined) expected = chainId;
    else if (chainId !== expected) {
      throw new RpcChainMismatchError(
        `RPC ${redactUrl(url)} is on chain ${chainId}, expected ${expected} — fix CHAIN_ID / chain.chainId or the RPC URL`,
      );
    }
  }
  if (unreachable.length === options.urls.length || expected === undefined) {
    throw new RpcUnavailableError(`no RPC URL reachable: ${unreachable.join("; ")} — check RPC_URL / RPC_URLS`);
  }
  return new FailoverJsonRpcProvider({ ...options, network: Network.from(expected) });
}
