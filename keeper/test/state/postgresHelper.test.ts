/**
 * The PostgreSQL test helper (keeper/test/helpers/postgres.ts) serves a real server, and the
 * engine behaves as the leader/standby design relies on: a session-level advisory lock is held
 * by exactly one session, and is released when that session's connection ends.
 */
import { expect } from "chai";
import { Client } from "pg";

import { POSTGRES_MISSING, postgresBinDir, sharedPostgres } from "../helpers/postgres";

describe("PostgreSQL test helper (real server on loopback)", function () {
  this.timeout(60_000);
  let url: string;

  before(async function () {
    if (postgresBinDir() === undefined) {
      console.log(`    ${POSTGRES_MISSING}`);
      this.skip();
    }
    url = await (await sharedPostgres()).createDatabase("helper_smoke");
  });

  async function connect(): Promise<Client> {
    const client = new Client({ connectionString: url });
    await client.connect();
    return client;
  }

  it("answers queries in a fresh database of its own", async () => {
    const client = await connect();
    try {
      const { rows } = await client.query<{ db: string; version: string }>("SELECT current_database() AS db, version() AS version");
      expect(rows[0]?.db).to.equal("helper_smoke");
      expect(rows[0]?.version).to.match(/^PostgreSQL \d+/);
    } finally {
      await client.end();
    }
  });

  it("a session advisory lock has one holder, and is freed when the holder's connection ends", async () => {
    const leader = await connect();
    const standby = await connect();
    try {
      const take = async (c: Client) => (await c.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(42) AS ok")).rows[0]?.ok;
      expect(await take(leader)).to.equal(true);
      expect(await take(standby)).to.equal(false);
      await leader.end(); // the leader's session dies: the server drops its locks
      let acquired = false;
      for (let i = 0; i < 50 && !acquired; i++) {
        acquired = (await take(standby)) === true;
        if (!acquired) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(acquired).to.equal(true);
    } finally {
      await standby.end();
      await leader.end().catch(() => undefined);
    }
  });
});
