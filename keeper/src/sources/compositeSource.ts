/**
 * Merges several sources field by field in a configured precedence, keeping each field's
 * provenance. A field takes the first source (in precedence order) that supplied it — a value,
 * or a known absence such as "no exploit ever"; when none did, it is missing with every source's
 * reason. All sources run in parallel; one that throws or rejects only loses its own fields.
 */
import type { Logger } from "./http";
import { METRIC_FIELDS, type MetricField } from "../domain/types";
import { allMissing, errorMessage, isSupplied } from "./metrics";
import { type ExploitReport, type ProtocolMetrics, type ProtocolRef, type Sourced } from "../domain/types";
import { hasExploitReports, type ExploitReportSource, type RiskDataSource } from "./types";

export interface CompositeSourceConfig {
  /** Source names, highest precedence first, e.g. ["config", "defillama", "chain", "fixture"]. */
  readonly precedence: readonly string[];
  /** Per-field orders overriding `precedence`, e.g. `{ deployedAt: ["config", "chain", "defillama"] }`. */
  readonly fieldPrecedence?: Partial<Readonly<Record<MetricField, readonly string[]>>>;
}

export const COMPOSITE_SOURCE = "composite";

export class CompositeSource implements RiskDataSource, ExploitReportSource {
  readonly name = COMPOSITE_SOURCE;
  private readonly byName: ReadonlyMap<string, RiskDataSource>;
  /** Sources named in some precedence list (the others are never asked). */
  private readonly used: readonly RiskDataSource[];

  constructor(
    sources: readonly RiskDataSource[],
    private readonly config: CompositeSourceConfig,
    private readonly logger: Logger,
  ) {
    const byName = new Map<string, RiskDataSource>();
    for (const source of sources) {
      if (byName.has(source.name)) throw new Error(`two sources are named "${source.name}"`);
      byName.set(source.name, source);
    }
    const orders = [config.precedence, ...Object.values(config.fieldPrecedence ?? {})];
    for (const order of orders) {
      for (const name of order ?? []) {
        if (!byName.has(name)) throw new Error(`precedence names unknown source "${name}" (have: ${[...byName.keys()].join(", ")})`);
      }
    }
    this.byName = byName;
    const usedNames = new Set(orders.flatMap((order) => [...(order ?? [])]));
    this.used = sources.filter((s) => usedNames.has(s.name));
  }

  async fetchMetrics(protocols: readonly ProtocolRef[], now: number): Promise<ProtocolMetrics[]> {
    const names = this.used.map((s) => s.name);
    // Promise.resolve().then: a source that throws synchronously is contained like a rejection.
    const settled = await Promise.allSettled(
      this.used.map((source) => Promise.resolve().then(() => source.fetchMetrics(protocols, now))),
    );
    const perSource = new Map<string, ReadonlyMap<string, ProtocolMetrics>>();
    const failures = new Map<string, string>();
    settled.forEach((outcome, i) => {
      const name = names[i] as string;
      if (outcome.status === "fulfilled") {
        perSource.set(name, new Map(outcome.value.map((m) => [m.protocol, m])));
      } else {
        const reason = errorMessage(outcome.reason);
        failures.set(name, reason);
        this.logger.error({ source: name, err: reason }, "risk data source failed");
      }
    });

    return protocols.map((ref) => {
      const candidates = new Map<string, ProtocolMetrics>();
      for (const name of names) {
        const failure = failures.get(name);
        const metrics = perSource.get(name)?.get(ref.id);
        candidates.set(name, metrics ?? allMissing(ref.id, failure !== undefined ? `source failed: ${failure}` : "no entry returned"));
      }
      return this.merge(ref.id, candidates);
    });
  }

  /**
   * Exploit reports (DefiLlama hallmarks, hacks-feed rows) of one protocol from every member
   * source's latest fetch, oldest first; shaped for `IncidentSignal` (`{ ...r, observedAt }`).
   */
  exploitReports(protocolId: string): readonly ExploitReport[] {
    return this.used
      .flatMap((source) => (hasExploitReports(source) ? source.exploitReports(protocolId) : []))
      .sort((a, b) => a.occurredAt - b.occurredAt);
  }

  private merge(protocol: string, candidates: ReadonlyMap<string, ProtocolMetrics>): ProtocolMetrics {
    const merged: Record<string, Sourced<unknown>> = {};
    for (const field of METRIC_FIELDS) {
      const order = this.config.fieldPrecedence?.[field] ?? this.config.precedence;
      const reasons: string[] = [];
      let chosen: Sourced<unknown> | undefined;
      for (const name of order) {
        const metric = candidates.get(name)?.[field] as Sourced<unknown> | undefined;
        if (metric === undefined) continue;
        if (isSupplied(metric)) {
          chosen = metric;
          break;
        }
        reasons.push(`${name}: ${metric.error ?? "missing"}`);
      }
      merged[field] = chosen ?? { value: undefined, provenance: undefined, error: reasons.join("; ") || "no source ranked for this field" };
    }
    return { protocol, ...(merged as Omit<ProtocolMetrics, "protocol">) };
  }
}
