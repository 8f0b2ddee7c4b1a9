/**
 * One keeper process of a leader/standby pair over one PostgreSQL state (the HA kill scenario):
 * waits to lead (`standby` line), then `leader fence=N`, reconciles the journal exactly as a restart
 * does, and sends the actions of env ACTIONS (JSON [{key, data}]) to TO through the TxSender.
 * Every broadcast prints `broadcast <hash> <key> <wall ms>`. With HANG_AT_FENCE=N the process, when
 * it leads with fencing token N, hangs right after its first broadcast, before the journal records
 * `sent` (the test SIGKILLs it there). Env: RPC_URL, STATE_URL, KEY, TO, ACTIONS, TAKEOVER_SECONDS.
 */
import { Transaction, Wallet, parseUnits } from "ethers";
import { connectProvider } from "../../src/cli/container";
import { TxSender } from "../../src/execution/txSender";
import { silentLogger } from "../../src/sources";
import { openStateDb } from "../../src/state";

async function main(): Promise<void> {
  const env = (name: string): string => {
    const value = process.env[name];
    if (value === undefined || value === "") throw new Error(`haChild: env ${name} missing`);
    return value;
  };
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  // A daemon stays up on its loop timers; this stand-in stays up until it is killed (the lease
  // timer and the database worker do not hold the process open by themselves).
  setInterval(() => undefined, 1 << 30);
  const provider = await connectProvider([env("RPC_URL")], 31337);
  const takeoverSeconds = Number(env("TAKEOVER_SECONDS"));
  const state = openStateDb(env("STATE_URL"), { takeoverSeconds });
  const signer = new Wallet(env("KEY"));
  state.bindSigner({ chainId: 31337, address: signer.address });
  const actions = JSON.parse(env("ACTIONS")) as { key: string; data: string }[];
  const keyOfData = new Map(actions.map((a) => [a.data.toLowerCase(), a.key]));
  const hangAtFence = Number(process.env["HANG_AT_FENCE"] ?? "0");
  let fence = 0;
  const broadcast = provider.broadcastTransaction.bind(provider);
  provider.broadcastTransaction = async (raw: string) => {
    const response = await broadcast(raw);
    const tx = Transaction.from(raw);
    say(`broadcast ${tx.hash} ${keyOfData.get(tx.data.toLowerCase()) ?? "?"} ${Date.now()}`);
    if (fence === hangAtFence) await new Promise(() => undefined); // killed here: broadcast, journal not yet `sent`
    return response;
  };
  const lock = await state.awaitLeadership({ logger: silentLogger, takeoverSeconds, onStandby: () => say("standby") });
  if (lock === undefined) throw new Error("no leadership");
  lock.startHeartbeat(0, () => say("lost"));
  fence = lock.fence?.token ?? 0;
  say(`leader fence=${lock.fence?.token ?? "-"} ${Date.now()}`);
  const sender = new TxSender(
    { signer, provider, journal: state.journal, logger: silentLogger },
    { maxFeePerGasCeiling: parseUnits("300", "gwei"), maxPriorityFeePerGas: parseUnits("1.5", "gwei"), replaceAfterBlocks: 1000, receiptTimeoutMs: 60_000, pollIntervalMs: 100 },
  );
  const reconciled = await sender.reconcile();
  say(`reconciled ${JSON.stringify(reconciled.map((r) => [r.key, r.status]))}`);
  for (const action of actions) {
    const result = await sender.send({ kind: "file-claim", key: action.key, to: env("TO"), data: action.data });
    say(`sent ${action.key} ${result.status}`);
  }
  say("done");
  await new Promise(() => undefined); // stays leader until the test stops it
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
