/**
 * PURE provider choice for one purchase/increase: the first preferred provider whose upstream
 * quote fits under the fund's premium and has capacity; else the next; else the fund's own pool
 * when the position allows it and the reserve ratio holds; else "unfundable" with every reason.
 */
import { requiredReserve } from "./money";

/** One provider's answer to "cover `amount` for `duration`" (asset units). */
export type ProviderQuote =
  | {
      readonly providerId: number;
      readonly status: "ok";
      /** What the provider charges upstream, asset units. */
      readonly upstreamPremium: bigint;
      /** Provider-specific `coverData` (hex), e.g. the Nexus pool allocations. */
      readonly coverData?: string;
    }
  | { readonly providerId: number; readonly status: "no-capacity"; readonly detail?: string }
  | { readonly providerId: number; readonly status: "error"; readonly detail: string };

/** The fund's self-insurance book of the asset (asset units). */
export interface SelfInsuranceState {
  readonly pool: bigint;
  readonly selfInsured: bigint;
  readonly reserveRatioBps: number;
}

export interface ProviderChoiceInput {
  /** Provider ids in order of preference (self-insurance, id 0, is never listed here). */
  readonly preferredProviders: readonly number[];
  readonly quotes: readonly ProviderQuote[];
  /** The fund's premium for the action (what it will charge and cap upstream spend at). */
  readonly fundPremium: bigint;
  /** Amount to cover, asset units. */
  readonly amount: bigint;
  readonly allowSelfInsure: boolean;
  readonly selfInsurance: SelfInsuranceState;
}

export interface RejectedProvider {
  readonly providerId: number;
  readonly reason: "no-quote" | "no-capacity" | "quote-error" | "upstream-above-fund-premium" | "reserve-ratio" | "not-allowed";
  readonly detail: string;
}

export type ProviderChoice =
  | {
      readonly kind: "provider";
      readonly providerId: number;
      readonly upstreamPremium: bigint;
      readonly coverData: string | undefined;
      /** Providers tried before this one and why they were passed over. */
      readonly rejected: readonly RejectedProvider[];
    }
  | { readonly kind: "self-insure"; readonly providerId: 0; readonly rejected: readonly RejectedProvider[] }
  | { readonly kind: "unfundable"; readonly rejected: readonly RejectedProvider[]; readonly reasons: readonly string[] };

/**
 * Self-insurance reserve check, conservative: pool ≥ reserveRatio × (selfInsured + amount),
 * rounded up like the fund. The fund also counts the incoming premium in the pool, so a pass
 * here always passes on-chain.
 */
export function reserveAllows(state: SelfInsuranceState, amount: bigint): boolean {
  return state.pool >= requiredReserve(state.selfInsured + amount, state.reserveRatioBps);
}

export function chooseProvider(input: ProviderChoiceInput): ProviderChoice {
  const rejected: RejectedProvider[] = [];
  for (const providerId of input.preferredProviders) {
    if (providerId === 0) continue;
    const quote = input.quotes.find((q) => q.providerId === providerId);
    if (quote === undefined) {
      rejected.push({ providerId, reason: "no-quote", detail: "no quote was obtained" });
      continue;
    }
    if (quote.status === "no-capacity") {
      rejected.push({ providerId, reason: "no-capacity", detail: quote.detail ?? "capacity short" });
      continue;
    }
    if (quote.status === "error") {
      rejected.push({ providerId, reason: "quote-error", detail: quote.detail });
      continue;
    }
    if (quote.upstreamPremium > input.fundPremium) {
      rejected.push({
        providerId,
        reason: "upstream-above-fund-premium",
        detail: `upstream ${quote.upstreamPremium} > fund premium ${input.fundPremium}`,
      });
      continue;
    }
    return { kind: "provider", providerId, upstreamPremium: quote.upstreamPremium, coverData: quote.coverData, rejected };
  }

  if (!input.allowSelfInsure) {
    rejected.push({ providerId: 0, reason: "not-allowed", detail: "self-insurance not allowed for this position" });
  } else if (!reserveAllows(input.selfInsurance, input.amount)) {
    const required = requiredReserve(input.selfInsurance.selfInsured + input.amount, input.selfInsurance.reserveRatioBps);
    rejected.push({
      providerId: 0,
      reason: "reserve-ratio",
      detail: `pool ${input.selfInsurance.pool} < required ${required}`,
    });
  } else {
    return { kind: "self-insure", providerId: 0, rejected };
  }
  return { kind: "unfundable", rejected, reasons: rejected.map((r) => `provider ${r.providerId}: ${r.reason} (${r.detail})`) };
}
