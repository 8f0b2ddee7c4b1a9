/**
 * Upstream quotes per provider id, as `ProviderQuote`s for the pure provider choice:
 * - Nexus (the adapter's provider id): the cover-router quote API (`NexusQuoteClient`), when a
 *   quote URL is configured; otherwise the provider answers "error: no quote source";
 * - "on-chain quote" providers (the local mock provider): their `markets(protocol, asset)`
 *   capacity and `quote(amount, period)` views.
 * Never throws: every failure becomes an `error` quote, and the choice moves to the next provider.
 */
import { Contract, type Provider } from "ethers";
import type { StablecoinInsuranceFund } from "../../../typechain-types/contracts/StablecoinInsuranceFund";
import type { KeeperConfig } from "../config";
import type { ProviderQuote } from "../policy/providerChoice";
import { NexusQuoteClient } from "../sources/nexusQuoteClient";
import type { Logger } from "../lib/logger";

export interface QuoteRequest {
  readonly providerId: number;
  readonly protocolId: string;
  /** Fund protocol key. */
  readonly protocol: string;
  readonly asset: string;
  readonly assetSymbol?: string;
  /** Asset units. */
  readonly amount: bigint;
  readonly periodSec: number;
  /**
   * A renewal of an upstream cover: Nexus prices it as an EDIT of the chain (`coverEditId` = the
   * adapter's `editedCoverIdOf(providerCoverId)`) over the edited cover's real period `newEnd − now`,
   * and charges the premium net of the refund of the replaced cover.
   */
  readonly renewal?: { readonly providerCoverId: bigint; readonly newEnd: number; readonly now: number };
}

export interface ProviderQuoter {
  quote(request: QuoteRequest): Promise<ProviderQuote>;
  /** HTTP requests made to quote APIs (metrics, bench). */
  readonly httpRequests: number;
}

const NEXUS_ADAPTER_ABI = ["function editedCoverIdOf(uint256 providerCoverId) view returns (uint256)"];

const ON_CHAIN_QUOTE_ABI = [
  "function quote(uint256 amount, uint256 period) view returns (uint256)",
  "function markets(address protocol, address asset) view returns (bool isSupported, uint248 capacity)",
];

export interface QuoterDeps {
  readonly fund: StablecoinInsuranceFund;
  readonly provider: Provider;
  readonly logger: Logger;
  readonly fetch?: typeof fetch;
}

export class ConfiguredQuoter implements ProviderQuoter {
  private readonly nexusClient: NexusQuoteClient | undefined;
  private readonly adapters = new Map<number, Promise<string>>();

  constructor(
    private readonly config: Pick<KeeperConfig, "providers">,
    private readonly deps: QuoterDeps,
  ) {
    const nexus = config.providers.nexus;
    this.nexusClient =
      nexus?.quoteBaseUrl !== undefined
        ? new NexusQuoteClient(
            { ...nexus.http, baseUrl: nexus.quoteBaseUrl },
            { logger: deps.logger, ...(deps.fetch !== undefined ? { fetch: deps.fetch } : {}) },
          )
        : undefined;
  }

  get httpRequests(): number {
    return this.nexusClient?.requestCount ?? 0;
  }

  async quote(request: QuoteRequest): Promise<ProviderQuote> {
    const { providerId } = request;
    try {
      const nexus = this.config.providers.nexus;
      if (nexus !== undefined && nexus.providerId === providerId) return await this.nexusQuote(request);
      if (this.config.providers.onChainQuote.includes(providerId)) return await this.onChainQuote(request);
      return { providerId, status: "error", detail: `no quote source configured for provider ${providerId}` };
    } catch (err) {
      return { providerId, status: "error", detail: err instanceof Error ? err.message : String(err) };
    }
  }

  private async nexusQuote(request: QuoteRequest): Promise<ProviderQuote> {
    const nexus = this.config.providers.nexus;
    const { providerId } = request;
    if (nexus === undefined || this.nexusClient === undefined) {
      return { providerId, status: "error", detail: "providers.nexus.quoteBaseUrl is not configured" };
    }
    const productId = nexus.productIds[request.protocolId];
    if (productId === undefined) return { providerId, status: "error", detail: `no Nexus product id for ${request.protocolId}` };
    const coverAsset =
      nexus.coverAssets[request.asset] ??
      nexus.coverAssets[request.asset.toLowerCase()] ??
      (request.assetSymbol !== undefined ? nexus.coverAssets[request.assetSymbol] : undefined);
    if (coverAsset === undefined) {
      return { providerId, status: "error", detail: `asset ${request.assetSymbol ?? request.asset} is not a Nexus cover asset` };
    }
    let periodSec = request.periodSec;
    let coverEditId = 0n;
    if (request.renewal !== undefined) {
      periodSec = request.renewal.newEnd - request.renewal.now;
      if (periodSec <= 0) return { providerId, status: "error", detail: `renewal ends at ${request.renewal.newEnd}, not after now ${request.renewal.now}` };
      const adapter = new Contract(await this.adapterOf(providerId), NEXUS_ADAPTER_ABI, this.deps.provider);
      coverEditId = (await adapter.getFunction("editedCoverIdOf").staticCall(request.renewal.providerCoverId)) as bigint;
    }
    const result = await this.nexusClient.quote({ productId, amount: request.amount, periodSec, coverAsset, coverEditId });
    if (!result.ok) return { providerId, status: "error", detail: `nexus quote (${result.kind}): ${result.error}` };
    if (result.capacityShort) {
      return { providerId, status: "no-capacity", detail: `nexus covers ${result.totalCoverAmountInAsset} of ${request.amount}` };
    }
    // What Cover charges: for an edit, the new premium net of the replaced cover's refund.
    return { providerId, status: "ok", upstreamPremium: result.premiumDueInAsset, coverData: result.coverData };
  }

  private async onChainQuote(request: QuoteRequest): Promise<ProviderQuote> {
    const { providerId } = request;
    const adapter = await this.adapterOf(providerId);
    const contract = new Contract(adapter, ON_CHAIN_QUOTE_ABI, this.deps.provider);
    const [market, premium] = await Promise.all([
      contract.getFunction("markets").staticCall(request.protocol, request.asset) as Promise<[boolean, bigint]>,
      contract.getFunction("quote").staticCall(request.amount, request.periodSec) as Promise<bigint>,
    ]);
    const [supported, capacity] = market;
    if (!supported) return { providerId, status: "error", detail: `provider ${providerId} does not cover ${request.protocolId} in this asset` };
    if (capacity < request.amount) return { providerId, status: "no-capacity", detail: `capacity ${capacity} < ${request.amount}` };
    return { providerId, status: "ok", upstreamPremium: premium, coverData: "0x" };
  }

  private adapterOf(providerId: number): Promise<string> {
    let cached = this.adapters.get(providerId);
    if (cached === undefined) {
      cached = this.deps.fund.providerAdapter(providerId).then(([adapter]) => adapter);
      cached.catch(() => this.adapters.delete(providerId));
      this.adapters.set(providerId, cached);
    }
    return cached;
  }
}
