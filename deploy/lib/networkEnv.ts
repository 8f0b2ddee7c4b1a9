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
