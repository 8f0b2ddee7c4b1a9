/**
 * Other chains the operator's positions and watched balances live on (config `chains`), after env:
 * each chain's RPC URLs (env RPC_URLS_<chainId> wins over the file: URLs with API keys stay out of
 * it), its block time, and the check that every `chainId` a position, watched balance, admin
 * contract or price feed names is either the fund's chain or one of these. An entry on the fund's
 * chain loses its `chainId`, so its id and reads are those of any fund-chain entry.
 */
import { z } from "zod";
import { KNOWN_BLOCK_TIME_SEC, type ParsedConfigFile, type RemoteChainConfig } from "./schema";

/** A remote chain ready to connect to. */
export interface ResolvedRemoteChain extends Omit<RemoteChainConfig, "rpcUrls" | "blockTimeSec" | "name"> {
  readonly chainId: number;
  readonly name: string;
  /** Failover order; at least one. Secret (API keys): never logged unredacted. */
  readonly rpcUrls: readonly string[];
  readonly blockTimeSec: number;
}

/** Env variable with a remote chain's RPC URLs (comma-separated). */
export function remoteRpcEnvName(chainId: number | string): string {
  return `RPC_URLS_${chainId}`;
}

const urlList = z
  .string()
  .transform((text) => text.split(",").map((u) => u.trim()).filter((u) => u !== ""))
  .pipe(z.array(z.string().url("not a comma-separated list of URLs — use https://a,https://b")).min(1, "empty — list at least one URL"));

/** `chains` resolved against env; every problem adds an issue naming the field and the fix. */
export function resolveRemoteChains(
  file: Pick<ParsedConfigFile, "chains">,
  env: Readonly<Record<string, string | undefined>>,
  fundChainId: number | undefined,
  issues: string[],
): Record<string, ResolvedRemoteChain> {
  const out: Record<string, ResolvedRemoteChain> = {};
  for (const [key, chain] of Object.entries(file.chains)) {
    const chainId = Number(key);
    if (fundChainId !== undefined && chainId === fundChainId) {
      issues.push(`config.chains.${key}: is the fund's chain (chain.chainId) — its RPC URLs are chain.rpcUrls; remove this entry`);
      continue;
    }
    const envName = remoteRpcEnvName(key);
    const raw = env[envName];
    let rpcUrls: readonly string[] | undefined = chain.rpcUrls;
    if (raw !== undefined && raw.trim() !== "") {
      const parsed = urlList.safeParse(raw);
      if (parsed.success) rpcUrls = parsed.data;
      else issues.push(`env.${envName}: ${parsed.error.issues[0]?.message ?? "invalid"}`);
    }
    if (rpcUrls === undefined) {
      issues.push(`config.chains.${key}.rpcUrls: missing — list the chain's RPC URLs, or set env ${envName}=https://a,https://b (keeps API keys out of the file)`);
      continue;
    }
    const blockTimeSec = chain.blockTimeSec ?? KNOWN_BLOCK_TIME_SEC[chainId];
    if (blockTimeSec === undefined) {
      issues.push(`config.chains.${key}.blockTimeSec: missing — the keeper does not know chain ${key}'s block time; give its seconds per block (sizes the watch window in its blocks)`);
      continue;
    }
    const { rpcUrls: _file, blockTimeSec: _bt, name, ...rest } = chain;
    out[key] = { ...rest, chainId, name: name ?? `chain ${key}`, rpcUrls, blockTimeSec };
  }
  return out;
}

/** Every `chainId` a position or watched balance names must be the fund's chain or a `chains` entry. */
export function remoteChainIssues(file: Pick<ParsedConfigFile, "chains" | "positions" | "protocols">, fundChainId: number | undefined): string[] {
  const issues: string[] = [];
  const check = (field: string, chainId: number | undefined): void => {
    if (chainId === undefined || chainId === fundChainId || file.chains[String(chainId)] !== undefined) return;
    const fund = fundChainId === undefined ? "the fund's chain id is not set (chain.chainId or env CHAIN_ID)" : `the fund is on chain ${fundChainId}`;
    issues.push(`config.${field}: ${chainId} is not a configured chain (${fund}) — add chains."${chainId}" with its rpcUrls (or env ${remoteRpcEnvName(chainId)}), or remove chainId for a position on the fund's chain`);
  };
  file.positions.forEach((p, i) => check(`positions[${i}].position.chainId`, p.position?.chainId));
  file.protocols.forEach((p, i) => {
    p.watch?.balances.forEach((b, j) => check(`protocols[${i}].watch.balances[${j}].chainId`, b.chainId));
    p.watch?.adminContracts.forEach((c, j) => check(`protocols[${i}].watch.adminContracts[${j}].chainId`, c.chainId));
    check(`protocols[${i}].watch.pegOracle.chainId`, p.watch?.pegOracle?.chainId);
  });
  return issues;
}

/** The file with `chainId` dropped where it names the fund's own chain. */
export function withFundChainLocal<T extends Pick<ParsedConfigFile, "positions" | "protocols">>(file: T, fundChainId: number | undefined): T {
  if (fundChainId === undefined) return file;
  const local = <X extends { chainId?: number }>(x: X): X => {
    if (x.chainId !== fundChainId) return x;
    const { chainId: _drop, ...rest } = x;
    return rest as X;
  };
  return {
    ...file,
    positions: file.positions.map((p) => (p.position === undefined ? p : { ...p, position: local(p.position) })),
    protocols: file.protocols.map((p) =>
      p.watch === undefined
        ? p
        : {
            ...p,
            watch: {
              ...p.watch,
              balances: p.watch.balances.map(local),
              adminContracts: p.watch.adminContracts.map(local),
              ...(p.watch.pegOracle !== undefined ? { pegOracle: local(p.watch.pegOracle) } : {}),
            },
          },
    ),
  };
}
