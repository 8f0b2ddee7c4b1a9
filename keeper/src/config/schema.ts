/**
 * The keeper's config file schema (zod). Every field error carries the fix in its message, so a
 * start-up failure reads `config.protocols[2].address: not an address — use a 0x-prefixed 20-byte
 * hex address`. Shapes of the `sources.*` blocks follow the source constructors in
 * keeper/src/sources.
 */
import { getAddress } from "ethers";
import { z } from "zod";
import { DEFILLAMA_DEFAULT_URLS } from "../sources/defiLlamaSource";
import { operatorMetricsSchema } from "../sources/configSource";

const HEX_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** A 20-byte address, normalised to its checksummed form. */
export const addressSchema = z
  .string({ required_error: "missing — use a 0x-prefixed 20-byte hex address" })
  .regex(HEX_ADDRESS, "not an address — use a 0x-prefixed 20-byte hex address")
  .superRefine((value, ctx) => {
    if (!HEX_ADDRESS.test(value)) return;
    try {
      getAddress(value);
    } catch {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: "bad EIP-55 checksum — copy the address exactly or write it all in lower case",
      });
    }
  })
  .transform((value) => getAddress(value));

export const privateKeySchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "not a private key — use a 0x-prefixed 32-byte hex key");

const urlSchema = z.string().url("not a URL — use an absolute http(s):// URL");
const nonNegativeInt = (what: string) =>
  z.number({ invalid_type_error: `must be a number (${what})` }).int(`must be an integer (${what})`).nonnegative(`must be >= 0 (${what})`);
const positiveInt = (what: string) =>
  z.number({ invalid_type_error: `must be a number (${what})` }).int(`must be an integer (${what})`).positive(`must be > 0 (${what})`);

export const protocolSchema = z
  .object({
    /** Operator's key, e.g. "aave-v3" (also the fixture file stem). */
    id: z.string().min(1, "empty — give the protocol a short key such as \"aave-v3\""),
    /** Display name; also matched against the hacks feed. */
    name: z.string().min(1, "empty — give the protocol's display name"),
    /** Protocol key in the fund. */
    address: addressSchema,
    defiLlamaSlug: z.string().min(1).optional(),
    defiLlamaId: z.string().regex(/^\d+$/, "not a DefiLlama id — use the numeric id as a string, e.g. \"1599\"").optional(),
    mainContract: addressSchema.optional(),
    stablecoin: z.string().min(1).optional(),
  })
  .strict();

const httpSchema = z
  .object({
    timeoutMs: positiveInt("milliseconds").optional(),
    maxAttempts: positiveInt("attempts").optional(),
    baseDelayMs: nonNegativeInt("milliseconds").optional(),
    maxDelayMs: nonNegativeInt("milliseconds").optional(),
    maxRetryAfterMs: nonNegativeInt("milliseconds").optional(),
    headers: z.record(z.string()).optional(),
  })
  .strict();

export const defiLlamaSchema = z
  .object({
    apiBaseUrl: urlSchema.default(DEFILLAMA_DEFAULT_URLS.apiBaseUrl),
    stablecoinsBaseUrl: urlSchema.default(DEFILLAMA_DEFAULT_URLS.stablecoinsBaseUrl),
    http: httpSchema.optional(),
    fetchHistory: z.boolean().optional(),
    listTtlSeconds: nonNegativeInt("seconds").optional(),
    detailTtlSeconds: nonNegativeInt("seconds").optional(),
    concurrency: positiveInt("parallel requests").optional(),
    historyDays: positiveInt("days").optional(),
    stabilityDays: positiveInt("days").optional(),
    maxGapSeconds: nonNegativeInt("seconds").optional(),
    auditScoreByCount: z
      .object({
        none: z.number().min(0).max(100).optional(),
        one: z.number().min(0).max(100).optional(),
        two: z.number().min(0).max(100).optional(),
        threeOrMore: z.number().min(0).max(100).optional(),
      })
      .strict()
      .optional(),
    stablecoinPriceIds: z.record(z.string()).optional(),
  })
  .strict();

export const hacksSchema = z
  .object({
    /** e.g. https://api.llama.fi/hacks; omit to count operator-curated incidents only. */
    feedUrl: urlSchema.optional(),
    http: httpSchema.optional(),
    ttlSeconds: nonNegativeInt("seconds").optional(),
    nameAliases: z.record(z.array(z.string())).optional(),
    dedupeWindowSeconds: nonNegativeInt("seconds").optional(),
  })
  .strict();

export const fixtureSchema = z
  .object({
    /** Directory of *.json snapshots or one file; relative to the config file. */
    path: z.string().min(1, "empty — give a directory of fixture snapshots"),
    rebaseToNow: z.boolean().optional(),
    historyDays: positiveInt("days").optional(),
    maxGapSeconds: nonNegativeInt("seconds").optional(),
  })
  .strict();

export const chainDeploymentSchema = z
  .object({
    enabled: z.boolean().default(true),
    chainLabel: z.string().optional(),
    cacheNamespace: z.string().optional(),
  })
  .strict();

const METRIC_FIELD_NAMES = [
  "tvlUsd",
  "tvlChange7d",
  "tvlChange30d",
  "tvlHistory",
  "auditScore",
  "deployedAt",
  "exploitCount",
  "lastExploitAt",
  "teamReputation",
  "githubActivity",
  "tokenPriceStability",
] as const;

export const SOURCE_NAMES = ["config", "defillama", "defillama-hacks", "chain", "fixture"] as const;
const sourceName = z.enum(SOURCE_NAMES, {
  errorMap: () => ({ message: `unknown source — use one of ${SOURCE_NAMES.join(", ")}` }),
});

export const sourcesSchema = z
  .object({
    /** Highest precedence first; default: config, defillama, defillama-hacks, chain, fixture (those configured). */
    precedence: z.array(sourceName).min(1).optional(),
    fieldPrecedence: z.record(z.enum(METRIC_FIELD_NAMES), z.array(sourceName).min(1)).optional(),
    defiLlama: defiLlamaSchema.optional(),
    hacks: hacksSchema.optional(),
    fixture: fixtureSchema.optional(),
    chainDeployment: chainDeploymentSchema.optional(),
    /** Operator-curated metrics (audit quality, team, GitHub activity, incidents) keyed by protocol id. */
    operator: operatorMetricsSchema.optional(),
  })
  .strict();

export const riskPushSchema = z
  .object({
    minPushIntervalSec: nonNegativeInt("seconds").default(6 * 3600),
    staleLeadSec: nonNegativeInt("seconds").default(86_400),
    maxGasPerTx: positiveInt("gas").default(3_000_000),
    gasPerNewItem: positiveInt("gas").default(26_000),
    // measured ~8.9k per repeat item on the fund (bench:keeper); 10k keeps chunks under maxGasPerTx
    gasPerRepeatItem: positiveInt("gas").default(10_000),
    baseGasPerTx: positiveInt("gas").default(25_000),
    maxAssessmentAgeSec: nonNegativeInt("seconds").optional(),
    /** Blocks to wait for after each push transaction. */
    confirmations: positiveInt("blocks").default(1),
  })
  .strict();

export const alertsSchema = z
  .object({
    /** Alert when a composite moves by MORE than this many points (original rule: 10). */
    thresholdPoints: nonNegativeInt("points").default(10),
    /** Slack-compatible incoming webhook (secret; prefer env ALERT_WEBHOOK_URL). */
    webhookUrl: urlSchema.optional(),
    webhookTimeoutMs: positiveInt("milliseconds").optional(),
  })
  .strict();

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

export const chainSchema = z
  .object({
    /** Single-URL shortcut; `rpcUrls` wins when both are given. */
    rpcUrl: urlSchema.default("http://127.0.0.1:8545"),
    /** Failover order: the first URL is preferred, the next takes over within seconds. */
    rpcUrls: z.array(urlSchema).min(1, "empty — list at least one RPC URL").optional(),
    /** Per-request timeout before failing over. */
    rpcTimeoutMs: positiveInt("milliseconds").default(5000),
    /** Passes over every URL (with backoff between them) before a request fails. */
    rpcMaxRounds: positiveInt("passes").default(3),
    chainId: positiveInt("chain id").optional(),
    fundAddress: addressSchema.optional(),
    lensAddress: addressSchema.optional(),
  })
  .strict();

const positiveNumber = (what: string) =>
  z.number({ invalid_type_error: `must be a number (${what})` }).positive(`must be > 0 (${what})`);

export const txSchema = z
  .object({
    /** Never sign with a maxFeePerGas above this. */
    maxFeePerGasCeilingGwei: positiveNumber("gwei").default(300),
    /** Tip offered on a first send. */
    maxPriorityFeeGwei: positiveNumber("gwei").default(1.5),
    /** Replace a transaction (same nonce, +12.5% fees) not mined within this many blocks. */
    replaceAfterBlocks: positiveInt("blocks").default(3),
    /** Stop waiting for a receipt after this long (the journal keeps the action; reconcile settles it). */
    receiptTimeoutMs: positiveInt("milliseconds").default(180_000),
    /** Receipt polling period. */
    pollIntervalMs: positiveInt("milliseconds").default(2000),
  })
  .strict()
  .superRefine((tx, ctx) => {
    if (tx.maxPriorityFeeGwei > tx.maxFeePerGasCeilingGwei) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["maxPriorityFeeGwei"], message: "above maxFeePerGasCeilingGwei — lower the tip or raise the ceiling" });
    }
  });

export const stateSchema = z
  .object({
    /** SQLite file (relative to the config file), or ":memory:" (nothing survives a restart). */
    dbPath: z.string().min(1, "empty — give a file path such as \"keeper-state.sqlite\"").default(":memory:"),
    /** A daemon lock whose heartbeat is older than this may be taken over. */
    lockStaleAfterSec: positiveInt("seconds").default(120),
  })
  .strict();

export const configFileSchema = z
  .object({
    chain: chainSchema.default({}),
    protocols: z.array(protocolSchema).min(1, "empty — list at least one protocol"),
    sources: sourcesSchema,
    riskPush: riskPushSchema.default({}),
    alerts: alertsSchema.default({}),
    tx: txSchema.default({}),
    state: stateSchema.default({}),
    log: z.object({ level: z.enum(LOG_LEVELS).default("info") }).strict().default({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    const ids = new Map<string, number>();
    const addresses = new Map<string, number>();
    config.protocols.forEach((protocol, index) => {
      const seenId = ids.get(protocol.id);
      if (seenId !== undefined) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ["protocols", index, "id"],
          message: `duplicate of protocols[${seenId}].id — give every protocol its own id`,
        });
      }
      ids.set(protocol.id, index);
      const key = protocol.address.toLowerCase();
      const seenAddress = addresses.get(key);
      if (seenAddress !== undefined) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ["protocols", index, "address"],
          message: `duplicate of protocols[${seenAddress}].address — each protocol needs its own key in the fund`,
        });
      }
      addresses.set(key, index);
    });
    const s = config.sources;
    if (s.defiLlama === undefined && s.hacks === undefined && s.fixture === undefined && s.chainDeployment === undefined && s.operator === undefined) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["sources"],
        message: "no data source configured — add sources.defiLlama, sources.fixture, sources.operator, ...",
      });
    }
  });

export type ConfigFile = z.input<typeof configFileSchema>;
export type ParsedConfigFile = z.output<typeof configFileSchema>;
export type ProtocolConfig = z.output<typeof protocolSchema>;
