/**
 * The Mocha hooks every keeper integration suite repeats: the counting RPC proxy in front of the
 * in-process Hardhat network (and, when asked, the Nexus quote stand-in), started once per suite;
 * and the containers and temp directories a test opened, closed and removed after it.
 * Call it at the top of a `describe`.
 */
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { network } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { KeeperContainer } from "../../src/cli/container";
import { decideIncident } from "../../src/cli/commands/incident";
import { nexusQuoteRoutes } from "./keeperSystem";
import { startLoopbackServer, type LoopbackServer } from "./loopbackServer";
import { startRpcProxy, type RpcProxy } from "./rpcProxy";

export interface KeeperHarness {
  /** The counting proxy (set in the suite's `before`). */
  readonly proxy: RpcProxy;
  /** The Nexus cover-router stand-in (only with `quotes: true`). */
  readonly quotes: LoopbackServer;
  /** Closes `container` after the test; returns it. */
  track<T extends KeeperContainer>(container: T): T;
  /** Closes a tracked container now (a keeper stopped mid-test), not again after the test. */
  closeNow(container: KeeperContainer): void;
  /** A fresh temp directory, removed after the test. */
  tempDir(prefix: string): Promise<string>;
  /** Removes `dir` after the test (e.g. a fixture copy). */
  removeAfter(dir: string): string;
}

export function keeperHarness(options: { quotes?: boolean } = {}): KeeperHarness {
  let proxy: RpcProxy | undefined;
  let quotes: LoopbackServer | undefined;
  const opened: KeeperContainer[] = [];
  const dirs: string[] = [];
  before(async () => {
    proxy = await startRpcProxy(network.provider);
    if (options.quotes === true) quotes = await startLoopbackServer(nexusQuoteRoutes());
  });
  after(async () => {
    await proxy?.close();
    await quotes?.close();
  });
  afterEach(async () => {
    for (const c of opened.splice(0)) c.close();
    for (const d of dirs.splice(0)) await fs.rm(d, { recursive: true, force: true });
  });
  return {
    get proxy() {
      if (proxy === undefined) throw new Error("keeperHarness: the proxy starts in the suite's before hook");
      return proxy;
    },
    get quotes() {
      if (quotes === undefined) throw new Error("keeperHarness: no quote stand-in (pass { quotes: true })");
      return quotes;
    },
    track(container) {
      opened.push(container);
      return container;
    },
    closeNow(container) {
      const at = opened.indexOf(container);
      if (at >= 0) opened.splice(at, 1);
      container.close();
    },
    async tempDir(prefix) {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
    removeAfter(dir) {
      dirs.push(dir);
      return dir;
    },
  };
}

/** The operator confirms the keeper's only incident (`keeper incident confirm <id>`) at the chain's time; returns its id. */
export async function confirmTheIncident(container: KeeperContainer): Promise<number> {
  const state = container.state();
  const [incident] = state.incidents.list();
  if (incident === undefined) throw new Error("no incident");
  decideIncident(state, String(incident.id), "confirmed", await time.latest());
  return incident.id;
}
