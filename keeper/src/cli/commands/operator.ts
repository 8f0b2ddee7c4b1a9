/**
 * Operator commands for what otherwise needs raw RPC: `set-agent` (beneficiary key), `assess`
 * (claims assessor), `settle` (anyone; the keeper key by default), `withdraw` (beneficiary),
 * `pause` / `unpause` / `clear-incident` (admin; pause also the guardian).
 *
 * Each one builds ONE fund call, then either
 *   --dry-run          simulates it (eth_call from the signer, or from --from / --safe) and prints it;
 *   --safe-json <file> writes a Safe Transaction Builder batch for a Safe that holds the role;
 *   (default)          signs it with the key in env `--key-env` through the TxSender (fee ceiling,
 *                      simulation with decoded revert, receipt). The keeper's own key journals in
 *                      the state database like every other keeper action.
 * Amounts are shown in token units with the token's symbol.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { Contract, getAddress, Interface, isAddress, parseUnits, Wallet, type FunctionFragment, type JsonRpcProvider } from "ethers";
import { StablecoinInsuranceFund__factory } from "../../../../typechain-types/factories/contracts/StablecoinInsuranceFund__factory";
import { ConfigError, privateKeySchema, type KeeperConfig } from "../../config";
import { describeContractError } from "../../execution/revertDecoder";
import { loadSigner } from "../../execution/keys";
import { TxSender } from "../../execution/txSender";
import { toJson } from "../../lib/json";
import type { Logger } from "../../lib/logger";
import { formatTokenAmount } from "../../lib/units";
import { openStateDb, stateLocation, type StateDb } from "../../state";
import { connectProvider, keySourceOf, txSenderOptions } from "../container";
import { buildSafeBatch, type BatchCall } from "./safeBatch";
import { withSigningLock } from "./signingLock";

/** The fund's ABI (TypeChain), as a plain ethers Interface. */
export function fundInterface(): Interface {
  return StablecoinInsuranceFund__factory.createInterface() as unknown as Interface;
}

/** One fund call an operator command makes. */
export interface OperatorCall extends BatchCall {
  /** e.g. "set-agent". */
  readonly command: string;
  /** One human line: what the call does, amounts in token units. */
  readonly summary: string;
}

export interface ExecutionOptions {
  readonly dryRun?: boolean;
  /** Write a Safe Transaction Builder batch here instead of sending. */
  readonly safeJson?: string;
  /** The Safe (or any account) the call is made from in --dry-run / --safe-json. */
  readonly from?: string;
  /** Env variable holding the signing key (default per command). */
  readonly keyEnv: string;
}

export interface OperatorContext {
  readonly config: KeeperConfig;
  readonly logger: Logger;
  readonly chainId: number;
  readonly provider: JsonRpcProvider;
  readonly fundAddress: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly out: (text: string) => void;
  /** Wall clock in ms (Safe batch createdAt, idempotency keys). */
  readonly nowMs: () => number;
}

export function makeCall(command: string, to: string, functionName: string, args: readonly unknown[], summary: string): OperatorCall {
  const fragment = fundInterface().getFunction(functionName);
  if (fragment === null) {
    throw new Error(`the fund ABI has no ${functionName} — compile the contracts of this checkout (npx hardhat compile)`);
  }
  return { command, to, fragment, args, summary };
}

function encode(call: OperatorCall): string {
  return new Interface([call.fragment]).encodeFunctionData(call.fragment, [...call.args]);
}

/** eth_call from `from`: "ok" or the decoded revert. */
async function simulate(ctx: OperatorContext, call: OperatorCall, from: string | undefined): Promise<string> {
  try {
    await ctx.provider.call({ ...(from !== undefined ? { from } : {}), to: call.to, data: encode(call), value: call.value ?? 0n });
    return "ok";
  } catch (err) {
    return `reverts: ${describeContractError(err, [fundInterface()])}`;
  }
}

function addressOption(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  if (!isAddress(value)) throw new ConfigError([`${flag}: not an address — use a 0x-prefixed 20-byte hex address`]);
  return getAddress(value);
}

/** The signer for `keyEnv`: the keeper's configured key/keystore for KEEPER_PRIVATE_KEY, else that env variable. */
async function signerFor(ctx: OperatorContext, keyEnv: string): Promise<Wallet | undefined> {
  if (keyEnv === "KEEPER_PRIVATE_KEY") {
    return loadSigner(keySourceOf(ctx.config.chain), ctx.provider, ctx.logger);
  }
  const raw = (ctx.env[keyEnv] ?? "").trim();
  if (raw === "") return undefined;
  const parsed = privateKeySchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError([`env.${keyEnv}: not a private key — use a 0x-prefixed 32-byte hex key`]);
  return new Wallet(parsed.data, ctx.provider);
}

/** The address a call would come from, when known without sending (for reads such as balances). */
export async function senderAddress(ctx: OperatorContext, options: ExecutionOptions): Promise<string | undefined> {
  const from = addressOption(options.from, "--from / --safe");
  if (from !== undefined) return from;
  return (await signerFor(ctx, options.keyEnv))?.address;
}

/** Runs one call as the options say; returns the JSON-friendly result it printed. */
export async function executeCall(ctx: OperatorContext, call: OperatorCall, options: ExecutionOptions): Promise<Record<string, unknown>> {
  const data = encode(call);
  const base = { command: call.command, chainId: ctx.chainId, to: call.to, function: call.fragment.format("sighash"), args: call.args, summary: call.summary };

  if (options.safeJson !== undefined) {
    const safe = addressOption(options.from, "--safe");
    if (safe === undefined) throw new ConfigError(["--safe: missing — give the Safe that holds the role (it is the batch's createdFromSafeAddress)"]);
    const simulation = await simulate(ctx, call, safe);
    const batch = buildSafeBatch({
      chainId: ctx.chainId,
      safe,
      name: `keeper ${call.command}`,
      description: call.summary,
      calls: [call],
      createdAt: ctx.nowMs(),
    });
    const file = path.resolve(options.safeJson);
    writeFileSync(file, `${toJson(batch)}\n`);
    const result = { ...base, safe, simulation, safeJson: file };
    ctx.out(`${call.summary}\nSafe Transaction Builder batch for ${safe}: ${file} (simulation from the Safe: ${simulation})`);
    return result;
  }

  const signer = await signerFor(ctx, options.keyEnv);
  if (options.dryRun === true) {
    const from = addressOption(options.from, "--from") ?? signer?.address;
    const simulation = await simulate(ctx, call, from);
    const result = { dryRun: true, ...base, from: from ?? null, data, simulation };
    ctx.out(toJson(result));
    return result;
  }
  if (signer === undefined) {
    throw new ConfigError([`env.${options.keyEnv}: missing — set the key that holds this role (or pass --key-env NAME), or use --dry-run / --safe-json`]);
  }

  const ownKey = options.keyEnv === "KEEPER_PRIVATE_KEY";
  let state: StateDb | undefined;
  try {
    state = openStateDb(ownKey ? stateLocation(ctx.config.state) : ":memory:", { takeoverSeconds: ctx.config.ha.takeoverSeconds });
    const journal = state.journal;
    const sender = new TxSender(
      { signer, provider: ctx.provider, journal, logger: ctx.logger, abis: [fundInterface()] },
      txSenderOptions(ctx.config),
    );
    const send = () => sender.send({
      kind: `operator-${call.command}`,
      key: `operator:${call.command}:${call.to}:${data}:${ctx.nowMs()}`,
      to: call.to,
      data,
      ...(call.value !== undefined ? { value: call.value } : {}),
      payload: { summary: call.summary },
    });
    // The keeper's own key: one signer per key and chain — take the signing lock (a running
    // daemon holds it: stop it, or let it act), and sign under its fencing token.
    let sent: Awaited<ReturnType<typeof send>>;
    if (ownKey) {
      state.bindSigner({ chainId: ctx.chainId, address: signer.address });
      sent = await withSigningLock(state, ctx.config, ctx.logger, call.command, send);
    } else sent = await send();
    if (sent.status !== "confirmed") {
      const why = sent.status === "failed" ? `${sent.stage}: ${sent.error}` : sent.status;
      throw new Error(`${call.command} not confirmed (${why})`);
    }
    const result = { ...base, from: signer.address, hash: sent.hash, blockNumber: sent.blockNumber, gasUsed: sent.gasUsed };
    ctx.out(`${call.summary}\nsent by ${signer.address}: ${sent.hash} (block ${sent.blockNumber}, gas ${sent.gasUsed})`);
    return result;
  } finally {
    state?.close();
  }
}

/** A token's symbol and decimals (the fund's stablecoins are ERC-20 metadata tokens). */
export async function tokenInfo(provider: JsonRpcProvider, address: string): Promise<{ address: string; symbol: string; decimals: number }> {
  const token = new Contract(address, ["function symbol() view returns (string)", "function decimals() view returns (uint8)"], provider);
  const [symbol, decimals] = await Promise.all([token.getFunction("symbol")() as Promise<string>, token.getFunction("decimals")() as Promise<bigint>]);
  return { address: getAddress(address), symbol, decimals: Number(decimals) };
}

/** A fund stablecoin by symbol or address. */
export async function resolveAsset(ctx: OperatorContext, wanted: string): Promise<{ address: string; symbol: string; decimals: number }> {
  const fund = StablecoinInsuranceFund__factory.connect(ctx.fundAddress, ctx.provider);
  const tokens = await Promise.all((await fund.stablecoins()).map((a) => tokenInfo(ctx.provider, a)));
  const byAddress = isAddress(wanted) ? getAddress(wanted) : undefined;
  const symbol = wanted.toUpperCase();
  const found = tokens.find((t) => (byAddress !== undefined ? t.address === byAddress : t.symbol.toUpperCase() === symbol));
  if (found === undefined) throw new ConfigError([`--asset: "${wanted}" is not a stablecoin of the fund — use one of ${tokens.map((t) => t.symbol).join(", ")}`]);
  return found;
}

function claimIdOf(raw: string): bigint {
  if (!/^\d+$/.test(raw) || BigInt(raw) === 0n) throw new ConfigError([`claim id: "${raw}" is not a claim id — use the fund's claim number (1, 2, ...)`]);
  return BigInt(raw);
}

/** `set-agent [agent]`: the beneficiary approves (or with --revoke, removes) the keeper as its agent. */
export async function setAgentCall(ctx: OperatorContext, agentArg: string | undefined, revoke: boolean, beneficiary: string | undefined): Promise<OperatorCall> {
  let agent = addressOption(agentArg, "agent");
  if (agent === undefined) {
    const keeper = await signerFor(ctx, "KEEPER_PRIVATE_KEY");
    if (keeper === undefined) throw new ConfigError(["agent: missing — give the keeper's address, or set KEEPER_PRIVATE_KEY so the keeper's own address is used"]);
    agent = keeper.address;
  }
  if (beneficiary !== undefined && beneficiary === agent) {
    throw new ConfigError([`agent: ${agent} is the beneficiary itself — the agent is the keeper's hot key, the beneficiary a cold address`]);
  }
  const fund = StablecoinInsuranceFund__factory.connect(ctx.fundAddress, ctx.provider);
  const already = beneficiary !== undefined ? await fund.isAgent(beneficiary, agent) : undefined;
  const state = already === undefined ? "" : ` (currently ${already ? "approved" : "not approved"})`;
  return makeCall("set-agent", ctx.fundAddress, "setAgent", [agent, !revoke], `${revoke ? "revoke" : "approve"} ${agent} as agent of ${beneficiary ?? "the signing beneficiary"}${state}`);
}

/** The claim a command names, its coverage and the coverage's token (a clear error for an unknown id). */
async function claimWithCoverage(ctx: OperatorContext, rawId: string) {
  const claimId = claimIdOf(rawId);
  const fund = StablecoinInsuranceFund__factory.connect(ctx.fundAddress, ctx.provider);
  const claim = await fund.getClaim(claimId);
  if (claim.id === 0n) throw new ConfigError([`claim id: claim ${claimId} does not exist (the fund has ${await fund.claimCount()})`]);
  const coverage = await fund.getCoverageDetails(claim.coverageId);
  const token = await tokenInfo(ctx.provider, coverage.asset);
  return { claimId, claim, coverage, token };
}

/** `assess <claimId> --accept [--payout <tokens>] | --deny`: the claims assessor decides a self-insured claim. */
export async function assessCall(ctx: OperatorContext, rawId: string, decision: { accept: boolean; payout?: string }): Promise<OperatorCall> {
  const { claimId, claim, coverage, token } = await claimWithCoverage(ctx, rawId);
  let payout = 0n;
  if (decision.accept) {
    if (decision.payout === undefined) payout = claim.amount;
    else {
      if (!/^\d+(\.\d+)?$/.test(decision.payout)) throw new ConfigError([`--payout: "${decision.payout}" is not an amount — use whole ${token.symbol}, e.g. 15000 or 1234.5`]);
      payout = parseUnits(decision.payout, token.decimals);
    }
  }
  const summary = decision.accept
    ? `accept claim ${claimId} (coverage ${claim.coverageId}): pay ${formatTokenAmount(payout, token.decimals, token.symbol)} of the ${formatTokenAmount(claim.amount, token.decimals, token.symbol)} claimed`
    : `deny claim ${claimId} (coverage ${claim.coverageId}, ${formatTokenAmount(claim.amount, token.decimals, token.symbol)} claimed)`;
  return makeCall("assess", ctx.fundAddress, "assessClaim", [claimId, decision.accept, payout], summary);
}

/** `settle <claimId>`: pays out an accepted claim / redeems a hedged one (anyone may call). */
export async function settleCall(ctx: OperatorContext, rawId: string): Promise<OperatorCall> {
  const { claimId, claim, coverage, token } = await claimWithCoverage(ctx, rawId);
  return makeCall("settle", ctx.fundAddress, "settleClaim", [claimId], `settle claim ${claimId} (coverage ${claim.coverageId}, ${formatTokenAmount(claim.amount, token.decimals, token.symbol)} claimed) for beneficiary ${coverage.beneficiary}`);
}

/** `withdraw --asset X [--to addr]` (payout) or `withdraw --deposit [--to addr]` (returned claim deposits). */
export async function withdrawCall(ctx: OperatorContext, account: string | undefined, options: { asset?: string; deposit?: boolean; to?: string }): Promise<OperatorCall> {
  const fund = StablecoinInsuranceFund__factory.connect(ctx.fundAddress, ctx.provider);
  if (options.deposit === true) {
    if (options.asset !== undefined) throw new ConfigError(["--deposit: withdraws ETH deposits — drop --asset (or drop --deposit to withdraw a payout)"]);
    const to = addressOption(options.to, "--to") ?? account;
    if (to === undefined) throw new ConfigError(["--to: missing — give the address to receive the ETH (or the signing key)"]);
    const credited = account !== undefined ? await fund.creditedDeposit(account) : undefined;
    const amount = credited === undefined ? "the credited deposits" : formatTokenAmount(credited, 18, "ETH");
    return makeCall("withdraw", ctx.fundAddress, "withdrawDeposit", [to], `withdraw ${amount} of claim deposits of ${account ?? "the signer"} to ${to}`);
  }
  if (options.asset === undefined) throw new ConfigError(["--asset: missing — name the payout token (USDC, USDT, DAI or its address), or pass --deposit"]);
  const token = await resolveAsset(ctx, options.asset);
  const to = addressOption(options.to, "--to") ?? account;
  if (to === undefined) throw new ConfigError(["--to: missing — give the address to receive the payout (or the signing key)"]);
  const credited = account !== undefined ? await fund.creditedPayout(account, token.address) : undefined;
  const amount = credited === undefined ? `the credited ${token.symbol}` : formatTokenAmount(credited, token.decimals, token.symbol);
  return makeCall("withdraw", ctx.fundAddress, "withdrawPayout", [token.address, to], `withdraw ${amount} payout of ${account ?? "the signer"} to ${to}`);
}

/** `pause` / `unpause`. */
export function pauseCall(ctx: OperatorContext, pause: boolean): OperatorCall {
  return makeCall(pause ? "pause" : "unpause", ctx.fundAddress, pause ? "pause" : "unpause", [], pause ? "pause the fund: no new coverage or amount increases (claims, settlement and withdrawals keep working)" : "unpause the fund");
}

/** `clear-incident <protocol>`: the admin lifts an incident's sales halt. */
export function clearIncidentCall(ctx: OperatorContext, protocolArg: string): OperatorCall {
  const byId = ctx.config.protocols.find((p) => p.id === protocolArg);
  const protocol = byId?.address ?? addressOption(protocolArg, "protocol");
  if (protocol === undefined) {
    throw new ConfigError([`protocol: "${protocolArg}" is neither a protocol id of the config (${ctx.config.protocols.map((p) => p.id).join(", ")}) nor an address`]);
  }
  return makeCall("clear-incident", ctx.fundAddress, "clearIncident", [protocol], `clear the incident of ${byId !== undefined ? `${byId.id} (${protocol})` : protocol}: sales of its coverage resume`);
}

/** Opens the chain for an operator command. */
export async function operatorContext(
  setup: { config: KeeperConfig; logger: Logger; chainId: number },
  out: (text: string) => void,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<OperatorContext> {
  const { config, logger, chainId } = setup;
  const provider = await connectProvider(config.chain.rpcUrls, chainId, { logger, timeoutMs: config.chain.rpcTimeoutMs, maxRounds: config.chain.rpcMaxRounds });
  const fundAddress = config.chain.fundAddress;
  if (fundAddress === undefined) {
    provider.destroy();
    throw new ConfigError(["config.chain.fundAddress: missing — set env FUND_ADDRESS or deploy first"]);
  }
  if ((await provider.getCode(fundAddress)) === "0x") {
    provider.destroy();
    throw new ConfigError([`FUND_ADDRESS ${fundAddress} has no code on chain ${chainId} — wrong deployment or wrong RPC`]);
  }
  return { config, logger, chainId, provider, fundAddress, env, out, nowMs: Date.now };
}

export type { FunctionFragment };
