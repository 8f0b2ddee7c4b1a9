/**
 * `keeper state prune [--dry-run] [--vacuum] [--json]`: the retention rules of `state.retention`
 * applied once to the state database (what the daemon does every `intervalHours`). `--dry-run`
 * counts what would go; `--vacuum` then rewrites the file without its free pages (it shrinks;
 * the database is locked while it runs, so prefer a moment the daemon is idle).
 */
import type { Command } from "commander";
import { requireDurableState } from "../../config";
import { openStateDb, pruneSummary } from "../../state";
import { setupCommand } from "./context";

export function registerStateCommands(program: Command, out: (text: string) => void): void {
  const state = program.command("state").description("the state database");
  state
    .command("prune")
    .description("apply the retention rules (state.retention) once: compact old assessments, drop settled raw transactions and delivered alerts")
    .option("--dry-run", "count what would be pruned; change nothing")
    .option("--vacuum", "after pruning, shrink the file (VACUUM)")
    .option("--json", "print JSON")
    .action(async (options: { dryRun?: boolean; vacuum?: boolean; json?: boolean }) => {
      const { config } = setupCommand(program, "state prune");
      requireDurableState(config, "state prune");
      const db = openStateDb(config.state.dbPath);
      try {
        const { intervalHours: _interval, ...policy } = config.state.retention;
        const chainNowSec = db.retention.lastChainTime(); // assessments carry chain time (a fork's is not the wall clock)
        const result = await db.retention.prune(policy, { dryRun: options.dryRun === true, ...(chainNowSec !== undefined ? { chainNowSec } : {}) });
        let fileBytesAfterVacuum: number | undefined;
        if (options.vacuum === true && options.dryRun !== true) {
          db.retention.vacuum();
          fileBytesAfterVacuum = db.retention.usedBytes();
        }
        const { watchSignalIds: _ids, ...counts } = result;
        out(options.json === true ? JSON.stringify({ ...counts, ...(fileBytesAfterVacuum !== undefined ? { fileBytesAfterVacuum } : {}) }, null, 2) : `${pruneSummary(result)}${fileBytesAfterVacuum !== undefined ? `; file vacuumed to ${fileBytesAfterVacuum} bytes` : ""}`);
      } finally {
        db.close();
      }
    });
}
