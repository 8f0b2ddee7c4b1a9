/**
 * Metrics from JSON snapshots on disk (provenance "fixture"): the offline default, tests and
 * demos. A path is a directory of `*.json` files or one file; a file holds one snapshot, an array
 * of snapshots, or `{ "protocols": [...] }`. Files are re-read on every fetch, so a demo can
 * collapse a protocol's TVL by swapping its file.
 *
 * With `rebaseToNow` (default) the TVL history is shifted so its newest point sits at the `now` of
 * the first fetch that saw that content, so the 7/30-day changes of a static file stay meaningful
 * whatever the (chain) clock says. The shift is then kept for as long as the content is unchanged
 * and the newest value is carried forward daily up to `now` (a static snapshot means "nothing
 * changed since"), so an event in the file keeps its date across fetches — an incident detected
 * from it keeps one dedupe key. Exploit and deployment dates are absolute and never shifted.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { DAY_SECONDS, allMissing, firstIssue, knownAbsent, missing, sourced } from "./metrics";
import { recentHistory, tvlChange } from "./seriesMath";
import type { ProtocolMetrics, ProtocolRef, Provenance, Sourced, TvlPoint } from "../domain/types";
import type { RiskDataSource } from "./types";

export const FIXTURE_SOURCE = "fixture";

const unixSeconds = z.number().int().nonnegative();
const score = z.number().min(0).max(100);

export const fixtureExploitSchema = z
  .object({
    date: unixSeconds,
    name: z.string().optional(),
    amountUsd: z.number().nonnegative().optional(),
    technique: z.string().optional(),
    link: z.string().optional(),
  })
  .strict();

export const fixtureSnapshotSchema = z
  .object({
    protocol: z.string().min(1),
    /** True when the numbers are plausible rather than measured. */
    illustrative: z.boolean().optional(),
    note: z.string().optional(),
    tvlUsd: z.number().nonnegative().optional(),
    tvlHistory: z.array(z.object({ date: unixSeconds, tvlUsd: z.number().nonnegative() }).strict()).optional(),
    auditScore: score.optional(),
    deployedAt: unixSeconds.optional(),
    /** Present and empty = no known exploit. */
    exploits: z.array(fixtureExploitSchema).optional(),
    teamReputation: score.optional(),
    githubActivity: z.number().int().nonnegative().optional(),
    tokenPriceStability: z.number().min(0).max(1).optional(),
  })
  .strict();

export type FixtureSnapshot = z.infer<typeof fixtureSnapshotSchema>;

const fixtureFileSchema = z.union([
  z.object({ protocols: z.array(fixtureSnapshotSchema) }).strict(),
  z.array(fixtureSnapshotSchema),
  fixtureSnapshotSchema,
]);

export interface FixtureSourceConfig {
  /** Directory of `*.json` files, or one file. */
  readonly path: string;
  /** Shift TVL history so its newest point is at `now` (default true). */
  readonly rebaseToNow?: boolean;
  /** Days of history kept in `tvlHistory` (default 35). */
  readonly historyDays?: number;
  /** Tolerance of the 7/30-day lookups (default 2 days). */
  readonly maxGapSeconds?: number;
}

interface LoadedSnapshot {
  readonly snapshot: FixtureSnapshot;
  readonly file: string;
}

export interface FixtureLoad {
  readonly snapshots: ReadonlyMap<string, LoadedSnapshot>;
  /** File stem (e.g. "aave-v3") → why that file was rejected. */
  readonly fileErrors: ReadonlyMap<string, string>;
  /** Errors not attributable to one protocol (unreadable directory, a bad multi-protocol file). */
  readonly generalErrors: readonly string[];
}

export class FixtureSource implements RiskDataSource {
  readonly name = FIXTURE_SOURCE;
  private readonly rebase: boolean;
  private readonly historyDays: number;
  private readonly maxGapSeconds: number;
  /** History content → the shift chosen when it was first seen. */
  private readonly shifts = new Map<string, number>();

  constructor(private readonly config: FixtureSourceConfig) {
    this.rebase = config.rebaseToNow ?? true;
    this.historyDays = config.historyDays ?? 35;
    this.maxGapSeconds = config.maxGapSeconds ?? 2 * DAY_SECONDS;
  }

  async fetchMetrics(protocols: readonly ProtocolRef[], now: number): Promise<ProtocolMetrics[]> {
    const load = await this.load();
    return protocols.map((ref) => {
      const loaded = load.snapshots.get(ref.id);
      if (loaded !== undefined) return this.toMetrics(ref.id, loaded, now);
      const error =
        load.fileErrors.get(ref.id) ??
        (load.generalErrors.length > 0 ? load.generalErrors.join("; ") : `no fixture for ${ref.id} in ${this.config.path}`);
      return allMissing(ref.id, error);
    });
  }

  /** Reads and validates every snapshot under the configured path. Never throws. */
  async load(): Promise<FixtureLoad> {
    const snapshots = new Map<string, LoadedSnapshot>();
    const fileErrors = new Map<string, string>();
    const generalErrors: string[] = [];
    let files: string[];
    try {
      const stat = await fs.stat(this.config.path);
      files = stat.isDirectory()
        ? (await fs.readdir(this.config.path))
            .filter((f) => f.endsWith(".json"))
            .sort()
            .map((f) => path.join(this.config.path, f))
        : [this.config.path];
    } catch (err) {
      return { snapshots, fileErrors, generalErrors: [`cannot read fixtures at ${this.config.path}: ${(err as Error).message}`] };
    }
    for (const file of files) {
      const stem = path.basename(file, ".json");
      let json: unknown;
      try {
        json = JSON.parse(await fs.readFile(file, "utf8"));
      } catch (err) {
        fileErrors.set(stem, `${file}: ${(err as Error).message}`);
        continue;
      }
      const parsed = fixtureFileSchema.safeParse(json);
      if (!parsed.success) {
        const issue = firstIssue(detailedError(json) ?? parsed.error);
        const error = `${file}: schema error at ${issue.field}: ${issue.message}`;
        fileErrors.set(stem, error);
        if (Array.isArray(json) || (typeof json === "object" && json !== null && "protocols" in json)) generalErrors.push(error);
        continue;
      }
      const list = Array.isArray(parsed.data) ? parsed.data : "protocols" in parsed.data ? parsed.data.protocols : [parsed.data];
      for (const snapshot of list) snapshots.set(snapshot.protocol, { snapshot, file });
    }
    return { snapshots, fileErrors, generalErrors };
  }

  private toMetrics(protocol: string, loaded: LoadedSnapshot, now: number): ProtocolMetrics {
    const { snapshot, file } = loaded;
    const provenance = (field: string): Provenance => ({ source: FIXTURE_SOURCE, ref: `${file}#${field}`, fetchedAt: now });
    const pick = <T>(field: string, value: T | undefined): Sourced<T> =>
      value !== undefined ? sourced(value, provenance(field)) : missing(`${field} not in fixture ${file}`);

    const history = this.history(snapshot.tvlHistory ?? [], now);
    const latest = history[history.length - 1];
    const change = (days: number): Sourced<number> => {
      if (snapshot.tvlHistory === undefined) return missing(`tvlHistory not in fixture ${file}`);
      const computed = tvlChange(history, now, days, this.maxGapSeconds);
      return computed.ok ? sourced(computed.value, provenance("tvlHistory")) : missing(computed.reason, provenance("tvlHistory"));
    };

    let exploitCount: Sourced<number>;
    let lastExploitAt: Sourced<number>;
    if (snapshot.exploits === undefined) {
      exploitCount = missing(`exploits not in fixture ${file}`);
      lastExploitAt = missing(`exploits not in fixture ${file}`);
    } else {
      exploitCount = sourced(snapshot.exploits.length, provenance("exploits"));
      const last = Math.max(...snapshot.exploits.map((e) => e.date));
      lastExploitAt = snapshot.exploits.length > 0 ? sourced(last, provenance("exploits")) : knownAbsent(provenance("exploits"));
    }

    return {
      protocol,
      tvlUsd: snapshot.tvlUsd !== undefined ? pick("tvlUsd", snapshot.tvlUsd) : pick("tvlHistory", latest?.tvlUsd),
      tvlChange7d: change(7),
      tvlChange30d: change(30),
      tvlHistory:
        snapshot.tvlHistory !== undefined
          ? sourced(recentHistory(history, now, this.historyDays), provenance("tvlHistory"))
          : missing(`tvlHistory not in fixture ${file}`),
      auditScore: pick("auditScore", snapshot.auditScore),
      deployedAt: pick("deployedAt", snapshot.deployedAt),
      exploitCount,
      lastExploitAt,
      teamReputation: pick("teamReputation", snapshot.teamReputation),
      githubActivity: pick("githubActivity", snapshot.githubActivity),
      tokenPriceStability: pick("tokenPriceStability", snapshot.tokenPriceStability),
    };
  }

  private history(points: readonly TvlPoint[], now: number): TvlPoint[] {
    const sorted = [...points].sort((a, b) => a.date - b.date);
    const newest = sorted[sorted.length - 1];
    if (!this.rebase || newest === undefined) return sorted;
    const contentKey = JSON.stringify(sorted);
    let shift = this.shifts.get(contentKey);
    if (shift === undefined) {
      shift = now - newest.date;
      this.shifts.set(contentKey, shift);
    }
    const shifted = sorted.map((p) => ({ date: p.date + shift, tvlUsd: p.tvlUsd })).filter((p) => p.date <= now);
    const last = shifted[shifted.length - 1];
    if (last === undefined || last.date >= now) return shifted;
    // Carry the newest value forward: daily points over the history window, and one at `now`.
    const from = Math.max(last.date, now - this.historyDays * DAY_SECONDS);
    for (let t = from + DAY_SECONDS - ((from - last.date) % DAY_SECONDS); t < now; t += DAY_SECONDS) {
      shifted.push({ date: t, tvlUsd: last.tvlUsd });
    }
    shifted.push({ date: now, tvlUsd: last.tvlUsd });
    return shifted;
  }
}

/**
 * A union's error names no field; re-validate against the variant the JSON was meant to be,
 * so the error points at the failing field.
 */
function detailedError(json: unknown): z.ZodError | undefined {
  const schema = Array.isArray(json)
    ? z.array(fixtureSnapshotSchema)
    : typeof json === "object" && json !== null && "protocols" in json
      ? z.object({ protocols: z.array(fixtureSnapshotSchema) }).strict()
      : fixtureSnapshotSchema;
  const parsed = schema.safeParse(json);
  return parsed.success ? undefined : parsed.error;
}
