/**
 * Small helpers shared by every source: building `Sourced` values, empty metric records and
 * readable zod field paths. Pure; no I/O.
 */
import type { ZodError, ZodIssue } from "zod";
import type { ProtocolMetrics, Provenance, Sourced } from "../domain/types";


/** Seconds in one day. */
export const DAY_SECONDS = 86_400;

export function sourced<T>(value: T, provenance: Provenance): Sourced<T> {
  return { value, provenance };
}

export function missing<T>(error: string, provenance?: Provenance): Sourced<T> {
  return { value: undefined, provenance, error };
}

/**
 * A known absence: the source looked and there is nothing (e.g. no exploit ever, so no last
 * exploit date). Distinct from `missing`: it carries provenance and no error.
 */
export function knownAbsent<T>(provenance: Provenance): Sourced<T> {
  return { value: undefined, provenance };
}

/** Whether a source actually answered for this field (a value, or a known absence). */
export function isSupplied(metric: Sourced<unknown>): boolean {
  return metric.value !== undefined || (metric.provenance !== undefined && metric.error === undefined);
}

/** A metrics record with every field missing for the same reason. */
export function allMissing(protocol: string, error: string): ProtocolMetrics {
  return {
    protocol,
    tvlUsd: missing(error),
    tvlChange7d: missing(error),
    tvlChange30d: missing(error),
    tvlHistory: missing(error),
    auditScore: missing(error),
    deployedAt: missing(error),
    exploitCount: missing(error),
    lastExploitAt: missing(error),
    teamReputation: missing(error),
    githubActivity: missing(error),
    tokenPriceStability: missing(error),
  };
}

/** `["tvl", 3, "date"]` → `tvl[3].date`; an empty path → `(root)`. */
export function formatFieldPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return "(root)";
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? part : `.${part}`;
  }
  return out;
}

/** Joins a prefix path and a zod issue path, e.g. prefix `tvl` + `[3].date`. */
export function joinFieldPath(prefix: string, path: readonly (string | number)[]): string {
  if (path.length === 0) return prefix;
  const rest = formatFieldPath(path);
  if (prefix === "") return rest;
  return rest.startsWith("[") ? `${prefix}${rest}` : `${prefix}.${rest}`;
}

/** The first issue of a zod error, as `{ field, message }`. */
export function firstIssue(error: ZodError, prefix = ""): { field: string; message: string } {
  const issue: ZodIssue | undefined = error.issues[0];
  if (issue === undefined) return { field: prefix === "" ? "(root)" : prefix, message: "invalid" };
  return { field: prefix === "" ? formatFieldPath(issue.path) : joinFieldPath(prefix, issue.path), message: issue.message };
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
