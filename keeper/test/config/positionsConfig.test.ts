import { expect } from "chai";
import { getAddress } from "ethers";
import { ConfigError, parseConfig } from "../../src/config";
import { positionReadsOf, watchTargetsOf } from "../../src/sources/positions";

const USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48";
const A_USDC = "0x98C23E9d8f34FEFb1B7BD6a91B7FF122F4e16F5c";
const SAFE = "0x5afe5afe5afe5afe5afe5afe5afe5afe5afe5afe";
const POOL_3 = "0xbEbc44782C7dB0a1A60Cb6fe97d0b483032FF1C7";
const CRV_3 = "0x6c3F90f043a72FA612cbac8115EE7e52BDe6E490";

function base(positions: unknown[], protocolExtra: Record<string, unknown> = {}) {
  return {
    protocols: [{ id: "aave-v3", name: "Aave V3", address: "0x87870Bca3F3fD6335C3F4ce8392D69350B4fA4E2", ...protocolExtra }],
    sources: { fixture: { path: "." } },
    positions,
  };
}
function issuesOf(raw: unknown): readonly string[] {
  try {
    parseConfig(raw);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("config: position kinds and the exploit watch", () => {
  it("a position needs a targetAmount or a position { kind } — the error names both", () => {
    const issues = issuesOf(base([{ protocol: "aave-v3", asset: USDC, beneficiary: SAFE, allowSelfInsure: true }]));
    expect(issues.join("\n")).to.match(/config\.positions\[0\]\.targetAmount: missing — give a fixed targetAmount or a position \{ kind, \.\.\. \}/);
  });

  it("an unknown kind and a bad reader field are named with the fix", () => {
    const issues = issuesOf(base([{ protocol: "aave-v3", asset: USDC, beneficiary: SAFE, allowSelfInsure: true, position: { kind: "uniswap-v4", pool: USDC } }]));
    expect(issues.join("\n")).to.match(/config\.positions\[0\]\.position\.kind: unknown position kind — use one of erc20, erc4626, aave-v3, compound-v3, curve/);
    const bad = issuesOf(base([{ protocol: "aave-v3", asset: USDC, beneficiary: SAFE, allowSelfInsure: true, position: { kind: "aave-v3", aToken: "0x12" } }]));
    expect(bad.join("\n")).to.match(/config\.positions\[0\]\.position\.aToken: not an address/);
  });

  it("holder defaults to the beneficiary; curve defaults to int128 and the pool as LP token", () => {
    const config = parseConfig(
      base([
        { protocol: "aave-v3", asset: USDC, beneficiary: SAFE, allowSelfInsure: true, position: { kind: "aave-v3", aToken: A_USDC } },
        { protocol: "aave-v3", asset: USDC, beneficiary: SAFE, allowSelfInsure: true, targetAmount: "10", position: { kind: "curve", pool: POOL_3, lpToken: CRV_3, coinIndex: 1 } },
      ]),
    );
    const reads = positionReadsOf(config.positions);
    expect(reads[0]?.spec).to.deep.equal({ kind: "aave-v3", aToken: A_USDC, holder: getAddress(SAFE) });
    expect(reads[1]?.spec).to.include({ kind: "curve", pool: POOL_3, lpToken: CRV_3, coinIndex: 1, indexType: "int128" });
    expect(config.chain.multicallAddress).to.equal("0xcA11bde05977b3631167028862bE2a173976CA11");
    expect(config.watch).to.include({ enabled: true, dropPercent: 25, windowBlocks: 50, reportIncident: true });
  });

  it("aave-v2, yearn-v2 and uniswap-v3 parse into reader specs; uniswap-v3 prices at par by default and takes token ids as decimal strings", () => {
    const NPM = "0xC36442b4a4522E871399CD717aBDD847Ab11FE88";
    const UNI_POOL = "0x5777d92f208679DB4b9778590Fa3CAB3aC9e2168";
    const config = parseConfig(
      base([
        { protocol: "aave-v3", asset: USDC, beneficiary: SAFE, allowSelfInsure: true, position: { kind: "aave-v2", aToken: A_USDC } },
        { protocol: "aave-v3", asset: USDC, beneficiary: SAFE, allowSelfInsure: true, position: { kind: "yearn-v2", vault: CRV_3, holder: POOL_3 } },
        { protocol: "aave-v3", asset: USDC, beneficiary: SAFE, allowSelfInsure: true, position: { kind: "uniswap-v3", positionManager: NPM, tokenIds: ["12345", "678"], pool: UNI_POOL } },
        { protocol: "aave-v3", asset: USDC, beneficiary: SAFE, allowSelfInsure: true, position: { kind: "uniswap-v3", positionManager: NPM, pricing: "pool" } },
      ]),
    );
    const reads = positionReadsOf(config.positions);
    expect(reads[0]?.spec).to.deep.equal({ kind: "aave-v2", aToken: A_USDC, holder: getAddress(SAFE) });
    expect(reads[1]?.spec).to.deep.equal({ kind: "yearn-v2", vault: CRV_3, holder: POOL_3 });
    expect(reads[2]?.spec).to.deep.equal({ kind: "uniswap-v3", positionManager: NPM, holder: getAddress(SAFE), asset: USDC, pricing: "par", tokenIds: [12345n, 678n], pool: UNI_POOL });
    expect(reads[3]?.spec).to.deep.equal({ kind: "uniswap-v3", positionManager: NPM, holder: getAddress(SAFE), asset: USDC, pricing: "pool" });
    expect(reads[2]?.id).to.equal(`aave-v3:uniswap-v3:${NPM.toLowerCase()}:${SAFE.toLowerCase()}:12345+678@${UNI_POOL.toLowerCase()}`);
    expect(new Set(reads.map((r) => r.id)).size).to.equal(4);
    const bad = issuesOf(base([{ protocol: "aave-v3", asset: USDC, beneficiary: SAFE, allowSelfInsure: true, position: { kind: "uniswap-v3", positionManager: NPM, tokenIds: ["0x12"], pricing: "oracle" } }]));
    expect(bad.join("\n")).to.match(/position\.tokenIds\[0\]: not a token id — use a decimal string/);
    expect(bad.join("\n")).to.match(/position\.pricing/);
  });

  it("aave-v2 by its lending pool (Radiant-style): the aToken of the position's asset is resolved, not configured; exactly one of aToken and lendingPool", () => {
    const RADIANT_POOL = "0xF4B1486DD74D07706052A33d31d7c0AAFD0659E1";
    const config = parseConfig(base([{ protocol: "aave-v3", asset: USDC, beneficiary: SAFE, allowSelfInsure: true, position: { kind: "aave-v2", lendingPool: RADIANT_POOL } }]));
    expect(positionReadsOf(config.positions)[0]?.spec).to.deep.equal({ kind: "aave-v2", lendingPool: RADIANT_POOL, asset: USDC, holder: getAddress(SAFE) });
    const both = issuesOf(base([{ protocol: "aave-v3", asset: USDC, beneficiary: SAFE, allowSelfInsure: true, position: { kind: "aave-v2", aToken: A_USDC, lendingPool: RADIANT_POOL } }]));
    expect(both.join("\n")).to.match(/config\.positions\[0\]\.position\.aToken: give exactly one of aToken and lendingPool — lendingPool .* resolves the aToken/);
    const neither = issuesOf(base([{ protocol: "aave-v3", asset: USDC, beneficiary: SAFE, allowSelfInsure: true, position: { kind: "aave-v2" } }]));
    expect(neither.join("\n")).to.match(/config\.positions\[0\]\.position\.lendingPool: give exactly one of aToken and lendingPool/);
  });

  it("a protocol the keeper cannot read (GMX GM tokens) is refused at load, naming the reason and the targetAmount fallback", () => {
    for (const kind of ["gmx-gm", "gmx-v2", "gmx"]) {
      const issues = issuesOf(base([{ protocol: "aave-v3", asset: USDC, beneficiary: SAFE, allowSelfInsure: true, targetAmount: "1000", position: { kind, token: A_USDC } }]));
      expect(issues.join("\n")).to.match(new RegExp(`config\\.positions\\[0\\]\\.position\\.kind: "${kind}" cannot be read by the keeper: .*oracle.* — remove \`position\` and give a fixed \`targetAmount\``));
    }
    // The fallback itself loads: a fixed size, no reader.
    const config = parseConfig(base([{ protocol: "aave-v3", asset: USDC, beneficiary: SAFE, allowSelfInsure: true, targetAmount: "1000" }]));
    expect(positionReadsOf(config.positions)).to.deep.equal([]);
    const unknown = issuesOf(base([{ protocol: "aave-v3", asset: USDC, beneficiary: SAFE, allowSelfInsure: true, position: { kind: "pendle" } }]));
    expect(unknown.join("\n")).to.match(/unknown position kind — use one of erc20, erc4626, aave-v3, compound-v3, curve, aave-v2, yearn-v2, uniswap-v3/);
  });

  it("watched balances: per-protocol overrides, minDrop needs decimals, positions watched by default", () => {
    const missing = issuesOf(base([], { watch: { balances: [{ token: USDC, holder: A_USDC, minDrop: "1000" }] } }));
    expect(missing.join("\n")).to.match(/config\.protocols\[0\]\.watch\.balances\[0\]\.decimals: missing — give the token's decimals with minDrop/);
    const config = parseConfig(
      base([{ protocol: "aave-v3", asset: USDC, beneficiary: SAFE, allowSelfInsure: true, position: { kind: "aave-v3", aToken: A_USDC } }], {
        watch: { balances: [{ token: USDC, holder: A_USDC, minDrop: "1000", decimals: 6 }], dropPercent: 40, windowBlocks: 10 },
      }),
    );
    const targets = watchTargetsOf(config.protocols, config.positions, config.watch);
    expect(targets.balances[0]).to.include({ protocolId: "aave-v3", dropBps: 4000, windowBlocks: 10, minDrop: 1_000_000_000n });
    expect(targets.positions).to.have.length(1);
    expect(targets.positions[0]?.positionId).to.equal(`aave-v3:aave-v3:${A_USDC.toLowerCase()}:${SAFE}`);
  });
});
