/**
 * Leadership over a real PostgreSQL (pgLeader.ts), two keeper states in one test process (each
 * with its own sessions, as two machines would have): one leader at a time; a leader whose
 * database sessions are terminated stops signing within its lease and a standby takes over with a
 * new fencing token; a hung leader (session alive, lease lapsed) is ended by the standby.
 */
import { expect } from "chai";
import { Client } from "pg";

import { DaemonLockError, FencedOutError, openStateDb, PgSyncConnection, type DaemonLock, type StateDb } from "../../src/state";
import { POSTGRES_MISSING, postgresBinDir, sharedPostgres } from "../helpers/postgres";
import { silentLogger as logger } from "../../src/sources";

const SIGNER = { chainId: 31337, address: "0x00000000000000000000000000000000000000aa" };
const TAKEOVER_SECONDS = 2; // lease 1 s, renewal and polling every 0.2 / 0.5 s

describe("PostgreSQL leadership (advisory lock + lease + fencing token)", function () {
  this.timeout(30_000);
  const opened: StateDb[] = [];
  let url = "";
  let admin: Client;
  let n = 0;

  before(async function () {
    if (postgresBinDir() === undefined) {
      console.log(`    ${POSTGRES_MISSING}`);
      this.skip();
    }
    const pg = await sharedPostgres();
    admin = new Client({ connectionString: pg.url });
    await admin.connect();
  });
  after(async () => {
    await admin?.end();
  });
  beforeEach(async () => {
    n++;
    url = await (await sharedPostgres()).createDatabase(`leader_${process.pid}_${n}`);
  });
  afterEach(() => {
    for (const s of opened.splice(0)) s.close();
  });

  const keeper = (): StateDb => {
    const state = openStateDb(url, { takeoverSeconds: TAKEOVER_SECONDS });
    state.bindSigner(SIGNER);
    opened.push(state);
    return state;
  };
  /** Ends these server sessions (pg_terminate_backend), as a network cut or a DBA would. */
  const terminate = async (pids: number[]): Promise<number> => {
    const { rows } = await admin.query("SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE pid = ANY($1::int[])", [pids]);
    return rows.length;
  };
  /** The server pids of a keeper's two sessions (repositories, lock). */
  const sessionsOf = (state: StateDb): number[] => {
    const conn = state.db as PgSyncConnection;
    return [conn.query("SELECT pg_backend_pid() AS pid")[0]?.["pid"] as number, conn.query("SELECT pg_backend_pid() AS pid", [], "lock")[0]?.["pid"] as number];
  };

  it("one leader at a time: a second process's try is refused while the first leads", async () => {
    const a = keeper();
    const b = keeper();
    const lock = a.acquireDaemonLock({ logger });
    expect(lock.fence?.token).to.equal(1);
    expect(() => b.acquireDaemonLock({ logger })).to.throw(DaemonLockError, /another keeper process leads/);
    const standby = await Promise.race([
      b.awaitLeadership({ logger, takeoverSeconds: TAKEOVER_SECONDS, stopping: () => true }),
      new Promise((r) => setTimeout(() => r("timeout"), 3000)),
    ]);
    expect(standby).to.equal(undefined);
    // Only the leader records anything to sign.
    expect(a.journal.plan({ kind: "file-claim", key: "claim:a", payload: {} }).state).to.equal("planned");
    lock.release();
    const next = b.acquireDaemonLock({ logger });
    expect(next.fence?.token).to.equal(2);
    expect(() => a.journal.plan({ kind: "file-claim", key: "claim:a2", payload: {} })).to.throw(FencedOutError);
  });

  it("the leader loses its database sessions: it stops signing within its lease; the standby takes over with the next token", async () => {
    const a = keeper();
    const b = keeper();
    const lock = a.acquireDaemonLock({ logger });
    const lost: string[] = [];
    const stop = lock.startHeartbeat(0, (err) => lost.push(err.message));
    const standby = b.awaitLeadership({ logger, takeoverSeconds: TAKEOVER_SECONDS });
    a.journal.plan({ kind: "file-claim", key: "claim:before", payload: {} });
    // Both of the leader's sessions (repositories and lock) end, as when its network drops.
    const aPids = sessionsOf(a);
    const cutAt = Date.now();
    expect(await terminate(aPids)).to.equal(2);
    const taken = (await standby) as DaemonLock;
    const takeoverMs = Date.now() - cutAt;
    const stopB = taken.startHeartbeat(0);
    expect(taken.fence?.token).to.equal(2);
    expect(takeoverMs).to.be.below(TAKEOVER_SECONDS * 1000);
    // The old leader can record nothing more to sign, whatever it believes.
    let refused = 0;
    for (let i = 0; i < 3; i++) {
      try {
        a.journal.plan({ kind: "file-claim", key: `claim:after:${i}`, payload: {} });
      } catch (err) {
        refused++;
        if (i > 0) expect(err).to.be.instanceOf(FencedOutError);
      }
    }
    expect(refused).to.equal(3);
    await new Promise((r) => setTimeout(r, 1200));
    expect(lost.length).to.equal(1);
    stop();
    expect(b.journal.list().map((e) => e.key)).to.deep.equal(["claim:before"]);
    expect(b.journal.plan({ kind: "file-claim", key: "claim:b", payload: {} }).state).to.equal("planned");
    stopB();
  });

  it("a leader cut off without a standby stops signing once its lease lapses", async () => {
    const a = keeper();
    const lock = a.acquireDaemonLock({ logger });
    // Its lease is not renewed (no heartbeat): a hung or partitioned leader.
    a.journal.plan({ kind: "file-claim", key: "claim:0", payload: {} });
    await new Promise((r) => setTimeout(r, 1100));
    expect(() => a.journal.plan({ kind: "file-claim", key: "claim:1", payload: {} })).to.throw(FencedOutError, /lease lapsed/);
    lock.release();
  });

  it("a hung leader (session alive, lease lapsed) is ended by the standby, which takes over", async () => {
    const a = keeper();
    const b = keeper();
    a.acquireDaemonLock({ logger }); // never renewed
    const started = Date.now();
    const taken = (await b.awaitLeadership({ logger, takeoverSeconds: TAKEOVER_SECONDS })) as DaemonLock;
    expect(taken.fence?.token).to.equal(2);
    // Lease 1 s + half the takeover time before it ends the holder, then the next try.
    expect(Date.now() - started).to.be.within(1500, TAKEOVER_SECONDS * 1000 + 1500);
    expect(() => a.journal.plan({ kind: "file-claim", key: "claim:hung", payload: {} })).to.throw();
  });
});
