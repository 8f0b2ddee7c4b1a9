/**
 * The composition root: the only place that turns the config into live objects (failover
 * provider, signer from key or keystore, state database, the one TxSender, contracts, data
 * sources, alerter, pusher, risk cycle). Plain ethers + TypeChain
 * factories; never the Hardhat runtime.
 */
import { Network, parseUnits, type JsonRpcProvider, type Signer } from "ethers";
import { FundLens__factory } from "../../../typechain-types/factories/contracts/FundLens__factory";
import { StablecoinInsuranceFund__factory } from "../../../typechain-types/factories/contracts/StablecoinInsuranceFund__factory";
import type { FundLens } from "../../../typechain-types/contracts/FundLens";
import type { StablecoinInsuranceFund } from "../../../typechain-types/contracts/StablecoinInsuranceFund";
import { beneficiaryIssues, ConfigError, requireChainFields, type KeeperConfig } from "../config";
import { loadSigner, verifyChain, type KeySource } from "../execution/keys";
import { RiskPusher } from "../execution/riskPusher";
import { connectFailoverProvider, FailoverJsonRpcProvider, RpcUnavailableError } from "../execution/rpc";
import { TxSender, type TxSenderOptions } from "../execution/txSender";
import { openStateDb, stateLocation, type SignerIdentity, type StateDb } from "../state";
import {
  ChainDeploymentSource,
  CompositeSource,
  ConfigSource,
  DefiLlamaSource,
  FixtureSource,
  HacksFeedSource,
  curatedIncidentsOf,
  type RiskDataSource,
} from "../sources";
import { alertRoutesOf, buildAlerter as buildAlertRouter, LogAlerter, OutboxAlerter, type Alerter } from "../alerting";
import type { PositionLossMeasurer } from "../policy/claims";
import { ChainPositionReader, IncidentLossReader, MultiChainPositionReader, type PositionValueReader } from "../sources/positions";
import { ClaimsCycle } from "../cycles/claimsCycle";
import { WatchLossMeasurer } from "../cycles/positionLoss";
import { agreedReaderOf, ClaimStatusCrossCheck, remoteTwoNodeMeasures, TwoNodeLossMeasure } from "../cycles/crossCheck";
import { ExploitWatch } from "../cycles/exploitWatch";
import { CoverageCycle } from "../cycles/coverageCycle";
import { ConfiguredQuoter } from "../cycles/providerQuotes";
import { silentLogger, type Logger } from "../lib/logger";
import { RiskCycle } from "../cycles/riskCycle";

/** Default precedence: operator's word first, then live APIs, then chain, then fixtures. */
const DEFAULT_PRECEDENCE = ["config", "defillama", "defillama-hacks", "chain", "fixture"] as const;
/** The deployment date: operator, then the chain's first code block, then DefiLlama's listing date. */
const DEFAULT_DEPLOYED_AT_PRECEDENCE = ["config", "chain", "defillama", "fixture"] as const;
/** Exploit history: operator, then the Pro hacks feed (when keyed), then DefiLlama hallmarks. */
const DEFAULT_EXPLOIT_PRECEDENCE = ["config", "defillama-hacks", "defillama", "fixture"] as const;

export interface SourceDeps {
  readonly logger: Logger;
  /** Needed only when `sources.chainDeployment` is enabled. */
  readonly provider?: JsonRpcProvider;
  /** Injected fetch (tests); defaults to the global one. */
  readonly fetch?: typeof fetch;
  /** The process's one hacks-feed source (built here when omitted). */
  readonly hacksFeed?: HacksFeedSource;
}

/**
 * The hacks-feed source (DefiLlama hacks and operator-curated incidents), or undefined when
 * neither is configured. The container builds ONE and shares it between the risk source and the
 * incident watch, so both see the same cached feed.
 */
export function buildHacksFeed(config: KeeperConfig, deps: Pick<SourceDeps, "logger" | "fetch">): HacksFeedSource | undefined {
  const incidents = curatedIncidentsOf(config.sources.operator ?? {});
  if (config.sources.hacks?.proApiKey === undefined && incidents.length === 0) return undefined;
  const defiLlamaIds = Object.fromEntries(
    config.protocols.filter((p) => p.defiLlamaId !== undefined).map((p) => [p.id, p.defiLlamaId as string]),
  );
  return new HacksFeedSource(
    { ...config.sources.hacks, defiLlamaIds, curatedIncidents: incidents },
    { logger: deps.logger, ...(deps.fetch !== undefined ? { fetch: deps.fetch } : {}) },
  );
}

/** Builds the configured sources, merged by precedence into one `RiskDataSource`. */
export function buildRiskSource(config: KeeperConfig, deps: SourceDeps): RiskDataSource {
  const s = config.sources;
  const httpDeps = { logger: deps.logger, ...(deps.fetch !== undefined ? { fetch: deps.fetch } : {}) };
  const sources: RiskDataSource[] = [];
  const operator = s.operator ?? {};
  if (s.operator !== undefined) sources.push(new ConfigSource(operator, `${config.origin}#sources.operator`));
  if (s.defiLlama !== undefined) sources.push(new DefiLlamaSource(s.defiLlama, httpDeps));
  const hacks = deps.hacksFeed ?? buildHacksFeed(config, deps);
  if (hacks !== undefined) sources.push(hacks);
  if (s.chainDeployment !== undefined && s.chainDeployment.enabled) {
    if (deps.provider === undefined) throw new Error("sources.chainDeployment needs an RPC provider");
    sources.push(new ChainDeploymentSource(deps.provider, deps.logger, s.chainDeployment));
  }
  if (s.fixture !== undefined) sources.push(new FixtureSource(s.fixture));

  const available = new Set(sources.map((source) => source.name));
  const precedence = s.precedence ?? DEFAULT_PRECEDENCE.filter((name) => available.has(name));
  const fieldPrecedence = { ...s.fieldPrecedence };
  if (fieldPrecedence.deployedAt === undefined) {
    const order = DEFAULT_DEPLOYED_AT_PRECEDENCE.filter((name) => available.has(name) && precedence.includes(name));
    if (order.length > 0) fieldPrecedence.deployedAt = order;
  }
  for (const field of ["exploitCount", "lastExploitAt"] as const) {
    if (fieldPrecedence[field] !== undefined) continue;
    const order = DEFAULT_EXPLOIT_PRECEDENCE.filter((name) => available.has(name) && precedence.includes(name));
    if (order.length > 0) fieldPrecedence[field] = order;
  }
  return new CompositeSource(sources, { precedence, fieldPrecedence }, deps.logger);
}

/** The log plus every configured alert sink, routed by severity. */
export function buildAlerter(config: KeeperConfig, logger: Logger): Alerter {
  return buildAlertRouter(config.alerts.routes, logger);
}

/**
 * A failover RPC provider over `rpcUrls` (chain id checked on every URL at start), with a fixed
 * network and without ethers' 250 ms result cache, which would serve a stale latest block or
 * nonce between quick calls.
 */
export async function connectProvider(
  rpcUrls: string | readonly string[],
  chainId?: number,
  options: { logger?: Logger; timeoutMs?: number; maxRounds?: number; maxBlockAgeSec?: number; maxLagBlocks?: number } = {},
): Promise<JsonRpcProvider> {
  return connectFailoverProvider({
    urls: typeof rpcUrls === "string" ? [rpcUrls] : rpcUrls,
    ...(chainId !== undefined ? { chainId } : {}),
    ...(options.maxBlockAgeSec !== undefined ? { maxBlockAgeSec: options.maxBlockAgeSec } : {}),
    ...(options.maxLagBlocks !== undefined ? { maxLagBlocks: options.maxLagBlocks } : {}),
    logger: options.logger ?? silentLogger,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.maxRounds !== undefined ? { maxRounds: options.maxRounds } : {}),
  });
}


/** Confirmations on a public chain when `chain.confirmations` is not set. */
export const SAFE_CONFIRMATIONS = 3;
const LOCAL_CHAIN_IDS: ReadonlySet<number> = new Set([31337, 1337]);

/** Blocks after which an action counts as done: `chain.confirmations`, else 1 locally and `SAFE_CONFIRMATIONS` elsewhere (never below `riskPush.confirmations`). */
export function confirmationsOf(config: Pick<KeeperConfig, "chain" | "riskPush">): number {
  const explicit = config.chain.confirmations;
  if (explicit !== undefined) return explicit;
  const chainId = config.chain.chainId;
  const byChain = chainId === undefined || LOCAL_CHAIN_IDS.has(chainId) ? 1 : SAFE_CONFIRMATIONS;
  return Math.max(byChain, config.riskPush.confirmations);
}

/** The `tx` config block in TxSender units. */
export function txSenderOptions(config: KeeperConfig): TxSenderOptions {
  const tx = config.tx;
  return {
    maxFeePerGasCeiling: parseUnits(String(tx.maxFeePerGasCeilingGwei), "gwei"),
    maxPriorityFeePerGas: parseUnits(String(tx.maxPriorityFeeGwei), "gwei"),
    replaceAfterBlocks: tx.replaceAfterBlocks,
    receiptTimeoutMs: tx.receiptTimeoutMs,
    pollIntervalMs: tx.pollIntervalMs,
    confirmations: confirmationsOf(config),
    urgent: {
      maxFeePerGasCeiling: parseUnits(String(tx.urgent.maxFeePerGasCeilingGwei), "gwei"),
      maxPriorityFeePerGas: parseUnits(String(tx.urgent.maxPriorityFeeGwei), "gwei"),
      replaceAfterBlocks: tx.urgent.replaceAfterBlocks,
    },
    urgentKinds: tx.urgentKinds,
    maxFeePerGasCeilingByKind: Object.fromEntries(Object.entries(tx.maxFeePerGasCeilingGweiByKind).map(([kind, g]) => [kind, parseUnits(String(g), "gwei")])),
  };
}

export interface KeeperContainer {
  readonly config: KeeperConfig;
  readonly logger: Logger;
  readonly provider: JsonRpcProvider;
  /** Undefined without KEEPER_PRIVATE_KEY (read-only / dry-run use). */
  readonly signer: Signer | undefined;
  readonly source: RiskDataSource;
  readonly alerter: Alerter;
  /** Fund and lens need addresses; `undefined` when the config has none (e.g. `keeper score`). */
  readonly fund: StablecoinInsuranceFund | undefined;
  readonly lens: FundLens | undefined;
  /** The signer's address (undefined without a key). */
  readonly keeperAddress: string | undefined;
  /** The Pro hacks feed for incident watch (undefined without env DEFILLAMA_PRO_API_KEY). */
  readonly hacksFeed: HacksFeedSource | undefined;
  /** Builds the risk cycle; throws a ConfigError when addresses or the key are missing. */
  riskCycle(options?: { dryRun?: boolean }): RiskCycle;
  /** The coverage manager (needs fund + lens; without a key it can only dry-run). */
  coverageCycle(options?: { dryRun?: boolean }): CoverageCycle;
  /** Incident watch + claims (needs fund + lens; without a key it can only dry-run). */
  claimsCycle(options?: { dryRun?: boolean }): ClaimsCycle;
  /** Live position values and watched balances, one Multicall3 batch per chain per read (`chain.multicallAddress`, `chains.<id>`). */
  positionReader(): PositionValueReader;
  /** Read-only providers of the other chains positions live on (`chains`), by chain id. */
  readonly remoteProviders: ReadonlyMap<number, JsonRpcProvider>;
  /** The on-chain exploit watch of the incident-watch tick (needs the fund address). */
  exploitWatch(): ExploitWatch;
  /** The state database (opened and migrated on first use; `state.dbPath`). */
  state(): StateDb;
  /** The one signing path (journal in `state()`); throws a ConfigError without a key. */
  txSender(): TxSender;
  /** Start-up checks: chain id and code at the fund and lens addresses. */
  verify(): Promise<{ chainId: number }>;
  close(): void;
}

export interface ContainerOverrides {
  /** Use this provider instead of connecting to `config.chain.rpcUrls`. */
  readonly provider?: JsonRpcProvider;
  /** Use this signer instead of the configured key or keystore. */
  readonly signer?: Signer;
  readonly fetch?: typeof fetch;
  /** Position loss measurement for claims (position readers); without one the configured size is claimed. */
  readonly lossMeasurer?: PositionLossMeasurer;
  /** Use these providers for `config.chains` instead of connecting to their rpcUrls. */
  readonly remoteProviders?: ReadonlyMap<number, JsonRpcProvider>;
}

/**
 * A read-only failover provider per `chains.<id>`. A URL on another chain is a hard error; a chain
 * with no URL answering at start only warns: the keeper starts, and that chain's positions stay
 * stale (last known values, flagged) until a URL answers.
 */
async function connectRemoteChains(config: KeeperConfig, logger: Logger, given: ReadonlyMap<number, JsonRpcProvider> | undefined): Promise<ReadonlyMap<number, JsonRpcProvider>> {
  if (given !== undefined) return given;
  const out = new Map<number, JsonRpcProvider>();
  for (const c of Object.values(config.chains)) {
    const options = { urls: c.rpcUrls, chainId: c.chainId, logger, timeoutMs: c.rpcTimeoutMs, maxRounds: c.rpcMaxRounds, maxLagBlocks: c.maxLagBlocks };
    try {
      out.set(c.chainId, await connectFailoverProvider(options));
    } catch (err) {
      if (!(err instanceof RpcUnavailableError)) {
        for (const p of out.values()) p.destroy();
        throw err;
      }
      logger.warn({ chain: c.chainId, name: c.name, err: err.message }, "no RPC URL of this chain answers at start; its positions stay stale until one does");
      out.set(c.chainId, new FailoverJsonRpcProvider({ ...options, network: Network.from(c.chainId) }));
    }
  }
  return out;
}

/** One reader for the fund's chain, or a multi-chain reader when positions live on `chains` too. */
function newPositionReader(config: KeeperConfig, logger: Logger, provider: JsonRpcProvider, remote: ReadonlyMap<number, JsonRpcProvider>): PositionValueReader {
  const fund = new ChainPositionReader({ caller: provider, multicallAddress: config.chain.multicallAddress, logger });
  if (remote.size === 0) return fund;
  const readers = new Map(
    [...remote].map(([chainId, p]) => [chainId, new ChainPositionReader({ caller: p, chainId, multicallAddress: config.chains[String(chainId)]?.multicallAddress ?? config.chain.multicallAddress, logger })] as const),
  );
  return new MultiChainPositionReader(fund, readers);
}

export async function buildContainer(
  config: KeeperConfig,
  logger: Logger,
  overrides: ContainerOverrides = {},
): Promise<KeeperContainer> {
  const chain = await connectKeeperChain(config, logger, overrides);
  const { provider, signer, keeperAddress } = chain;
  const fund =
    config.chain.fundAddress !== undefined ? StablecoinInsuranceFund__factory.connect(config.chain.fundAddress, signer ?? provider) : undefined;
  const lens = config.chain.lensAddress !== undefined ? FundLens__factory.connect(config.chain.lensAddress, provider) : undefined;
  const { source, hacksFeed } = buildSources(config, logger, provider, overrides.fetch);
  // The signing lock is per key and chain: the state database learns whose signing it guards.
  const signerIdentity = keeperAddress !== undefined ? { chainId: Number((await provider.getNetwork()).chainId), address: keeperAddress } : undefined;
  const state = lazyState(config, logger, signerIdentity);
  const alerter = buildKeeperAlerter(config, logger, () => state.open());
  const txSender = once(() => newTxSender(config, logger, chain, state.open, fund));
  const remoteProviders = await connectRemoteChains(config, logger, overrides.remoteProviders);
  const positionReader = once(() => newPositionReader(config, logger, provider, remoteProviders));
  const wiring: Wiring = { ...chain, config, logger, lens, source, hacksFeed, alerter, fetch: overrides.fetch, state: state.open, txSender, positionReader, remoteProviders };
  const exploitWatch = once(() => newExploitWatch(wiring));
  let cycle: RiskCycle | undefined;
  let dryCycle: RiskCycle | undefined;
  let coverage: CoverageCycle | undefined;
  let claims: ClaimsCycle | undefined;

  return {
    config,
    logger,
    provider,
    signer,
    source,
    alerter,
    fund,
    lens,
    riskCycle(options = {}) {
      requireChainFields(config, { fund: true, lens: true, signer: options.dryRun !== true });
      // A dry-run cycle (a standby's scoring, `--dry-run`) stores no assessment: it is its own instance,
      // so a standby that starts to lead gets a cycle that records them.
      if (options.dryRun === true) return (dryCycle ??= newRiskCycle(wiring, fund as StablecoinInsuranceFund, true));
      return (cycle ??= newRiskCycle(wiring, fund as StablecoinInsuranceFund, false));
    },
    keeperAddress,
    hacksFeed,
    coverageCycle(options = {}) {
      requireChainFields(config, { fund: true, lens: true, signer: options.dryRun !== true });
      return (coverage ??= newCoverageCycle(wiring));
    },
    claimsCycle(options = {}) {
      if (claims !== undefined) return claims;
      const coverageCycle = (this as KeeperContainer).coverageCycle(options);
      claims = newClaimsCycle(wiring, coverageCycle, exploitWatch, overrides.lossMeasurer);
      return claims;
    },
    positionReader,
    remoteProviders,
    exploitWatch,
    state: state.open,
    txSender,
    verify: () => verifyKeeperChain(config, provider),
    close() {
      state.close();
      if (overrides.provider === undefined) provider.destroy();
      if (overrides.remoteProviders === undefined) for (const p of remoteProviders.values()) p.destroy();
    },
  };
}

/** Start-up checks: chain id and code at the fund and lens addresses. */
function verifyKeeperChain(config: KeeperConfig, provider: JsonRpcProvider): Promise<{ chainId: number }> {
  return verifyChain({
    provider,
    ...(config.chain.chainId !== undefined ? { chainId: config.chain.chainId } : {}),
    ...(config.chain.fundAddress !== undefined ? { fund: config.chain.fundAddress } : {}),
    ...(config.chain.lensAddress !== undefined ? { lens: config.chain.lensAddress } : {}),
  });
}

/** The keeper key's source in the config: a private key or an encrypted keystore (env KEEPER_*). */
export function keySourceOf(chain: KeeperConfig["chain"]): KeySource {
  return {
    ...(chain.privateKey !== undefined ? { privateKey: chain.privateKey } : {}),
    ...(chain.keystore !== undefined
      ? {
          keystorePath: chain.keystore.path,
          ...(chain.keystore.password !== undefined ? { keystorePassword: chain.keystore.password } : {}),
          ...(chain.keystore.passwordFile !== undefined ? { keystorePasswordFile: chain.keystore.passwordFile } : {}),
        }
      : {}),
  };
}

interface ChainConnection {
  readonly provider: JsonRpcProvider;
  readonly signer: Signer | undefined;
  readonly keeperAddress: string | undefined;
}

/**
 * The RPC provider, then the keeper key and its address (checked against the positions'
 * beneficiaries). On a failure a provider this call connected is destroyed again.
 */
async function connectKeeperChain(config: KeeperConfig, logger: Logger, overrides: ContainerOverrides): Promise<ChainConnection> {
  const provider =
    overrides.provider ??
    (await connectProvider(config.chain.rpcUrls, config.chain.chainId, {
      logger,
      timeoutMs: config.chain.rpcTimeoutMs,
      maxRounds: config.chain.rpcMaxRounds,
      maxBlockAgeSec: config.chain.maxBlockAgeSec,
      maxLagBlocks: config.chain.maxLagBlocks,
    }));
  let signer: Signer | undefined;
  try {
    signer = overrides.signer ?? (await loadSigner(keySourceOf(config.chain), provider, logger));
  } catch (err) {
    if (overrides.provider === undefined) provider.destroy();
    throw err;
  }
  const keeperAddress = signer !== undefined ? await signer.getAddress() : undefined;
  if (keeperAddress !== undefined) {
    const issues = beneficiaryIssues(config.positions, keeperAddress);
    if (issues.length > 0) {
      if (overrides.provider === undefined) provider.destroy();
      throw new ConfigError(issues);
    }
  }
  return { provider, signer, keeperAddress };
}

/**
 * The merged risk source and the incident watch's hacks feed (only with a Pro key): one
 * hacks-feed instance serves both.
 */
function buildSources(
  config: KeeperConfig,
  logger: Logger,
  provider: JsonRpcProvider,
  fetchOverride: typeof fetch | undefined,
): { source: RiskDataSource; hacksFeed: HacksFeedSource | undefined } {
  const fetchDeps = fetchOverride !== undefined ? { fetch: fetchOverride } : {};
  const hacks = buildHacksFeed(config, { logger, ...fetchDeps });
  const source = buildRiskSource(config, { logger, provider, ...fetchDeps, ...(hacks !== undefined ? { hacksFeed: hacks } : {}) });
  return { source, hacksFeed: config.sources.hacks?.proApiKey !== undefined ? hacks : undefined };
}

/**
 * The log plus the configured sinks behind the durable outbox in the state database (opened on
 * first alert): retried until acknowledged, across restarts; dedup over delivered alerts; critical
 * alerts escalate (alerting/outbox.ts).
 */
function buildKeeperAlerter(config: KeeperConfig, logger: Logger, state: () => Pick<StateDb, "alertLog" | "alertOutbox">): Alerter {
  const a = config.alerts;
  return new OutboxAlerter(alertRoutesOf(a.routes, logger), [new LogAlerter(logger)], state, {
    dedupMs: a.dedupMinutes * 60_000,
    retryBaseMs: a.retryBaseSeconds * 1000,
    retryMaxMs: a.retryMaxSeconds * 1000,
    escalateAfterMs: a.escalateAfterMinutes * 60_000,
  }, logger);
}

/** The state database, opened and migrated on first use (`state.dbPath`). */
function lazyState(config: KeeperConfig, logger: Logger, signer: SignerIdentity | undefined): { open: () => StateDb; close: () => void } {
  let stateDb: StateDb | undefined;
  return {
    open: () => {
      if (stateDb === undefined) {
        stateDb = openStateDb(stateLocation(config.state), { takeoverSeconds: config.ha.takeoverSeconds });
        if (signer !== undefined) stateDb.bindSigner(signer);
        if (config.state.url === undefined && config.state.dbPath === ":memory:") logger.warn({}, "state.dbPath is :memory: — the action journal does not survive a restart");
      }
      return stateDb;
    },
    close: () => stateDb?.close(),
  };
}

/** A factory that builds its value on the first call that succeeds, then returns it. */
function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

/** The one signing path; a ConfigError without a key. */
function newTxSender(
  config: KeeperConfig,
  logger: Logger,
  chain: ChainConnection,
  state: () => StateDb,
  fund: StablecoinInsuranceFund | undefined,
): TxSender {
  if (chain.signer === undefined) {
    throw new ConfigError(["env.KEEPER_PRIVATE_KEY: missing — set it or KEEPER_KEYSTORE_PATH to send transactions, or use --dry-run"]);
  }
  return new TxSender(
    { signer: chain.signer, provider: chain.provider, journal: state().journal, logger, abis: fund !== undefined ? [fund.interface] : [] },
    txSenderOptions(config),
  );
}

/** What the cycles are built from. */
interface Wiring extends ChainConnection {
  readonly config: KeeperConfig;
  readonly logger: Logger;
  readonly lens: FundLens | undefined;
  readonly source: RiskDataSource;
  readonly hacksFeed: HacksFeedSource | undefined;
  readonly alerter: Alerter;
  readonly fetch: typeof fetch | undefined;
  state(): StateDb;
  txSender(): TxSender;
  positionReader(): PositionValueReader;
  readonly remoteProviders: ReadonlyMap<number, JsonRpcProvider>;
}

/** The TxSender when the keeper has a key; undefined for a read-only (dry-run) keeper. */
function keyedTxSender(w: Wiring): TxSender | undefined {
  return w.signer !== undefined ? w.txSender() : undefined;
}

function newExploitWatch(w: Wiring): ExploitWatch {
  requireChainFields(w.config, { fund: true });
  return new ExploitWatch({
    reader: w.positionReader(),
    provider: w.provider,
    remoteLogs: w.remoteProviders,
    fundAddress: w.config.chain.fundAddress as string,
    fundReader: w.provider,
    config: w.config,
    txSender: keyedTxSender(w),
    alerter: w.alerter,
    logger: w.logger,
    kv: w.state().kv,
  });
}

function newRiskCycle(w: Wiring, fund: StablecoinInsuranceFund, dryRun: boolean): RiskCycle {
  const { confirmations, ...params } = w.config.riskPush;
  return new RiskCycle({
    clock: w.provider,
    fund,
    lens: w.lens as FundLens,
    source: w.source,
    pusher: new RiskPusher(fund, w.logger, { confirmations, ...(w.signer !== undefined ? { txSender: w.txSender() } : {}) }),
    alerter: w.alerter,
    protocols: w.config.protocols,
    params,
    alertThresholdPoints: w.config.alerts.thresholdPoints,
    logger: w.logger,
    ...(!dryRun ? { assessments: w.state().assessments } : {}),
    incidents: () => w.state().incidents.list(),
  });
}

function newCoverageCycle(w: Wiring): CoverageCycle {
  const { config, provider, logger } = w;
  const readFund = StablecoinInsuranceFund__factory.connect(config.chain.fundAddress as string, provider);
  return new CoverageCycle({
    provider,
    fund: readFund,
    lens: w.lens as FundLens,
    config,
    quoter: new ConfiguredQuoter(config, { fund: readFund, provider, logger, ...(w.fetch !== undefined ? { fetch: w.fetch } : {}) }),
    journal: w.state().journal,
    kv: w.state().kv,
    txSender: keyedTxSender(w),
    keeperAddress: w.keeperAddress,
    alerter: w.alerter,
    logger,
    haltedProtocols: () => {
      const ids = new Set(w.state().incidents.list({ states: ["suspected", "confirmed"] }).map((i) => i.protocol));
      return config.protocols.filter((p) => ids.has(p.id)).map((p) => p.address);
    },
    positionReader: w.positionReader(),
  });
}

function newClaimsCycle(w: Wiring, coverage: CoverageCycle, exploitWatch: () => ExploitWatch, lossMeasurer: PositionLossMeasurer | undefined): ClaimsCycle {
  const { config, provider, logger } = w;
  // Two or more RPC URLs: the measured loss and a claim's status are read on two nodes (cycles/crossCheck.ts).
  const agreed = agreedReaderOf(provider, config.chain.rpcUrls);
  const remoteTwoNode = remoteTwoNodeMeasures(config, w.remoteProviders);
  // Each position's loss by its kind's rule, between the block before the incident and the end of its drain window.
  const measurer =
    lossMeasurer ??
    new WatchLossMeasurer({
      watch: exploitWatch(),
      provider,
      config,
      measure:
        agreed !== undefined
          ? new TwoNodeLossMeasure(agreed, config.chain.multicallAddress)
          : new IncidentLossReader({ chain: provider, ...(config.chain.multicallAddress !== undefined ? { multicallAddress: config.chain.multicallAddress } : {}) }),
      ...(config.chain.chainId !== undefined ? { chainId: config.chain.chainId } : {}),
      remote: new Map(
        [...w.remoteProviders].map(([chainId, p]) => [chainId, { provider: p, measure: remoteTwoNode.get(chainId) ?? new IncidentLossReader({ chain: p, multicallAddress: config.chains[String(chainId)]?.multicallAddress ?? config.chain.multicallAddress }) }] as const),
      ),
      logger,
    });
  return new ClaimsCycle({
    provider,
    fund: StablecoinInsuranceFund__factory.connect(config.chain.fundAddress as string, provider),
    coverage,
    config,
    state: w.state(),
    source: w.source,
    hacksFeed: w.hacksFeed,
    txSender: keyedTxSender(w),
    keeperAddress: w.keeperAddress,
    lossMeasurer: measurer,
    alerter: w.alerter,
    logger,
    watch: exploitWatch(),
    ...(agreed !== undefined ? { claimStatusCheck: new ClaimStatusCrossCheck(agreed, config.chain.fundAddress as string) } : {}),
  });
}
