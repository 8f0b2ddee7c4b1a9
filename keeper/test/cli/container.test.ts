/**
 * The composition root builds ONE hacks-feed source: the risk source and the incident watch share
 * it, so one feed download (within its TTL) serves both.
 */
import { expect } from "chai";
import { JsonRpcProvider } from "ethers";
import { buildContainer } from "../../src/cli/container";
import { parseConfig } from "../../src/config";
import { silentLogger } from "../../src/lib/logger";
import { startLoopbackServer, type LoopbackServer } from "../helpers/loopbackServer";

describe("container", () => {
  let server: LoopbackServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("shares one hacks-feed source between the risk source and the incident watch (one download per TTL)", async () => {
    server = await startLoopbackServer({
      "/test-pro-key/api/hacks": {
        json: [{ date: 1_700_000_000, name: "Aave V3", classification: "Protocol Logic", technique: "Flash loan", amount: 1_000_000, chain: ["Ethereum"], bridgeHack: false, targetType: "DeFi Protocol", source: "https://example.invalid/postmortem", returnedFunds: null, defillamaId: 1599, language: "Solidity" }],
      },
    });
    const config = parseConfig({
      protocols: [{ id: "aave-v3", name: "Aave V3", address: "0x1111111111111111111111111111111111111111", defiLlamaId: "1599" }],
      sources: { hacks: { proApiBaseUrl: server.baseUrl, ttlSeconds: 3600 } },
    }, { env: { DEFILLAMA_PRO_API_KEY: "test-pro-key" } });
    const provider = new JsonRpcProvider("http://127.0.0.1:9", 31337, { staticNetwork: true });
    const container = await buildContainer(config, silentLogger, { provider });
    try {
      const now = 1_750_000_000;
      const metrics = await container.source.fetchMetrics(config.protocols, now);
      expect(metrics[0]?.exploitCount?.value).to.equal(1);
      expect(container.hacksFeed).to.not.equal(undefined);
      const incidents = await container.hacksFeed?.fetchIncidents(config.protocols, now);
      expect(incidents?.get("aave-v3")?.incidents).to.have.length(1);
      expect(server.requestCount("/test-pro-key/api/hacks")).to.equal(1);
    } finally {
      container.close();
      provider.destroy();
    }
  });
});
