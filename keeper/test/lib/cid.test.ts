import { expect } from "chai";

import { CidInputTooLargeError, MAX_SINGLE_CHUNK_BYTES, cidV0Of, multihashOfCidV0 } from "../../src/lib/cid";

/**
 * Known vectors of Kubo `ipfs add` (CIDv0, default chunker, no raw leaves), as published in the IPFS
 * docs and reproduced by every Kubo release: "hello world\n" is the docs' classic example, the empty
 * file is Kubo's well-known empty-file CID.
 */
const VECTORS: [string, string][] = [
  ["hello world\n", "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"],
  ["hello world", "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD"],
  ["", "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"],
];

describe("lib/cid", () => {
  for (const [text, cid] of VECTORS) {
    it(`CIDv0 of ${JSON.stringify(text)} is Kubo's ${cid}`, () => {
      const got = cidV0Of(new TextEncoder().encode(text));
      expect(got.cid).to.equal(cid);
      expect(got.multihash).to.equal(multihashOfCidV0(cid));
      expect(got.multihash.slice(0, 6)).to.equal("0x1220"); // sha2-256, 32 bytes
      expect(got.digest).to.equal(`0x${got.multihash.slice(6)}`);
      expect(got.digest).to.have.length(66);
    });
  }

  it("is not the plain sha256 of the bytes (the UnixFS/dag-pb wrapping is hashed)", () => {
    const { createHash } = require("node:crypto") as typeof import("node:crypto");
    const bytes = new TextEncoder().encode("hello world\n");
    expect(cidV0Of(bytes).digest).to.not.equal(`0x${createHash("sha256").update(bytes).digest("hex")}`);
  });

  it("hashes a single 256 KiB chunk and refuses more (a multi-chunk DAG is not built)", () => {
    const max = new Uint8Array(MAX_SINGLE_CHUNK_BYTES).fill(7);
    expect(cidV0Of(max).cid).to.match(/^Qm[1-9A-HJ-NP-Za-km-z]{44}$/);
    expect(() => cidV0Of(new Uint8Array(MAX_SINGLE_CHUNK_BYTES + 1))).to.throw(CidInputTooLargeError);
  });

  it("multihashOfCidV0 rejects a CIDv1", () => {
    expect(() => multihashOfCidV0("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e")).to.throw(/not a CIDv0/);
  });
});
