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
 * The keeper dashboard is served on 127.0.0.1 while the scenario runs (its URL is printed);
 * `--keep-open` keeps it open on the final state after the scenario until Ctrl-C.
 *
 * Env: DEMO_PROTOCOL (fixture id to exploit, default aave-v3), DEMO_DASHBOARD_PORT (default: a free
 * port), LOG_LEVEL (default error).
 */
import "dotenv/config";
import { ensureCompiled, exitWhenDone, logLevelFromEnv, STOP_SIGNALS } from "./entry";

async function demo(argv: readonly string[]): Promise<number> {
  ensureCompiled();
  const keepOpen = argv.includes("--keep-open");
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  const { runDemo } = await import("./demoScenario");
  const { observeDaemons } = await import("./daemon");
  const { startHealthServer } = await import("../server/health");
  const { createLogger } = await import("../lib/logger");
  const logger = createLogger({ level: logLevelFromEnv(process.env, "error") });
  const port = Number((process.env["DEMO_DASHBOARD_PORT"] ?? "").trim() || "0");
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`DEMO_DASHBOARD_PORT=${process.env["DEMO_DASHBOARD_PORT"]}: use a port number`);

  // Serve the dashboard of the daemon the scenario builds (the scenario itself runs no server).
  let dashboard: Promise<{ url: string; close(): Promise<void> } | undefined> | undefined;
  const stopObserving = observeDaemons({
    created: (daemon) => {
      dashboard ??= startHealthServer({ metrics: daemon.metrics, intervalsMs: daemon.loopIntervalsMs, port, dashboard: daemon.dashboard, logger }).then(
        (server) => {
          out(`dashboard: ${server.url}/`);
          return server;
        },
        (err: unknown) => {
          out(`dashboard: not served (${err instanceof Error ? err.message : String(err)})`);
          return undefined;
        },
      );
    },
  });
  const protocol = (process.env["DEMO_PROTOCOL"] ?? "").trim();
  let code: number;
  try {
    code = await runDemo({ logger, out, ...(protocol !== "" ? { exploitProtocol: protocol } : {}) });
  } finally {
    stopObserving();
  }
  const server = await dashboard;
  if (server !== undefined && keepOpen) {
    out(`demo: the dashboard stays open on the final state at ${server.url}/ — Ctrl-C to exit`);
    await new Promise<void>((resolve) => {
      for (const signal of STOP_SIGNALS) process.once(signal, () => resolve());
    });
  }
  await server?.close();
  return code;
}

exitWhenDone(demo(process.argv.slice(2)), "demo");
