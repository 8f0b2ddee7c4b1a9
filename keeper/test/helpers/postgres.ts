/**
 * A real PostgreSQL for tests: Debian's `postgresql` package (`.ci/run` installs it when missing),
 * started on a free loopback port in a temporary data directory, once per mocha worker, and
 * stopped when the worker exits. PostgreSQL refuses to run as root, so under root the server runs
 * as the package's `postgres` user. Tests that need it call `sharedPostgres()`; without the
 * package installed they skip with one line saying how to get it.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";

import { freePort } from "../../src/cli/embedded";

export interface TestPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth on loopback only). */
  readonly url: string;
  readonly port: number;
  /** A fresh database on this server (each test file its own), returned as a connection URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
  /** Immediate synchronous stop, for process exit handlers. */
  stopSync(): void;
}

/** The newest installed server's bin directory, or undefined when the package is missing. */
export function postgresBinDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(path.join(root, v, "bin", "postgres"))).sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : path.join(root, versions[0], "bin");
}

export const POSTGRES_MISSING = "skipped: no PostgreSQL server (apt-get install -y postgresql; .ci/run installs it)";

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

/** Runs a server binary as the current user, or as `postgres` when we are root. */
function asServerUser(command: string, args: readonly string[]): [string, string[]] {
  return isRoot ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, [...args]];
}

async function waitReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}:\n${output()}`);
    const client = new Client({ connectionString: url });
    try {
      await client.connect();
      await client.query("SELECT 1");
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`postgres not ready within 30 s: ${(err as Error).message}\n${output()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/** Starts a private server (initdb + postgres) on a free loopback port. */
export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  if (bin === undefined) throw new Error(POSTGRES_MISSING);
  const dir = mkdtempSync(path.join(os.tmpdir(), "sif-pg-"));
  const data = path.join(dir, "data");
  if (isRoot) {
    chmodSync(dir, 0o777);
    execFileSync("chown", ["postgres:postgres", dir]);
  }
  const [initCmd, initArgs] = asServerUser(path.join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"]);
  const init = spawnSync(initCmd, initArgs, { encoding: "utf8" });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stdout}${init.stderr}`);
  const port = await freePort();
  // Loopback only, socket in the temp dir, durability off (test data), quick shutdown.
  const [cmd, args] = asServerUser(path.join(bin, "postgres"), ["-D", data, "-h", "127.0.0.1", "-p", String(port), "-k", dir, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]);
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      // Under runuser the signal goes to runuser, which forwards it to postgres (fast shutdown).
      child.kill("SIGINT");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(url, child, () => log);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    port,
    async createDatabase(name: string): Promise<string> {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name must be lower_snake_case: ${name}`);
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop,
    stopSync(): void {
      if (child.exitCode === null) {
        const [ctl, ctlArgs] = asServerUser(path.join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]);
        spawnSync(ctl, ctlArgs, { stdio: "ignore" });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let shared: Promise<TestPostgres> | undefined;

/** One server per mocha worker (started on first use, stopped when the worker exits or is terminated). */
export function sharedPostgres(): Promise<TestPostgres> {
  if (shared === undefined) {
    shared = startPostgres();
    void shared.then(
      (pg) => {
        const stopNow = (): void => pg.stopSync();
        process.once("exit", stopNow);
        process.once("SIGTERM", () => {
          stopNow();
          process.exit(143);
        });
      },
      () => undefined,
    );
  }
  return shared;
}
