/**
 * What a risk data source returns for one protocol: the metrics the original design names,
 * each with where it came from and when. `undefined` value = not available (the scorer then
 * applies the original high-risk default and confidence drops).
 */
import type { ExploitReport, ProtocolMetrics, ProtocolRef } from "../domain/types";

/** One data source behind the keeper's risk assessment. */
export interface RiskDataSource {
  readonly name: string;
  /** Fetches the metrics of every protocol asked for. Never throws for a per-protocol failure:
   *  failures come back as missing values with an `error`. */
  fetchMetrics(protocols: readonly ProtocolRef[], now: number): Promise<ProtocolMetrics[]>;
}

/** A source that keeps the exploit reports of its latest fetch (DefiLlama hallmarks, hacks feed). */
export interface ExploitReportSource {
  /** Reports of one protocol from the latest `fetchMetrics`, oldest first. */
  exploitReports(protocolId: string): readonly ExploitReport[];
}

export function hasExploitReports(source: unknown): source is ExploitReportSource {
  return typeof source === "object" && source !== null && typeof (source as Partial<ExploitReportSource>).exploitReports === "function";
}
