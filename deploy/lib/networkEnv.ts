/**
 * Pure checks of the deploy environment, shared by hardhat.config.ts (lazy, only when a network
 * is used) and the deploy scripts. No Hardhat imports here: the config loads this file.
 */

/** Default pinned mainnet block for forking (~2026-09-30, after @nexusmutual/deployments 3.4.0). */
export const DEFAULT_FORK_BLOCK = 26_100_000;

const PRIVATE_KEY = /^0x[0-9a-fA-F]{64}$/;

/** Remote networks and the env variables each one needs. */
export const REMOTE_NETWORK_ENV: Readonly<Record<string, { rpcUrl: string }>> = {
  sepolia: { rpcUrl: "SEPOLIA_RPC_URL" },
  mainnet: { rpcUrl: "MAINNET_RPC_URL" },
};

export type Env = Readonly<Record<string, string | undefined>>;

export function envValue(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

/** The deployer key if it is well formed, for the `accounts` of remote networks. */
export function deployerAccounts(env: Env): string[] {
  const key = envValue(env, "DEPLOYER_PRIVATE_KEY");
  return key !== undefined && PRIVATE_KEY.test(key) ? [key] : [];
}

/**
 * Problems with the env of `network`, one line each naming the variable and the fix; empty for
 * networks that need nothing (hardhat, localhost).
 */
export function networkEnvProblems(network: string, env: Env): string[] {
  const needs = REMOTE_NETWORK_ENV[network];
  if (needs === undefined) return [];
  const problems: string[] = [];
  const url = envValue(env, needs.rpcUrl);
  if (url === undefined) {
    problems.push(`${needs.rpcUrl} is not set — put the ${network} JSON-RPC URL in .env`);
  } else if (!/^https?:\/\//.test(url)) {
    problems.push(`${needs.rpcUrl} is not an http(s):// URL`);
  }
  const key = envValue(env, "DEPLOYER_PRIVATE_KEY");
  if (key === undefined) {
    problems.push(`DEPLOYER_PRIVATE_KEY is not set — put the deployer's 0x-prefixed private key in .env`);
  } else if (!PRIVATE_KEY.test(key)) {
    problems.push("DEPLOYER_PRIVATE_KEY is not a 0x-prefixed 32-byte hex private key");
  }
  return problems;
}

/** Fork block from FORK_BLOCK, else the pinned default; throws naming FORK_BLOCK if malformed. */
export function forkBlock(env: Env): number {
  const raw = envValue(env, "FORK_BLOCK");
  if (raw === undefined) return DEFAULT_FORK_BLOCK;
  if (!/^\d+$/.test(raw)) throw new Error(`FORK_BLOCK must be a block number, got "${raw}"`);
  return Number(raw);
}

/** Chain id of the in-process network: HARDHAT_CHAIN_ID (e.g. 11155111 to rehearse Sepolia), default 31337. */
export function hardhatChainId(env: Env): number {
  const raw = envValue(env, "HARDHAT_CHAIN_ID");
  if (raw === undefined) return 31337;
  if (!/^\d+$/.test(raw) || Number(raw) === 0) throw new Error(`HARDHAT_CHAIN_ID must be a positive integer, got "${raw}"`);
  return Number(raw);
}

export const MAINNET_CONFIRMATION = { env: "CONFIRM_MAINNET", value: "yes" } as const;

/**
 * Null when a mainnet deploy is explicitly confirmed (CONFIRM_MAINNET=yes; env because
 * `hardhat run` passes no script arguments), else the refusal message.
 */
export function mainnetConfirmationProblem(env: Env): string | null {
  if (envValue(env, MAINNET_CONFIRMATION.env) === MAINNET_CONFIRMATION.value) return null;
  return (
    `refusing to deploy to mainnet without explicit confirmation: review deploy/parameters/mainnet.json, ` +
    `then set ${MAINNET_CONFIRMATION.env}=${MAINNET_CONFIRMATION.value}`
  );
}

/** Connection failures an RPC URL typo, a dead host or a firewall give (Node, undici, Hardhat HH108). */
const UNREACHABLE = /HH108|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|fetch failed|getaddrinfo|socket hang up|Cannot connect to the network/i;

/**
 * One line naming the variable to fix when a remote network's RPC cannot be reached, else null.
 * The URL is shown as scheme + host only (provider URLs carry API keys in their paths).
 */
export function rpcUnreachableProblem(network: string, err: unknown, env: Env): string | null {
  const needs = REMOTE_NETWORK_ENV[network];
  if (needs === undefined) return null;
  const text = describeError(err);
  if (!UNREACHABLE.test(text)) return null;
  const code = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT)\b/.exec(text)?.[1] ?? (/HH108/.test(text) ? "HH108" : "unreachable");
  return `${needs.rpcUrl} (${hostOnly(envValue(env, needs.rpcUrl))}) cannot be reached (${code}) — check the ${network} JSON-RPC URL in .env`;
}

/** The verify step's missing key, named. Null when set. */
export function etherscanKeyProblem(env: Env): string | null {
  return envValue(env, "ETHERSCAN_API_KEY") === undefined
    ? "ETHERSCAN_API_KEY is not set — put an Etherscan API key (etherscan.io/myapikey) in .env to verify contracts"
    : null;
}

function hostOnly(url: string | undefined): string {
  if (url === undefined) return "unset";
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return "not a URL";
  }
}

function describeError(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth += 1) {
    if (current instanceof Error) {
      parts.push(current.message, (current as { code?: string }).code ?? "");
      current = (current as { cause?: unknown; parent?: unknown }).cause ?? (current as { parent?: unknown }).parent;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join(" ");
}
