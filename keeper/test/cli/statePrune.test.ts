/** `keeper state prune`: the retention rules once, from the CLI; `--dry-run` counts, `--vacuum` shrinks the file. */
import { expect } from "chai";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { main } from "../../src/cli/cli";
import { embeddedDefaultConfig } from "../../src/config";
import { openStateDb } from "../../src/state";

describe("keeper state prune", function () {
  this.timeout(60_000);
  let dir: string;
  let saved: string | undefined;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "sif-prune-"));
    saved = process.env["KEEPER_DB_PATH"];
    delete process.env["KEEPER_DB_PATH"];
  });
  afterEach(() => {
    if (saved !== undefined) process.env["KEEPER_DB_PATH"] = saved;
    process.exitCode = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it("--dry-run counts and changes nothing; a real run compacts old assessments; --vacuum shrinks the file", async () => {
    const db = path.join(dir, "state.sqlite");
    const nowSec = Math.floor(Date.now() / 1000);
    const seeded = openStateDb(db);
    const c = { tvl: 30, audit: 30, time: 30, exploit: 30, team: 30 };
    const batch = [];
    for (let t = nowSec - 200 * 86_400; t < nowSec - 100 * 86_400; t += 600) batch.push({ protocol: "aave-v3", assessedAt: t, components: c, composite: 30, category: "LOW" as const, confidence: 100, missing: [{ field: "github", reason: "x".repeat(200) }] });
    seeded.assessments.record(batch);
    const days = new Set(batch.map((a) => Math.floor(a.assessedAt / 86_400))).size; // one kept per UTC day
    seeded.close();
    const file = path.join(dir, "keeper.config.json");
    writeFileSync(file, JSON.stringify({ ...embeddedDefaultConfig(), state: { dbPath: db } }));
    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t), stdoutIsTty: false };

    expect(await main(["--config", file, "--log-level", "silent", "state", "prune", "--dry-run", "--json"], io)).to.equal(0);
    const dry = JSON.parse(out.splice(0).join("\n")) as { dryRun: boolean; assessments: number };
    expect(dry).to.deep.include({ dryRun: true });
    expect(dry.assessments).to.equal(batch.length - days);

    const before = statSync(db).size;
    expect(await main(["--config", file, "--log-level", "silent", "state", "prune", "--vacuum"], io)).to.equal(0);
    expect(out.join("\n")).to.match(new RegExp(`^pruned: assessments=${batch.length - days} .*file vacuumed`));
    const after = openStateDb(db);
    try {
      expect(after.assessments.history("aave-v3")).to.have.length(days);
    } finally {
      after.close();
    }
    expect(statSync(db).size).to.be.lessThan(before);
  });
});
