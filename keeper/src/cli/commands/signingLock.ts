/**
 * Every command that signs holds the state database's daemon lock while it runs, so a cron
 * `keeper once`, a `push-risk` or an `incident confirm` never signs next to a running daemon
 * (two nonce owners, two claims). The lock is the daemon's: same row, same staleness rule.
 */
import type { KeeperConfig } from "../../config";
import type { Logger } from "../../lib/logger";
import type { StateDb } from "../../state";

export async function withSigningLock<T>(
  state: StateDb,
  config: Pick<KeeperConfig, "state">,
  logger: Logger,
  command: string,
  fn: () => Promise<T>,
): Promise<T> {
  const lock = state.acquireDaemonLock({ logger, staleAfterSec: config.state.lockStaleAfterSec });
  let lost: Error | undefined;
  const stop = lock.startHeartbeat(Math.max(1000, Math.floor((config.state.lockStaleAfterSec * 1000) / 4)), (err) => {
    lost = err;
    logger.error({ command, err: err.message }, "signing lock lost while the command ran");
  });
  try {
    const result = await fn();
    if (lost !== undefined) throw lost;
    return result;
  } finally {
    stop();
    if (lost === undefined) lock.release();
  }
}
