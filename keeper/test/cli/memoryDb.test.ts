/**
 * `KEEPER_DB_PATH=:memory:` as documented (issue 22): `run` refuses it; the other commands use a
 * real in-memory SQLite database, never a file named ":memory:".
 */
import { expect } from "chai";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { main } from "../../src/cli/cli";
import { embeddedDefaultConfig, parseConfig } from "../../src/config";

const FUND = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const LENS = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";

describe("KEEPER_DB_PATH=:memory:", function () {
  this.timeout(60_000);
  let dir: string;
  let cwd: string;
  let saved: string | undefined;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "sif-memory-db-"));
    cwd = process.cwd();
    saved = process.env["KEEPER_DB_PATH"];
    process.env["KEEPER_DB_PATH"] = ":memory:";
    process.chdir(dir);
  });
  afterEach(() => {
    process.chdir(cwd);
    if (saved === undefined) delete process.env["KEEPER_DB_PATH"];
    else process.env["KEEPER_DB_PATH"] = saved;
    process.exitCode = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it("stays SQLite's in-memory database, not a path resolved against the working directory", () => {
    const config = parseConfig({ ...embeddedDefaultConfig(), state: { dbPath: "keeper.sqlite" } }, { env: { KEEPER_DB_PATH: ":memory:" }, baseDir: dir });
    expect(config.state.dbPath).to.equal(":memory:");
  });

  it("`run` refuses it (exit 2, naming the fix); `status` runs on a real in-memory database and leaves no file behind", async () => {
    const file = path.join(dir, "keeper.config.json");
    writeFileSync(file, JSON.stringify({ ...embeddedDefaultConfig(), chain: { rpcUrl: "http://127.0.0.1:9", chainId: 31337, fundAddress: FUND, lensAddress: LENS } }));
    const err: string[] = [];
    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t), stdoutIsTty: false };
    expect(await main(["--config", file, "--log-level", "silent", "run", "--dry-run"], io)).to.equal(2);
    expect(err.join("\n")).to.include('config.state.dbPath: ":memory:" cannot back `keeper run` (the journal would not survive a restart) — set state.dbPath or env KEEPER_DB_PATH to a file');
    expect(await main(["--config", file, "--log-level", "silent", "status", "--json"], io)).to.equal(0);
    expect((JSON.parse(out.join("\n")) as { database: string }).database).to.equal(":memory:");
    expect(existsSync(path.join(dir, ":memory:"))).to.equal(false);
    expect(readdirSync(dir)).to.deep.equal(["keeper.config.json"]);
  });
});
