import { expect } from "chai";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";

import { ConfigError, embeddedDefaultConfig, fixturePortfolioProblem, loadConfig, parseConfig, resolveChainAddresses } from "../../src/config";
import { chooseAddresses, deploymentFileFor, readDeployment } from "../../src/config/deployments";
import { parseJsonc, stripJsonComments } from "../../src/config/jsonc";

const FUND = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const LENS = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
const OTHER = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";
const ADAPTER = "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9";

describe("keeper config: deployments and JSONC", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "keeper-deploy-"));
    await fs.mkdir(path.join(dir, "chain-31337"));
    await fs.writeFile(
      path.join(dir, "chain-31337", "deployed_addresses.json"),
      JSON.stringify({ "Fund#StablecoinInsuranceFund": FUND, "Fund#FundLens": LENS, "NexusAdapter#NexusMutualAdapter": ADAPTER }),
    );
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it("reads fund, lens and adapters from a deployments folder, a chain folder or the file itself", () => {
    for (const location of [dir, path.join(dir, "chain-31337"), path.join(dir, "chain-31337", "deployed_addresses.json")]) {
      const d = readDeployment(31337, location);
      expect(d).to.deep.include({ chainId: 31337, fundAddress: FUND, lensAddress: LENS, file: path.join(dir, "chain-31337", "deployed_addresses.json") });
      expect(d.adapters).to.deep.equal({ nexusAdapter: ADAPTER });
    }
    expect(() => deploymentFileFor(11155111, path.join(dir, "chain-31337"))).to.throw(/another chain than 11155111/);
    expect(() => readDeployment(11155111, dir)).to.throw(/no deployment for chain 11155111 .* set chain.deployment/);
  });

  it("takes both addresses from one file, or both explicit; refuses a mix of two deployments", () => {
    const d = readDeployment(31337, dir);
    expect(chooseAddresses({}, d)).to.deep.include({ fundAddress: FUND, lensAddress: LENS });
    expect(chooseAddresses({ fundAddress: FUND }, d)).to.deep.include({ fundAddress: FUND, lensAddress: LENS });
    expect(chooseAddresses({ fundAddress: OTHER, lensAddress: LENS }, undefined)).to.deep.include({ fundAddress: OTHER, origin: { kind: "explicit" } });
    const mixed = chooseAddresses({ fundAddress: OTHER }, d);
    expect(mixed).to.have.property("problems");
    expect((mixed as { problems: string[] }).problems[0]).to.match(/FUND_ADDRESS 0x9fE4.* is not the fund of .*deployed_addresses.json .* whose lens would be used — set LENS_ADDRESS too, or unset FUND_ADDRESS; never mix two deployments/);
    const both = chooseAddresses({ fundAddress: FUND, lensAddress: OTHER }, d) as { problems: string[] };
    expect(both.problems).to.have.length(1);
    expect(both.problems[0]).to.match(/LENS_ADDRESS .* is not the lens of/);
  });

  it("resolveChainAddresses: a config with only the RPC and chain id finds the deployment and says which file", () => {
    const config = parseConfig({ chain: { rpcUrl: "http://127.0.0.1:8545", chainId: 31337 }, protocols: embeddedDefaultConfig().protocols, sources: { operator: {} } }, { origin: "/etc/keeper.json" });
    const resolved = resolveChainAddresses(config, 31337, { deploymentsDir: dir });
    expect(resolved.config.chain).to.include({ fundAddress: FUND, lensAddress: LENS });
    expect(resolved.describe).to.equal(`fund ${FUND} and lens ${LENS} from ${path.join(dir, "chain-31337", "deployed_addresses.json")}`);
    const withEnv = parseConfig({ chain: { chainId: 31337 }, protocols: embeddedDefaultConfig().protocols, sources: { operator: {} } }, { env: { LENS_ADDRESS: OTHER } });
    try {
      resolveChainAddresses(withEnv, 31337, { deploymentsDir: dir });
      expect.fail("expected a ConfigError");
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as ConfigError).issues[0]).to.match(/^config.chain: LENS_ADDRESS 0x9fE4.* never mix two deployments$/);
    }
  });

  it("the fixture portfolio runs on the local chain only, unless asked explicitly", () => {
    const embedded = loadConfig({ env: {} });
    expect(fixturePortfolioProblem(embedded, 31337, false)).to.equal(null);
    expect(fixturePortfolioProblem(embedded, 11155111, false)).to.match(/^no keeper config: the embedded default .* only runs on the local chain 31337, but the RPC is chain 11155111 — set KEEPER_CONFIG/);
    expect(fixturePortfolioProblem(embedded, 11155111, true)).to.equal(null);
    const committedFixture = parseConfig(embeddedDefaultConfig(), { origin: "/etc/keeper.json" });
    expect(fixturePortfolioProblem(committedFixture, 1, false)).to.match(/^config.sources.fixture.path: the committed illustrative fixture/);
  });

  it("JSONC: comments are dropped outside strings, kept inside; loadConfig reads a commented file", async () => {
    const text = '// head\n{ "a": "http://x//y", /* block\n */ "b": 1 // tail\n}';
    expect(parseJsonc(text)).to.deep.equal({ a: "http://x//y", b: 1 });
    expect(stripJsonComments('"a\\"//b"')).to.equal('"a\\"//b"');
    const file = path.join(dir, "k.json");
    await fs.writeFile(file, `// keeper\n${JSON.stringify({ protocols: embeddedDefaultConfig().protocols, sources: { operator: {} } })}\n`);
    expect(loadConfig({ configPath: file, env: {} }).origin).to.equal(file);
    await fs.writeFile(file, '{ "protocols": [], }');
    expect(() => loadConfig({ configPath: file, env: {} })).to.throw(/not valid JSON .* no trailing commas/);
  });
});
