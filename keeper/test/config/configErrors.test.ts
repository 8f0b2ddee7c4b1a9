/** Config errors a person can act on (issue 22): JSONC line and column, "did you mean" for unknown keys. */
import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { configFileSchema, embeddedDefaultConfig, loadConfig, objectKeysAt, parseConfig } from "../../src/config";
import { JsoncSyntaxError, lineAndColumn, parseJsonc } from "../../src/config/jsonc";
import { editDistance, nearestName } from "../../src/lib/suggest";
import { issuesOf } from "../helpers/configIssues";


describe("config errors: JSONC line and column", () => {
  it("lineAndColumn counts from 1", () => {
    expect(lineAndColumn("ab\ncd", 0)).to.deep.equal({ line: 1, column: 1 });
    expect(lineAndColumn("ab\ncd", 4)).to.deep.equal({ line: 2, column: 2 });
  });

  it("a trailing comma after a comment points at its line and column, not a character offset", () => {
    const text = '{\n  // the chain\n  "chain": { "rpcUrl": "http://127.0.0.1:8545" },\n}\n';
    try {
      parseJsonc(text);
      expect.fail("parsed");
    } catch (err) {
      expect(err).to.be.instanceOf(JsoncSyntaxError);
      expect((err as JsoncSyntaxError).line).to.equal(4);
      expect((err as JsoncSyntaxError).column).to.equal(1);
      expect((err as Error).message).to.match(/^line 4, column 1: /);
      expect((err as Error).message).not.to.match(/position/);
    }
  });

  it("a truncated file points at its end", () => {
    expect(() => parseJsonc('{\n  "a": 1')).to.throw(JsoncSyntaxError, /^line 2, column \d+: /);
  });

  it("loadConfig names file:line:column", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "sif-jsonc-"));
    try {
      const file = path.join(dir, "keeper.config.json");
      writeFileSync(file, '{\n  "chain": { "rpcUrl": "http://127.0.0.1:8545" }\n  "protocols": []\n}\n');
      const [issue] = issuesOf(() => loadConfig({ configPath: file, env: {} }));
      expect(issue).to.match(new RegExp(`^config file ${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:3:3: not valid JSON \\(line 3, column 3: Expected ',' or '}' after property value\\)`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("config errors: unknown keys get the nearest valid key", () => {
  it("editDistance and nearestName", () => {
    expect(editDistance("rpcUrl", "rpcURL")).to.equal(0);
    expect(editDistance("kitten", "sitting")).to.equal(3);
    expect(nearestName("rpcUlr", ["rpcUrl", "rpcUrls", "chainId"])).to.equal("rpcUrl");
    expect(nearestName("zzzzzz", ["rpcUrl", "chainId"])).to.equal(undefined);
  });

  it("objectKeysAt walks objects, arrays and defaults", () => {
    expect(objectKeysAt(configFileSchema, ["chain"])).to.include.members(["rpcUrl", "chainId", "deployment"]);
    expect(objectKeysAt(configFileSchema, ["protocols", 0])).to.include.members(["id", "name", "address", "defiLlamaSlug"]);
  });

  it("a misspelt key at the top, in a section and in an array item names the valid one", () => {
    const base = embeddedDefaultConfig() as unknown as Record<string, unknown>;
    const protocols = (base["protocols"] as Record<string, unknown>[]).map((p, i) => (i === 0 ? { ...p, defillamaSlug: "x" } : p));
    const issues = issuesOf(() =>
      parseConfig({ ...base, chain: { rpcUrl: "http://127.0.0.1:8545", chainID: 1 }, protocols, helth: { port: 1 } }, { env: {} }),
    );
    expect(issues).to.include('config.chain.chainID: unknown key — did you mean "chainId"?');
    expect(issues).to.include('config.protocols[0].defillamaSlug: unknown key — did you mean "defiLlamaSlug"?');
    expect(issues).to.include('config.helth: unknown key — did you mean "health"?');
  });

  it("a key near nothing lists the valid keys", () => {
    const issues = issuesOf(() => parseConfig({ ...embeddedDefaultConfig(), chain: { rpcUrl: "http://127.0.0.1:8545", wibblewobble: 1 } }, { env: {} }));
    expect(issues[0]).to.match(/^config\.chain\.wibblewobble: unknown key — valid keys here: .*rpcUrl/);
  });
});
