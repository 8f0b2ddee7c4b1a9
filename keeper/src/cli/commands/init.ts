/**
 * `keeper init`: a commented config (JSON with // comments) for the connected chain. Protocols
 * come from the deployment's coverages (every protocol the fund has sold cover for), positions
 * from the fund's active coverages of `--beneficiary`. Every value the keeper will use is written
 * out with a comment; nothing is left to a hidden default. Where the keeper knows how a protocol's
 * positions are read (the demo stand-ins of the deployment), the beneficiary's holdings are probed
 * in one Multicall3 batch and a non-zero one is written as a live `position`; a fixed
 * `targetAmount` only where nothing can be read. The text parses back through the
 * config schema (the command checks it before writing).
 */
import { cpSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { formatUnits, getAddress, isAddress, type JsonRpcProvider } from "ethers";
import type { Command } from "commander";
import { FundLens__factory } from "../../../../typechain-types/factories/contracts/FundLens__factory";
import { StablecoinInsuranceFund__factory } from "../../../../typechain-types/factories/contracts/StablecoinInsuranceFund__factory";
import {
  ConfigError,
  DEFAULT_FIXTURE_DIR,
  demoProtocolAddress,
  embeddedDefaultConfig,
  LOCAL_CHAIN_ID,
  parseConfig,
  type KeeperConfig,
} from "../../config";
import { chooseAddresses, defaultDeploymentsDir, DeploymentLookupError, readDeployment, type Deployment } from "../../config/deployments";
import { parseJsonc } from "../../config/jsonc";
import { redactUrl } from "../../lib/redact";
import { formatToken } from "../../lib/format";
import { connectProvider } from "../container";
import { chainIdOf, setupCommand } from "./context";
import { tokenInfo } from "./operator";
import type { PositionSourceConfig } from "../../config/schema";
import { DEMO_PORTFOLIO, TOKEN_DECIMALS } from "../../demo/portfolio";
import { ChainPositionReader, positionIdOf, specOf, type EthCaller } from "../../sources/positions";
import { demoPositionSource } from "../embedded";

/** A JSON value with comments: what `renderJsonc` prints. */
export type Jsonc =
  | { readonly kind: "object"; readonly entries: readonly { readonly key: string; readonly value: Jsonc; readonly comment?: string }[] }
  | { readonly kind: "array"; readonly items: readonly { readonly value: Jsonc; readonly comment?: string }[] }
  | { readonly kind: "value"; readonly value: string | number | boolean | null };

export const obj = (entries: readonly ({ key: string; value: Jsonc; comment?: string } | undefined)[]): Jsonc => ({
  kind: "object",
  entries: entries.filter((e): e is { key: string; value: Jsonc; comment?: string } => e !== undefined),
});
export const arr = (items: readonly { value: Jsonc; comment?: string }[]): Jsonc => ({ kind: "array", items });
export const val = (value: string | number | boolean | null): Jsonc => ({ kind: "value", value });

function commentLines(comment: string | undefined, pad: string): string {
  if (comment === undefined) return "";
  return comment
    .split("\n")
    .map((line) => `${pad}// ${line}\n`)
    .join("");
}

/** Pretty JSON with `//` comments above the commented entries. */
export function renderJsonc(node: Jsonc, depth = 0): string {
  const pad = "  ".repeat(depth + 1);
  const end = "  ".repeat(depth);
  if (node.kind === "value") return JSON.stringify(node.value);
  if (node.kind === "array") {
    if (node.items.length === 0) return "[]";
    const items = node.items.map((item, i) => `${commentLines(item.comment, pad)}${pad}${renderJsonc(item.value, depth + 1)}${i < node.items.length - 1 ? "," : ""}\n`);
    return `[\n${items.join("")}${end}]`;
  }
  if (node.entries.length === 0) return "{}";
  const entries = node.entries.map(
    (e, i) => `${commentLines(e.comment, pad)}${pad}${JSON.stringify(e.key)}: ${renderJsonc(e.value, depth + 1)}${i < node.entries.length - 1 ? "," : ""}\n`,
  );
  return `{\n${entries.join("")}${end}}`;
}

/** What init learned from the chain. */
export interface ChainFacts {
  readonly chainId: number;
  readonly rpcUrl: string | undefined;
  /**
   * Path of the deployment file, relative to the config's folder when possible; undefined when the
   * fund and lens came from FUND_ADDRESS / LENS_ADDRESS (no deployment file on this chain).
   */
  readonly deploymentRef: string | undefined;
  readonly deployment: Deployment;
  /** Protocol address → known name/id (the demo keys on a test chain), else undefined. */
  readonly protocols: readonly { readonly address: string; readonly coverages: number }[];
  readonly providers: readonly { readonly id: number; readonly adapter: string }[];
  readonly beneficiary: string | undefined;
  readonly positions: readonly {
    readonly protocol: string;
    readonly asset: string;
    readonly symbol: string;
    readonly decimals: number;
    readonly amount: bigint;
    readonly providerIds: readonly number[];
    readonly coverIds: readonly bigint[];
    readonly ends: readonly number[];
    /** Where the beneficiary's position was read on chain (non-zero): written as a live `position`. */
    readonly live?: { readonly source: PositionSourceConfig; readonly value: bigint; readonly label: string };
    /** Why no live position was written (no reader known, nothing held, the read failed). */
    readonly notReadable?: string;
  }[];
  /** Local chain: the fixture copy the keeper and simulate-exploit share, relative to the config. */
  readonly fixtureDir: string | undefined;
}

const KNOWN = new Map(
  (embeddedDefaultConfig().protocols as readonly { id: string; name: string; defiLlamaSlug?: string; stablecoin?: string }[]).map((p) => [
    demoProtocolAddress(p.id),
    p,
  ]),
);

/** Pure: the config text for the facts. */
export function renderInitConfig(facts: ChainFacts): string {
  const { nodes: protocolNodes, ids: protocolIds } = protocolsSection(facts);
  const positionNodes = positionsSection(facts, protocolIds);
  const root = obj([
    chainSection(facts),
    { key: "protocols", value: arr(protocolNodes), comment: "protocols the fund has sold cover for" },
    { key: "sources", value: sourcesSection(facts) },
    {
      key: "positions",
      value: arr(positionNodes),
      comment:
        facts.beneficiary === undefined
          ? "no --beneficiary given: add the positions to keep covered"
          : positionNodes.length === 0
            ? `no active coverage of ${facts.beneficiary}: add the positions to keep covered`
            : `the active coverages of ${facts.beneficiary}, one position per protocol and asset`,
    },
    providersSection(facts),
    ...LOCAL_FILES_SECTIONS,
  ]);
  return `// Keeper config (JSON with // comments). Check it with \`keeper doctor\`.\n${renderJsonc(root)}\n`;
}

type JsoncEntry = { key: string; value: Jsonc; comment?: string };
type JsoncItem = { value: Jsonc; comment?: string };

/** `chain`: the RPC only on a local chain (elsewhere it carries API keys: env), chain id, deployment file. */
function chainSection(facts: ChainFacts): JsoncEntry {
  const local = facts.chainId === LOCAL_CHAIN_ID;
  return {
    key: "chain",
    comment: local
      ? `written by \`keeper init\` for chain ${facts.chainId}`
      : `written by \`keeper init\` for chain ${facts.chainId}; the RPC comes from env RPC_URL / RPC_URLS (provider URLs carry API keys: keep them out of this file)`,
    value: obj([
      local || facts.rpcUrl === undefined
        ? { key: "rpcUrl", value: val(facts.rpcUrl ?? "http://127.0.0.1:8545"), comment: "env RPC_URL / RPC_URLS win over this" }
        : undefined,
      { key: "chainId", value: val(facts.chainId), comment: "checked on every RPC URL at start" },
      ...(facts.deploymentRef !== undefined
        ? [
            {
              key: "deployment",
              value: val(facts.deploymentRef),
              comment: `fund ${facts.deployment.fundAddress} and lens ${facts.deployment.lensAddress} are read from this file at start (never mixed with FUND_ADDRESS / LENS_ADDRESS)`,
            },
          ]
        : [
            { key: "fundAddress", value: val(facts.deployment.fundAddress), comment: "from FUND_ADDRESS (no deployment file for this chain)" },
            { key: "lensAddress", value: val(facts.deployment.lensAddress), comment: "from LENS_ADDRESS" },
          ]),
    ]),
  };
}

/** `protocols[]`, and the id given to each protocol address (the demo's keys, else a stub id). */
function protocolsSection(facts: ChainFacts): { nodes: JsoncItem[]; ids: Map<string, string> } {
  const ids = new Map<string, string>();
  const nodes = facts.protocols.map((p) => {
    const known = KNOWN.get(p.address);
    const id = known?.id ?? `protocol-${p.address.slice(2, 8).toLowerCase()}`;
    ids.set(p.address, id);
    return {
      comment: known !== undefined
        ? `${known.name}: the demo protocol key of the test stacks (${p.coverages} coverage(s) on chain)`
        : `${p.coverages} coverage(s) on chain; give it its real name and DefiLlama slug`,
      value: obj([
        { key: "id", value: val(id), comment: "the keeper's key for this protocol (fixture file stem, positions[].protocol)" },
        { key: "name", value: val(known?.name ?? id), comment: "display name, also matched against the hacks feed" },
        { key: "address", value: val(p.address), comment: "the protocol key in the fund" },
        known?.defiLlamaSlug !== undefined ? { key: "defiLlamaSlug", value: val(known.defiLlamaSlug) } : undefined,
      ]),
    };
  });
  return { nodes, ids };
}

/** `sources`: the fixture copy on a local chain, else live DefiLlama (hacks feed with a Pro key). */
function sourcesSection(facts: ChainFacts): Jsonc {
  if (facts.fixtureDir !== undefined) {
    return obj([
      {
        key: "fixture",
        comment: "local chain: a copy of the fixture portfolio made by `keeper init`; scripts/simulate-exploit.ts writes the TVL collapse here",
        value: obj([{ key: "path", value: val(facts.fixtureDir) }]),
      },
    ]);
  }
  return obj([
    {
      key: "defiLlama",
      comment: "live DefiLlama data (https://api.llama.fi and https://stablecoins.llama.fi)",
      value: obj([
        { key: "apiBaseUrl", value: val("https://api.llama.fi") },
        { key: "stablecoinsBaseUrl", value: val("https://stablecoins.llama.fi") },
      ]),
    },
    {
      key: "hacks",
      comment:
        "DefiLlama's hacks feed is Pro-only: it is on when env DEFILLAMA_PRO_API_KEY is set (the key never goes in this file); without it, exploits come from DefiLlama hallmarks",
      value: obj([{ key: "ttlSeconds", value: val(3600) }]),
    },
  ]);
}

/** `positions[]`: one per active coverage group of the beneficiary. */
function positionsSection(facts: ChainFacts, protocolIds: ReadonlyMap<string, string>): JsoncItem[] {
  return facts.positions.map((p) => {
    const selfInsured = p.providerIds.includes(0);
    // Today's providers first, then the providers priced on chain as a fallback: a Nexus position
    // without a quote source (providers.nexus.quoteBaseUrl) can still be bought (keeper doctor).
    const onChainQuote = facts.providers.filter((x) => x.adapter === facts.deployment.adapters.secondProvider).map((x) => x.id);
    const providers = [...new Set([...p.providerIds.filter((id) => id !== 0), ...onChainQuote])];
    const size =
      p.live !== undefined
        ? {
            key: "position",
            value: obj(Object.entries(p.live.source).map(([key, v]) => ({ key, value: val(v as string | number) }))),
            comment: `read live every cycle: ${p.live.label}, ${formatToken(p.live.value, p.decimals, p.symbol)} held by the beneficiary now. The target follows it, a claim is sized by the loss measured on it, and a position paid out to zero is not covered again`,
          }
        : {
            key: "targetAmount",
            value: val(formatUnits(p.amount, p.decimals).replace(/\.0$/, "")),
            comment: `whole tokens to keep covered (today's cover). A FIXED size: ${p.notReadable ?? "nothing here is read on chain"}, so a claim asks for this size and waits for the operator (\`npm run keeper -- incident confirm <id>\`), and after a cover paid out in full the keeper does not buy this size again until you change it. Where the chain can be read, replace it with a \`position\` (see docs/keeper.md, live positions)`,
          };
    return {
      comment: p.coverIds.length === 0 ? `held by ${facts.beneficiary ?? "?"} on chain, no active coverage yet` : `coverage(s) ${p.coverIds.map(String).join(", ")} of ${facts.beneficiary ?? "?"}: ${formatUnits(p.amount, p.decimals)} ${p.symbol}, ending ${p.ends.map((e) => new Date(e * 1000).toISOString().slice(0, 10)).join(", ")}`,
      value: obj([
        { key: "protocol", value: val(protocolIds.get(p.protocol) ?? p.protocol) },
        { key: "asset", value: val(p.asset) },
        { key: "assetSymbol", value: val(p.symbol) },
        { key: "assetDecimals", value: val(p.decimals) },
        size,
        { key: "beneficiary", value: val(facts.beneficiary ?? ""), comment: "cold address that owns the coverage and receives payouts; it must approve the keeper: `keeper set-agent`" },
        { key: "providers", value: arr(providers.map((id) => ({ value: val(id) }))), comment: "provider ids in order of preference: today's provider, then those priced on chain (1 = Nexus adapter on the stacks of this repo; a Nexus cover is renewed through Nexus, which needs providers.nexus.quoteBaseUrl)" },
        { key: "allowSelfInsure", value: val(selfInsured || providers.length === 0), comment: selfInsured ? "the current cover is self-insured by the fund's pool" : "let the pool carry it when no provider can" },
      ]),
    };
  });
}

/** `providers`: the Nexus adapter (when deployed) and the providers priced on chain. */
function providersSection(facts: ChainFacts): JsoncEntry {
  const nexus = facts.providers.find((p) => p.adapter === facts.deployment.adapters.nexusAdapter);
  const onChainQuote = facts.providers.filter((p) => p.adapter === facts.deployment.adapters.secondProvider).map((p) => p.id);
  return {
    key: "providers",
    comment: "how the keeper prices upstream cover",
    value: obj([
      nexus !== undefined
        ? {
            key: "nexus",
            comment: `provider ${nexus.id} = NexusMutualAdapter ${nexus.adapter}; set quoteBaseUrl (e.g. https://api.nexusmutual.io/) to buy new Nexus cover`,
            value: obj([
              { key: "providerId", value: val(nexus.id) },
              { key: "productIds", value: obj([]), comment: "Nexus product id per protocols[].id" },
            ]),
          }
        : undefined,
      { key: "onChainQuote", value: arr(onChainQuote.map((id) => ({ value: val(id) }))), comment: "providers priced by their own quote() view" },
    ]),
  };
}

/** `state`, `paths` and `health`: the keeper's own files and port, the same on every chain. */
const LOCAL_FILES_SECTIONS: readonly JsoncEntry[] = [
  {
    key: "state",
    value: obj([{ key: "dbPath", value: val("keeper-data/keeper.sqlite"), comment: "the action journal, incidents and claims (relative to this file)" }]),
  },
  {
    key: "paths",
    value: obj([
      { key: "evidenceDir", value: val("keeper-data/evidence"), comment: "claim evidence packs" },
      { key: "reportDir", value: val("keeper-data/reports"), comment: "coverage reports" },
    ]),
  },
  { key: "health", value: obj([{ key: "port", value: val(9464), comment: "/healthz and /metrics on 127.0.0.1" }]) },
];

/** Reads what init needs from the chain. */
export async function gatherChainFacts(
  provider: JsonRpcProvider,
  input: { chainId: number; rpcUrl: string | undefined; deployment: Deployment; configDir: string; beneficiary: string | undefined; fromEnv?: boolean; multicallAddress?: string },
): Promise<Omit<ChainFacts, "fixtureDir">> {
  const fund = StablecoinInsuranceFund__factory.connect(input.deployment.fundAddress, provider);
  const lens = FundLens__factory.connect(input.deployment.lensAddress, provider);
  const count = Number(await fund.coverageCount());
  const coverages = [];
  for (let start = 1; start <= count; start += 100) {
    const ids = Array.from({ length: Math.min(100, count - start + 1) }, (_, i) => BigInt(start + i));
    coverages.push(...(await lens.getCoverages(input.deployment.fundAddress, ids)));
  }
  const protocols = new Map<string, number>();
  for (const c of coverages) protocols.set(getAddress(c.protocol), (protocols.get(getAddress(c.protocol)) ?? 0) + 1);
  const providerCount = Number(await fund.providerCount());
  const providers = [];
  for (let id = 1; id <= providerCount; id += 1) {
    const [adapter] = await fund.providerAdapter(id);
    providers.push({ id, adapter: getAddress(adapter) });
  }
  const groups = new Map<string, { protocol: string; asset: string; amount: bigint; providerIds: number[]; coverIds: bigint[]; ends: number[] }>();
  if (input.beneficiary !== undefined) {
    for (const c of coverages) {
      // CoverageStatus.Active == 1
      if (getAddress(c.beneficiary) !== input.beneficiary || Number(c.status) !== 1) continue;
      const key = `${c.protocol}:${c.asset}`;
      const group = groups.get(key) ?? { protocol: getAddress(c.protocol), asset: getAddress(c.asset), amount: 0n, providerIds: [], coverIds: [], ends: [] };
      group.amount += c.amount - c.claimed;
      group.providerIds.push(Number(c.providerId));
      group.coverIds.push(c.id);
      group.ends.push(Number(c.end));
      groups.set(key, group);
    }
  }
  const tokens = new Map<string, { symbol: string; decimals: number }>();
  const positions = [];
  for (const g of groups.values()) {
    const token = tokens.get(g.asset) ?? (await tokenInfo(provider, g.asset));
    tokens.set(g.asset, token);
    positions.push({ ...g, symbol: token.symbol, decimals: token.decimals });
  }
  const probed = input.beneficiary === undefined ? positions : await probeLivePositions(provider, {
          deployment: input.deployment,
          beneficiary: input.beneficiary,
          positions: [...positions, ...uncoveredCandidates([...protocols.keys()], positions, input.deployment)],
          ...(input.multicallAddress !== undefined ? { multicallAddress: input.multicallAddress } : {}),
        });
  const relative = path.relative(input.configDir, input.deployment.file);
  return {
    chainId: input.chainId,
    rpcUrl: input.rpcUrl,
    deploymentRef: input.fromEnv === true ? undefined : relative.startsWith("..") ? input.deployment.file : relative,
    deployment: input.deployment,
    protocols: [...protocols.entries()].map(([address, n]) => ({ address, coverages: n })),
    providers,
    beneficiary: input.beneficiary,
    // A holding found without cover is written only when it was read non-zero.
    positions: probed.filter((p) => p.coverIds.length > 0 || p.live !== undefined),
  };
}

type FactPosition = ChainFacts["positions"][number];

/**
 * Where the keeper knows how a protocol's positions are read: the demo protocols (by their keys)
 * whose stand-in contract the deployment names (`DemoProtocols#<futureId>`). Else undefined, with why.
 */
export function knownPositionSource(protocol: string, deployment: Deployment): { source: PositionSourceConfig; label: string } | { reason: string } {
  const known = KNOWN.get(getAddress(protocol));
  const demo = known === undefined ? undefined : DEMO_PORTFOLIO.find((d) => d.id === known.id);
  if (demo === undefined) return { reason: "the keeper knows no position reader for this protocol" };
  const futureId = demo.standIn.futureId;
  const contract = futureId === undefined ? undefined : deployment.contracts[`DemoProtocols#${futureId}`];
  const entry = demo.standIn.kind === "aave-v2" ? deployment.contracts["DemoProtocols#RadiantPool"] : contract;
  if (contract === undefined || entry === undefined) return { reason: `the deployment names no ${demo.standIn.label} to read the position from` };
  return { source: demoPositionSource(demo, { positionContract: contract, holder: contract, entry }), label: demo.standIn.label };
}

/**
 * Protocols of the fund with a known reader where the beneficiary has no active coverage: probed
 * too (asset: the deployment's mock stablecoin of the demo position), kept only when held.
 */
export function uncoveredCandidates(protocols: readonly string[], covered: readonly FactPosition[], deployment: Deployment): FactPosition[] {
  return protocols.flatMap((protocol) => {
    if (covered.some((p) => getAddress(p.protocol) === getAddress(protocol))) return [];
    const known = KNOWN.get(getAddress(protocol));
    const demo = known === undefined ? undefined : DEMO_PORTFOLIO.find((d) => d.id === known.id);
    const asset = demo === undefined ? undefined : deployment.contracts[`MockTokens#Mock${demo.stablecoin}`];
    if (demo === undefined || asset === undefined || !("source" in knownPositionSource(protocol, deployment))) return [];
    return [{ protocol: getAddress(protocol), asset, symbol: demo.stablecoin, decimals: TOKEN_DECIMALS[demo.stablecoin], amount: 0n, providerIds: [], coverIds: [], ends: [] }];
  });
}

/**
 * The beneficiary's holdings in every protocol with a known reader, in one Multicall3 batch (the
 * keeper's own position reader): a non-zero read becomes `live`; otherwise `notReadable` says why.
 */
export async function probeLivePositions(
  caller: EthCaller,
  input: { deployment: Deployment; beneficiary: string; positions: readonly FactPosition[]; multicallAddress?: string },
): Promise<FactPosition[]> {
  const known = input.positions.map((p) => knownPositionSource(p.protocol, input.deployment));
  const reads = input.positions.flatMap((p, i) => {
    const k = known[i];
    if (k === undefined || !("source" in k)) return [];
    const spec = specOf(k.source, input.beneficiary, p.asset);
    return [{ index: i, id: positionIdOf(p.protocol, spec), spec }];
  });
  if (reads.length === 0) return input.positions.map((p, i) => ({ ...p, notReadable: (known[i] as { reason: string }).reason }));
  const reader = new ChainPositionReader({ caller, ...(input.multicallAddress !== undefined ? { multicallAddress: input.multicallAddress } : {}) });
  const snapshot = await reader.read({ positions: reads, balances: [] });
  return input.positions.map((p, i) => {
    const k = known[i];
    if (k === undefined || !("source" in k)) return { ...p, notReadable: (k as { reason: string } | undefined)?.reason ?? "no reader" };
    const read = reads.find((r) => r.index === i);
    const reading = read === undefined ? undefined : snapshot.positions.get(read.id);
    if (reading?.status !== "fresh" || reading.last === undefined) {
      return { ...p, notReadable: `the ${k.label} could not be read (${reading?.error ?? snapshot.error ?? "no answer"})` };
    }
    if (reading.last.value === 0n) return { ...p, notReadable: `the beneficiary holds nothing readable in the ${k.label}` };
    return { ...p, live: { source: k.source, value: reading.last.value, label: k.label } };
  });
}

/**
 * The deployment init writes the config for: the deployment file of the chain; or, when there is
 * none and both FUND_ADDRESS and LENS_ADDRESS are set (the advice of the "no deployment" error),
 * those two addresses (no adapters known: provider ids are read from the fund).
 */
export function initDeployment(
  chainId: number,
  config: KeeperConfig,
  deploymentFlag: string | undefined,
): { deployment: Deployment; fromEnv: boolean } {
  const { fundAddress, lensAddress } = config.chain;
  const location = deploymentFlag ?? config.chain.deployment;
  let deployment: Deployment;
  try {
    deployment = readDeployment(chainId, location ?? defaultDeploymentsDir());
  } catch (err) {
    if (!(err instanceof DeploymentLookupError) || location !== undefined || fundAddress === undefined || lensAddress === undefined) {
      throw err instanceof DeploymentLookupError ? new ConfigError([`--deployment: ${err.message}`]) : err;
    }
    return {
      deployment: { chainId, fundAddress: getAddress(fundAddress), lensAddress: getAddress(lensAddress), file: "FUND_ADDRESS / LENS_ADDRESS", adapters: {}, contracts: {} },
      fromEnv: true,
    };
  }
  const chosen = chooseAddresses({ fundAddress, lensAddress }, deployment);
  if ("problems" in chosen) throw new ConfigError(chosen.problems.map((p) => `config.chain: ${p}`));
  return { deployment, fromEnv: false };
}

export async function runInitCommand(program: Command, flags: { beneficiary?: string; out: string; force?: boolean; deployment?: string }, out: (text: string) => void): Promise<void> {
  // init writes the config: it runs without one (the RPC from env RPC_URL, else 127.0.0.1:8545).
  const { config, logger } = setupCommand(program, "init", { allowEmbeddedDefault: true });
  const file = path.resolve(flags.out);
  if (existsSync(file) && flags.force !== true) throw new ConfigError([`--out: ${file} exists — pass --force to overwrite it, or choose another file`]);
  let beneficiary: string | undefined;
  if (flags.beneficiary !== undefined) {
    if (!isAddress(flags.beneficiary)) throw new ConfigError(["--beneficiary: not an address — use a 0x-prefixed 20-byte hex address"]);
    beneficiary = getAddress(flags.beneficiary);
  }
  const chainId = await chainIdOf(config, logger);
  const { deployment, fromEnv } = initDeployment(chainId, config, flags.deployment);
  const provider = await connectProvider(config.chain.rpcUrls, chainId, { logger, timeoutMs: config.chain.rpcTimeoutMs });
  try {
    const configDir = path.dirname(file);
    const facts = await gatherChainFacts(provider, {
      chainId,
      rpcUrl: config.chain.rpcUrl,
      deployment,
      configDir,
      beneficiary,
      fromEnv,
      ...(config.chain.multicallAddress !== undefined ? { multicallAddress: config.chain.multicallAddress } : {}),
    });
    let fixtureDir: string | undefined;
    if (chainId === LOCAL_CHAIN_ID) {
      fixtureDir = "keeper-data/fixtures";
      const target = path.resolve(configDir, fixtureDir);
      if (!existsSync(target)) {
        mkdirSync(target, { recursive: true });
        cpSync(DEFAULT_FIXTURE_DIR, target, { recursive: true });
      }
    }
    const text = renderInitConfig({ ...facts, fixtureDir });
    // Never write a file the keeper would refuse.
    parseConfig(parseJsonc(text), { origin: file, baseDir: configDir });
    mkdirSync(configDir, { recursive: true });
    writeFileSync(file, text);
    out(
      [
        `wrote ${file} for chain ${chainId} (${config.chain.rpcUrl.startsWith("http://127.0.0.1") ? config.chain.rpcUrl : redactUrl(config.chain.rpcUrl)})`,
        fromEnv ? `  fund ${deployment.fundAddress} and lens ${deployment.lensAddress} from FUND_ADDRESS / LENS_ADDRESS (written to chain.fundAddress / chain.lensAddress)` : `  deployment: ${deployment.file}`,
        `  protocols: ${facts.protocols.length}, positions: ${facts.positions.length}${beneficiary !== undefined ? ` (active coverages of ${beneficiary})` : ""}`,
        ...(facts.positions.length > 0
          ? [`  read live on chain: ${facts.positions.filter((p) => p.live !== undefined).length}; fixed targetAmount (claims wait for the operator): ${facts.positions.filter((p) => p.live === undefined).length}`]
          : []),
        ...(fixtureDir !== undefined ? [`  fixture data: ${path.resolve(configDir, fixtureDir)}`] : []),
        `next: KEEPER_CONFIG=${path.relative(process.cwd(), file) || file} npm run keeper -- doctor`,
      ].join("\n"),
    );
  } finally {
    provider.destroy();
  }
}
