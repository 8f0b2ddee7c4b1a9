/**
 * Nexus Mutual off-chain quote API client (the cover-router service, `GET /v2/quote`).
 *
 * Verified against NexusMutual/cover-router `src/routes/quote.js`:
 * - query: `productId` (int), `amount` (cover-asset smallest unit, integer string), `period`
 *   (DAYS, integer), `coverAsset` (asset id: ETH 0, DAI 1, USDC 6); integrators also pass
 *   `paymentAsset` (we pay in the cover asset, so it equals `coverAsset`);
 * - 200: `{ quote: { totalCoverAmountInAsset, annualPrice, premiumInNXM, premiumInAsset,
 *   poolAllocationRequests: [{ poolId, coverAmountInAsset, skip }], asset? }, capacities:
 *   [{ poolId, capacity: [{ assetId, amount, asset? }] }] }`, every number an integer string;
 * - 400 `{ error: "Not enough capacity for the cover amount" }`, `"Invalid Product Id"`,
 *   `"Product is deprecated"`.
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
    poolAllocationRequests: z
      .array(z.object({ poolId: intString, coverAmountInAsset: intString, skip: z.boolean().optional() }))
      .min(1, "a quote needs at least one pool allocation"),
  }),
  capacities: z
    .array(
      z.object({
        poolId: intString,
        capacity: z.array(z.object({ assetId: z.union([z.string(), z.number()]), amount: intString })),
      }),
    )
    .optional(),
});

export interface PoolAllocation {
  readonly poolId: bigint;
  /** Cover-asset smallest units. */
  readonly coverAmountInAsset: bigint;
}

export interface NexusQuoteRequest {
  readonly productId: number;
  /** Cover-asset smallest units. */
  readonly amount: bigint;
  /** Seconds; rounded UP to whole days for the API (the quote is never for less time than bought). */
  readonly periodSec: number;
  /** Nexus cover asset id (DAI 1, USDC 6). */
  readonly coverAsset: number;
}

export type NexusQuoteResult =
  | {
      readonly ok: true;
      /** Cover-asset smallest units. */
      readonly premiumInAsset: bigint;
      readonly annualPriceBps: bigint;
      readonly totalCoverAmountInAsset: bigint;
      readonly poolAllocations: readonly PoolAllocation[];
      /** True when the router covers less than asked (or answered "Not enough capacity"). */
      readonly capacityShort: boolean;
      /** Hex `coverData` for the adapter (empty when capacity is short). */
      readonly coverData: string;
      readonly meta?: HttpMeta;
    }
  | { readonly ok: false; readonly error: string; readonly status?: number };

const CAPACITY_ERROR = /capacity/i;

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

  /** Quotes a cover; never throws. A capacity error is an ok result with `capacityShort`. */
  async quote(request: NexusQuoteRequest): Promise<NexusQuoteResult> {
    const days = Math.ceil(request.periodSec / 86_400);
    const query = new URLSearchParams({
      productId: String(request.productId),
      amount: request.amount.toString(),
      period: String(days),
      coverAsset: String(request.coverAsset),
      paymentAsset: String(request.coverAsset),
    });
    const path = `v2/quote?${query.toString()}`;
    const url = this.client.urlFor(path);
    this.errorBodies.delete(url);
    const result = await this.client.getJson(path, nexusQuoteResponseSchema);
    if (!result.ok) {
      const body = this.errorBodies.get(url);
      this.errorBodies.delete(url);
      const apiError = parseApiError(body);
      if (result.error.kind === "http" && apiError !== undefined && CAPACITY_ERROR.test(apiError)) {
        this.logger.info({ url, productId: request.productId, amount: request.amount.toString() }, "nexus quote: capacity short");
        return {
          ok: true,
          premiumInAsset: 0n,
          annualPriceBps: 0n,
          totalCoverAmountInAsset: 0n,
          poolAllocations: [],
          capacityShort: true,
          coverData: "0x",
        };
      }
      const detail = apiError !== undefined ? `${describeHttpError(result.error)}: ${apiError}` : describeHttpError(result.error);
      return { ok: false, error: detail, ...(result.error.status !== undefined ? { status: result.error.status } : {}) };
    }
    const q = result.data.quote;
    const poolAllocations = q.poolAllocationRequests
      .filter((a) => a.skip !== true)
      .map((a) => ({ poolId: a.poolId, coverAmountInAsset: a.coverAmountInAsset }));
    const allocated = poolAllocations.reduce((sum, a) => sum + a.coverAmountInAsset, 0n);
    const capacityShort = q.totalCoverAmountInAsset < request.amount || allocated < request.amount;
    return {
      ok: true,
      premiumInAsset: q.premiumInAsset,
      annualPriceBps: q.annualPrice,
      totalCoverAmountInAsset: q.totalCoverAmountInAsset,
      poolAllocations,
      capacityShort,
      coverData: capacityShort ? "0x" : encodeCoverData(poolAllocations),
      meta: result.meta,
    };
  }
}

function parseApiError(body: string | undefined): string | undefined {
  if (body === undefined || body === "") return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === "object" && parsed !== null && "error" in parsed) {
      const error = (parsed as { error: unknown }).error;
      if (typeof error === "string") return error;
    }
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return body.slice(0, 200);
}
