/**
 * A scripted HTTP server on 127.0.0.1 (ephemeral port) for offline tests of network clients.
 *
 *   const server = await startLoopbackServer({
 *     "/protocols": { json: [...] },
 *     "/flaky": [{ status: 500 }, { json: { ok: true } }],   // one reply per request, last repeats
 *     "/protocol/*": (req) => ({ json: detailFor(req.path) }), // prefix route
 *   });
 *   client = new JsonHttpClient({ baseUrl: server.baseUrl }, deps);
 *   ...; server.requestCount("/flaky"); await server.close();
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Socket } from "node:net";

export interface ScriptedReply {
  /** Default 200. */
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Serialised as the JSON body. */
  readonly json?: unknown;
  /** Raw body (e.g. malformed JSON); wins over `json`. */
  readonly body?: string;
  /** Never answer (the client must time out). */
  readonly hang?: boolean;
  /** Send the headers and half the body, then cut the connection. */
  readonly cutMidBody?: boolean;
  /** Wait before answering, ms. */
  readonly delayMs?: number;
  /**
   * Send the headers and the first half of the body (chunked, no content-length), then the rest
   * after this many ms: a slow body behind prompt headers.
   */
  readonly dripMs?: number;
}

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  /** 1-based index of this request among those to the same path. */
  readonly count: number;
}

export type RouteScript = ScriptedReply | readonly ScriptedReply[] | ((request: ReceivedRequest) => ScriptedReply);

export interface LoopbackServer {
  /** e.g. `http://127.0.0.1:54321` */
  readonly baseUrl: string;
  /** Every request received, in order. */
  readonly requests: readonly ReceivedRequest[];
  /** Adds or replaces a route; a key ending in `*` matches by prefix. */
  route(path: string, script: RouteScript): void;
  /** Requests to `path` (or to paths starting with it when it ends in `*`); all when omitted. */
  requestCount(path?: string): number;
  close(): Promise<void>;
}

export async function startLoopbackServer(routes: Readonly<Record<string, RouteScript>> = {}): Promise<LoopbackServer> {
  const scripts = new Map<string, RouteScript>(Object.entries(routes));
  const requests: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const findScript = (path: string): RouteScript | undefined => {
    const exact = scripts.get(path);
    if (exact !== undefined) return exact;
    let best: { prefix: string; script: RouteScript } | undefined;
    for (const [key, script] of scripts) {
      if (!key.endsWith("*")) continue;
      const prefix = key.slice(0, -1);
      if (path.startsWith(prefix) && (best === undefined || prefix.length > best.prefix.length)) best = { prefix, script };
    }
    return best?.script;
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const path = decodeURIComponent(url.pathname);
    const count = requests.filter((r) => r.path === path).length + 1;
    const request: ReceivedRequest = { method: req.method ?? "GET", path, query: url.search, count };
    requests.push(request);

    const script = findScript(path);
    let reply: ScriptedReply;
    if (script === undefined) reply = { status: 404, json: { error: `no route ${path}` } };
    else if (typeof script === "function") reply = script(request);
    else if (Array.isArray(script)) reply = (script[Math.min(count, script.length) - 1] as ScriptedReply | undefined) ?? { status: 500 };
    else reply = script as ScriptedReply;

    const send = (): void => {
      if (reply.hang === true) return;
      const body = reply.body ?? (reply.json !== undefined ? JSON.stringify(reply.json) : "");
      const headers: Record<string, string> = { "content-type": "application/json", ...reply.headers };
      if (reply.dripMs !== undefined) {
        res.writeHead(reply.status ?? 200, headers);
        const half = Math.floor(body.length / 2);
        res.write(body.slice(0, half));
        const timer = setTimeout(() => {
          timers.delete(timer);
          res.end(body.slice(half));
        }, reply.dripMs);
        timers.add(timer);
        return;
      }
      if (reply.cutMidBody === true) {
        res.writeHead(reply.status ?? 200, { ...headers, "content-length": String(Buffer.byteLength(body)) });
        res.write(body.slice(0, Math.floor(body.length / 2)));
        setImmediate(() => req.socket.destroy());
        return;
      }
      res.writeHead(reply.status ?? 200, headers);
      res.end(body);
    };
    if (reply.delayMs !== undefined && reply.delayMs > 0) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        send();
      }, reply.delayMs);
      timers.add(timer);
    } else send();
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    route(path, script) {
      scripts.set(path, script);
    },
    requestCount(path) {
      if (path === undefined) return requests.length;
      if (path.endsWith("*")) return requests.filter((r) => r.path.startsWith(path.slice(0, -1))).length;
      return requests.filter((r) => r.path === path).length;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
