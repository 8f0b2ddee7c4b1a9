/**
 * Checks of a deployment parameters file that Ignition cannot make: role holders must be real,
 * distinct accounts on real networks. Pure: no Hardhat imports (hardhat.config.ts loads this).
 */
import { HDNodeWallet, getAddress, isAddress, ZeroAddress } from "ethers";

/** The mnemonic of every Hardhat/Anvil dev node: its keys are public. */
const DEV_MNEMONIC = "test test test test test test test test test test test junk";
const DEV_ACCOUNT_COUNT = 20;

/** Role holders set by the Fund module, by parameter name. */
export const ROLE_PARAMETERS = ["keeper", "assessor", "guardian"] as const;

let devAccounts: ReadonlySet<string> | undefined;

/** The 20 default Hardhat accounts (checksummed). */
export function hardhatDevAccounts(): ReadonlySet<string> {
  if (devAccounts === undefined) {
    const addresses = new Set<string>();
    for (let i = 0; i < DEV_ACCOUNT_COUNT; i++) {
      addresses.add(HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`).address);
    }
    devAccounts = addresses;
  }
  return devAccounts;
}

function fundSection(params: unknown): Record<string, unknown> {
  if (typeof params !== "object" || params === null) return {};
  const fund = (params as Record<string, unknown>)["Fund"];
  return typeof fund === "object" && fund !== null ? (fund as Record<string, unknown>) : {};
}

/**
 * Problems with the role holders of a parameters file meant for a real network: missing, zero,
 * a public Hardhat dev account, or the same account holding two roles. One line per problem.
 */
export function rolePlaceholderProblems(params: unknown): string[] {
  const fund = fundSection(params);
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const name of ROLE_PARAMETERS) {
    const value = fund[name];
    if (typeof value !== "string" || !isAddress(value)) {
      problems.push(`Fund.${name}: missing or not an address — set the ${name}'s address`);
      continue;
    }
    const address = getAddress(value);
    if (address === ZeroAddress) {
      problems.push(`Fund.${name}: is the zero address placeholder — set the ${name}'s address`);
    } else if (hardhatDevAccounts().has(address)) {
      problems.push(`Fund.${name}: ${address} is a public Hardhat dev account — set an account you control`);
    }
    const other = seen.get(address);
    if (other !== undefined && address !== ZeroAddress) {
      problems.push(`Fund.${name}: same account as Fund.${other} — each role needs its own key`);
    }
    seen.set(address, name);
  }
  return problems;
}
