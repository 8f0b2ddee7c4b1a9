/**
 * The composition root: the only place that turns the config into live objects (failover
 * provider, signer from key or keystore, state database, the one TxSender, contracts, data
 * sources, alerter, pusher, risk cycle). Plain ethers + TypeChain
 * factories; never the Hardhat runtime.
 */
import { parseUnits, type JsonRpcProvider, type Signer } from "ethers";
import { FundLens__factory } from "../../../typechain-types/factories/contracts/FundLens__factory";
import { StablecoinInsuranceFund__factory } from "../../../typechain-types/factories/contracts/StablecoinInsuranceFund__factory";
import type { FundLens } from "../../../typechain-types/contracts/FundLens";
import type { StablecoinInsuranceFund } from "../../../typechain-types/contracts/StablecoinInsuranceFund";
import { beneficiaryIssues, ConfigError, requireChainFields, type KeeperConfig } from "../config";
import { loadSigner, verifyChain } from "../execution/keys";
import { RiskPusher } from "../execution/riskPusher";
import { connectFailoverProvider } from "../execution/rpc";
import { TxSender, type TxSenderOptions } from "../execution/txSender";
import { openStateDb, type StateDb } from "../state";
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
import { buildAlerter as buildAlertRouter, DedupAlerter, type Alerter } from "../alerting";
import type { PositionLossMeasurer } from "../policy/claims";
import { ChainPositionReader } from "../sources/positions";
import { ClaimsCycle } from "../cycles/claimsCycle";
import { WatchLossMeasurer } from "../cycles/positionLoss";
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
  options: { logger?: Logger; timeoutMs?: number; maxRounds?: number; maxBlockAgeSec?: number } = {},
): Promise<JsonRpcProvider> {
  return connectFailoverProvider({
    urls: typeof rpcUrls === "string" ? [rpcUrls] : rpcUrls,
    ...(chainId !== undefined ? { chainId } : {}),
    ...(options.maxBlockAgeSec !== undefined ? { maxBlockAgeSec: options.maxBlockAgeSec } : {}),
    logger: options.logger ?? silentLogger,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.maxRounds !== undefined ? { maxRounds: options.maxRounds } : {}),
  });
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
    confirmations: config.riskPush.confirmations,
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
  /** Live position values and watched balances, one Multicall3 batch per read (`chain.multicallAddress`). */
  positionReader(): ChainPositionReader;
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
}

export async function buildContainer(
  config: KeeperConfig,
  logger: Logger,
  overrides: ContainerOverrides = {},
): Promise<KeeperContainer> {
  const provider =
    overrides.provider ??
    (await connectProvider(config.chain.rpcUrls, config.chain.chainId, {
      logger,
      timeoutMs: config.chain.rpcTimeoutMs,
      maxRounds: config.chain.rpcMaxRounds,
      maxBlockAgeSec: config.chain.maxBlockAgeSec,
    }));
  let signer: Signer | undefined;
  try {
    signer =
      overrides.signer ??
      (await loadSigner(
        {
          ...(config.chain.privateKey !== undefined ? { privateKey: config.chain.privateKey } : {}),
          ...(config.chain.keystore !== undefined
            ? {
                keystorePath: config.chain.keystore.path,
                ...(config.chain.keystore.password !== undefined ? { keystorePassword: config.chain.keystore.password } : {}),
                ...(config.chain.keystore.passwordFile !== undefined ? { keystorePasswordFile: config.chain.keystore.passwordFile } : {}),
              }
            : {}),
        },
        provider,
        logger,
      ));
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
  const runner = signer ?? provider;
  const fund =
    config.chain.fundAddress !== undefined ? StablecoinInsuranceFund__factory.connect(config.chain.fundAddress, runner) : undefined;
  const lens = config.chain.lensAddress !== undefined ? FundLens__factory.connect(config.chain.lensAddress, provider) : undefined;
  const fetchOverride = overrides.fetch !== undefined ? { fetch: overrides.fetch } : {};
  // One hacks-feed instance: a risk-source member and, with a Pro key, the incident watch's feed.
  const hacks = buildHacksFeed(config, { logger, ...fetchOverride });
  const source = buildRiskSource(config, { logger, provider, ...fetchOverride, ...(hacks !== undefined ? { hacksFeed: hacks } : {}) });
  const delivery = buildAlerter(config, logger);
  // Deduplicated through the state database (opened on first alert), so cron runs dedup too.
  const alerter: Alerter =
    config.alerts.dedupMinutes > 0 ? new DedupAlerter(delivery, () => openState().alertLog, config.alerts.dedupMinutes * 60_000, logger) : delivery;
  const hacksFeed = config.sources.hacks?.proApiKey !== undefined ? hacks : undefined;
  let cycle: RiskCycle | undefined;
  let coverage: CoverageCycle | undefined;
  let claims: ClaimsCycle | undefined;
  let reader: ChainPositionReader | undefined;
  let watch: ExploitWatch | undefined;
  const positionReader = (): ChainPositionReader =>
    (reader ??= new ChainPositionReader({ caller: provider, multicallAddress: config.chain.multicallAddress, logger }));
  const exploitWatch = (): ExploitWatch => {
    if (watch !== undefined) return watch;
    requireChainFields(config, { fund: true });
    watch = new ExploitWatch({
      reader: positionReader(),
      provider,
      fundAddress: config.chain.fundAddress as string,
      fundReader: provider,
      config,
      txSender: signer !== undefined ? txSender() : undefined,
      alerter,
      logger,
      kv: openState().kv,
    });
    return watch;
  };
  let stateDb: StateDb | undefined;
  let sender: TxSender | undefined;
  const openState = (): StateDb => {
    if (stateDb === undefined) {
      stateDb = openStateDb(config.state.dbPath);
      if (config.state.dbPath === ":memory:") logger.warn({}, "state.dbPath is :memory: — the action journal does not survive a restart");
    }
    return stateDb;
  };
  const txSender = (): TxSender => {
    if (sender !== undefined) return sender;
    if (signer === undefined) {
      throw new ConfigError(["env.KEEPER_PRIVATE_KEY: missing — set it or KEEPER_KEYSTORE_PATH to send transactions, or use --dry-run"]);
    }
    sender = new TxSender(
      { signer, provider, journal: openState().journal, logger, abis: fund !== undefined ? [fund.interface] : [] },
      txSenderOptions(config),
    );
    return sender;
  };

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
      if (cycle !== undefined) return cycle;
      const fundContract = fund as StablecoinInsuranceFund;
      const { confirmations, ...params } = config.riskPush;
      cycle = new RiskCycle({
        clock: provider,
        fund: fundContract,
        lens: lens as FundLens,
        source,
        pusher: new RiskPusher(fundContract, logger, { confirmations, ...(signer !== undefined ? { txSender: txSender() } : {}) }),
        alerter,
        protocols: config.protocols,
        params,
        alertThresholdPoints: config.alerts.thresholdPoints,
        logger,
        ...(options.dryRun !== true ? { assessments: openState().assessments } : {}),
        incidents: () => openState().incidents.list(),
      });
      return cycle;
    },
    keeperAddress,
    hacksFeed,
    coverageCycle(options = {}) {
      requireChainFields(config, { fund: true, lens: true, signer: options.dryRun !== true });
      if (coverage !== undefined) return coverage;
      const readFund = StablecoinInsuranceFund__factory.connect(config.chain.fundAddress as string, provider);
      coverage = new CoverageCycle({
        provider,
        fund: readFund,
        lens: lens as FundLens,
        config,
        quoter: new ConfiguredQuoter(config, { fund: readFund, provider, logger, ...(overrides.fetch !== undefined ? { fetch: overrides.fetch } : {}) }),
        journal: openState().journal,
        txSender: signer !== undefined ? txSender() : undefined,
        keeperAddress,
        alerter,
        logger,
        haltedProtocols: () => {
          const ids = new Set(openState().incidents.list({ states: ["suspected", "confirmed"] }).map((i) => i.protocol));
          return config.protocols.filter((p) => ids.has(p.id)).map((p) => p.address);
        },
        positionReader: positionReader(),
      });
      return coverage;
    },
    claimsCycle(options = {}) {
      if (claims !== undefined) return claims;
      const coverageCycle = (this as KeeperContainer).coverageCycle(options);
      claims = new ClaimsCycle({
        provider,
        fund: StablecoinInsuranceFund__factory.connect(config.chain.fundAddress as string, provider),
        coverage: coverageCycle,
        config,
        state: openState(),
        source,
        hacksFeed,
        txSender: signer !== undefined ? txSender() : undefined,
        keeperAddress,
        // The position readers measure each position's loss (value before − after the incident).
        lossMeasurer: overrides.lossMeasurer ?? new WatchLossMeasurer({ watch: exploitWatch(), provider, config, logger }),
        alerter,
        logger,
        watch: exploitWatch(),
      });
      return claims;
    },
    positionReader,
    exploitWatch,
    state: openState,
    txSender,
    verify() {
      return verifyChain({
        provider,
        ...(config.chain.chainId !== undefined ? { chainId: config.chain.chainId } : {}),
        ...(config.chain.fundAddress !== undefined ? { fund: config.chain.fundAddress } : {}),
        ...(config.chain.lensAddress !== undefined ? { lens: config.chain.lensAddress } : {}),
      });
    },
    close() {
      stateDb?.close();
      if (overrides.provider === undefined) provider.destroy();
    },
  };
}
