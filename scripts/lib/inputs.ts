/**
 * Pure input checks for the operator scripts. Scripts run under `hardhat run`, which passes no
 * script arguments, so inputs come from env variables; every error names the variable.
 */
import { getAddress, id as keccakOfText, isAddress, parseUnits } from "ethers";

export class ScriptInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScriptInputError";
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

export const GRANTABLE_ROLES = ["RISK_ORACLE_ROLE", "CLAIMS_ASSESSOR_ROLE", "GUARDIAN_ROLE"] as const;
export type GrantableRole = (typeof GRANTABLE_ROLES)[number];

export function required(env: Env, name: string, hint: string): string {
  const value = env[name]?.trim();
  if (value === undefined || value === "") throw new ScriptInputError(`${name} is not set — ${hint}`);
  return value;
}

export function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

/** A role name (with or without the `_ROLE` suffix, any case) → its name and id. */
export function parseRole(env: Env, name = "ROLE"): { role: GrantableRole; id: string } {
  const raw = required(env, name, `one of ${GRANTABLE_ROLES.join(", ")}`).toUpperCase();
  const normalized = raw.endsWith("_ROLE") ? raw : `${raw}_ROLE`;
  const role = GRANTABLE_ROLES.find((r) => r === normalized);
  if (role === undefined) {
    throw new ScriptInputError(
      `${name}=${raw} is not a grantable role — use one of ${GRANTABLE_ROLES.join(", ")} (the admin role moves only via the two-step transfer)`,
    );
  }
  return { role, id: keccakOfText(role) };
}

export function parseAddress(env: Env, name: string, hint: string): string {
  const raw = required(env, name, hint);
  if (!isAddress(raw)) throw new ScriptInputError(`${name}=${raw} is not an address (0x + 40 hex digits)`);
  return getAddress(raw);
}

/** A positive decimal amount in whole tokens ("1500.25") → base units. */
export function parseTokenAmount(env: Env, name: string, decimals: number): bigint {
  const raw = required(env, name, "a positive amount in whole tokens, e.g. 250000");
  if (!/^\d+(\.\d+)?$/.test(raw)) throw new ScriptInputError(`${name}=${raw} is not a positive decimal amount`);
  let amount: bigint;
  try {
    amount = parseUnits(raw, decimals);
  } catch {
    throw new ScriptInputError(`${name}=${raw} has more than ${decimals} decimals`);
  }
  if (amount === 0n) throw new ScriptInputError(`${name} must be greater than zero`);
  return amount;
}

/** A non-negative number from env with a default and inclusive bounds. */
export function parseNumber(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ScriptInputError(`${name}=${raw} must be a number between ${min} and ${max}`);
  }
  return value;
}

/** Networks where scripts may mint mock tokens and move time. */
export function requireLocalNetwork(networkName: string, script: string): void {
  if (networkName !== "hardhat" && networkName !== "localhost") {
    throw new ScriptInputError(`${script} runs only on a local chain (--network localhost or hardhat), not "${networkName}"`);
  }
}
