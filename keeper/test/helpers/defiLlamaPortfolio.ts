/**
 * A generated portfolio served DefiLlama-style by the loopback server (tests and the bench):
 * `/protocols`, `/protocol/{slug}` (daily TVL history up to `asOf`) and `/stablecoinprices`,
 * in the shapes DefiLlama's server answers: `audits` is a category string ("2" = audited),
 * every row carries its numeric `id`, details carry `hallmarks` (`[[ts, text]]`), and an
 * unknown slug answers HTTP 400 with the text body "Protocol not found".
 * TVLs live in a mutable map, so a test can move one protocol's TVL between cycles.
 */
import { demoProtocolAddress } from "../../src/config";
import type { ConfigFile } from "../../src/config/schema";
import type { RouteScript } from "./loopbackServer";

const DAY = 86_400; // seconds

export interface GeneratedPortfolio {
  readonly protocols: ConfigFile["protocols"];
  /** Operator metrics for every protocol (team, GitHub, no exploits). */
  readonly operator: NonNullable<ConfigFile["sources"]["operator"]>;
  /** slug → current TVL, USD (mutable). */
  readonly tvlBySlug: Map<string, number>;
}

export function generatePortfolio(count: number, prefix = "p"): GeneratedPortfolio {
  const protocols: ConfigFile["protocols"] = [];
  const operator: Record<string, { teamReputation: number; githubActivity: number; exploitCount: number; lastExploitAt: null }> = {};
  const tvlBySlug = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const id = `${prefix}-${i}`;
    protocols.push({ id, name: `Protocol ${prefix} ${i}`, address: demoProtocolAddress(id), defiLlamaSlug: id, stablecoin: "USDC" });
    operator[id] = { teamReputation: 70 + (i % 30), githubActivity: 20 + ((i * 7) % 150), exploitCount: 0, lastExploitAt: null };
    tvlBySlug.set(id, 50_000_000 * (1 + (i % 40)));
  }
  return { protocols, operator, tvlBySlug };
}

/** Loopback routes serving the portfolio's DefiLlama data with history up to `asOf` (unix s). */
export function defiLlamaRoutes(portfolio: GeneratedPortfolio, asOf: () => number): Record<string, RouteScript> {
  const history = (tvl: number): { date: number; totalLiquidityUSD: number }[] => {
    const today = Math.floor(asOf() / DAY) * DAY;
    return Array.from({ length: 40 }, (_, k) => ({ date: today - (39 - k) * DAY, totalLiquidityUSD: tvl * (0.98 + 0.0005 * k) }));
  };
  return {
    "/protocols": () => ({
      json: [...portfolio.tvlBySlug.entries()].map(([slug, tvl], i) => ({
        id: String(5000 + i),
        slug,
        name: slug,
        tvl,
        audits: "2",
        audit_links: ["https://example.invalid/audit.pdf"],
        listedAt: 1_600_000_000,
      })),
    }),
    "/protocol/*": (request) => {
      const slug = request.path.slice("/protocol/".length);
      const tvl = portfolio.tvlBySlug.get(slug);
      if (tvl === undefined) return { status: 400, body: "Protocol not found", headers: { "content-type": "text/plain; charset=utf-8" } };
      const id = String(5000 + [...portfolio.tvlBySlug.keys()].indexOf(slug));
      // One non-exploit hallmark: the exploit history it yields is a known zero.
      return { json: { id, name: slug, tvl: history(tvl), audits: "2", listedAt: 1_600_000_000, hallmarks: [[1_650_000_000, "Launch on Arbitrum"]] } };
    },
    "/stablecoinprices": () => {
      const today = Math.floor(asOf() / DAY) * DAY;
      return { json: Array.from({ length: 35 }, (_, k) => ({ date: today - (34 - k) * DAY, prices: { "usd-coin": 1 } })) };
    },
  };
}
