/**
 * `keeper run` over PostgreSQL with scripted loops: the first daemon leads and runs its loops; a
 * second one on the same key is a standby that runs none (its health stays ok) and leads — lock,
 * then loops — once the leader stops.
 */
import { expect } from "chai";

import { KeeperDaemon, type LoopResult, type LoopRunner } from "../../src/cli/daemon";
import type { LoopName } from "../../src/server/metrics";
import { DEFAULT_FIXTURE_DIR, parseConfig } from "../../src/config";
import { openStateDb, type StateDb } from "../../src/state";
import { recordingLogger } from "../sources/testDeps";
import { POSTGRES_MISSING, postgresBinDir, sharedPostgres } from "../helpers/postgres";

const SIGNER = { chainId: 31337, address: "0x00000000000000000000000000000000000000bb" };

describe("keeper daemon over PostgreSQL: leader and standby (scripted loops)", function () {
  this.timeout(30_000);
  const states: StateDb[] = [];
  const daemons: KeeperDaemon[] = [];
  before(async function () {
    if (postgresBinDir() === undefined) {
      console.log(`    ${POSTGRES_MISSING}`);
      this.skip();
    }
    await sharedPostgres();
  });
  afterEach(async () => {
    for (const d of daemons.splice(0)) await d.stop("test end");
    for (const s of states.splice(0)) s.close();
  });

  const loopsOf = (calls: LoopName[]): Record<LoopName, LoopRunner> => {
    const make = (loop: LoopName): LoopRunner => async (): Promise<LoopResult> => {
      calls.push(loop);
      return { now: 1_700_000_000, line: `${loop} ok`, actions: [] };
    };
    return { risk: make("risk"), coverage: make("coverage"), incident: make("incident") };
  };

  it("one leads and runs the loops; the standby runs none until the leader stops, then leads", async () => {
    const url = await (await sharedPostgres()).createDatabase(`daemon_ha_${process.pid}`);
    const cfg = parseConfig(
      {
        protocols: [{ id: "aave-v3", name: "Aave V3", address: "0x0000000000000000000000000000000000000a0a" }],
        sources: { fixture: { path: DEFAULT_FIXTURE_DIR } },
        health: { enabled: false, port: 0 },
        state: { url },
        ha: { takeoverSeconds: 2 },
      },
      { env: {} },
    );
    const open = (): StateDb => {
      const state = openStateDb(url, { takeoverSeconds: cfg.ha.takeoverSeconds });
      state.bindSigner(SIGNER);
      states.push(state);
      return state;
    };
    const calls1: LoopName[] = [];
    const calls2: LoopName[] = [];
    const lines1: string[] = [];
    const lines2: string[] = [];
    const d1 = new KeeperDaemon(cfg, open(), loopsOf(calls1), recordingLogger(), {}, { out: (l) => lines1.push(l), shutdownGraceMs: 1000 });
    const d2 = new KeeperDaemon(cfg, open(), loopsOf(calls2), recordingLogger(), {}, { out: (l) => lines2.push(l), shutdownGraceMs: 1000 });
    daemons.push(d1, d2);
    await d1.start();
    const until = async (check: () => boolean, what: string): Promise<void> => {
      const deadline = Date.now() + 10_000;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out: ${what}\n${lines1.join("\n")}\n--\n${lines2.join("\n")}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await until(() => calls1.length === 3, "the leader's first cycles");
    await d2.start();
    await until(() => lines2.some((l) => / standby: another keeper leads/.test(l)), "the standby line");
    await new Promise((r) => setTimeout(r, 1200));
    expect(calls2).to.deep.equal([]);
    expect(d2.leading).to.equal(false);
    expect(d1.leading).to.equal(true);
    expect(d2.metrics.health(d2.loopIntervalsMs).ok).to.equal(true);
    const stoppedAt = Date.now();
    await d1.stop("leader stops");
    await until(() => calls2.length === 3, "the new leader's cycles");
    expect(Date.now() - stoppedAt).to.be.below(cfg.ha.takeoverSeconds * 1000 + 1000);
    expect(lines2.some((l) => / leader: signing lock taken \(fence 2\)/.test(l))).to.equal(true);
    expect(d2.leading).to.equal(true);
  });
});
