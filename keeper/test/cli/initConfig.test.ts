import { expect } from "chai";

import { renderInitConfig, type ChainFacts } from "../../src/cli/commands/init";
import { demoProtocolAddress, parseConfig } from "../../src/config";
import { parseJsonc } from "../../src/config/jsonc";

const FUND = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const LENS = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
const ADAPTER = "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9";
const UNKNOWN = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";
const SAFE = "0xA77DE01e157f9f57C7c4A326eeE9C4874D0598b6";
const USDC = "0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238";

function facts(chainId: number): ChainFacts {
  return {
    chainId,
    rpcUrl: "https://sepolia.example.org/v3/secret",
    deploymentRef: "deploy/deployments/chain-11155111/deployed_addresses.json",
    deployment: { chainId, fundAddress: FUND, lensAddress: LENS, file: "/repo/deploy/deployments/chain-11155111/deployed_addresses.json", adapters: { nexusAdapter: ADAPTER }, contracts: {} },
    protocols: [
      { address: demoProtocolAddress("curve"), coverages: 2 },
      { address: UNKNOWN, coverages: 1 },
    ],
    providers: [{ id: 1, adapter: ADAPTER }],
    beneficiary: SAFE,
    positions: [
      { protocol: UNKNOWN, asset: USDC, symbol: "USDC", decimals: 6, amount: 250_000_500_000n, providerIds: [1, 0], coverIds: [3n, 4n], ends: [1_800_000_000, 1_805_000_000] },
    ],
    fixtureDir: undefined,
  };
}

describe("keeper init: the config text", () => {
  it("a remote chain: live sources, no RPC URL in the file, every position explained; parses back through the schema", () => {
    const text = renderInitConfig(facts(11155111));
    expect(text).to.not.include("secret");
    expect(text).to.include("the RPC comes from env RPC_URL / RPC_URLS");
    expect(text).to.include("// coverage(s) 3, 4 of 0xA77DE01e157f9f57C7c4A326eeE9C4874D0598b6: 250000.5 USDC, ending 2027-01-15, 2027-03-14");
    expect(text).to.include("give it its real name and DefiLlama slug");
    const config = parseConfig(parseJsonc(text), { baseDir: "/etc/keeper" });
    expect(config.sources.defiLlama?.apiBaseUrl).to.equal("https://api.llama.fi");
    // The hacks feed is Pro-only: no URL in the file, on only with env DEFILLAMA_PRO_API_KEY.
    expect(text).to.include("DEFILLAMA_PRO_API_KEY");
    expect(config.sources.hacks?.proApiKey).to.equal(undefined);
    expect(parseConfig(parseJsonc(text), { baseDir: "/etc/keeper", env: { DEFILLAMA_PRO_API_KEY: "k" } }).sources.hacks?.proApiKey).to.equal("k");
    expect(config.sources.fixture).to.equal(undefined);
    expect(config.chain).to.include({ chainId: 11155111, deployment: "/etc/keeper/deploy/deployments/chain-11155111/deployed_addresses.json" });
    expect(config.protocols.map((p) => [p.id, p.name, p.defiLlamaSlug])).to.deep.equal([
      ["curve", "Curve", "curve-dex"],
      ["protocol-9fe467", "protocol-9fe467", undefined],
    ]);
    expect(config.positions).to.deep.equal([
      { protocol: "protocol-9fe467", asset: USDC, assetSymbol: "USDC", assetDecimals: 6, targetAmount: "250000.5", beneficiary: SAFE, providers: [1], allowSelfInsure: true },
    ]);
    expect(config.providers.nexus?.providerId).to.equal(1);
    expect(config.state.dbPath).to.equal("/etc/keeper/keeper-data/keeper.sqlite");
  });

  it("without a beneficiary: no positions, and a comment saying what to add", () => {
    const text = renderInitConfig({ ...facts(11155111), beneficiary: undefined, positions: [] });
    expect(text).to.include("// no --beneficiary given: add the positions to keep covered");
    expect(parseConfig(parseJsonc(text)).positions).to.deep.equal([]);
  });
});

describe("keeper init: live positions where the chain can be read", function () {
  this.timeout(120_000);

  it("writes a live position for a stand-in the beneficiary holds, read in one Multicall3 batch, and a fixed targetAmount (with what it means for claims) for the others", async () => {
    const { ethers } = await import("hardhat");
    const { deployStandIns, usdc6, dai18, countingCaller } = await import("../helpers/protocolStandIns");
    const { probeLivePositions, uncoveredCandidates } = await import("../../src/cli/commands/init");
    const standIns = await deployStandIns();
    const [, beneficiary] = await ethers.getSigners();
    if (beneficiary === undefined) throw new Error("no signer");
    await standIns.open("compound-v3", beneficiary, usdc6(30_000));
    // Held in the Yearn stand-in (ERC-4626) without any coverage: found and written too.
    await standIns.open("erc4626", beneficiary, dai18(5_000));
    const base = facts(31337);
    const deployment = { ...base.deployment, contracts: {
        "DemoProtocols#cUSDCv3": standIns.addresses.comet,
        "DemoProtocols#CurveDaiUsdcPool": standIns.addresses.curve,
        "DemoProtocols#YearnDaiVault": standIns.addresses.vault,
        "MockTokens#MockDAI": standIns.addresses.dai,
        "MockTokens#MockUSDC": standIns.addresses.usdc,
      },
    };
    const cover = { providerIds: [0], coverIds: [1n], ends: [1_800_000_000] };
    const positions = [
      // Held in the Comet stand-in: read live.
      { protocol: demoProtocolAddress("compound-v3"), asset: standIns.addresses.usdc, symbol: "USDC", decimals: 6, amount: usdc6(35_000), ...cover },
      // A reader is known, but the beneficiary holds no LP tokens: a fixed size.
      { protocol: demoProtocolAddress("curve"), asset: standIns.addresses.dai, symbol: "DAI", decimals: 18, amount: 38_000n * 10n ** 18n, ...cover },
      // No reader known for this protocol: a fixed size.
      { protocol: UNKNOWN, asset: standIns.addresses.usdc, symbol: "USDC", decimals: 6, amount: usdc6(1_000), ...cover },
    ];
    const caller = countingCaller();
    // Yearn (held) and GMX (no stand-in in this deployment) have no coverage; compound-v3 is covered already.
    const candidates = uncoveredCandidates([demoProtocolAddress("compound-v3"), demoProtocolAddress("yearn"), demoProtocolAddress("gmx"), UNKNOWN], positions, deployment);
    expect(candidates.map((c) => [c.protocol, c.symbol])).to.deep.equal([[demoProtocolAddress("yearn"), "DAI"]]);
    const probed = (await probeLivePositions(caller, { deployment, beneficiary: beneficiary.address, positions: [...positions, ...candidates] })).filter(
      (p) => p.coverIds.length > 0 || p.live !== undefined,
    );
    // One Multicall3 batch for every position, plus the same-block follow-up a vault's new share count needs (the reader's rule).
    expect(caller.calls, "one batch (+1 share follow-up), not one read per position").to.equal(2);

    const text = renderInitConfig({
      ...base,
      deployment,
      beneficiary: beneficiary.address,
      protocols: [demoProtocolAddress("compound-v3"), demoProtocolAddress("curve"), UNKNOWN, demoProtocolAddress("yearn")].map((address) => ({ address, coverages: 1 })),
      positions: probed,
    });
    const config = parseConfig(parseJsonc(text), { baseDir: "/etc/keeper" });
    expect(config.positions).to.have.length(4);
    const [compound, curve, unknown, yearn] = config.positions;
    expect(compound?.position).to.deep.equal({ kind: "compound-v3", comet: standIns.addresses.comet });
    expect(compound?.targetAmount).to.equal(undefined);
    expect(text).to.include("30,000 USDC held by the beneficiary now");
    expect(curve?.position).to.equal(undefined);
    expect(curve?.targetAmount).to.equal("38000");
    expect(text).to.include("A FIXED size: the beneficiary holds nothing readable in the Curve DAI/USDC stable pool (LP valued in DAI), so a claim asks for this size and waits for the operator");
    expect(unknown?.position).to.equal(undefined);
    expect(unknown?.targetAmount).to.equal("1000");
    expect(yearn?.position).to.deep.equal({ kind: "erc4626", vault: standIns.addresses.vault });
    expect(yearn?.asset).to.equal(standIns.addresses.dai);
    expect(text).to.include("5,000 DAI held by the beneficiary now");
    expect(text).to.include(`held by ${beneficiary.address} on chain, no active coverage yet`);
    expect(text).to.include("A FIXED size: the keeper knows no position reader for this protocol, so a claim asks for this size and waits for the operator");
  });
});
