/**
 * The one JSON-over-HTTP client every network source uses.
 *
 * - Base URL from config (tests point it at a loopback server).
 * - Two per-attempt timeouts through AbortController: `timeoutMs` until the response headers
 *   arrive (connect + server think time), `bodyTimeoutMs` for reading the body after that, so
 *   a large body (DefiLlama's `/protocols`, `/protocol/{slug}`: megabytes) gets time to stream
 *   while a dead server is still noticed quickly.
 * - A size cap (`maxBodyBytes`): a `content-length` above it is refused before reading, and a
 *   body that streams past it is cut off (kind `too-large`, not retried).
 * - A non-2xx reply keeps the first 200 characters of its text body in the error
 *   (DefiLlama answers an unknown slug with HTTP 400 and the plain text "Protocol not found").
 * - `secrets`: strings (an API key in the URL path) replaced by `<redacted>` in every URL the
 *   client logs or returns (`HttpMeta.url`, `HttpError.url`, `displayUrlFor`).
 * - Bounded retries with exponential backoff and full jitter on timeouts, network errors,
 *   5xx and 429; 429 honours `Retry-After` (seconds or HTTP date), capped. Other 4xx, bad JSON
 *   and schema failures are not retried: they will not fix themselves within a cycle.
 * - The body is validated with a zod schema; a failure names the first failing field.
 * - Never throws: every outcome is a discriminated `HttpResult`.
 */
import { createHash } from "node:crypto";
import type { ZodType, ZodTypeDef } from "zod";
import { errorMessage, firstIssue } from "./metrics";

import type { Logger } from "../lib/logger";
import { sleep } from "../lib/time";

export { type Logger, silentLogger } from "../lib/logger";

export interface HttpClientConfig {
  /** e.g. `https://api.llama.fi`; request paths are appended to it. */
  readonly baseUrl: string;
  /** Time allowed from sending a request to receiving its headers, ms (default 10 000). */
  readonly timeoutMs?: number;
  /** Time allowed to read the body once the headers arrived, ms (default 60 000). */
  readonly bodyTimeoutMs?: number;
  /** Largest body accepted, bytes (default 64 MiB). */
  readonly maxBodyBytes?: number;
  /** Secrets that may appear in the URL (e.g. an API key path segment); never logged. */
  readonly secrets?: readonly string[];
  /** Total attempts including the first (default 3, minimum 1). */
  readonly maxAttempts?: number;
  /** Backoff base, ms: attempt n waits random() × min(maxDelayMs, baseDelayMs × 2^(n−1)) (default 500). */
  readonly baseDelayMs?: number;
  /** Backoff cap, ms (default 10 000). */
  readonly maxDelayMs?: number;
  /** Cap on a server's Retry-After, ms (default 60 000). */
  readonly maxRetryAfterMs?: number;
  /** Extra request headers (e.g. an API key header). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface HttpClientDeps {
  readonly logger: Logger;
  /** Defaults to Node 20's global fetch. */
  readonly fetch?: typeof fetch;
  /** Defaults to setTimeout; tests inject a recorder. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Uniform [0, 1); defaults to Math.random. */
  readonly random?: () => number;
  /** Wall clock in ms; defaults to Date.now (used for Retry-After dates and `fetchedAt`). */
  readonly nowMs?: () => number;
}

export type HttpErrorKind = "timeout" | "http" | "network" | "json" | "schema" | "too-large";

export interface HttpError {
  readonly kind: HttpErrorKind;
  readonly message: string;
  /** For `schema`: the path of the first failing field, e.g. `tvl[3].totalLiquidityUSD`. */
  readonly field?: string;
  readonly url: string;
  /** HTTP status of the last attempt, when one was received. */
  readonly status?: number;
  /** Start of the text body of a non-2xx reply (e.g. DefiLlama's "Protocol not found"). */
  readonly body?: string;
  readonly attempts: number;
}

export interface HttpMeta {
  readonly url: string;
  readonly status: number;
  readonly attempts: number;
  /** Hex sha256 of the raw response body (evidence). */
  readonly sha256: string;
  /** Unix seconds (wall clock) at which the body was received. */
  readonly fetchedAt: number;
}

export type HttpResult<T> =
  | { readonly ok: true; readonly data: T; readonly meta: HttpMeta }
  | { readonly ok: false; readonly error: HttpError };

/** One-line description of a failed result (for `Sourced.error`). */
export function describeHttpError(error: HttpError): string {
  const field = error.field !== undefined ? ` at ${error.field}` : "";
  const body = error.body !== undefined && error.body !== "" ? ` "${error.body}"` : "";
  return `${error.kind} error${field}: ${error.message}${body} (${error.url}, ${error.attempts} attempt(s))`;
}

/** Characters of a non-2xx text body kept in the error. */
const ERROR_BODY_CHARS = 200;

const DEFAULTS = {
  timeoutMs: 10_000,
  bodyTimeoutMs: 60_000,
  maxBodyBytes: 64 * 1024 * 1024,
  maxAttempts: 3,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 60_000,
} as const;

/** Outcome of one attempt, before the retry decision. */
type AttemptOutcome =
  | { readonly kind: "body"; readonly status: number; readonly text: string }
  | { readonly kind: "status"; readonly status: number; readonly retryAfter: string | null; readonly body: string }
  | { readonly kind: "timeout"; readonly phase: "headers" | "body" }
  | { readonly kind: "too-large"; readonly bytes: number; readonly status: number }
  | { readonly kind: "network"; readonly message: string };

export class JsonHttpClient {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly bodyTimeoutMs: number;
  private readonly maxBodyBytes: number;
  private readonly secrets: readonly string[];
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly logger: Logger;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly nowMs: () => number;
  private sentRequests = 0;

  constructor(config: HttpClientConfig, deps: HttpClientDeps) {
    this.baseUrl = config.baseUrl.replace(/\/+$/, "");
    this.timeoutMs = config.timeoutMs ?? DEFAULTS.timeoutMs;
    this.bodyTimeoutMs = config.bodyTimeoutMs ?? DEFAULTS.bodyTimeoutMs;
    this.maxBodyBytes = config.maxBodyBytes ?? DEFAULTS.maxBodyBytes;
    this.secrets = (config.secrets ?? []).filter((secret) => secret.length > 0);
    this.maxAttempts = Math.max(1, Math.floor(config.maxAttempts ?? DEFAULTS.maxAttempts));
    this.baseDelayMs = config.baseDelayMs ?? DEFAULTS.baseDelayMs;
    this.maxDelayMs = config.maxDelayMs ?? DEFAULTS.maxDelayMs;
    this.maxRetryAfterMs = config.maxRetryAfterMs ?? DEFAULTS.maxRetryAfterMs;
    this.headers = config.headers ?? {};
    this.logger = deps.logger;
    this.fetchImpl = deps.fetch ?? globalThis.fetch;
    this.sleep = deps.sleep ?? sleep;
    this.random = deps.random ?? Math.random;
    this.nowMs = deps.nowMs ?? Date.now;
  }

  /** HTTP requests sent so far (every attempt counts). */
  get requestCount(): number {
    return this.sentRequests;
  }

  /** The absolute URL of `path` (`""` = the base URL itself). Contains secrets: never log it. */
  urlFor(path: string): string {
    if (path === "") return this.baseUrl;
    return `${this.baseUrl}/${path.replace(/^\/+/, "")}`;
  }

  /** The URL of `path` with every configured secret replaced by `<redacted>`: safe to log and store. */
  displayUrlFor(path: string): string {
    return this.redact(this.urlFor(path));
  }

  /** Replaces every configured secret in `text` (also URL-encoded) by `<redacted>`. */
  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) {
      out = out.split(secret).join("<redacted>");
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret) out = out.split(encoded).join("<redacted>");
    }
    return out;
  }

  /** GETs `path`, parses JSON and validates it with `schema`. Never throws. */
  async getJson<T>(path: string, schema: ZodType<T, ZodTypeDef, unknown>): Promise<HttpResult<T>> {
    const target = this.urlFor(path);
    const url = this.redact(target);
    let lastStatus: number | undefined;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(target);
      if (outcome.kind === "body") {
        return this.decode(url, outcome.status, outcome.text, attempt, schema);
      }
      if (outcome.kind === "status") lastStatus = outcome.status;
      const failure = this.toError(url, outcome, attempt, lastStatus);
      const retryable =
        outcome.kind === "timeout" || outcome.kind === "network" || (outcome.kind === "status" && (outcome.status === 429 || outcome.status >= 500));
      if (!retryable || attempt >= this.maxAttempts) {
        this.logger.warn({ url, kind: failure.kind, status: failure.status, body: failure.body, attempts: attempt }, "http request failed");
        return { ok: false, error: failure };
      }
      const delayMs = this.retryDelayMs(outcome, attempt);
      this.logger.warn(
        { url, attempt, nextAttempt: attempt + 1, delayMs, kind: failure.kind, status: failure.status, reason: failure.message },
        "http request retrying",
      );
      await this.sleep(delayMs);
    }
  }

  private async attempt(url: string): Promise<AttemptOutcome> {
    const controller = new AbortController();
    let phase: "headers" | "body" = "headers";
    let timer = setTimeout(() => controller.abort(), this.timeoutMs);
    this.sentRequests++;
    try {
      const response = await this.fetchImpl(url, {
        method: "GET",
        headers: { accept: "application/json", ...this.headers },
        signal: controller.signal,
      });
      clearTimeout(timer);
      phase = "body";
      timer = setTimeout(() => controller.abort(), this.bodyTimeoutMs);
      if (!response.ok) {
        const retryAfter = response.headers.get("retry-after");
        // Keep the start of the body: DefiLlama explains a 400 in plain text.
        const read = await readCapped(response, ERROR_BODY_CHARS * 4).catch(() => undefined);
        const body = read === undefined ? "" : this.redact(printable(read.text).slice(0, ERROR_BODY_CHARS));
        return { kind: "status", status: response.status, retryAfter, body };
      }
      const declared = Number(response.headers.get("content-length") ?? Number.NaN);
      if (Number.isFinite(declared) && declared > this.maxBodyBytes) {
        controller.abort();
        return { kind: "too-large", bytes: declared, status: response.status };
      }
      const read = await readCapped(response, this.maxBodyBytes);
      if (read.truncated) {
        controller.abort();
        return { kind: "too-large", bytes: read.bytes, status: response.status };
      }
      return { kind: "body", status: response.status, text: read.text };
    } catch (err) {
      if (controller.signal.aborted) return { kind: "timeout", phase };
      const cause = err instanceof Error && err.cause !== undefined ? `: ${errorMessage(err.cause)}` : "";
      return { kind: "network", message: this.redact(`${errorMessage(err)}${cause}`) };
    } finally {
      clearTimeout(timer);
    }
  }

  private decode<T>(
    url: string,
    status: number,
    text: string,
    attempts: number,
    schema: ZodType<T, ZodTypeDef, unknown>,
  ): HttpResult<T> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      const error: HttpError = { kind: "json", message: errorMessage(err), url, status, attempts };
      this.logger.warn({ url, kind: "json", status, attempts }, "http response is not JSON");
      return { ok: false, error };
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const { field, message } = firstIssue(parsed.error);
      const error: HttpError = { kind: "schema", message, field, url, status, attempts };
      this.logger.warn({ url, kind: "schema", field, message, attempts }, "http response failed validation");
      return { ok: false, error };
    }
    const sha256 = createHash("sha256").update(text, "utf8").digest("hex");
    const fetchedAt = Math.floor(this.nowMs() / 1000);
    return { ok: true, data: parsed.data, meta: { url, status, attempts, sha256, fetchedAt } };
  }

  private toError(url: string, outcome: AttemptOutcome, attempts: number, status: number | undefined): HttpError {
    switch (outcome.kind) {
      case "timeout":
        return {
          kind: "timeout",
          message:
            outcome.phase === "headers"
              ? `no response headers within ${this.timeoutMs} ms`
              : `body not complete within ${this.bodyTimeoutMs} ms after the headers`,
          url,
          status,
          attempts,
        };
      case "network":
        return { kind: "network", message: outcome.message, url, status, attempts };
      case "too-large":
        return {
          kind: "too-large",
          message: `body of ${outcome.bytes} bytes or more exceeds maxBodyBytes ${this.maxBodyBytes}`,
          url,
          status: outcome.status,
          attempts,
        };
      case "status":
        return { kind: "http", message: `HTTP ${outcome.status}`, url, status: outcome.status, body: outcome.body, attempts };
      case "body":
        throw new Error("unreachable: a body is decoded, not retried");
    }
  }

  /** Delay before attempt `attempt + 1`. */
  private retryDelayMs(outcome: AttemptOutcome, attempt: number): number {
    if (outcome.kind === "status" && outcome.status === 429) {
      const hinted = parseRetryAfterMs(outcome.retryAfter, this.nowMs());
      if (hinted !== undefined) return Math.min(hinted, this.maxRetryAfterMs);
    }
    return fullJitterDelayMs(attempt, this.baseDelayMs, this.maxDelayMs, this.random);
  }
}

/** Reads a body as UTF-8, stopping once more than `maxBytes` arrived. */
async function readCapped(response: Response, maxBytes: number): Promise<{ text: string; bytes: number; truncated: boolean }> {
  if (response.body === null) return { text: "", bytes: 0, truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return { text: "", bytes, truncated: true };
    }
    chunks.push(value);
  }
  return { text: Buffer.concat(chunks).toString("utf8"), bytes, truncated: false };
}

/** One line of printable text (a server's error body may hold anything). */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]+/g, " ").trim();
}

/** Full-jitter exponential backoff: uniform in [0, min(cap, base × 2^(attempt−1))). */
export function fullJitterDelayMs(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/** `Retry-After` as ms from now: delta-seconds or an HTTP date; undefined when absent or unparsable. */
export function parseRetryAfterMs(header: string | null, nowMs: number): number | undefined {
  if (header === null) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}
