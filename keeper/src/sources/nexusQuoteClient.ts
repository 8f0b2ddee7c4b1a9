/**
 * Nexus Mutual off-chain quote API client (the cover-router service, `GET /v2/quote`).
 *
 * Verified against NexusMutual/cover-router v2.7.0 `src/routes/quote.js`, `src/lib/quoteEngine.js`,
 * `src/lib/helpers.js`:
 * - query: `productId` (int), `amount` (cover-asset smallest unit, integer string), `period` (DAYS, the
 *   router multiplies by 86 400), `coverAsset` (asset id: ETH 0, USDC 6, cbBTC 7; DAI 1 is abandoned),
 *   optional `coverEditId` (the ORIGINAL cover id of the edit chain; the router prices the edit against
 *   the chain's latest cover and answers "Not original cover id" otherwise); integrators also pass
 *   `paymentAsset` (we pay in the cover asset, so it equals `coverAsset`; the route ignores it);
 * - 200: `{ quote: { totalCoverAmountInAsset, annualPrice, premiumInNXM, premiumInAsset, refundInNXM,
 *   refundInAsset, premiumInNXMWithRefund, premiumInAssetWithRefund, poolAllocationRequests: [{ poolId,
 *   coverAmountInAsset }], asset } }`, every number an integer string. For an edit, what Cover charges is
 *   the premium net of the refund of the replaced cover (`premiumInAssetWithRefund`, floored at 0);
 * - errors: `ApiError` bodies are `{ "message": ... }` with status 400 for "Not enough capacity for the
 *   cover amount", "Invalid Product Id", "Product is deprecated", "Not original cover id"; anything else
 *   is 500 `{ "message": "Internal Server Error" }` (e.g. an edit of a cover the router has not indexed).
 * The adapter decodes `coverData` as `abi.encode((uint256 poolId, uint256 coverAmountInAsset)[])`.
 */
import { AbiCoder } from "ethers";
import { z } from "zod";
import { type HttpClientConfig, type HttpMeta, JsonHttpClient, type Logger, describeHttpError } from "./http";

const intString = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .refine((v) => /^\d+$/.test(v), "not a non-negative integer")
  .transform((v) => BigInt(v));

export const nexusQuoteResponseSchema = z.object({
  quote: z.object({
    totalCoverAmountInAsset: intString,
    annualPrice: intString,
    premiumInNXM: intString,
    premiumInAsset: intString,
    /** v2.6+; required for an edit quote (checked in `quote`). */
    refundInAsset: intString.optional(),
    premiumInAssetWithRefund: intString.optional(),
    poolAllocationRequests: z
      .array(z.object({ poolId: intString, coverAmountInAsset: intString }))
      .min(1, "a quote needs at least one pool allocation"),
  }),
});

/** Typed cover-router errors (by their `message`). */
export type NexusQuoteErrorKind =
  | "invalid-product"
  | "deprecated-product"
  | "not-original-cover-id"
  | "rejected"
  | "server"
  | "transport"
  | "invalid-response"
  | "missing-refund";

/** The router's ApiError messages, verbatim (cover-router v2.7 quoteEngine.js / helpers.js). */
export const COVER_ROUTER_MESSAGES = {
  capacity: "Not enough capacity for the cover amount",
  invalidProduct: "Invalid Product Id",
  deprecatedProduct: "Product is deprecated",
  notOriginalCoverId: "Not original cover id",
} as const;

export interface PoolAllocation {
  readonly poolId: bigint;
  /** Cover-asset smallest units. */
  readonly coverAmountInAsset: bigint;
}

export interface NexusQuoteRequest {
  readonly productId: number;
  /** Cover-asset smallest units. */
  readonly amount: bigint;
  /**
   * Seconds; rounded UP to whole days for the API (the quote is never for less time than bought). For an
   * edit this is the edited cover's real period, `newEnd − now`, not the extension.
   */
  readonly periodSec: number;
  /** Nexus cover asset id (USDC 6). */
  readonly coverAsset: number;
  /** The ORIGINAL Nexus cover id of the chain being edited (adapter `editedCoverIdOf`); 0/undefined = new cover. */
  readonly coverEditId?: bigint;
}

export type NexusQuoteResult =
  | {
      readonly ok: true;
      /** Gross premium of the new cover, cover-asset smallest units. */
      readonly premiumInAsset: bigint;
      /** Unused premium of the replaced cover Nexus refunds on an edit (0 for a new cover). */
      readonly refundInAsset: bigint;
      /** What Cover will charge: the premium net of the refund (floored at 0); equals `premiumInAsset` for a new cover. */
      readonly premiumDueInAsset: bigint;
      readonly annualPriceBps: bigint;
      readonly totalCoverAmountInAsset: bigint;
      readonly poolAllocations: readonly PoolAllocation[];
      /** True when the router covers less than asked (or answered "Not enough capacity"). */
      readonly capacityShort: boolean;
      /** Hex `coverData` for the adapter (empty when capacity is short). */
      readonly coverData: string;
      readonly meta?: HttpMeta;
    }
  | { readonly ok: false; readonly kind: NexusQuoteErrorKind; readonly error: string; readonly status?: number };

export interface NexusQuoteClientDeps {
  readonly logger: Logger;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** abi.encode((uint256 poolId, uint256 coverAmountInAsset)[]) — the adapter's coverData. */
export function encodeCoverData(allocations: readonly PoolAllocation[]): string {
  return AbiCoder.defaultAbiCoder().encode(
    ["tuple(uint256 poolId, uint256 coverAmountInAsset)[]"],
    [allocations.map((a) => [a.poolId, a.coverAmountInAsset])],
  );
}

export class NexusQuoteClient {
  private readonly client: JsonHttpClient;
  private readonly logger: Logger;
  /** Bodies of non-2xx replies by URL (JsonHttpClient drops them; capacity errors live there). */
  private readonly errorBodies = new Map<string, string>();

  constructor(config: HttpClientConfig, deps: NexusQuoteClientDeps) {
    this.logger = deps.logger;
    const baseFetch = deps.fetch ?? globalThis.fetch;
    const recordingFetch: typeof fetch = async (input, init) => {
      const response = await baseFetch(input, init);
      if (!response.ok) {
        const text = await response.clone().text().catch(() => "");
        this.errorBodies.set(String(input instanceof Request ? input.url : input), text);
      }
      return response;
    };
    this.client = new JsonHttpClient(config, {
      logger: deps.logger,
      fetch: recordingFetch,
      ...(deps.sleep !== undefined ? { sleep: deps.sleep } : {}),
      ...(deps.random !== undefined ? { random: deps.random } : {}),
    });
  }

  get requestCount(): number {
    return this.client.requestCount;
  }

  /** Quotes a cover or an edit; never throws. A capacity error is an ok result with `capacityShort`. */
  async quote(request: NexusQuoteRequest): Promise<NexusQuoteResult> {
    const days = Math.ceil(request.periodSec / 86_400);
    const editing = request.coverEditId !== undefined && request.coverEditId > 0n;
    const query = new URLSearchParams({
      productId: String(request.productId),
      amount: request.amount.toString(),
      period: String(days),
      coverAsset: String(request.coverAsset),
      paymentAsset: String(request.coverAsset),
      ...(editing ? { coverEditId: (request.coverEditId as bigint).toString() } : {}),
    });
    const path = `v2/quote?${query.toString()}`;
    const url = this.client.urlFor(path);
    this.errorBodies.delete(url);
    const result = await this.client.getJson(path, nexusQuoteResponseSchema);
    if (!result.ok) {
      const body = this.errorBodies.get(url);
      this.errorBodies.delete(url);
      const apiError = parseApiError(body);
      const status = result.error.status !== undefined ? { status: result.error.status } : {};
      if (result.error.kind === "http" && apiError === COVER_ROUTER_MESSAGES.capacity) {
        this.logger.info({ productId: request.productId, amount: request.amount.toString() }, "nexus quote: capacity short");
        return {
          ok: true,
          premiumInAsset: 0n,
          refundInAsset: 0n,
          premiumDueInAsset: 0n,
          annualPriceBps: 0n,
          totalCoverAmountInAsset: 0n,
          poolAllocations: [],
          capacityShort: true,
          coverData: "0x",
        };
      }
      const detail = apiError !== undefined ? `${describeHttpError(result.error)}: ${apiError}` : describeHttpError(result.error);
      return { ok: false, kind: errorKind(result.error.kind, result.error.status, apiError), error: detail, ...status };
    }
    const q = result.data.quote;
    if (editing && (q.premiumInAssetWithRefund === undefined || q.refundInAsset === undefined)) {
      return { ok: false, kind: "missing-refund", error: "edit quote without refundInAsset/premiumInAssetWithRefund: the router predates edit pricing" };
    }
    const poolAllocations = q.poolAllocationRequests.map((a) => ({ poolId: a.poolId, coverAmountInAsset: a.coverAmountInAsset }));
    const allocated = poolAllocations.reduce((sum, a) => sum + a.coverAmountInAsset, 0n);
    const capacityShort = q.totalCoverAmountInAsset < request.amount || allocated < request.amount;
    const refundInAsset = editing ? (q.refundInAsset as bigint) : 0n;
    return {
      ok: true,
      premiumInAsset: q.premiumInAsset,
      refundInAsset,
      premiumDueInAsset: editing ? (q.premiumInAssetWithRefund as bigint) : q.premiumInAsset,
      annualPriceBps: q.annualPrice,
      totalCoverAmountInAsset: q.totalCoverAmountInAsset,
      poolAllocations,
      capacityShort,
      coverData: capacityShort ? "0x" : encodeCoverData(poolAllocations),
      meta: result.meta,
    };
  }
}

/** The router's `{ "message": ... }` error body; raw text (capped) when it is not that shape. */
function parseApiError(body: string | undefined): string | undefined {
  if (body === undefined || body === "") return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === "object" && parsed !== null && "message" in parsed) {
      const message = (parsed as { message: unknown }).message;
      if (typeof message === "string") return message;
    }
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return body.slice(0, 200);
}

function errorKind(kind: string, status: number | undefined, message: string | undefined): NexusQuoteErrorKind {
  if (message === COVER_ROUTER_MESSAGES.invalidProduct) return "invalid-product";
  if (message === COVER_ROUTER_MESSAGES.deprecatedProduct) return "deprecated-product";
  if (message === COVER_ROUTER_MESSAGES.notOriginalCoverId) return "not-original-cover-id";
  if (kind === "http") return status !== undefined && status >= 500 ? "server" : "rejected";
  if (kind === "json" || kind === "schema") return "invalid-response";
  return "transport";
}
