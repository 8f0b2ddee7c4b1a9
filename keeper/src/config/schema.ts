/**
 * The keeper's config file schema (zod). Every field error carries the fix in its message, so a
 * start-up failure reads `config.protocols[2].address: not an address — use a 0x-prefixed 20-byte
 * hex address`. Shapes of the `sources.*` blocks follow the source constructors in
 * keeper/src/sources.
 */
import { getAddress } from "ethers";
import { z } from "zod";
import { DEFAULT_AUDIT_SCORE_BY_CATEGORY, validateAuditScoreByCategory } from "../scoring/auditTable";
import { DEFILLAMA_DEFAULT_URLS, DEFILLAMA_PRO_API_BASE_URL } from "./defaults";
import { operatorMetricsSchema } from "./operatorMetrics";
import { METRIC_FIELDS } from "../domain/types";
import { DEFAULT_MIN_CONFIDENCE_FOR_RISE } from "../policy/riskPush";
import { NEXUS_PROTOCOL_COVER_WORDING } from "../policy/coverWording";

/** A config key that no longer exists: accepted by the parser only to fail with `message` (what to use instead). */
function removedField(message: string) {
  return z
    .unknown()
    .optional()
    .superRefine((value, ctx) => {
      if (value !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, message });
    });
}

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

/** Whole-token decimal string ("250000", "1000.5"); scaled by the asset's decimals at run time. */
const tokenAmountSchema = z
  .string({ invalid_type_error: "must be a string of whole tokens, e.g. \"250000\"" })
  .regex(/^\d+(\.\d+)?$/, "not a token amount — use a decimal string of whole tokens, e.g. \"250000\"");

/** A fraction of a balance in percent (0 < p <= 100). */
const percentSchema = (what: string) =>
  z.number({ invalid_type_error: `must be a number (${what})` }).positive(`must be > 0 (${what})`).max(100, `must be <= 100 (${what})`);

/** An ERC-20 balance the exploit watch reads every incident-watch tick. */
export const watchedBalanceSchema = z
  .object({
    /** The token (e.g. USDC). */
    token: addressSchema,
    /** Who holds it (e.g. the aToken, the Comet market, the vault, the Curve pool). */
    holder: addressSchema,
    /** Shown in alerts, e.g. "USDC held by aEthUSDC". */
    label: z.string().min(1).optional(),
    /** Ignore falls smaller than this many whole tokens (dust). */
    minDrop: tokenAmountSchema.optional(),
    /** The token's decimals; required with `minDrop`. */
    decimals: z.number().int().min(0).max(36).optional(),
    /**
     * Pooled lending: the token whose total supply is what depositors are owed (the aToken, the
     * Comet market). The watch then counts only cash that left while the supply stayed: a solvent
     * withdrawal burns supply with the cash and is no drain.
     */
    owedBy: addressSchema.optional(),
    /** The chain the balance lives on, when not the fund's (needs `chains.<id>`): e.g. 42161 for Arbitrum One. */
    chainId: z.number().int("must be an integer (chain id)").positive("must be > 0 (chain id)").optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.minDrop !== undefined && b.decimals === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["decimals"], message: "missing — give the token's decimals with minDrop (6 for USDC/USDT, 18 for DAI)" });
    }
  });

/** Admin events the watch reads (one eth_getLogs per tick over every configured contract). */
export const ADMIN_EVENT_NAMES = ["Upgraded", "AdminChanged", "BeaconUpgraded", "OwnershipTransferred", "RoleGranted", "Paused"] as const;

const bytes32Schema = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "not a bytes32 role id — use 0x followed by 64 hex digits, e.g. keccak256(\"UPGRADER_ROLE\")");

/** A contract of the protocol whose admin events are leading signals (a proxy, its ProxyAdmin, a beacon, an Ownable/AccessControl/Pausable contract). */
export const adminContractSchema = z
  .object({
    address: addressSchema,
    /** Shown in alerts, e.g. "Pool proxy". */
    label: z.string().min(1).optional(),
    /** AccessControl roles whose `RoleGranted` is an admin change, besides DEFAULT_ADMIN_ROLE (0x00…00). */
    adminRoles: z.array(bytes32Schema).default([]),
    /** The chain the contract lives on, when not the fund's (needs `chains.<id>`): its logs are scanned there. */
    chainId: z.number().int("must be an integer (chain id)").positive("must be > 0 (chain id)").optional(),
  })
  .strict();

/** An announced change: an admin event naming this address (new implementation, beacon, admin, owner, grantee, pauser) is expected, not a signal. */
export const announcedChangeSchema = z
  .object({
    /** The address the event names (e.g. the new implementation of an announced upgrade). */
    account: addressSchema,
    /** Only on this contract (default: any configured admin contract of the protocol). */
    contract: addressSchema.optional(),
    /** Only this event (default: any). */
    event: z.enum(ADMIN_EVENT_NAMES).optional(),
    /** The announcement expires: after this time (ISO 8601, e.g. "2027-04-01T00:00:00Z") the event is a signal again. */
    until: z
      .string()
      .refine((v) => Number.isFinite(Date.parse(v)), "not a date — use ISO 8601, e.g. \"2027-04-01T00:00:00Z\"")
      .optional(),
  })
  .strict();

/** A Chainlink-style aggregator (AggregatorV3Interface) pricing the covered stablecoin in USD. */
export const pegOracleSchema = z
  .object({
    aggregator: addressSchema,
    label: z.string().min(1).optional(),
    /** The peg, in USD (1 for a USD stablecoin). */
    peg: z.number().positive("must be > 0 (USD)").default(1),
    /** Override of `watch.oracleDeviationPercent`. */
    deviationPercent: percentSchema("percent off the peg").optional(),
    /** The feed's heartbeat (USDC/USD and USDT/USD on mainnet: 86400 s); an answer older than heartbeat + `watch.oracleStaleGraceSec` is stale. */
    heartbeatSec: z.number().int("must be an integer (seconds)").positive("must be > 0 (seconds)").default(86_400),
    /** The chain the feed lives on, when not the fund's (needs `chains.<id>`): read in that chain's batch. */
    chainId: z.number().int("must be an integer (chain id)").positive("must be > 0 (chain id)").optional(),
  })
  .strict();

export const protocolWatchSchema = z
  .object({
    balances: z.array(watchedBalanceSchema).default([]),
    /** Leading signals: admin events (proxy upgrades, admin/owner changes, admin-role grants, pauses) on these contracts. */
    adminContracts: z.array(adminContractSchema).default([]),
    /** Announced upgrades and grants: admin events naming these addresses are not signals. */
    announced: z.array(announcedChangeSchema).default([]),
    /** Leading signal: the covered stablecoin's price feed off its peg, or stale. */
    pegOracle: pegOracleSchema.optional(),
    /** Also watch the operator's own positions in this protocol (their live values). */
    positions: z.boolean().default(true),
    /** Override of `watch.dropPercent` for this protocol. */
    dropPercent: percentSchema("percent of the window's peak").optional(),
    /** Override of `watch.windowBlocks` for this protocol. */
    windowBlocks: z.number().int("must be an integer (blocks)").positive("must be > 0 (blocks)").optional(),
    /** Override of `watch.cumulativeDropPercent` for this protocol. */
    cumulativeDropPercent: percentSchema("percent of the highest balance in the cumulative window").optional(),
  })
  .strict();

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
    /** DefiLlama parent id (e.g. "parent#aave"): hacks rows of sibling protocols are kept as related. */
    defiLlamaParentId: z.string().regex(/^parent#.+/, "not a DefiLlama parent id — use the `parentProtocol` value of /protocols, e.g. \"parent#aave\"").optional(),
    mainContract: addressSchema.optional(),
    stablecoin: z.string().min(1).optional(),
    /** On-chain exploit watch of this protocol (see `watchSchema` for the defaults). */
    watch: protocolWatchSchema.optional(),
  })
  .strict();

const httpSchema = z
  .object({
    /** Until the response headers arrive. */
    timeoutMs: positiveInt("milliseconds").optional(),
    /** Reading the body once the headers arrived (DefiLlama bodies are megabytes). */
    bodyTimeoutMs: positiveInt("milliseconds").optional(),
    maxBodyBytes: positiveInt("bytes").optional(),
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
    /** Oldest history point used as current TVL when /protocols has none (default 86 400). */
    maxTvlAgeSeconds: nonNegativeInt("seconds").optional(),
    /** DefiLlama `audits` category → score: none "0", partial "1", audited "2", fork "3". */
    auditScoreByCategory: z
      .object({
        none: z.number().min(0).max(100).optional(),
        partial: z.number().min(0).max(100).optional(),
        audited: z.number().min(0).max(100).optional(),
        fork: z.number().min(0).max(100).optional(),
      })
      .strict()
      .optional(),
    auditScoreByCount: removedField(
      "removed — DefiLlama's `audits` is a category (\"0\" none, \"1\" partial, \"2\" audited, \"3\" fork), not a count; use auditScoreByCategory { none, partial, audited, fork }",
    ),
    /** Regular expression for hallmarks that report an exploit (case-insensitive). */
    exploitHallmarkPattern: z
      .string()
      .min(1)
      .superRefine((value, ctx) => {
        try {
          new RegExp(value, "i");
        } catch (err) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not a regular expression (${(err as Error).message})` });
        }
      })
      .optional(),
    /** Count exploit hallmarks of /protocol/{slug} as exploit history (default true). */
    exploitsFromHallmarks: z.boolean().optional(),
    stablecoinPriceIds: z.record(z.string()).optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    try {
      validateAuditScoreByCategory({ ...DEFAULT_AUDIT_SCORE_BY_CATEGORY, ...value.auditScoreByCategory });
    } catch (err) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["auditScoreByCategory"], message: (err as Error).message });
    }
  });

/**
 * The DefiLlama hacks feed is Pro-only (`https://pro-api.llama.fi/<key>/api/hacks`). The key
 * comes from env DEFILLAMA_PRO_API_KEY only; without it there is no feed and exploit history
 * comes from DefiLlama hallmarks (sources.defiLlama) and the operator.
 */
export const hacksSchema = z
  .object({
    feedUrl: removedField(
      "removed — DefiLlama's hacks feed is Pro-only (https://pro-api.llama.fi/<key>/api/hacks): set env DEFILLAMA_PRO_API_KEY (and proApiBaseUrl only for a proxy); there is no free /hacks URL",
    ),
    proApiBaseUrl: urlSchema.default(DEFILLAMA_PRO_API_BASE_URL),
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


export const SOURCE_NAMES = ["config", "defillama", "defillama-hacks", "chain", "fixture"] as const;
const sourceName = z.enum(SOURCE_NAMES, {
  errorMap: () => ({ message: `unknown source — use one of ${SOURCE_NAMES.join(", ")}` }),
});

export const sourcesSchema = z
  .object({
    /** Highest precedence first; default: config, defillama, defillama-hacks, chain, fixture (those configured). */
    precedence: z.array(sourceName).min(1).optional(),
    fieldPrecedence: z.record(z.enum(METRIC_FIELDS), z.array(sourceName).min(1)).optional(),
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
    /**
     * Outage policy: rises, first scores and staleness refreshes are pushed only from assessments
     * at or above this confidence (0-100); a component whose inputs are missing always keeps its
     * on-chain value. 60 = TVL + audit + deployment date + price stability present.
     */
    minConfidenceForRise: z
      .number({ invalid_type_error: "must be a number (confidence 0-100)" })
      .min(0, "must be >= 0 (confidence 0-100)")
      .max(100, "must be <= 100 (confidence 0-100)")
      .default(DEFAULT_MIN_CONFIDENCE_FOR_RISE),
    /** Blocks to wait for after each push transaction. */
    confirmations: positiveInt("blocks").default(1),
  })
  .strict();

export const ALERT_SEVERITY_NAMES = ["info", "warning", "critical"] as const;
const severitySchema = z.enum(ALERT_SEVERITY_NAMES, {
  errorMap: () => ({ message: `not a severity — use one of ${ALERT_SEVERITY_NAMES.join(", ")}` }),
});
const envNameSchema = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "not an environment variable name — use e.g. \"DISCORD_WEBHOOK_URL\"");
/** PagerDuty Events API v2 integration keys are 32 alphanumeric characters. */
export const PAGERDUTY_ROUTING_KEY = /^[A-Za-z0-9]{32}$/;
export const PAGERDUTY_DEFAULT_URL = "https://events.pagerduty.com/v2/enqueue";

const webhookSinkFields = {
  /** The webhook URL (secret: prefer `urlEnv`). */
  url: urlSchema.optional(),
  /** Name of the environment variable holding the URL. */
  urlEnv: envNameSchema.optional(),
  timeoutMs: positiveInt("milliseconds").optional(),
};

/**
 * One alert sink; it receives every alert at or above `minSeverity`. Secrets (URLs, keys) come
 * inline or, better, from the named environment variable.
 */
export const alertSinkSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("slack"), ...webhookSinkFields, minSeverity: severitySchema.default("info") }).strict(),
  z.object({ type: z.literal("discord"), ...webhookSinkFields, minSeverity: severitySchema.default("warning"), username: z.string().min(1).max(80).optional() }).strict(),
  z
    .object({
      type: z.literal("pagerduty"),
      /** Events API v2 integration key (secret: prefer `routingKeyEnv`). */
      routingKey: z.string().regex(PAGERDUTY_ROUTING_KEY, "not a PagerDuty routing key — use the 32-character Events API v2 integration key").optional(),
      routingKeyEnv: envNameSchema.optional(),
      url: urlSchema.default(PAGERDUTY_DEFAULT_URL),
      source: z.string().min(1).optional(),
      timeoutMs: positiveInt("milliseconds").optional(),
      minSeverity: severitySchema.default("critical"),
    })
    .strict(),
  z
    .object({
      type: z.literal("webhook"),
      ...webhookSinkFields,
      /** Environment variable with a token sent as `Authorization: Bearer`. */
      bearerTokenEnv: envNameSchema.optional(),
      minSeverity: severitySchema.default("info"),
    })
    .strict(),
], { errorMap: (issue, ctx) => (issue.code === "invalid_union_discriminator" ? { message: "unknown sink type — use slack, discord, pagerduty or webhook" } : { message: ctx.defaultError }) });

export const alertsSchema = z
  .object({
    /** Alert when a composite moves by MORE than this many points (original rule: 10). */
    thresholdPoints: nonNegativeInt("points").default(10),
    /** Slack-compatible incoming webhook for every severity (secret; prefer env ALERT_WEBHOOK_URL). */
    webhookUrl: urlSchema.optional(),
    webhookTimeoutMs: positiveInt("milliseconds").optional(),
    /** The same alert (key) is delivered at most once per this many minutes, with a repeat count; 0 = no dedup. */
    dedupMinutes: z.number().nonnegative("must be >= 0 (minutes)").default(60),
    /** Routed sinks: Slack-compatible, Discord, PagerDuty Events v2, generic JSON webhook. */
    sinks: z.array(alertSinkSchema).default([]),
    /** Outbox: first retry of an unacknowledged alert after this many seconds, doubling up to `retryMaxSeconds`. */
    retryBaseSeconds: z.number().positive("must be > 0 (seconds)").default(5),
    retryMaxSeconds: z.number().positive("must be > 0 (seconds)").default(300),
    /** A critical alert no sink acknowledged within this many minutes escalates (PagerDuty, else every sink). */
    escalateAfterMinutes: z.number().positive("must be > 0 (minutes)").default(15),
  })
  .strict()
  .superRefine((alerts, ctx) => {
    alerts.sinks.forEach((sink, index) => {
      const [inline, fromEnv, field] = sink.type === "pagerduty" ? [sink.routingKey, sink.routingKeyEnv, "routingKey"] : [sink.url, sink.urlEnv, "url"];
      if ((inline === undefined) === (fromEnv === undefined)) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ["sinks", index, `${field}Env`],
          message: `give exactly one of ${field} and ${field}Env — ${field}Env (an environment variable name) keeps the secret out of the file`,
        });
      }
    });
  });

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
    /**
     * Blocks after which a claim, halt or purchase counts as done (a reorg shallower than this
     * cannot undo it). Default: 1 on a local chain (31337, 1337, or no chain id), else
     * `SAFE_CONFIRMATIONS` (3).
     */
    confirmations: positiveInt("blocks").optional(),
    /**
     * A node whose latest block is older than this (wall clock) is stale: the next URL is tried
     * and /healthz turns unhealthy. 0 = off (a local automining chain has no block cadence).
     */
    maxBlockAgeSec: nonNegativeInt("seconds").default(300),
    /** With two or more RPC URLs: a node this many blocks behind the highest is not used (compared every tick). 0 = off. */
    maxLagBlocks: nonNegativeInt("blocks").default(5),
    fundAddress: addressSchema.optional(),
    lensAddress: addressSchema.optional(),
    /** Multicall3 used for position and watched-balance reads (canonical address on mainnet, Sepolia and the local stacks). */
    multicallAddress: addressSchema.default("0xcA11bde05977b3631167028862bE2a173976CA11"),
    /**
     * The deployment to take the fund and lens from: a deployed_addresses.json, a `chain-<id>`
     * folder or a deployments folder (relative to the config file). Default: the repository's
     * deploy/deployments/chain-<id>/ when fundAddress/lensAddress are not both set.
     */
    deployment: z.string().min(1, "empty — give the deployed_addresses.json or omit the field").optional(),
  })
  .strict();

/** Seconds between blocks of chains the keeper knows (a remote chain's watch window in its own blocks). */
export const KNOWN_BLOCK_TIME_SEC: Readonly<Record<number, number>> = {
  1: 12, // Ethereum
  11155111: 12, // Sepolia
  10: 2, // OP Mainnet
  8453: 2, // Base
  42161: 0.25, // Arbitrum One
  137: 2, // Polygon PoS
  43114: 2, // Avalanche C-Chain
  56: 3, // BNB Smart Chain
  100: 5, // Gnosis
};

/**
 * A chain other than the fund's that positions or watched balances live on. The keeper only reads
 * it (one Multicall3 batch per tick, its own block pinning and failover); the cover, the halt and
 * the claim stay on the fund's chain.
 */
export const remoteChainSchema = z
  .object({
    /** Shown in logs, alerts and evidence, e.g. "Arbitrum One". */
    name: z.string().min(1).optional(),
    /** Failover order. Secret when it carries an API key: prefer env RPC_URLS_<chainId> (comma-separated), which wins. */
    rpcUrls: z.array(urlSchema).min(1, "empty — list at least one RPC URL").optional(),
    rpcTimeoutMs: positiveInt("milliseconds").default(5000),
    rpcMaxRounds: positiveInt("passes").default(3),
    /** With two or more RPC URLs: a node this many blocks behind the highest is not used. 0 = off. */
    maxLagBlocks: nonNegativeInt("blocks").default(20),
    multicallAddress: addressSchema.default("0xcA11bde05977b3631167028862bE2a173976CA11"),
    /**
     * Seconds per block, to size the watch window in this chain's blocks (the fund chain's
     * `watch.windowBlocks` × 12 s ÷ this). Known for Ethereum, OP Mainnet, Base, Arbitrum One,
     * Polygon, Avalanche, BNB Chain and Gnosis; required for any other chain.
     */
    blockTimeSec: z.number().positive("must be > 0 (seconds per block)").optional(),
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
    /**
     * The urgent lane (halts, claims): its own ceiling — during an exploit gas spikes and the halt
     * is the transaction that must land — a higher tip, and a faster replacement.
     */
    urgent: z
      .object({
        maxFeePerGasCeilingGwei: positiveNumber("gwei").default(1500),
        maxPriorityFeeGwei: positiveNumber("gwei").default(3),
        replaceAfterBlocks: positiveInt("blocks").default(1),
      })
      .strict()
      .default({}),
    /** Action kinds sent in the urgent lane. */
    urgentKinds: z.array(z.string().min(1)).default(["report-incident", "file-claim", "settle-claim"]),
    /** A ceiling for one action kind (gwei), overriding its lane's, e.g. { "risk-push": 100 }. */
    maxFeePerGasCeilingGweiByKind: z.record(positiveNumber("gwei")).default({}),
  })
  .strict()
  .superRefine((tx, ctx) => {
    if (tx.maxPriorityFeeGwei > tx.maxFeePerGasCeilingGwei) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["maxPriorityFeeGwei"], message: "above maxFeePerGasCeilingGwei — lower the tip or raise the ceiling" });
    }
    if (tx.urgent.maxPriorityFeeGwei > tx.urgent.maxFeePerGasCeilingGwei) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["urgent", "maxPriorityFeeGwei"], message: "above urgent.maxFeePerGasCeilingGwei — lower the tip or raise the ceiling" });
    }
  });

/** Retention of the state database's growing tables; a day count of 0 keeps that history forever. */
export const retentionSchema = z
  .object({
    /** The daemon prunes on this interval (hours; 0 = never, prune by hand with `keeper state prune`). */
    intervalHours: z.number().nonnegative("must be >= 0 (hours; 0 = the daemon never prunes)").default(24),
    /** Assessments at full resolution for this many days, then one per protocol per day. */
    assessmentsFullDays: nonNegativeInt("days").default(90),
    /** Daily assessments kept this many days (0 = forever; each protocol's newest always stays). */
    assessmentsDailyDays: nonNegativeInt("days").default(0),
    /** Raw signed bytes of settled actions kept this many days (hash, nonce and fees stay). */
    rawTxDays: nonNegativeInt("days").default(30),
    /** Settled routine journal rows (risk pushes, approvals, expiries) kept this many days. */
    routineJournalDays: nonNegativeInt("days").default(365),
    /** Delivered alerts kept in the outbox this many days. */
    alertOutboxDays: nonNegativeInt("days").default(30),
    /** Dedup memory of an alert not delivered for this many days is dropped. */
    alertLogDays: nonNegativeInt("days").default(90),
    /** Stored drain signals kept this many days (failed halts and open incidents always stay). */
    watchSignalsDays: nonNegativeInt("days").default(180),
    /** Rows deleted per transaction (the daemon yields between batches). */
    batchSize: positiveInt("rows").default(2000),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.assessmentsDailyDays > 0 && r.assessmentsFullDays > 0 && r.assessmentsDailyDays < r.assessmentsFullDays) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["assessmentsDailyDays"], message: `below assessmentsFullDays (${r.assessmentsFullDays}) — raise it, or 0 to keep daily points forever` });
    }
  });

export const stateSchema = z
  .object({
    /** SQLite file (relative to the config file), or ":memory:" (nothing survives a restart). */
    dbPath: z.string().min(1, "empty — give a file path such as \"keeper-state.sqlite\"").default(":memory:"),
    /** A daemon lock whose heartbeat is older than this may be taken over. */
    lockStaleAfterSec: positiveInt("seconds").default(120),
    /** What the daemon prunes, and how often (state/retention.ts; `keeper state prune` runs it once). */
    retention: retentionSchema.default({}),
    /**
     * PostgreSQL instead of the SQLite file (several keepers, one leader — docs/operations.md).
     * Secret (its password): prefer env KEEPER_STATE_URL.
     */
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\/\S+$/i, "not a PostgreSQL URL — use postgres://user:password@host:5432/keeper, or leave it out for SQLite at state.dbPath")
      .optional(),
  })
  .strict();

/** Leader and standbys over one PostgreSQL state (state.url). */
export const haSchema = z
  .object({
    /**
     * A standby leads at most this long after the leader's database session or lease ended: the
     * lease is half of it, renewed every tenth; standbys try for the lock every tenth (min 0.5 s).
     */
    takeoverSeconds: positiveInt("seconds").refine((s) => s >= 2 && s <= 600, "must be 2..600 seconds").default(15),
  })
  .strict();

const providerIdSchema = z.number().int("must be an integer (provider id)").min(1, "must be >= 1 — provider 0 is self-insurance (allowSelfInsure)").max(255);

/** The `position.kind`s the keeper reads (sources/positions/readers.ts). */
export const POSITION_KIND_NAMES = ["erc20", "erc4626", "aave-v3", "compound-v3", "curve", "aave-v2", "yearn-v2", "uniswap-v3"] as const;

/**
 * Protocols whose positions the keeper cannot value soundly from public chain state, with the
 * reason; a position of one of these kinds is refused at load (the `targetAmount` fallback covers a
 * fixed size instead).
 */
export const UNREADABLE_POSITION_KINDS: Readonly<Record<string, string>> = {
  "gmx-gm":
    "a GMX v2 GM token is worth the market's pool value net of its traders' open PnL, priced by GMX's signed off-chain oracle reports (Chainlink Data Streams) that no on-chain view holds, so no eth_call returns it",
  "gmx-v2": "GMX v2 positions are GM tokens (see \"gmx-gm\"): their value needs GMX's signed off-chain oracle prices, which no eth_call returns",
  gmx: "GMX (v1 GLP, v2 GM) pool shares are priced by GMX's keeper-fed or signed off-chain oracle prices and its traders' open PnL, not by a view the keeper can pin to a block",
};

/** Where a position lives on-chain; its live value (in `asset` units) is read every cycle. */
/**
 * Who holds a position and on which chain it lives: `chainId` names a chain other than the fund's
 * (Arbitrum, Base, Optimism, …), read through `chains.<id>`; the cover and the claim stay on the
 * fund's chain.
 */
const located = {
  holder: addressSchema.optional(),
  chainId: z.number().int("must be an integer (chain id)").positive("must be > 0 (chain id)").optional(),
};

export const positionSourceSchema = z.discriminatedUnion(
  "kind",
  [
    z.object({ kind: z.literal("erc20"), token: addressSchema, ...located }).strict(),
    z.object({ kind: z.literal("erc4626"), vault: addressSchema, ...located }).strict(),
    z.object({ kind: z.literal("aave-v3"), aToken: addressSchema, ...located }).strict(),
    z.object({ kind: z.literal("compound-v3"), comet: addressSchema, ...located }).strict(),
    z
      .object({
        kind: z.literal("curve"),
        pool: addressSchema,
        /** The LP token when it is not the pool itself (old pools, e.g. 3pool's 3Crv). */
        lpToken: addressSchema.optional(),
        /** Index of the covered stablecoin in the pool's coins. */
        coinIndex: z.number().int("must be an integer (coin index)").min(0, "must be >= 0 (coin index)").max(7),
        /** `calc_withdraw_one_coin`'s index type: int128 on stable pools, uint256 on crypto pools. */
        indexType: z.enum(["int128", "uint256"]).default("int128"),
        ...located,
      })
      .strict(),
    z
      .object({
        kind: z.literal("aave-v2"),
        /** The reserve's aToken (e.g. Radiant's rUSDC); or leave it out and give `lendingPool`. */
        aToken: addressSchema.optional(),
        /** The LendingPool: the aToken is resolved from `getReserveData(asset)` (the position's `asset`), as aave-v3 reads its pool. */
        lendingPool: addressSchema.optional(),
        ...located,
      })
      .strict(),
    z.object({ kind: z.literal("yearn-v2"), vault: addressSchema, ...located }).strict(),
    z
      .object({
        kind: z.literal("uniswap-v3"),
        /** The NonfungiblePositionManager. */
        positionManager: addressSchema,
        /** Token ids to value (decimal strings); absent: every id `holder` owns. */
        tokenIds: z.array(z.string().regex(/^\d+$/, "not a token id — use a decimal string such as \"12345\"")).min(1, "empty — list token ids or leave tokenIds out to value every id the holder owns").optional(),
        /** Only positions in this pool. */
        pool: addressSchema.optional(),
        /** The other token at $1 par (stable/stable pools) or at the pool's own price (stable/volatile). */
        pricing: z.enum(["par", "pool"]).default("par"),
        ...located,
      })
      .strict(),
  ],
  {
    errorMap: (_issue, ctx) => {
      const kind = (ctx.data as { kind?: unknown } | undefined)?.kind;
      const refused = typeof kind === "string" ? UNREADABLE_POSITION_KINDS[kind] : undefined;
      if (refused !== undefined) return { message: `"${kind}" cannot be read by the keeper: ${refused} — remove \`position\` and give a fixed \`targetAmount\` (whole tokens) to cover instead` };
      return { message: `unknown position kind — use one of ${POSITION_KIND_NAMES.join(", ")}` };
    },
  },
);

/** One operator position the coverage manager keeps covered. */
export const positionSchema = z
  .object({
    /** A `protocols[].id`. */
    protocol: z.string().min(1, "empty — name a protocols[].id"),
    asset: addressSchema,
    assetSymbol: z.string().min(1).optional(),
    /** Read from the token when omitted. */
    assetDecimals: z.number().int().min(0).max(18).optional(),
    /**
     * Fixed position size to protect, whole tokens: an override of the live value when `position`
     * is given too; required without `position`.
     */
    targetAmount: tokenAmountSchema.optional(),
    /** Where the position lives; the coverage target follows its live value (holder defaults to `beneficiary`). */
    position: positionSourceSchema.optional(),
    /** Cold address that owns the coverage and receives payouts (never the keeper's key). */
    beneficiary: addressSchema,
    /** Registered provider ids in order of preference. */
    providers: z.array(providerIdSchema).default([]),
    /** Let the fund's pool carry the position when no provider can. */
    allowSelfInsure: z.boolean().default(false),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.position?.kind === "aave-v2" && (p.position.aToken === undefined) === (p.position.lendingPool === undefined)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["position", p.position.aToken === undefined ? "lendingPool" : "aToken"],
        message: "give exactly one of aToken and lendingPool — lendingPool (the Aave v2 / Radiant LendingPool) resolves the aToken of the position's asset from getReserveData",
      });
    }
  });

/** DAI's id in the Nexus Pool asset list: abandoned, no longer a cover asset. */
const NEXUS_ABANDONED_DAI_ASSET_ID = 1;

export const providersSchema = z
  .object({
    /** Nexus Mutual through the NexusMutualAdapter; priced by the cover-router quote API. */
    nexus: z
      .object({
        providerId: providerIdSchema.default(1),
        /** e.g. https://api.nexusmutual.io/ (the client appends v2/quote); without it Nexus is not quoted. */
        quoteBaseUrl: urlSchema.optional(),
        /** Nexus product id per protocols[].id. */
        productIds: z.record(z.number().int().nonnegative()).default({}),
        /**
         * Nexus cover asset id per asset symbol or address. Nexus covers ETH 0, USDC 6 and cbBTC 7; DAI (1)
         * was abandoned in the v3 pool migration and USDT never was a cover asset, so DAI/USDT positions
         * are self-insured or go to another provider.
         */
        coverAssets: z
          .record(z.number().int().nonnegative())
          .default({ USDC: 6 })
          .superRefine((assets, ctx) => {
            for (const [key, id] of Object.entries(assets)) {
              if (id === NEXUS_ABANDONED_DAI_ASSET_ID || key.toUpperCase() === "DAI" || key.toUpperCase() === "USDT") {
                ctx.addIssue({
                  code: z.ZodIssueCode.custom,
                  path: [key],
                  message: `${key} -> ${id}: Nexus does not cover DAI (asset 1 was abandoned in the v3 pool migration) or USDT; remove this entry (cover assets: USDC 6, ETH 0, cbBTC 7)`,
                });
              }
            }
          }),
        /**
         * Kubo RPC API base URL (e.g. http://127.0.0.1:5001/) used to publish Nexus claim proofs and
         * evidence packs (`POST api/v0/add`). Optional: without it the proof is only written beside the
         * pack and must be published by hand (its CID does not depend on the node).
         */
        ipfsApiUrl: urlSchema.refine((u) => /^https?:\/\//i.test(u), "not an http(s) URL — use the Kubo RPC API base, e.g. http://127.0.0.1:5001/").optional(),
        http: httpSchema.optional(),
      })
      .strict()
      .optional(),
    /** Providers priced by their own on-chain `quote(amount, period)` view (the local mock provider). */
    onChainQuote: z.array(providerIdSchema).default([]),
  })
  .strict();

export const coveragePolicySchema = z
  .object({
    renewWithinDays: positiveNumber("days").default(30),
    /**
     * A coverage the keeper cannot buy or renew (no quote source, budget, unfundable, not an
     * agent, …) raises a critical alert this many days before the position's cover ends.
     */
    lapseAlertDays: positiveNumber("days").default(7),
    purchaseDurationDays: positiveInt("days").default(365),
    premiumSlippageBps: nonNegativeInt("basis points").default(100),
    expireBatchSize: positiveInt("ids").default(50),
    /** Hysteresis band: top up when coverage / target falls below this percent ... */
    increaseBelowPercent: z.number().positive().max(100).default(80),
    /** ... and reduce when it rises above this percent. */
    reduceAbovePercent: z.number().min(100).default(120),
  })
  .strict();

/** Defaults of the on-chain exploit watch (per-protocol lists in `protocols[].watch`). */
export const watchSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** A fall of at least this percent of the window's peak is a drain (suspected incident). */
    dropPercent: percentSchema("percent of the window's peak").default(25),
    /** Window, blocks back from the newest read (50 ≈ 10 min on mainnet). */
    windowBlocks: z.number().int("must be an integer (blocks)").positive("must be > 0 (blocks)").default(50),
    /** Slow drains: a fall of at least this percent of the highest balance within `cumulativeWindowHours` is a drain. */
    cumulativeDropPercent: percentSchema("percent of the highest balance in the cumulative window").default(40),
    cumulativeWindowHours: positiveNumber("hours").default(24),
    /** Halt the protocol's sales on the fund (`reportIncident`) when a drain is seen. */
    reportIncident: z.boolean().default(true),
    /** Largest outgoing transfers looked up in the drain's block range (0 = skip the log query). */
    largestTransfers: z.number().int().min(0).max(50).default(5),
    /**
     * A stablecoin price feed this far off its peg is a leading signal (suspected incident, halt).
     * 2 is 8× the 0.25% deviation band of Chainlink's USDC/USD and USDT/USD feeds: an answer this far
     * off is a depeg, not the feed's normal lag.
     */
    oracleDeviationPercent: percentSchema("percent off the peg").default(2),
    /** Slack past the feed's heartbeat before its answer counts as stale (a round lands some seconds after the heartbeat). */
    oracleStaleGraceSec: z.number().int().min(0).default(600),
  })
  .strict();

export const budgetSchema = z
  .object({
    /** Most premium (USD, every stablecoin at $1) one coverage cycle may commit. */
    maxPremiumPerCycleUsd: z.number().nonnegative().default(10_000),
    /** Most premium (USD) over any rolling 24 h. */
    maxPremiumPerDayUsd: z.number().nonnegative().default(25_000),
  })
  .strict();

function validRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern, "i");
    return true;
  } catch {
    return false;
  }
}

export const incidentRulesSchema = z
  .object({
    tvlDropEnabled: z.boolean().default(true),
    /** A fall of at least this percent from the window's peak. */
    tvlDropPercent: positiveNumber("percent").max(100).default(30),
    tvlDropWindowHours: positiveNumber("hours").default(24),
    tvlDropMaxAgeDays: positiveNumber("days").default(7),
    hacksFeedEnabled: z.boolean().default(true),
    hacksMaxAgeDays: positiveNumber("days").default(30),
    manualEnabled: z.boolean().default(true),
    /** DefiLlama hallmarks that describe an exploit corroborate an incident. */
    hallmarksEnabled: z.boolean().default(true),
    /** Signals of one protocol within this many hours of an incident belong to it. */
    mergeWindowHours: positiveNumber("hours").default(72),
    /** A suspected incident not corroborated (feed, hallmark, operator) within this many hours is dismissed. */
    corroborationTimeoutHours: positiveNumber("hours").default(72),
    /** A confirmed incident this many days after it occurred is resolved: the protocol is judged on its risk score again. */
    resolveAfterDays: positiveNumber("days").default(90),
    /**
     * Which hacks-feed rows confirm an incident on their own (case-insensitive regular expressions
     * over the row's classification and technique; excluded wins). Defaults: Nexus Mutual's
     * Protocol Cover wording (policy/coverWording.ts).
     */
    coverWording: z
      .object({
        covered: z.array(z.string().min(1).refine(validRegExp, "not a valid regular expression")).default([...NEXUS_PROTOCOL_COVER_WORDING.covered]),
        excluded: z.array(z.string().min(1).refine(validRegExp, "not a valid regular expression")).default([...NEXUS_PROTOCOL_COVER_WORDING.excluded]),
      })
      .strict()
      .default({}),
    /** Protocol ids whose SUSPECTED incidents are claimed without corroboration (default: none). */
    autoClaimOnSuspected: z.array(z.string().min(1)).default([]),
    /** Alert when an accepted payout is this close to its redemption deadline. */
    redeemAlertLeadHours: positiveNumber("hours").default(24),
  })
  .strict();

export const intervalsSchema = z
  .object({
    riskSec: positiveNumber("seconds").default(3600),
    coverageSec: positiveNumber("seconds").default(1800),
    incidentWatchSec: positiveNumber("seconds").default(120),
    /** Each wait is interval × (1 ± jitter). */
    jitterFraction: z.number().min(0).max(0.5).default(0.1),
  })
  .strict();

export const pathsSchema = z
  .object({
    /** Evidence packs (relative to the config file). */
    evidenceDir: z.string().min(1).default("keeper-data/evidence"),
    /** Coverage report JSON files (relative to the config file). */
    reportDir: z.string().min(1).default("keeper-data/reports"),
  })
  .strict();

export const healthSchema = z
  .object({
    enabled: z.boolean().default(true),
    /**
     * Bind address of the health server (dashboard, /healthz, /metrics). Loopback by default; any
     * other address needs a bearer token (env HEALTH_BEARER_TOKEN).
     */
    host: z.string().min(1, "empty — use 127.0.0.1, ::1 or an interface address").default("127.0.0.1"),
    /** 0 = an ephemeral port (tests). */
    port: z.number().int().min(0).max(65_535).default(9464),
    /** Serve the read-only dashboard at `/` and its JSON under `/api/`. */
    dashboard: z.boolean().default(true),
    /**
     * Host names accepted in requests' Host header besides the bind address (DNS-rebinding
     * guard), e.g. the name a TLS reverse proxy forwards: ["keeper.example.org"].
     */
    allowedHosts: z.array(z.string().min(1, "empty — give a host name such as keeper.example.org")).optional(),
  })
  .strict();

export const configFileSchema = z
  .object({
    chain: chainSchema.default({}),
    /** Other chains positions and watched balances live on, by decimal chain id: { "42161": { rpcUrls: [...] } }. */
    chains: z.record(z.string().regex(/^[1-9]\d*$/, "not a chain id — use the decimal chain id as the key, e.g. \"42161\""), remoteChainSchema).default({}),
    protocols: z.array(protocolSchema).min(1, "empty — list at least one protocol"),
    sources: sourcesSchema,
    riskPush: riskPushSchema.default({}),
    alerts: alertsSchema.default({}),
    tx: txSchema.default({}),
    state: stateSchema.default({}),
    ha: haSchema.default({}),
    log: z.object({ level: z.enum(LOG_LEVELS).default("info") }).strict().default({}),
    positions: z.array(positionSchema).default([]),
    providers: providersSchema.default({}),
    coverage: coveragePolicySchema.default({}),
    budget: budgetSchema.default({}),
    incidents: incidentRulesSchema.default({}),
    watch: watchSchema.default({}),
    intervals: intervalsSchema.default({}),
    paths: pathsSchema.default({}),
    health: healthSchema.default({}),
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
    config.positions.forEach((position, index) => {
      if (!ids.has(position.protocol)) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ["positions", index, "protocol"],
          message: `unknown protocol — use one of ${[...ids.keys()].join(", ")}`,
        });
      }
      if (position.targetAmount === undefined && position.position === undefined) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ["positions", index, "targetAmount"],
          message: "missing — give a fixed targetAmount or a position { kind, ... } to read the live value from",
        });
      }
      if (position.providers.length === 0 && !position.allowSelfInsure) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ["positions", index, "providers"],
          message: "empty and allowSelfInsure is false — list provider ids or allow self-insurance",
        });
      }
    });
    config.incidents.autoClaimOnSuspected.forEach((id, index) => {
      if (!ids.has(id)) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ["incidents", "autoClaimOnSuspected", index],
          message: `unknown protocol — use one of ${[...ids.keys()].join(", ")}`,
        });
      }
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
export type PositionConfig = z.output<typeof positionSchema>;
export type PositionSourceConfig = z.output<typeof positionSourceSchema>;
export type RemoteChainConfig = z.output<typeof remoteChainSchema>;
export type WatchConfig = z.output<typeof watchSchema>;
export type ProtocolWatchConfig = z.output<typeof protocolWatchSchema>;
