/**
 * Every command that signs with the keeper key holds the signing lock while it runs, so a cron
 * `keeper once`, a `push-risk`, an `incident confirm` or an operator `settle` never signs next to
 * a running daemon (two nonce owners, two claims). The lock is the daemon's: per key and chain
 * (the state database was bound to the signer), same staleness rule, and its fencing token is
 * checked by the journal before anything is recorded to sign — a command that lost the lock
 * cannot sign again even before its heartbeat notices.
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
