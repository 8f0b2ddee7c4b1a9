/**
 * The keeper's HTTP face, read-only: the dashboard at `/` (static files from keeper/dashboard/,
 * Chart.js served from node_modules — no CDN), its JSON at `/api/snapshot`, `/healthz` (200 when
 * every loop succeeded within 2 of its intervals — counted from the daemon's start before a first
 * success — else 503) and `/metrics` (Prometheus text format, prom-client).
 *
 * Binds 127.0.0.1 by default. With a bearer token (required by the config for any non-loopback
 * address) every route but a detail-free `/healthz` needs the token in the Authorization header:
 * `Authorization: Bearer <token>` (scripts, Prometheus) or HTTP Basic with the token as the
 * password (a browser prompts once). Never in the URL: a query string lands in logs, history
 * and Referer headers.
 *
 * DNS rebinding: a web page on an attacker's name that re-resolves to 127.0.0.1 reaches this
 * server from the victim's browser with `Host: attacker.example`. Every request's Host must be
 * the bind address, a loopback name when bound to loopback, any IP literal when bound to every
 * interface (a rebinding needs a DNS name), or one of `allowedHosts`; anything else is 421.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import http from "node:http";
import { isIP, type AddressInfo } from "node:net";
import path from "node:path";
import type { Logger } from "../lib/logger";
import { silentLogger } from "../lib/logger";
import { REPO_ROOT } from "../lib/paths";
import type { DashboardSnapshot } from "./dashboard/snapshot";
import type { KeeperMetrics, LoopName } from "./metrics";

export { KeeperMetrics, LOOP_NAMES, type LoopName } from "./metrics";

/** Directory of the dashboard page (index.html, dashboard.js, dashboard.css). */
export const DASHBOARD_DIR = path.join(REPO_ROOT, "keeper", "dashboard");

/** Static files the page loads, all from this server. */
const ASSETS: Readonly<Record<string, { file: () => string; type: string }>> = {
  "/": { file: () => path.join(DASHBOARD_DIR, "index.html"), type: "text/html; charset=utf-8" },
  "/assets/dashboard.js": { file: () => path.join(DASHBOARD_DIR, "dashboard.js"), type: "text/javascript; charset=utf-8" },
  "/assets/dashboard.css": { file: () => path.join(DASHBOARD_DIR, "dashboard.css"), type: "text/css; charset=utf-8" },
  "/assets/chart.umd.min.js": { file: chartJsPath, type: "text/javascript; charset=utf-8" },
};

/** Chart.js's UMD build inside node_modules (the package's exports hide dist/, so resolve the entry). */
function chartJsPath(): string {
  return path.join(path.dirname(require.resolve("chart.js")), "chart.umd.min.js");
}

const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

export interface DashboardSource {
  /** The newest snapshot (undefined before the first one). */
  latest(): DashboardSnapshot | undefined;
}

export interface HealthServerOptions {
  readonly metrics: KeeperMetrics;
  readonly intervalsMs: Readonly<Record<LoopName, number>>;
  /** Bind address (default 127.0.0.1). */
  readonly host?: string;
  /** 0 = ephemeral. */
  readonly port: number;
  /** When set, every route but a detail-free /healthz requires it (Authorization header only). */
  readonly bearerToken?: string;
  /** Host names (without port) accepted in the Host header besides the bind address, e.g. a reverse proxy's name. */
  readonly allowedHosts?: readonly string[];
  /** Serves the dashboard and /api/snapshot when given. */
  readonly dashboard?: DashboardSource;
  readonly logger?: Logger;
  /** The setting an operator changes when the port is taken (default: the config's `health.port`). */
  readonly portSetting?: string;
}

/** Pure: the error for a failed bind, naming the setting to change. */
export function bindProblem(err: NodeJS.ErrnoException, host: string, port: number, setting = "health.port in the keeper config"): string {
  const where = `${host}:${port}`;
  if (err.code === "EADDRINUSE") {
    return `health server: ${where} is already in use (another keeper or program listens there) — change ${setting} to a free port (0 picks any free port), or stop the other process`;
  }
  if (err.code === "EACCES") return `health server: no permission to listen on ${where} (ports below 1024 need privileges) — change ${setting} to a port above 1024`;
  if (err.code === "EADDRNOTAVAIL") return `health server: ${host} is not an address of this machine — change health.host (env HEALTH_HOST)`;
  return `health server: cannot listen on ${where} (${err.message}) — check ${setting} and health.host`;
}

export interface HealthServer {
  readonly port: number;
  /** Base URL, e.g. http://127.0.0.1:9464 */
  readonly url: string;
  close(): Promise<void>;
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const host = options.host ?? "127.0.0.1";
  const logger = options.logger ?? silentLogger;
  const handle = requestHandler(options);
  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      logger.error({ err: err instanceof Error ? err.message : String(err), path: req.url }, "health server: request failed");
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end("internal error\n");
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => reject(new Error(bindProblem(err, host, options.port, options.portSetting))));
    server.listen(options.port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    port: bound,
    url: `http://${shownHost}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;

/** The routes: the Host check, /favicon.ico, /healthz, then (authorized) /metrics and the dashboard. */
function requestHandler(options: HealthServerOptions): Handler {
  const tokenDigest = options.bearerToken !== undefined ? digest(options.bearerToken) : undefined;
  const hostAllowed = hostCheck(options.host ?? "127.0.0.1", options.allowedHosts ?? []);
  const authorized = (req: http.IncomingMessage): boolean => {
    if (tokenDigest === undefined) return true;
    const offered = tokenFromAuthorization(req.headers.authorization);
    return offered !== undefined && timingSafeEqual(digest(offered), tokenDigest);
  };

  return async (req, res) => {
    const url = new URL(req.url ?? "/", "http://keeper.invalid");
    if (!hostAllowed(req.headers.host)) {
      res.writeHead(421, { "content-type": "text/plain", ...SECURITY_HEADERS }).end("misdirected request: this Host is not served here — add it to health.allowedHosts\n");
      return;
    }
    if (req.method !== "GET") {
      res.writeHead(405, { allow: "GET" }).end();
      return;
    }
    const ok = authorized(req);
    if (url.pathname === "/favicon.ico") {
      res.writeHead(204, SECURITY_HEADERS).end();
      return;
    }
    if (url.pathname === "/healthz") {
      const health = options.metrics.health(options.intervalsMs);
      res.writeHead(health.ok ? 200 : 503, { "content-type": "application/json", ...SECURITY_HEADERS });
      res.end(JSON.stringify(ok ? { status: health.ok ? "ok" : "unhealthy", loops: health.loops, degraded: health.degraded } : { status: health.ok ? "ok" : "unhealthy" }));
      return;
    }
    if (!ok) {
      res
        .writeHead(401, { "content-type": "text/plain", "www-authenticate": ['Bearer realm="sif-keeper"', 'Basic realm="sif-keeper", charset="UTF-8"'], ...SECURITY_HEADERS })
        .end("unauthorized: send Authorization: Bearer <token> (a browser: any user name, the token as the password)\n");
      return;
    }
    if (url.pathname === "/metrics") {
      const text = await options.metrics.render();
      res.writeHead(200, { "content-type": options.metrics.contentType, "cache-control": "no-store" });
      res.end(text);
      return;
    }
    if (options.dashboard !== undefined && (await serveDashboard(url.pathname, options.dashboard, options, res))) return;
    res.writeHead(404, { "content-type": "text/plain", ...SECURITY_HEADERS }).end(`not found: use ${options.dashboard !== undefined ? "/, /api/snapshot, " : ""}/healthz or /metrics\n`);
  };
}

/** `/api/snapshot` and the page's static files; false when `pathname` is neither. */
async function serveDashboard(pathname: string, dashboard: DashboardSource, options: HealthServerOptions, res: http.ServerResponse): Promise<boolean> {
  if (pathname === "/api/snapshot") {
    const snapshot = dashboard.latest();
    if (snapshot === undefined) {
      res.writeHead(503, { "content-type": "application/json", "retry-after": "5", ...SECURITY_HEADERS }).end(JSON.stringify({ status: "warming up: no status read yet" }));
      return true;
    }
    const health = options.metrics.health(options.intervalsMs);
    res.writeHead(200, { "content-type": "application/json", ...SECURITY_HEADERS });
    res.end(JSON.stringify({ ...snapshot, health: { ok: health.ok, loops: health.loops, degraded: health.degraded } }));
    return true;
  }
  const asset = ASSETS[pathname];
  if (asset === undefined) return false;
  const body = await readFile(asset.file());
  res.writeHead(200, { "content-type": asset.type, ...SECURITY_HEADERS });
  res.end(body);
  return true;
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** The token offered in `Authorization`: `Bearer <token>` or Basic with the token as the password. */
function tokenFromAuthorization(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1];
  if (bearer !== undefined) return bearer.trim();
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim())?.[1];
  if (basic === undefined) return undefined;
  const decoded = Buffer.from(basic, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "::1"]);

/** The Host header rule (see the file comment). */
export function hostCheck(bindHost: string, allowedHosts: readonly string[]): (header: string | undefined) => boolean {
  const bind = bindHost.toLowerCase();
  const allowed = new Set(allowedHosts.map((h) => h.toLowerCase()));
  const loopback = bind === "localhost" || bind === "::1" || bind.startsWith("127.");
  const wildcard = bind === "0.0.0.0" || bind === "::";
  return (header) => {
    if (header === undefined || header === "") return false;
    const name = hostName(header.toLowerCase());
    if (name === undefined) return false;
    if (name === bind || allowed.has(name)) return true;
    if (loopback && (LOOPBACK_NAMES.has(name) || name.startsWith("127.")) && (isIP(name) !== 0 || name === "localhost")) return true;
    return wildcard && isIP(name) !== 0;
  };
}

/** `host[:port]` or `[v6][:port]` → host; undefined when malformed. */
function hostName(header: string): string | undefined {
  if (header.startsWith("[")) {
    const end = header.indexOf("]");
    return end < 0 ? undefined : header.slice(1, end);
  }
  const parts = header.split(":");
  if (parts.length > 2) return undefined;
  return parts[0] === "" ? undefined : parts[0];
}
