/**
 * A child process that sends one action through the keeper's TxSender (the one signing path),
 * for the kill-and-restart test. Env: RPC_URL, DB_PATH, KEY, TO, DATA, MODE = send | restart.
 * `send` signs and broadcasts, then waits (the test SIGKILLs it while the tx is pending);
 * `restart` reconciles the journal, then asks to send the same action again, and prints JSON.
 */
import { Wallet, parseUnits } from "ethers";
import { connectProvider } from "../../src/cli/container";
import { TxSender } from "../../src/execution/txSender";
import { silentLogger } from "../../src/sources";
import { openStateDb } from "../../src/state";

async function main(): Promise<void> {
  const env = (name: string): string => {
    const value = process.env[name];
    if (value === undefined || value === "") throw new Error(`sendChild: env ${name} missing`);
    return value;
  };
  const provider = await connectProvider([env("RPC_URL")], 31337);
  const state = openStateDb(env("DB_PATH"));
  const sender = new TxSender(
    { signer: new Wallet(env("KEY")), provider, journal: state.journal, logger: silentLogger },
    {
      maxFeePerGasCeiling: parseUnits("300", "gwei"),
      maxPriorityFeePerGas: parseUnits("1.5", "gwei"),
      replaceAfterBlocks: 1000,
      receiptTimeoutMs: 60_000,
      pollIntervalMs: 100,
    },
  );
  const action = { kind: "kill-test", key: "kill-test:1", to: env("TO"), data: env("DATA") };
  if (env("MODE") === "send") {
    process.stdout.write("sending\n");
    const result = await sender.send(action);
    process.stdout.write(`${JSON.stringify({ result }, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}\n`);
  } else {
    const reconciled = await sender.reconcile();
    const again = await sender.send(action);
    process.stdout.write(`${JSON.stringify({ reconciled, again }, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}\n`);
  }
  state.close();
  provider.destroy();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
