#!/usr/bin/env node
/**
 * `npm start`: the keeper daemon. With an RPC configured (env RPC_URL / RPC_URLS, a config file
 * via KEEPER_CONFIG or --config) it is `keeper run`; without one it runs on the embedded local
 * chain (./embedded), started in its own process group: Ctrl-C stops the keeper first (it finishes
 * its in-flight action), then the chain. Logs are human-readable on a terminal, JSON otherwise or
 * with --log-json. Extra arguments go to `keeper run` (e.g. --dry-run, --log-json).
 * Either way the daemon prints its dashboard URL (`dashboard: http://127.0.0.1:…/`) when it starts.
 */
import "dotenv/config";
import { ensureCompiled, exitWhenDone, logLevelFromEnv } from "./entry";

function rpcConfigured(env: NodeJS.ProcessEnv, argv: readonly string[]): boolean {
  const set = (name: string) => (env[name] ?? "").trim() !== "";
  return set("RPC_URL") || set("RPC_URLS") || set("KEEPER_CONFIG") || argv.includes("--config");
}

async function start(argv: readonly string[]): Promise<number> {
  ensureCompiled();
  if (rpcConfigured(process.env, argv)) {
    const { main } = await import("./cli");
    return main(["run", ...argv.filter((a) => a !== "run")]);
  }
  const { runEmbeddedDaemon } = await import("./embedded");
  const { createLogger } = await import("../lib/logger");
  // Status lines on stdout; logs (JSON on stderr) only from warnings up unless LOG_LEVEL says otherwise.
  const { wantsPrettyLogs } = await import("./commands/context");
  const pretty = wantsPrettyLogs({ logPretty: argv.includes("--log-pretty"), logJson: argv.includes("--log-json") }, process.stderr.isTTY === true);
  const logger = createLogger({ level: logLevelFromEnv(process.env, "warn"), pretty });
  return runEmbeddedDaemon({ logger, out: (line) => process.stdout.write(`${line}\n`) });
}

exitWhenDone(start(process.argv.slice(2)), "start");
