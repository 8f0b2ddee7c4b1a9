#!/usr/bin/env node
/**
 * `npm run demo`: a bounded scenario on the embedded local chain, one progress line per stage
 * (with chain time), exit 0 when every stage passed, non-zero with the failing stage otherwise.
 * The chain always stops.
 *
 *   setup (chain, LocalStack with the seven protocol stand-ins, the investor's positions in them)
 *   → scores pushed → coverage bought (at the positions' live values) → time through two
 *   renewals → a position grows 50% and is topped up → exploit (one stand-in drained on-chain)
 *   → alert and sales halt in the next incident-watch tick (suspected, no claim) → confirmation
 *   (TVL collapse in the fixture feed) → incident detected, loss measured at the recorded blocks,
 *   claim filed at the allowed time → assessed (Nexus vote / assessor / provider decision) →
 *   settled by the keeper → withdrawn by the beneficiary → coverage report.
 *
 * Env: DEMO_PROTOCOL (fixture id to exploit, default aave-v3), LOG_LEVEL (default error).
 */
import "dotenv/config";
import { ensureCompiled, exitWhenDone, logLevelFromEnv } from "./entry";

async function demo(): Promise<number> {
  ensureCompiled();
  const { runDemo } = await import("./demoScenario");
  const { createLogger } = await import("../lib/logger");
  const logger = createLogger({ level: logLevelFromEnv(process.env, "error") });
  const protocol = (process.env["DEMO_PROTOCOL"] ?? "").trim();
  return runDemo({ logger, out: (line) => process.stdout.write(`${line}\n`), ...(protocol !== "" ? { exploitProtocol: protocol } : {}) });
}

exitWhenDone(demo(), "demo");
