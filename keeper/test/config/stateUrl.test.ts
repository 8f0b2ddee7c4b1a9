/**
 * The PostgreSQL state URL: from state.url or env KEEPER_STATE_URL, validated with a message that
 * names the field and never echoes the value, and its password never shown (config dump, the
 * state's path, connection errors). SQLite stays the default.
 */
import { expect } from "chai";

import { DEFAULT_FIXTURE_DIR, parseConfig, redactConfig, ConfigError } from "../../src/config";
import { freePort } from "../../src/cli/embedded";
import { openStateDb, stateLocation } from "../../src/state";

const base = {
  protocols: [{ id: "aave-v3", name: "Aave V3", address: "0x0000000000000000000000000000000000000a0a" }],
  sources: { fixture: { path: DEFAULT_FIXTURE_DIR } },
};
const SECRET = "s3cr3t-Pa55word";

describe("state.url / KEEPER_STATE_URL (PostgreSQL state)", () => {
  it("SQLite stays the default: no url, ha.takeoverSeconds 15", () => {
    const config = parseConfig(base, { env: {} });
    expect(config.state.url).to.equal(undefined);
    expect(stateLocation(config.state)).to.equal(":memory:");
    expect(config.ha.takeoverSeconds).to.equal(15);
  });

  it("env KEEPER_STATE_URL wins over the file and the config dump shows no password", () => {
    const url = `postgres://keeper:${SECRET}@db.internal:5432/keeper?sslmode=require`;
    const config = parseConfig({ ...base, state: { url: "postgres://other@x/y" } }, { env: { KEEPER_STATE_URL: url } });
    expect(stateLocation(config.state)).to.equal(url);
    const dump = JSON.stringify(redactConfig(config));
    expect(dump).to.not.include(SECRET);
    expect(dump).to.include("postgres://keeper:***@db.internal:5432/keeper");
  });

  it("a URL that is not PostgreSQL is refused, naming the field and not echoing the value", () => {
    let error: unknown;
    try {
      parseConfig(base, { env: { KEEPER_STATE_URL: `mysql://keeper:${SECRET}@db/keeper` } });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).to.include("env.KEEPER_STATE_URL: not a PostgreSQL URL");
    expect(message).to.not.include(SECRET);
    expect(() => parseConfig({ ...base, ha: { takeoverSeconds: 1 } }, { env: {} })).to.throw(/ha\.takeoverSeconds/);
  });

  it("a server that cannot be reached: the error names state.url and hides the password", async function () {
    this.timeout(20_000);
    const port = await freePort(); // nothing listens there
    let message = "";
    try {
      openStateDb(`postgres://keeper:${SECRET}@127.0.0.1:${port}/keeper`);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).to.match(/state database postgres:\/\/keeper:\*\*\*@127\.0\.0\.1:\d+\/keeper: cannot be opened .*state\.url \/ KEEPER_STATE_URL/);
    expect(message).to.not.include(SECRET);
  });
});
