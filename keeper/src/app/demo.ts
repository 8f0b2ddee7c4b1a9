#!/usr/bin/env node
/**
 * `npm run demo`: a bounded scenario on the embedded local chain, one progress line per stage
 * (with chain time), exit 0 when every stage passed, non-zero with the failing stage otherwise.
 * The chain always stops.
 *
 *   setup → scores pushed → coverage bought → time through two renewals → exploit (TVL collapse
 *   in the fixture feed) → incident detected and claim filed at the allowed time → assessed
 *   (Nexus vote / assessor / provider decision) → settled by the keeper → withdrawn by the
 *   beneficiary → coverage report.
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
