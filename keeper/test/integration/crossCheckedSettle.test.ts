/**
 * Settling a claim with two RPC URLs (issue 20 §3): the fund's claim status is read on both nodes
 * first. One node answering another status refuses the settlement (a critical alert naming both
 * answers, no API key); once the nodes agree again the claim is settled.
 */
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { network } from "hardhat";

import { StablecoinInsuranceFund__factory } from "../../../typechain-types/factories/contracts/StablecoinInsuranceFund__factory";
import { buildContainer, type KeeperContainer } from "../../src/cli/container";
import { recordManualIncident } from "../../src/cli/commands/incident";
import { parseConfig } from "../../src/config";
import type { ConfigFile } from "../../src/config/schema";
import { deployKeeperSystem, fixtureCopy, KEEPER_KEY, keeperConfigFile, nexusQuoteRoutes } from "../helpers/keeperSystem";
import { startLoopbackServer, type LoopbackServer } from "../helpers/loopbackServer";
import { startRpcProxy, type RpcProxy } from "../helpers/rpcProxy";
import { recordingLogger } from "../sources/testDeps";

const DAY = 86_400;
const FUND_IFACE = StablecoinInsuranceFund__factory.createInterface();
const GET_CLAIM = FUND_IFACE.getFunction("getClaim")?.selector ?? "";
const SECRET = "v3/alchemy-key-never-in-alerts";

describe("claims: settlement only on a claim status two nodes agree on", function () {
  this.timeout(180_000);
  let primary: RpcProxy;
  let second: RpcProxy;
  let quotes: LoopbackServer;
  /** The status the second node reports for every claim (undefined: the chain's own). */
  let forgedStatus: bigint | undefined;
  const opened: KeeperContainer[] = [];
  const dirs: string[] = [];

  before(async () => {
    primary = await startRpcProxy(network.provider);
    second = await startRpcProxy({
      request: async (args: { method: string; params?: unknown[] }) => {
        const result = await network.provider.request({ method: args.method, params: args.params ?? [] });
        const tx = (args.params ?? [])[0] as { data?: string } | undefined;
        if (forgedStatus === undefined || args.method !== "eth_call" || tx?.data?.startsWith(GET_CLAIM) !== true) return result;
        const [claim] = FUND_IFACE.decodeFunctionResult("getClaim", result as string);
        const forged = (claim as { toArray(deep?: boolean): unknown[] }).toArray(true);
        const statusAt = FUND_IFACE.getFunction("getClaim")?.outputs[0]?.components?.findIndex((c) => c.name === "status") ?? -1;
        forged[statusAt] = forgedStatus;
        return FUND_IFACE.encodeFunctionResult("getClaim", [forged]);
      },
    });
    quotes = await startLoopbackServer(nexusQuoteRoutes());
  });
  after(async () => {
    await primary.close();
    await second.close();
    await quotes.close();
  });
  afterEach(async () => {
    forgedStatus = undefined;
    for (const c of opened.splice(0)) c.close();
    for (const d of dirs.splice(0)) await fs.rm(d, { recursive: true, force: true });
  });

  it("refuses to settle while the second node reports another status, with a critical alert naming both answers; settles once they agree", async () => {
    const s = await loadFixture(deployKeeperSystem);
    const workDir = await fs.mkdtemp(path.join(os.tmpdir(), "keeper-xcheck-"));
    const fixtureDir = await fixtureCopy();
    dirs.push(workDir, fixtureDir);
    const base = keeperConfigFile(s, { rpcUrl: primary.url, quoteBaseUrl: `${quotes.baseUrl}/`, fixtureDir, workDir, dbPath: path.join(workDir, "state.sqlite") });
    const file = {
      ...base,
      chain: { ...base.chain, rpcUrl: undefined, rpcUrls: [`${primary.url}/${SECRET}`, `${second.url}/${SECRET}`] },
      alerts: { dedupMinutes: 0 },
      positions: base.positions?.map((p) => ({ ...p, providers: [], allowSelfInsure: true })),
      coverage: { purchaseDurationDays: 30 },
    } as ConfigFile;
    const config = parseConfig(file, { env: { KEEPER_PRIVATE_KEY: KEEPER_KEY } });
    const logger = recordingLogger();
    const container = await buildContainer(config, logger);
    opened.push(container);

    await container.coverageCycle().run();
    await time.increase(3600); // the incident happens while the cover is live
    const occurredAt = (await time.latest()) - 600;
    // The operator's report (`keeper incident add`): confirmed, claimed at the configured size.
    expect(recordManualIncident(container.state(), config, { dedupeKey: `manual:aave-v3:${occurredAt}`, protocolId: "aave-v3", occurredAt, description: "post-mortem" }, occurredAt + 600)).to.match(/recorded: .+ \(confirmed\)/);
    const tick = await container.claimsCycle().run();
    const filed = tick.filed.find((f) => f.status === "confirmed");
    if (filed?.claimId === undefined) throw new Error(`nothing filed: ${JSON.stringify({ plans: tick.plans, unfileable: tick.unfileable })}`);
    const claimId = BigInt(filed.claimId);
    const claim = await s.fund.getClaim(claimId);
    await s.fund.connect(s.assessor).assessClaim(claimId, true, claim.amount);
    await time.increase(2 * DAY + 1);

    forgedStatus = 1n; // the second node still says Pending
    const refused = await container.claimsCycle().run();
    expect(refused.followUps.filter((f) => f.kind === "settle").map((f) => f.status)).to.deep.equal([undefined]);
    expect((await s.fund.getClaim(claimId)).status).to.equal(2n); // Accepted, not settled
    const alert = logger.entries.find((e) => typeof e.msg === "string" && e.msg.startsWith(`alert: claim ${claimId} not settled`));
    const text = JSON.stringify(alert?.obj ?? {});
    expect(text).to.match(/disagree on the status of fund claim/).and.match(/"\\"Accepted\\""|Accepted/).and.match(/Pending/);
    expect(text).to.include(new URL(primary.url).host).and.include(new URL(second.url).host);
    expect(text).to.not.include(SECRET);

    forgedStatus = undefined;
    const settled = await container.claimsCycle().run();
    expect(settled.followUps.filter((f) => f.kind === "settle").map((f) => f.status)).to.deep.equal(["confirmed"]);
    expect((await s.fund.getClaim(claimId)).status).to.not.equal(2n);
    expect((await s.fund.getClaim(claimId)).payout).to.equal(claim.amount);
  });
});
