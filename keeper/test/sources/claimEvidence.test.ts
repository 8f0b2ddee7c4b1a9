import { expect } from "chai";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { keccak256 } from "ethers";

import { cidV0Of } from "../../src/lib/cid";
import { nexusClaimProofSchema } from "../../src/policy/claimProof";
import { canonicalJson, type EvidencePack } from "../../src/policy/evidence";
import { claimEvidenceFor, nexusProofPath } from "../../src/sources/claimEvidence";
import { silentLogger } from "../../src/sources/http";
import { KuboIpfsClient } from "../../src/sources/ipfsClient";

/**
 * A loopback stand-in for Kubo's RPC `POST /api/v0/add`: parses the multipart body, answers
 * `{"Name","Hash","Size"}` with the CIDv0 of the received file (Size as a string, like Kubo), 405 for
 * other methods, and `{"Message","Code","Type":"error"}` with 500 when told to fail.
 */
async function startKubo(options: { fail?: boolean; hashOverride?: string } = {}) {
  const received: { method: string; query: string; name: string; bytes: Buffer }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      if (url.pathname !== "/api/v0/add") return void res.writeHead(404).end("404 page not found");
      if (req.method !== "POST") return void res.writeHead(405).end(`${req.method} not allowed`);
      if (options.fail) {
        res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ Message: "blockstore: no space left on device", Code: 0, Type: "error" }));
        return;
      }
      const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(req.headers["content-type"] ?? "");
      const body = Buffer.concat(chunks);
      const delimiter = `--${boundary?.[1] ?? boundary?.[2]}`;
      const start = body.indexOf("\r\n\r\n") + 4;
      const end = body.indexOf(`\r\n${delimiter}`, start);
      const head = body.subarray(0, start).toString("utf8");
      const name = /filename="([^"]*)"/.exec(head)?.[1] ?? "";
      const bytes = body.subarray(start, end);
      received.push({ method: req.method, query: url.search, name, bytes });
      const hash = options.hashOverride ?? cidV0Of(bytes).cid;
      res.writeHead(200, { "content-type": "application/json" }).end(`${JSON.stringify({ Name: name, Hash: hash, Size: String(bytes.length + 11) })}\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const BENEFICIARY = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const PACK: EvidencePack = {
  version: 1,
  incident: {
    key: "tvl-drop:aave-v3:1700000000",
    kind: "tvl-drop",
    protocolId: "aave-v3",
    occurredAt: 1_700_000_000,
    detectedAt: 1_700_003_600,
    description: "TVL fell 62% within 24 h",
  },
  tvlSeries: [{ date: 1_699_900_000, tvlUsd: 1_000_000 }],
  sources: [],
  coverages: [],
  positions: [],
};

async function writePack(dir: string): Promise<string> {
  const file = path.join(dir, "tvl-drop_aave-v3_1700000000.json");
  await writeFile(file, canonicalJson(PACK), "utf8");
  return file;
}

const NEXUS = 1;
const coverage = (providerId: number) => ({ providerId, providerCoverId: 12n, beneficiary: BENEFICIARY, asset: "0x00000000000000000000000000000000000000aa" });
const config = (ipfsApiUrl?: string) => ({
  providers: { nexus: { providerId: NEXUS, ...(ipfsApiUrl !== undefined ? { ipfsApiUrl } : {}) } },
  positions: [{ asset: "0x00000000000000000000000000000000000000AA", assetSymbol: "USDC", assetDecimals: 6 }],
});

describe("sources/claimEvidence + sources/ipfsClient (Kubo add)", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "claim-evidence-"));
  });

  it("a Nexus claim: proof written beside the pack, published to Kubo with matching CIDs, evidence = multihash ‖ pack", async () => {
    const kubo = await startKubo();
    try {
      const packPath = await writePack(dir);
      const pack = await readFile(packPath);
      const prepared = await claimEvidenceFor(config(kubo.url), silentLogger)({ packPath, fallback: "key", coverage: coverage(NEXUS), amount: 1_500_000n });
      expect(prepared.ok).to.equal(true);
      if (!prepared.ok) return;
      const proof = prepared.proof!;
      expect(proof.path).to.equal(nexusProofPath(packPath, coverage(NEXUS).providerCoverId));
      expect(path.basename(proof.path)).to.equal(`tvl-drop_aave-v3_1700000000.nexus-proof.cover-${coverage(NEXUS).providerCoverId}.json`);
      const proofBytes = await readFile(proof.path);
      expect(cidV0Of(proofBytes).cid).to.equal(proof.cid);
      expect(proof.packCid).to.equal(cidV0Of(pack).cid);
      expect(proof.published).to.equal("published");
      // the proof is a valid sdk claim proof naming the Nexus cover and the beneficiary
      const parsed = nexusClaimProofSchema.parse(JSON.parse(proofBytes.toString("utf8")));
      expect(parsed.coverId).to.equal(12);
      expect(parsed.affectedAddresses).to.deep.equal([BENEFICIARY]);
      expect(parsed.attachedFilesHashes).to.deep.equal([proof.packCid]);
      expect(parsed.incidentDescription).to.contain("Requested payout: 1.5 USDC");
      // Kubo got both files, as POST add with CIDv0 and pinning
      expect(kubo.received.map((r) => r.name)).to.deep.equal([path.basename(packPath), path.basename(proof.path)]);
      expect(kubo.received.every((r) => r.method === "POST" && r.query.includes("cid-version=0") && r.query.includes("pin=true"))).to.equal(true);
      expect(Buffer.compare(kubo.received[1]!.bytes, proofBytes)).to.equal(0);
      // evidence bytes for the fund
      const evidence = Buffer.from(prepared.evidence);
      expect(`0x${evidence.subarray(2, 34).toString("hex")}`).to.equal(proof.digest);
      expect(evidence.subarray(0, 2).toString("hex")).to.equal("1220");
      expect(Buffer.compare(evidence.subarray(34), pack)).to.equal(0);
    } finally {
      await kubo.close();
    }
  });

  it("Kubo failing, answering another CID, or not configured never blocks the claim; the proof is still written", async () => {
    for (const options of [{ fail: true }, { hashOverride: "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH" }]) {
      const kubo = await startKubo(options);
      try {
        const packPath = await writePack(dir);
        const prepared = await claimEvidenceFor(config(kubo.url), silentLogger)({ packPath, fallback: "key", coverage: coverage(NEXUS), amount: 1n });
        expect(prepared.ok && prepared.proof?.published).to.equal("failed");
      } finally {
        await kubo.close();
      }
    }
    const packPath = await writePack(dir);
    const offline = await claimEvidenceFor(config(), silentLogger)({ packPath, fallback: "key", coverage: coverage(NEXUS), amount: 1n });
    expect(offline.ok && offline.proof?.published).to.equal("not-configured");
  });

  it("the Kubo client names the node error, the CID mismatch and an unreachable node, with the URL redacted", async () => {
    const failing = await startKubo({ fail: true });
    const wrong = await startKubo({ hashOverride: "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH" });
    try {
      const bytes = new TextEncoder().encode("hello world\n");
      const a = await new KuboIpfsClient({ apiUrl: failing.url }, { logger: silentLogger }).add(bytes, "a.json");
      expect(a).to.deep.include({ ok: false, status: 500 });
      expect(!a.ok && a.error).to.contain("no space left on device");
      const b = await new KuboIpfsClient({ apiUrl: wrong.url }, { logger: silentLogger }).add(bytes, "b.json", cidV0Of(bytes).cid);
      expect(!b.ok && b.error).to.contain("expected QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o");
      const secretUrl = "http://user:s3cret@127.0.0.1:1/token-path/";
      const c = await new KuboIpfsClient({ apiUrl: secretUrl, timeoutMs: 2_000 }, { logger: silentLogger }).add(bytes, "c.json");
      expect(c.ok).to.equal(false);
      expect(!c.ok && c.error).to.not.contain("s3cret");
      expect(!c.ok && c.error).to.not.contain("token-path");
    } finally {
      await failing.close();
      await wrong.close();
    }
  });

  it("a Nexus claim without a pack, or with an invalid pack, is not filed", async () => {
    const ctx = claimEvidenceFor(config(), silentLogger);
    const none = await ctx({ packPath: undefined, fallback: "key", coverage: coverage(NEXUS), amount: 1n });
    expect(none).to.deep.include({ ok: false });
    const bad = path.join(dir, "bad.json");
    await writeFile(bad, '{"version":1}', "utf8");
    const invalid = await ctx({ packPath: bad, fallback: "key", coverage: coverage(NEXUS), amount: 1n });
    expect(invalid.ok === false && invalid.error).to.match(/evidence pack .* is invalid/);
    const missing = await ctx({ packPath: path.join(dir, "missing.json"), fallback: "key", coverage: coverage(NEXUS), amount: 1n });
    expect(missing.ok === false && missing.error).to.match(/unreadable/);
  });

  it("self-insured and other providers' claims send the pack bytes unchanged (keccak256 = the file's)", async () => {
    const packPath = await writePack(dir);
    const ctx = claimEvidenceFor(config(), silentLogger);
    for (const providerId of [0, 2]) {
      const prepared = await ctx({ packPath, fallback: "key", coverage: coverage(providerId), amount: 1n });
      expect(prepared.ok && prepared.proof).to.equal(undefined);
      if (prepared.ok) expect(keccak256(prepared.evidence)).to.equal(keccak256(await readFile(packPath)));
    }
    const noPack = await ctx({ packPath: undefined, fallback: "tvl-drop:x:1", coverage: coverage(0), amount: 1n });
    expect(noPack.ok && Buffer.from(noPack.evidence).toString("utf8")).to.equal("tvl-drop:x:1");
  });
});
