/**
 * Readable lines for failed calls: a revert's custom error decoded with the given ABIs
 * (`FundRiskDecreaseTooFast(protocol=0x…, current=80, …)`), `Error(string)` / `Panic(uint256)`
 * reasons, else the provider's short message.
 */
import { Interface, id } from "ethers";

const STANDARD_ERRORS = new Interface(["error Error(string message)", "error Panic(uint256 code)"]);

export function describeContractError(err: unknown, abis: Interface | readonly Interface[] = []): string {
  const data = findRevertData(err);
  if (data !== undefined && data !== "0x") return describeRevertData(data, abis);
  if (err instanceof Error) {
    const short = (err as { shortMessage?: unknown }).shortMessage;
    return typeof short === "string" ? short : err.message.split("\n")[0] ?? err.message;
  }
  return String(err);
}

/** Decodes raw revert data with the first ABI that knows its selector. */
export function describeRevertData(data: string, abis: Interface | readonly Interface[] = []): string {
  const list = Array.isArray(abis) ? (abis as readonly Interface[]) : [abis as Interface];
  for (const iface of [...list, STANDARD_ERRORS]) {
    try {
      const parsed = iface.parseError(data);
      if (parsed !== null) {
        const args = parsed.fragment.inputs.map((input, i) => `${input.name || `arg${i}`}=${formatArg(parsed.args[i])}`);
        return `${parsed.name}(${args.join(", ")})`;
      }
    } catch {
      // not this ABI's error: try the next
    }
  }
  return `reverted with unknown data ${data.slice(0, 74)}`;
}

/** Revert data sits in different places depending on the provider and ethers' wrapping. */
export function findRevertData(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number): string | undefined => {
    if (depth > 5 || value === null || typeof value !== "object" || seen.has(value)) return undefined;
    seen.add(value);
    const record = value as Record<string, unknown>;
    const data = record["data"];
    if (typeof data === "string" && /^0x[0-9a-fA-F]*$/.test(data)) return data;
    for (const key of ["data", "error", "info", "cause", "revert"]) {
      const found = visit(record[key], depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return visit(err, 0);
}

function formatArg(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return `[${value.map(formatArg).join(", ")}]`;
  return String(value);
}

const ROLE_NAMES: ReadonlyMap<string, string> = new Map([
  [`0x${"00".repeat(32)}`, "DEFAULT_ADMIN_ROLE"],
  ...["RISK_ORACLE_ROLE", "CLAIMS_ASSESSOR_ROLE", "GUARDIAN_ROLE"].map((name) => [id(name), name] as [string, string]),
]);

/**
 * The real cause of a failed send, for an alert: what went wrong and what fixes it, from the
 * TxSender's error text (a decoded revert, a fee ceiling, gas money, the signing lock, the RPC).
 * A missing role is named only when the chain said so.
 */
export function explainSendFailure(error: string | undefined): string {
  const text = error ?? "";
  const role = /AccessControlUnauthorizedAccount\(account=(0x[0-9a-fA-F]{40}), neededRole=(0x[0-9a-fA-F]{64})\)/.exec(text);
  if (role !== null) {
    const name = ROLE_NAMES.get((role[2] ?? "").toLowerCase()) ?? role[2];
    return `${role[1]} lacks ${name}: the admin grants it (scripts/grant-role.ts)`;
  }
  if (/above .*maxFeePerGasCeiling|FeeCeiling/i.test(text)) {
    return "gas price above the fee ceiling: not sent — raise the ceiling for this kind (tx.urgent.maxFeePerGasCeilingGwei / tx.maxFeePerGasCeilingGweiByKind) or wait for fees to fall";
  }
  if (/insufficient funds/i.test(text)) return "the keeper key has too little ETH for gas: fund it";
  if (/signing lock .*lost|fencing token/i.test(text)) return "this process lost the signing lock: another keeper process signs now";
  if (/nonce \d+ was used by a transaction/i.test(text)) return "its nonce was taken by another transaction: sent again at the next tick";
  if (/every RPC URL failed|no RPC URL reachable|RPC nodes disagree/i.test(text)) return "the RPC nodes could not be trusted to answer: check RPC_URL / RPC_URLS";
  if (/not mined in time|pending/i.test(text)) return "not mined yet: still in flight, reconciled every tick";
  return text === "" ? "unknown error" : `the chain or node said: ${text}`;
}
