/**
 * Publishes files through a Kubo (go-ipfs) RPC API: `POST <base>/api/v0/add?cid-version=0&pin=true`
 * with a `multipart/form-data` body holding one `file` part. Kubo answers 200 with one JSON object per
 * added file, `{"Name": "...", "Hash": "Qm...", "Size": "123"}` (Size is a string), and errors as a
 * non-2xx status with `{"Message": "...", "Code": 0, "Type": "error"}`; the RPC API only accepts POST
 * (other methods get 405). The returned `Hash` must equal the CID computed locally (lib/cid.ts), so a
 * node with other add defaults (raw leaves, CIDv1, another chunker) is detected instead of trusted.
 *
 * The base URL may carry credentials (a gateway behind basic auth or a token path): it is redacted in
 * every error and log line. Never throws: every outcome is a discriminated result.
 */
import { z } from "zod";
import type { Logger } from "../lib/logger";
import { redactUrl, scrubSecret } from "../lib/redact";

export interface IpfsClientConfig {
  /** Kubo RPC API base, e.g. `http://127.0.0.1:5001/` (the client appends `api/v0/add`). */
  readonly apiUrl: string;
  /** Timeout of the whole request, ms (default 30 000). */
  readonly timeoutMs?: number;
}

export interface IpfsClientDeps {
  readonly logger: Logger;
  readonly fetch?: typeof fetch;
}

export type IpfsAddResult =
  | { readonly ok: true; readonly cid: string; readonly size: number }
  | { readonly ok: false; readonly error: string; readonly status?: number };

const addResponseSchema = z.object({
  Name: z.string(),
  Hash: z.string().min(1),
  Size: z.union([z.string(), z.number()]).transform((v) => Number(v)),
});
const kuboErrorSchema = z.object({ Message: z.string() }).passthrough();

export class KuboIpfsClient {
  private readonly fetchFn: typeof fetch;
  private readonly addUrl: string;

  constructor(
    private readonly config: IpfsClientConfig,
    private readonly deps: IpfsClientDeps,
  ) {
    this.fetchFn = deps.fetch ?? globalThis.fetch;
    const base = config.apiUrl.endsWith("/") ? config.apiUrl : `${config.apiUrl}/`;
    const url = new URL("api/v0/add", base);
    url.searchParams.set("cid-version", "0");
    url.searchParams.set("pin", "true");
    this.addUrl = url.toString();
  }

  /** Adds (and pins) `bytes` as `name`; `expectedCid`, when given, must be what Kubo answers. */
  async add(bytes: Uint8Array, name: string, expectedCid?: string): Promise<IpfsAddResult> {
    const where = redactUrl(this.config.apiUrl);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.config.timeoutMs ?? 30_000);
    try {
      const form = new FormData();
      form.append("file", new Blob([bytes], { type: "application/octet-stream" }), name);
      const response = await this.fetchFn(this.addUrl, { method: "POST", body: form, signal: controller.signal });
      const text = await response.text();
      if (!response.ok) {
        const message = parseKuboError(text);
        return { ok: false, status: response.status, error: this.scrub(`ipfs add at ${where}: HTTP ${response.status}${message !== undefined ? `: ${message}` : ""}`) };
      }
      // One JSON object per line; with a single file the last line describes it.
      const lines = text.split("\n").filter((l) => l.trim() !== "");
      const last = lines[lines.length - 1];
      let parsed: unknown;
      try {
        parsed = last === undefined ? undefined : JSON.parse(last);
      } catch {
        return { ok: false, status: response.status, error: `ipfs add at ${where}: the reply is not JSON` };
      }
      const result = addResponseSchema.safeParse(parsed);
      if (!result.success) return { ok: false, status: response.status, error: `ipfs add at ${where}: unexpected reply (${result.error.issues[0]?.path.join(".") ?? "body"})` };
      if (expectedCid !== undefined && result.data.Hash !== expectedCid) {
        return { ok: false, status: response.status, error: `ipfs add at ${where}: node returned ${result.data.Hash}, expected ${expectedCid} (check the node's add defaults: CIDv0, no raw leaves)` };
      }
      return { ok: true, cid: result.data.Hash, size: result.data.Size };
    } catch (err) {
      const aborted = controller.signal.aborted;
      const message = aborted ? `timed out after ${this.config.timeoutMs ?? 30_000} ms` : err instanceof Error ? err.message : String(err);
      return { ok: false, error: this.scrub(`ipfs add at ${where}: ${message}`) };
    } finally {
      clearTimeout(timer);
    }
  }

  private scrub(text: string): string {
    return scrubSecret(text, this.config.apiUrl);
  }
}

function parseKuboError(text: string): string | undefined {
  try {
    const parsed = kuboErrorSchema.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data.Message.slice(0, 200);
  } catch {
    // not JSON
  }
  return text.trim() === "" ? undefined : text.trim().slice(0, 200);
}
