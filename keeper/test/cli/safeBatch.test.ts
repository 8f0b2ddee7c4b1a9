import { expect } from "chai";
import { Interface, keccak256, toUtf8Bytes } from "ethers";

import { buildSafeBatch, safeBatchChecksum, TX_BUILDER_VERSION } from "../../src/cli/commands/safeBatch";
import { formatTokenAmount } from "../../src/lib/units";
import { toJson } from "../../src/lib/json";

const FUND = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const SAFE = "0xA77DE01e157f9f57C7c4A326eeE9C4874D0598b6";
const PROTOCOL = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";

describe("Safe Transaction Builder batch", () => {
  const iface = new Interface(["function clearIncident(address protocol)", "function pause()", "function withdrawPayout(address asset, address to) returns (uint256)"]);

  it("has the Transaction Builder's shape and a checksum the app recomputes", () => {
    const batch = buildSafeBatch({
      chainId: 11155111,
      safe: SAFE,
      name: "keeper clear-incident",
      description: "clear the incident of curve",
      createdAt: 1_764_000_000_000,
      calls: [
        { to: FUND, fragment: iface.getFunction("clearIncident")!, args: [PROTOCOL] },
        { to: FUND, fragment: iface.getFunction("pause")!, args: [] },
      ],
    });
    expect(batch).to.deep.equal({
      version: "1.0",
      chainId: "11155111",
      createdAt: 1_764_000_000_000,
      meta: {
        name: "keeper clear-incident",
        description: "clear the incident of curve",
        txBuilderVersion: TX_BUILDER_VERSION,
        createdFromSafeAddress: SAFE,
        createdFromOwnerAddress: "",
        checksum: batch.meta.checksum,
      },
      transactions: [
        {
          to: FUND,
          value: "0",
          data: null,
          contractMethod: { inputs: [{ internalType: "address", name: "protocol", type: "address" }], name: "clearIncident", payable: false },
          contractInputsValues: { protocol: PROTOCOL },
        },
        { to: FUND, value: "0", data: null, contractMethod: { inputs: [], name: "pause", payable: false }, contractInputsValues: {} },
      ],
    });
    // The app's serialisation: keys sorted at every level, meta.name null, checksum key absent.
    const expected = keccak256(
      toUtf8Bytes(
        '{["chainId","createdAt","meta","transactions","version"]"11155111",1764000000000,{["createdFromOwnerAddress","createdFromSafeAddress","description","name","txBuilderVersion"]"","' +
          SAFE +
          '","clear the incident of curve",null,"' +
          TX_BUILDER_VERSION +
          '",},[{["contractInputsValues","contractMethod","data","to","value"]{["protocol"]"' +
          PROTOCOL +
          '",},{["inputs","name","payable"][{["internalType","name","type"]"address","protocol","address",}],"clearIncident",false,},null,"' +
          FUND +
          '","0",},{["contractInputsValues","contractMethod","data","to","value"]{[]},{["inputs","name","payable"][],"pause",false,},null,"' +
          FUND +
          '","0",}],"1.0",}',
      ),
    );
    expect(batch.meta.checksum).to.equal(expected);
    expect(safeBatchChecksum(batch)).to.equal(expected);
    expect(safeBatchChecksum({ ...batch, meta: { ...batch.meta, name: "renamed" } })).to.equal(expected);
    expect(safeBatchChecksum({ ...batch, chainId: "1" })).to.not.equal(expected);
  });

  it("token amounts print in token units with the symbol; JSON output survives bigints", () => {
    expect(formatTokenAmount(12_000_500_000n, 6, "USDC")).to.equal("12,000.5 USDC");
    expect(formatTokenAmount(25_000n * 10n ** 18n, 18, "DAI")).to.equal("25,000 DAI");
    expect(formatTokenAmount(1n, 18, "ETH")).to.equal("0 ETH");
    expect(formatTokenAmount(50_000_000_000_000_000n, 18, "ETH")).to.equal("0.05 ETH");
    expect(toJson({ gasUsed: 21_000n, nested: [{ wei: 10n ** 18n }] }, 0)).to.equal('{"gasUsed":"21000","nested":[{"wei":"1000000000000000000"}]}');
  });
});
