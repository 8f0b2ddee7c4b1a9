/** Failover RPC provider over faulty proxies, keystore keys (never logged), start-up chain checks. */
import { expect } from "chai";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { Wallet, encryptKeystoreJson } from "ethers";
import { network } from "hardhat";
import { createLogger } from "../../src/lib/logger";
import { KeyError, StartupCheckError, loadSigner, sharedFileProblem, verifyChain } from "../../src/execution/keys";
import { RpcChainMismatchError, connectFailoverProvider, type FailoverJsonRpcProvider } from "../../src/execution/rpc";
import { startRpcProxy, type RpcProxy } from "../helpers/rpcProxy";
import { recordingLogger } from "../sources/testDeps";

describe("RPC failover, keys and start-up checks (execution)", () => {
  let primary: RpcProxy;
  let secondary: RpcProxy;
  const providers: FailoverJsonRpcProvider[] = [];
  before(async () => {
    await network.provider.request({ method: "eth_chainId", params: [] }); // warm the in-process node
    primary = await startRpcProxy(network.provider);
    secondary = await startRpcProxy(network.provider);
  });
  after(async () => {
    await primary.close();
    await secondary.close();
  });
  afterEach(() => {
    primary.setFault(undefined);
    secondary.setFault(undefined);
    primary.overrideChainId(undefined);
    primary.reset();
    secondary.reset();
    for (const p of providers.splice(0)) p.destroy();
  });
  async function connect(urls: string[], timeoutMs = 800) {
    const logger = recordingLogger();
    // Height comparison off: these tests count each URL's requests.
    const provider = await connectFailoverProvider({ urls, chainId: 31337, logger, timeoutMs, baseDelayMs: 10, maxLagBlocks: 0 });
    providers.push(provider);
    return { provider, logger };
  }

  for (const fault of [{ kind: "status", status: 500 }, { kind: "delay", ms: 5000 }, { kind: "drop" }] as const) {
    it(`fails over to the second URL within seconds when the first answers ${fault.kind}${"status" in fault ? ` ${fault.status}` : ""}`, async () => {
      const { provider, logger } = await connect([primary.url, secondary.url]);
      primary.setFault(fault);
      const started = Date.now();
      const block = await provider.getBlockNumber();
      expect(block).to.be.a("number");
      expect(Date.now() - started).to.be.below(2000);
      expect(primary.faulted()).to.be.greaterThan(0);
      expect(secondary.counts()["eth_blockNumber"]).to.equal(1);
      const stats = provider.stats();
      expect([stats.failovers, stats.errors >= 1]).to.deep.equal([1, true]);
      expect(logger.entries.some((e) => e.msg === "RPC failover: switched to the next URL")).to.equal(true);
      // Sticky: the next request goes straight to the healthy URL.
      primary.reset();
      await provider.getBlockNumber();
      expect(primary.faulted() + primary.total()).to.equal(0);
    });
  }

  it("backs off and retries a single URL answering 429 twice", async () => {
    const { provider } = await connect([primary.url]);
    primary.setFault({ kind: "status", status: 429, times: 2 });
    expect(await provider.getBlockNumber()).to.be.a("number");
    expect(primary.faulted()).to.equal(2);
    expect(provider.stats().errors).to.equal(2);
  });

  it("refuses a URL on another chain and reports an unreachable start", async () => {
    primary.overrideChainId(11155111);
    let error: unknown;
    try {
      await connect([secondary.url, primary.url]);
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(RpcChainMismatchError);
    expect((error as Error).message).to.match(/^RPC http:\/\/127\.0\.0\.1:\d+\/<redacted> is on chain 11155111, expected 31337/);
    primary.overrideChainId(undefined);
    primary.setFault({ kind: "status", status: 500 });
    secondary.setFault({ kind: "status", status: 500 });
    let unreachable: unknown;
    try {
      await connect([primary.url, secondary.url]);
    } catch (err) {
      unreachable = err;
    }
    expect((unreachable as Error).message).to.match(/^no RPC URL reachable: .*HTTP 500/);
  });

  describe("keys", () => {
    const PASSWORD = "correct horse battery staple";
    async function keystore() {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), "keeper-keys-"));
      const wallet = Wallet.createRandom();
      // Low scrypt cost keeps the test fast; production keystores use the default.
      const json = await encryptKeystoreJson({ address: wallet.address, privateKey: wallet.privateKey }, PASSWORD, { scrypt: { N: 1024 } });
      const keystorePath = path.join(dir, "keeper.json");
      const passwordFile = path.join(dir, "password.txt");
      // Secret files are the owner's only (0600): the keeper refuses anything wider.
      await fs.writeFile(keystorePath, json, { mode: 0o600 });
      await fs.writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
      return { dir, wallet, keystorePath, passwordFile };
    }

    it("unlocks a keystore with a password file, and no log line holds the key or password", async () => {
      const { wallet, keystorePath, passwordFile } = await keystore();
      let logged = "";
      const sink = new Writable({ write: (chunk: Buffer, _enc, done) => ((logged += chunk.toString()), done()) });
      const logger = createLogger({ level: "trace", destination: sink });
      const signer = await loadSigner({ keystorePath, keystorePasswordFile: passwordFile }, null, logger);
      expect(signer?.address).to.equal(wallet.address);
      const fromEnv = await loadSigner({ keystorePath, keystorePassword: PASSWORD }, null, logger);
      expect(fromEnv?.address).to.equal(wallet.address);
      const direct = await loadSigner({ privateKey: wallet.privateKey }, null, logger);
      expect(direct?.address).to.equal(wallet.address);
      // Even a careless caller logging the source object gets it redacted.
      logger.info({ privateKey: wallet.privateKey, password: PASSWORD }, "careless");
      expect(logged).to.contain(wallet.address);
      expect(logged).not.to.contain(wallet.privateKey.slice(2));
      expect(logged).not.to.contain(PASSWORD);
    });

    it("gives clear errors without leaking secrets", async () => {
      const { keystorePath, dir, wallet } = await keystore();
      const logger = recordingLogger();
      const failure = async (source: Parameters<typeof loadSigner>[0]): Promise<string> => {
        try {
          await loadSigner(source, null, logger);
        } catch (err) {
          expect(err).to.be.instanceOf(KeyError);
          return (err as Error).message;
        }
        throw new Error("expected a KeyError");
      };
      expect(await failure({ keystorePath, keystorePasswordFile: "/x" })).to.equal("KEEPER_KEYSTORE_PASSWORD_FILE /x: no such file");
      expect(await failure({ keystorePath: path.join(dir, "none.json"), keystorePassword: "p" })).to.match(/^KEEPER_KEYSTORE_PATH .*none\.json: no such file$/);
      const wrong = await failure({ keystorePath, keystorePassword: "not it" });
      expect(wrong).to.match(/: wrong password$/);
      expect(wrong).not.to.contain("not it");
      expect(await failure({ keystorePath })).to.match(/no password — set KEEPER_KEYSTORE_PASSWORD or KEEPER_KEYSTORE_PASSWORD_FILE/);
      expect(await failure({ privateKey: wallet.privateKey, keystorePath })).to.match(/both KEEPER_PRIVATE_KEY and KEEPER_KEYSTORE_PATH/);
      expect(await loadSigner({}, null, logger)).to.equal(undefined);
      expect(JSON.stringify(logger.entries)).not.to.contain(wallet.privateKey.slice(2));
    });

    it("refuses a keystore or password file readable by group or others, with the chmod to run (as ssh does)", async () => {
      const { keystorePath, passwordFile, wallet } = await keystore();
      const logger = recordingLogger();
      await fs.chmod(keystorePath, 0o644);
      let message = "";
      await loadSigner({ keystorePath, keystorePasswordFile: passwordFile }, null, logger).catch((err: Error) => (message = err.message));
      expect(message).to.equal(`KEEPER_KEYSTORE_PATH ${keystorePath}: accessible by group and others (mode 0644) — a secret must be readable by its owner only: run \`chmod 600 ${keystorePath}\``);
      await fs.chmod(keystorePath, 0o600);
      await fs.chmod(passwordFile, 0o640);
      message = "";
      await loadSigner({ keystorePath, keystorePasswordFile: passwordFile }, null, logger).catch((err: Error) => (message = err.message));
      expect(message).to.match(/^KEEPER_KEYSTORE_PASSWORD_FILE .*password\.txt: accessible by group \(mode 0640\) — .*run `chmod 600 .*password\.txt`$/);
      expect(message).not.to.contain(PASSWORD);
      await fs.chmod(passwordFile, 0o400);
      expect((await loadSigner({ keystorePath, keystorePasswordFile: passwordFile }, null, logger))?.address).to.equal(wallet.address);
      expect(sharedFileProblem("X", "/k", 0o100600)).to.equal(undefined);
      expect(sharedFileProblem("X", "/k", 0o100604)).to.match(/accessible by others \(mode 0604\)/);
    });
  });

  it("verifyChain names the contract without code and a wrong chain id", async () => {
    const { provider } = await connect([primary.url]);
    const empty = "0x00000000000000000000000000000000000000f1";
    let error: unknown;
    try {
      await verifyChain({ provider, chainId: 31337, fund: empty, lens: empty });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(StartupCheckError);
    expect((error as StartupCheckError).problems).to.deep.equal([
      `FUND_ADDRESS ${empty} has no code on chain 31337`,
      `LENS_ADDRESS ${empty} has no code on chain 31337`,
    ]);
    let wrongChain: unknown;
    try {
      await verifyChain({ provider, chainId: 11155111 });
    } catch (err) {
      wrongChain = err;
    }
    expect((wrongChain as Error).message).to.match(/the RPC is on chain 31337, but CHAIN_ID \/ chain\.chainId says 11155111/);
    expect(await verifyChain({ provider, chainId: 31337 })).to.deep.equal({ chainId: 31337 });
  });
});
