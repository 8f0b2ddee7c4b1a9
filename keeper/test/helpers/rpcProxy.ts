/**
 * A counting JSON-RPC server on 127.0.0.1 in front of an EIP-1193 provider (the in-process
 * Hardhat network), so the keeper talks to it over HTTP exactly as to a real node, and tests and
 * the bench can count the RPC calls it makes (each call of a batch counts once).
 */
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface Eip1193Like {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

export type RpcFault =
  | { readonly kind: "status"; readonly status: number; readonly times?: number }
  | { readonly kind: "delay"; readonly ms: number; readonly times?: number }
  | { readonly kind: "drop"; readonly times?: number };

export interface RpcProxy {
  readonly url: string;
  /** Applies to the next HTTP requests (all, or `times` of them); `undefined` clears it. */
  setFault(fault: RpcFault | undefined): void;
  /** Answer `eth_chainId` with this id instead of the node's. */
  overrideChainId(chainId: number | undefined): void;
  /** HTTP requests answered with a fault since the last `reset()`. */
  faulted(): number;
  /** Calls per method since the last `reset()`. */
  counts(): Record<string, number>;
  /** All calls since the last `reset()`. */
  total(): number;
  /** Calls since the last reset outside TX_METHODS (state reads; a push adds its simulation
   *  `eth_call` and the fee lookup's `eth_getBlockByNumber` per transaction). */
  reads(): number;
  reset(): void;
  close(): Promise<void>;
}

/** Methods a transaction submission or confirmation uses; everything else is a state read. */
export const TX_METHODS = new Set([
  "eth_sendRawTransaction",
  "eth_sendTransaction",
  "eth_getTransactionReceipt",
  "eth_getTransactionByHash",
  "eth_getTransactionCount",
  "eth_estimateGas",
  "eth_maxPriorityFeePerGas",
  "eth_gasPrice",
  "eth_feeHistory",
]);

interface JsonRpcRequest {
  readonly id?: unknown;
  readonly method: string;
  readonly params?: unknown[];
}

export async function startRpcProxy(target: Eip1193Like): Promise<RpcProxy> {
  let counts: Record<string, number> = {};
  let fault: { spec: RpcFault; left: number } | undefined;
  let chainIdOverride: number | undefined;
  let faultedRequests = 0;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const handle = async (request: JsonRpcRequest): Promise<Record<string, unknown>> => {
    counts[request.method] = (counts[request.method] ?? 0) + 1;
    if (request.method === "eth_chainId" && chainIdOverride !== undefined) {
      return { jsonrpc: "2.0", id: request.id ?? null, result: `0x${chainIdOverride.toString(16)}` };
    }
    try {
      const result = await target.request({ method: request.method, params: request.params ?? [] });
      return { jsonrpc: "2.0", id: request.id ?? null, result };
    } catch (err) {
      const e = err as { code?: unknown; message?: unknown; data?: unknown };
      return {
        jsonrpc: "2.0",
        id: request.id ?? null,
        error: {
          code: typeof e.code === "number" ? e.code : -32603,
          message: typeof e.message === "string" ? e.message : String(err),
          data: e.data,
        },
      };
    }
  };

  /** The fault for this request, consuming one of its `times`. */
  const takeFault = (): RpcFault | undefined => {
    if (fault === undefined) return undefined;
    const spec = fault.spec;
    fault.left -= 1;
    if (fault.left <= 0) fault = undefined;
    faultedRequests += 1;
    return spec;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const active = takeFault();
      if (active?.kind === "drop") {
        req.socket.destroy();
        return;
      }
      if (active?.kind === "status") {
        res.writeHead(active.status, { "content-type": "text/plain" });
        res.end(active.status === 429 ? "Too Many Requests" : "Internal Server Error");
        return;
      }
      if (active?.kind === "delay") {
        // Hang, then answer nothing useful (the client is expected to have timed out).
        const timer = setTimeout(() => {
          timers.delete(timer);
          res.writeHead(504);
          res.end();
        }, active.ms);
        timers.add(timer);
        return;
      }
      void (async () => {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as JsonRpcRequest | JsonRpcRequest[];
        const reply = Array.isArray(body) ? await Promise.all(body.map(handle)) : await handle(body);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(reply, (_key, value: unknown) => (typeof value === "bigint" ? `0x${value.toString(16)}` : value)));
      })();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    setFault(spec) {
      fault = spec === undefined ? undefined : { spec, left: spec.times ?? Number.POSITIVE_INFINITY };
    },
    overrideChainId(chainId) {
      chainIdOverride = chainId;
    },
    faulted: () => faultedRequests,
    counts: () => ({ ...counts }),
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    reads: () =>
      Object.entries(counts)
        .filter(([method]) => !TX_METHODS.has(method))
        .reduce((sum, [, n]) => sum + n, 0),
    reset: () => {
      counts = {};
      faultedRequests = 0;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
