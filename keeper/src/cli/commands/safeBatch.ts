/**
 * Safe{Wallet} Transaction Builder batch files: what `--safe-json` writes for an action whose
 * signer is a Safe. Format as the Transaction Builder app imports it (safe-react-apps
 * apps/tx-builder, typings/models.ts): version "1.0", chainId as a decimal string, createdAt in
 * ms, meta {name, description, txBuilderVersion, createdFromSafeAddress, createdFromOwnerAddress,
 * checksum}, transactions [{to, value, data, contractMethod {inputs, name, payable},
 * contractInputsValues}]. The checksum is the app's own: keccak256 of its key-sorted
 * serialisation of the batch with `meta.name` set to null; a file whose checksum does not match
 * is flagged by the app on import.
 */
import { keccak256, toUtf8Bytes, type FunctionFragment, type ParamType } from "ethers";

export interface SafeBatchInput {
  readonly inputs: readonly SafeContractInput[];
  readonly name: string;
  readonly payable: boolean;
}

export interface SafeContractInput {
  readonly internalType: string;
  readonly name: string;
  readonly type: string;
  readonly components?: readonly SafeContractInput[];
}

export interface SafeBatchTransaction {
  readonly to: string;
  /** Wei, decimal string. */
  readonly value: string;
  /** Null when the app encodes from contractMethod + contractInputsValues. */
  readonly data: string | null;
  readonly contractMethod: SafeBatchInput;
  readonly contractInputsValues: Readonly<Record<string, string>>;
}

export interface SafeBatchFile {
  readonly version: "1.0";
  readonly chainId: string;
  readonly createdAt: number;
  readonly meta: {
    readonly name: string;
    readonly description: string;
    readonly txBuilderVersion: string;
    readonly createdFromSafeAddress: string;
    readonly createdFromOwnerAddress: string;
    readonly checksum: string;
  };
  readonly transactions: readonly SafeBatchTransaction[];
}

/** The Transaction Builder version whose file format this follows. */
export const TX_BUILDER_VERSION = "1.18.0";

export interface BatchCall {
  readonly to: string;
  readonly fragment: FunctionFragment;
  readonly args: readonly unknown[];
  readonly value?: bigint;
}

function toSafeInput(param: ParamType): SafeContractInput {
  return {
    internalType: param.type,
    name: param.name,
    type: param.type,
    ...(param.components !== null ? { components: param.components.map(toSafeInput) } : {}),
  };
}

/** A value as the Transaction Builder's input fields take it (arrays/tuples as JSON). */
function inputValue(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

export function batchTransaction(call: BatchCall): SafeBatchTransaction {
  const fragment = call.fragment;
  return {
    to: call.to,
    value: (call.value ?? 0n).toString(),
    data: null,
    contractMethod: { inputs: fragment.inputs.map(toSafeInput), name: fragment.name, payable: fragment.payable },
    contractInputsValues: Object.fromEntries(fragment.inputs.map((input, i) => [input.name, inputValue(call.args[i])])),
  };
}

/** The Transaction Builder's serialisation: keys sorted, undefined as null. */
function serialize(json: unknown): string {
  const plain = (v: unknown): string => JSON.stringify(v === undefined ? null : v);
  if (Array.isArray(json)) return `[${json.map(serialize).join(",")}]`;
  if (typeof json === "object" && json !== null) {
    const record = json as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    return `{${JSON.stringify(keys)}${keys.map((k) => `${serialize(record[k])},`).join("")}}`;
  }
  return plain(json);
}

export function safeBatchChecksum(batch: Omit<SafeBatchFile, "meta"> & { meta: Omit<SafeBatchFile["meta"], "checksum"> & { checksum?: string } }): string {
  const { checksum: _ignored, ...meta } = batch.meta;
  return keccak256(toUtf8Bytes(serialize({ ...batch, meta: { ...meta, name: null } })));
}

export function buildSafeBatch(options: {
  readonly chainId: number;
  readonly safe: string;
  readonly name: string;
  readonly description: string;
  readonly calls: readonly BatchCall[];
  readonly createdAt: number;
}): SafeBatchFile {
  const unsigned = {
    version: "1.0" as const,
    chainId: String(options.chainId),
    createdAt: options.createdAt,
    meta: {
      name: options.name,
      description: options.description,
      txBuilderVersion: TX_BUILDER_VERSION,
      createdFromSafeAddress: options.safe,
      createdFromOwnerAddress: "",
    },
    transactions: options.calls.map(batchTransaction),
  };
  return { ...unsigned, meta: { ...unsigned.meta, checksum: safeBatchChecksum(unsigned) } };
}
