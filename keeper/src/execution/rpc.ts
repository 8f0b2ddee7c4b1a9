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
}

/** The providers' view of node freshness (for /healthz). */
export interface RpcHealth {
  readonly ok: boolean;
  /** Age of the freshest latest block seen in the last request that read one, seconds. */
  readonly latestBlockAgeSec: number | undefined;
  readonly staleUrls: readonly string[];
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
  private latestBlockAgeSec: number | undefined;

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
    };
  }

  /** Unhealthy when every URL's latest block was stale at the last check. */
  health(): RpcHealth {
    const stale = [...this.staleUrls].map((i) => redactUrl(this.urls[i] ?? ""));
    const allStale = this.staleUrls.size > 0 && this.staleUrls.size >= this.urls.length;
    return {
      ok: !allStale,
      latestBlockAgeSec: this.latestBlockAgeSec,
      staleUrls: stale,
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
    for (let round = 0; round < maxRounds; round += 1) {
      for (let step = 0; step < this.urls.length; step += 1) {
        const index = (this.preferred + step) % this.urls.length;
        const url = this.urls[index] as string;
        const stats = this.perUrl[index] as { calls: number; errors: number };
        try {
          const replies = await postJsonRpc(url, payload, this.settings.timeoutMs, this.settings.fetch);
          stats.calls += count;
          this.calls += count;
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
