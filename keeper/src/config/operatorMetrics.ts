/** The metrics and incidents an operator records by hand in the config file (schema and types). */
import { z } from "zod";

/** An incident the operator records by hand (e.g. from a post-mortem), keyed by protocol id. */
export interface CuratedIncident {
  /** `ProtocolRef.id`. */
  readonly protocol: string;
  /** Unix seconds. */
  readonly date: number;
  readonly name?: string;
  readonly amountUsd?: number;
  readonly classification?: string;
  readonly technique?: string;
  /** Link to a post-mortem or report. */
  readonly link?: string;
  /** Exploit transaction hash, when known (claims evidence). */
  readonly txHash?: string;
}

export const curatedIncidentSchema = z.object({
  protocol: z.string().min(1),
  date: z.number().int().nonnegative(),
  name: z.string().optional(),
  amountUsd: z.number().nonnegative().optional(),
  classification: z.string().optional(),
  technique: z.string().optional(),
  link: z.string().optional(),
  txHash: z.string().regex(/^0x[0-9a-fA-F]{64}$/).optional(),
});

const score = z.number().min(0).max(100);
const unixSeconds = z.number().int().nonnegative();

/** What the operator may set for one protocol (all optional). */
export const operatorProtocolMetricsSchema = z
  .object({
    auditScore: score.optional(),
    teamReputation: score.optional(),
    /** Commits over the last 30 days. */
    githubActivity: z.number().int().nonnegative().optional(),
    deployedAt: unixSeconds.optional(),
    exploitCount: z.number().int().nonnegative().optional(),
    /** `null` = "there was none" (known absence). */
    lastExploitAt: unixSeconds.nullable().optional(),
    tokenPriceStability: z.number().min(0).max(1).optional(),
    incidents: z.array(curatedIncidentSchema.omit({ protocol: true })).optional(),
  })
  .strict();

/** Protocol id → operator metrics. */
export const operatorMetricsSchema = z.record(operatorProtocolMetricsSchema);

export type OperatorProtocolMetrics = z.infer<typeof operatorProtocolMetricsSchema>;
export type OperatorMetrics = Readonly<Record<string, OperatorProtocolMetrics>>;
