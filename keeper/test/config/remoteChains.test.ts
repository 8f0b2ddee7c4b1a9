import { expect } from "chai";
import { parseConfig, redactConfig } from "../../src/config";
import { positionReadsOf, watchTargetsOf } from "../../src/sources/positions";
import { issuesOf } from "../helpers/configIssues";

const USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48";
const ARB_USDC = "0xaf88d065e77c8cC2239327C5EDb3A432268e5831";
const ARB_COMET = "0x9c4ec768c28520B50860ea7a15bd7213a9fF58bf";
const SAFE = "0x5afe5afe5afe5afe5afe5afe5afe5afe5afe5afe";

function file(extra: Record<string, unknown> = {}, chainId: number | undefined = 1) {
  return {
    chain: { rpcUrl: "https://eth.example.org/", ...(chainId !== undefined ? { chainId } : {}) },
    protocols: [
      {
        id: "compound-v3",
        name: "Compound V3",
        address: "0xc3d688B66703497DAA19211EEdff47f25384cdc3",
        watch: { balances: [{ token: ARB_USDC, holder: ARB_COMET, chainId: 42161, owedBy: ARB_COMET }] },
      },
    ],
    sources: { fixture: { path: "." } },
    positions: [{ protocol: "compound-v3", asset: USDC, assetSymbol: "USDC", beneficiary: SAFE, allowSelfInsure: true, position: { kind: "compound-v3", comet: ARB_COMET, chainId: 42161 } }],
    ...extra,
  };
}

describe("config: positions on other chains (chains.<id>)", () => {
  it("a position or watched balance on a chain with no chains entry is refused, naming the field, the fund's chain and the fix", () => {
    const issues = issuesOf(() => parseConfig(file()));
    expect(issues).to.include(
      'config.positions[0].position.chainId: 42161 is not a configured chain (the fund is on chain 1) — add chains."42161" with its rpcUrls (or env RPC_URLS_42161), or remove chainId for a position on the fund\'s chain',
    );
    expect(issues.join("\n")).to.match(/config\.protocols\[0\]\.watch\.balances\[0\]\.chainId: 42161 is not a configured chain/);
  });

  it("a chain needs RPC URLs from the file or env RPC_URLS_<id>; env wins and keeps the API key out of the file", () => {
    const missing = issuesOf(() => parseConfig(file({ chains: { "42161": {} } })));
    expect(missing.join("\n")).to.match(/config\.chains\.42161\.rpcUrls: missing — list the chain's RPC URLs, or set env RPC_URLS_42161=/);
    const config = parseConfig(file({ chains: { "42161": { rpcUrls: ["https://arb1.example.org/"] } } }), {
      env: { RPC_URLS_42161: "https://arb-mainnet.example.com/v2/SECRET-KEY, https://arb1.example.org/" },
    });
    expect(config.chains["42161"]?.rpcUrls).to.deep.equal(["https://arb-mainnet.example.com/v2/SECRET-KEY", "https://arb1.example.org/"]);
    expect(config.chains["42161"]?.blockTimeSec).to.equal(0.25);
    expect(JSON.stringify(redactConfig(config))).to.not.contain("SECRET-KEY");
    const bad = issuesOf(() => parseConfig(file({ chains: { "42161": {} } }), { env: { RPC_URLS_42161: "not a url" } }));
    expect(bad.join("\n")).to.match(/env\.RPC_URLS_42161: not a comma-separated list of URLs/);
  });

  it("an unknown chain needs its block time; the fund's own chain is not a chains entry; a key must be a chain id", () => {
    const unknown = { ...file({ chains: { "424242": { rpcUrls: ["https://x.example.org/"] } } }) };
    (unknown.positions[0] as { position: { chainId: number } }).position.chainId = 424242;
    unknown.protocols[0]!.watch.balances = [];
    expect(issuesOf(() => parseConfig(unknown)).join("\n")).to.match(/config\.chains\.424242\.blockTimeSec: missing — the keeper does not know chain 424242's block time/);
    const own = issuesOf(() => parseConfig(file({ chains: { "1": { rpcUrls: ["https://x.example.org/"] }, "42161": { rpcUrls: ["https://a.example.org/"] } } })));
    expect(own.join("\n")).to.match(/config\.chains\.1: is the fund's chain \(chain\.chainId\)/);
    const key = issuesOf(() => parseConfig(file({ chains: { arbitrum: { rpcUrls: ["https://a.example.org/"] } } })));
    expect(key.join("\n")).to.match(/not a chain id — use the decimal chain id as the key/);
  });

  it("positions on the fund's own chain keep their plain ids; remote ones end #<chainId>, with the watch window in that chain's blocks", () => {
    const raw = file({ chains: { "42161": { rpcUrls: ["https://arb1.example.org/"] } } });
    raw.positions.push({ protocol: "compound-v3", asset: USDC, assetSymbol: "USDC", beneficiary: SAFE, allowSelfInsure: true, position: { kind: "compound-v3", comet: ARB_COMET, chainId: 1 } });
    const config = parseConfig(raw);
    const reads = positionReadsOf(config.positions);
    expect(reads.map((r) => r.chainId)).to.deep.equal([42161, undefined]);
    expect(reads[0]?.id).to.equal(`compound-v3:compound-v3:${ARB_COMET.toLowerCase()}:${SAFE.toLowerCase()}#42161`);
    expect(reads[1]?.id).to.equal(`compound-v3:compound-v3:${ARB_COMET.toLowerCase()}:${SAFE.toLowerCase()}`);
    const targets = watchTargetsOf(config.protocols, config.positions, config.watch, config.chains);
    // 50 fund-chain blocks of 12 s = 600 s = 2 400 Arbitrum blocks of 0.25 s.
    expect(targets.balances[0]).to.deep.include({ chainId: 42161, windowBlocks: 2_400 });
    expect(targets.positions.map((t) => [t.chainId, t.windowBlocks])).to.deep.equal([
      [42161, 2_400],
      [undefined, 50],
    ]);
  });
});
