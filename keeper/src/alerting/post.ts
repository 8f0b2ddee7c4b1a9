/**
 * One JSON POST with a timeout and at most one retry (network error, timeout, 429, 5xx), shared by
 * the webhook sinks. The target URL (and any header value) is a secret: logs carry only the
 * redacted URL, and error texts are scrubbed of every part of it.
 */
import type { Logger } from "../lib/logger";
import { redactUrl, scrubSecret } from "../lib/redact";
import { sleep } from "../lib/time";

export interface PostOptions {
  readonly url: string;
  readonly logger: Logger;
  /** Sink name for the log lines, e.g. "discord". */
  readonly sink: string;
  /** Per-attempt timeout (default 5 s). */
  readonly timeoutMs?: number;
  /** Pause before the retry when the receiver gives no Retry-After (default 500 ms). */
  readonly retryDelayMs?: number;
  /** Longest Retry-After honoured before the retry (default 10 s); longer → the alert is dropped. */
  readonly maxRetryAfterMs?: number;
  /** Extra headers (e.g. Authorization); their values are secrets too. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Other secrets sent in the body (e.g. a routing key), scrubbed from any logged text. */
  readonly secrets?: readonly string[];
}

export interface PostOutcome {
  readonly ok: boolean;
  readonly status?: number;
  /** Response body text (for sinks that report errors in it), at most 2 000 characters. */
  readonly body?: string;
}

const DEFAULT_TIMEOUT_MS = 5_000; // milliseconds
const DEFAULT_RETRY_DELAY_MS = 500; // milliseconds
const DEFAULT_MAX_RETRY_AFTER_MS = 10_000; // milliseconds
const BODY_KEEP = 2_000; // characters of a response body kept for the log

export class JsonPoster {
  readonly redactedUrl: string;
  private readonly secrets: readonly string[];

  constructor(private readonly options: PostOptions) {
    this.redactedUrl = redactUrl(options.url);
    this.secrets = [...Object.values(options.headers ?? {}), ...(options.secrets ?? [])].filter((v) => v.length > 3);
  }

  /** Posts `payload`; logs failures; resolves `ok: false` when the alert was dropped. */
  async post(payload: unknown, title: string): Promise<PostOutcome> {
    const { logger, sink } = this.options;
    let body: string;
    try {
      body = JSON.stringify(payload);
    } catch (err) {
      logger.error({ sink, err: this.describeError(err) }, "alert: payload could not be built");
      return { ok: false };
    }
    let last: PostOutcome & { retryAfterMs?: number; error?: string; retryable?: boolean } = { ok: false };
    for (let attempt = 1; attempt <= 2; attempt++) {
      last = await this.attempt(body);
      if (last.ok) {
        logger.debug({ sink, webhook: this.redactedUrl, attempt, status: last.status }, "alert: delivered");
        return last;
      }
      const maxWait = this.options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
      const wait = last.retryAfterMs ?? this.options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
      const willRetry = attempt === 1 && last.retryable === true && wait <= maxWait;
      logger.warn(
        { sink, webhook: this.redactedUrl, attempt, status: last.status, error: last.error, response: last.body, willRetry },
        "alert: delivery failed",
      );
      if (!willRetry) break;
      await sleep(wait);
    }
    logger.error({ sink, webhook: this.redactedUrl, title }, "alert: alert dropped");
    return { ok: false, ...(last.status !== undefined ? { status: last.status } : {}), ...(last.body !== undefined ? { body: last.body } : {}) };
  }

  private async attempt(body: string): Promise<PostOutcome & { retryAfterMs?: number; error?: string; retryable?: boolean }> {
    try {
      const response = await fetch(this.options.url, {
        method: "POST",
        headers: { "content-type": "application/json; charset=utf-8", ...this.options.headers },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      });
      const text = this.scrub((await response.text().catch(() => "")).slice(0, BODY_KEEP));
      if (response.ok) return { ok: true, status: response.status, body: text };
      const retryable = response.status === 429 || response.status >= 500;
      const retryAfterMs = retryAfterOf(response.headers.get("retry-after"), text);
      return { ok: false, retryable, status: response.status, body: text, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    } catch (err) {
      return { ok: false, retryable: true, error: this.describeError(err) };
    }
  }

  /** Error text with any trace of the secret URL or header values removed. */
  private describeError(err: unknown): string {
    const parts: string[] = [];
    let cause: unknown = err;
    for (let depth = 0; depth < 3 && cause instanceof Error; depth++) {
      parts.push(`${cause.name}: ${cause.message}`);
      cause = cause.cause;
    }
    if (parts.length === 0) parts.push(String(err));
    return this.scrub(parts.join(" <- "));
  }

  private scrub(text: string): string {
    let out = scrubSecret(text, this.options.url);
    for (const secret of this.secrets) out = out.split(secret).join("<redacted>");
    return out;
  }
}

/**
 * Milliseconds to wait from a `Retry-After` header (seconds or an HTTP date) or, failing that, a
 * Discord-style JSON body `{"retry_after": <seconds>}`.
 */
export function retryAfterOf(header: string | null, body: string): number | undefined {
  if (header !== null && header.trim() !== "") {
    const seconds = Number(header);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
    const date = Date.parse(header);
    if (Number.isFinite(date)) return Math.max(0, date - Date.now());
  }
  try {
    const parsed = JSON.parse(body) as { retry_after?: unknown };
    if (typeof parsed.retry_after === "number" && parsed.retry_after >= 0) return Math.ceil(parsed.retry_after * 1000);
  } catch {
    // not JSON
  }
  return undefined;
}
