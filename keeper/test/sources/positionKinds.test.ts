/**
 * The aave-v2, yearn-v2 and uniswap-v3 readers without a chain: a scripted Multicall3 answers each
 * call of the one `aggregate3` from a table (target + function → result or revert), so decoding,
 * the rounds a reader needs, and "a failed read keeps the last value with its age, never 0" are
 * tested call by call.
 */
import { expect } from "chai";
import { AbiCoder, Interface, Wallet, getAddress } from "ethers";
import {
  AAVE_V2_POOL_READ,
  ChainPositionReader,
  MULTICALL3,
  UNISWAP_V3_FACTORY_READ,
  UNISWAP_V3_NPM_READ,
  UNISWAP_V3_POOL_READ,
  YEARN_V2_READ,
  feeGrowthInside,
  valueInAsset,
  type PositionRead,
} from "../../src/sources/positions";
import { Q96, amountsForLiquidity } from "../../src/policy/uniswapV3Position";

const coder = AbiCoder.defaultAbiCoder();
const addr = (): string => getAddress(Wallet.createRandom().address);
type Answer = string | Error | ((args: readonly unknown[]) => string | Error);

/** A fake RPC whose Multicall3 answers from `table[target:selector]`; counts eth_calls; `block` advances by `tick()`. */
function scriptedChain() {
  const table = new Map<string, Answer>();
  const ifaces: Interface[] = [UNISWAP_V3_NPM_READ, UNISWAP_V3_POOL_READ, UNISWAP_V3_FACTORY_READ, YEARN_V2_READ, AAVE_V2_POOL_READ, new Interface(["function decimals() view returns (uint8)"])];
  const chain = {
    calls: 0,
    batches: [] as number[],
    block: 100,
    time: 1_000_000,
    down: false,
    set(target: string, fn: string, answer: Answer): void {
      const selector = ifaces.map((i) => i.getFunction(fn)).find((f) => f !== null)?.selector;
      if (selector === undefined) throw new Error(`unknown function ${fn}`);
      table.set(`${target.toLowerCase()}:${selector}`, answer);
    },
    tick(seconds = 12): void {
      chain.block += 1;
      chain.time += seconds;
    },
    async call(tx: { to: string; data: string; blockTag?: number | string }): Promise<string> {
      chain.calls += 1;
      if (chain.down) throw new Error("ECONNREFUSED");
      const [calls] = MULTICALL3.decodeFunctionData("aggregate3", tx.data) as unknown as [readonly { target: string; callData: string }[]];
      chain.batches.push(calls.length - 2);
      const results = calls.map((c, i) => {
        if (i === 0) return { success: true, returnData: coder.encode(["uint256"], [typeof tx.blockTag === "number" ? tx.blockTag : chain.block]) };
        if (i === 1) return { success: true, returnData: coder.encode(["uint256"], [chain.time]) };
        const answer = table.get(`${c.target.toLowerCase()}:${c.callData.slice(0, 10)}`);
        if (answer === undefined) return { success: false, returnData: "0x" };
        let out: string | Error = answer as string | Error;
        if (typeof answer === "function") {
          const fn = ifaces.map((f) => f.getFunction(c.callData.slice(0, 10))).find((f) => f !== null);
          const args = fn === undefined || fn === null ? [] : [...coder.decode(fn.inputs, `0x${c.callData.slice(10)}`)];
          out = answer(args);
        }
        return out instanceof Error ? { success: false, returnData: "0x08c379a0" } : { success: true, returnData: out };
      });
      return MULTICALL3.encodeFunctionResult("aggregate3", [results]);
    },
  };
  return chain;
}
const uint = (v: bigint | number): string => coder.encode(["uint256"], [v]);

describe("position kinds aave-v2, yearn-v2, uniswap-v3: decoding and failures (scripted Multicall3)", () => {
  const holder = addr();

  it("aave-v2: aToken.balanceOf (the index already applied) in one call; a revert keeps the last value with its age", async () => {
    const chain = scriptedChain();
    const aToken = addr();
    chain.set(aToken, "balanceOf", uint(1_050_000_000n));
    const reader = new ChainPositionReader({ caller: chain });
    const r: PositionRead = { id: "radiant", spec: { kind: "aave-v2", aToken, holder } };
    const first = await reader.read({ positions: [r], balances: [] });
    expect(first.positions.get("radiant")).to.deep.include({ status: "fresh" });
    expect(first.positions.get("radiant")?.last?.value).to.equal(1_050_000_000n);
    expect(chain.batches).to.deep.equal([1]);
    chain.set(aToken, "balanceOf", new Error("paused"));
    chain.tick(60);
    const second = await reader.read({ positions: [r], balances: [] });
    const p = second.positions.get("radiant");
    expect(p?.status).to.equal("stale");
    expect(p?.last?.value).to.equal(1_050_000_000n);
    expect(p?.ageSec).to.equal(60);
    expect(p?.error).to.match(/aave-v2 balanceOf reverted/);
  });

  it("aave-v2: the v2 getReserveData layout decodes (uint8 id last, no v3 fields)", () => {
    const aToken = addr();
    const data = AAVE_V2_POOL_READ.encodeFunctionResult("getReserveData", [[[0n], 10n ** 27n + 5n, 10n ** 27n, 1n, 2n, 3n, 1_700_000_000n, aToken, addr(), addr(), addr(), 7n]]);
    const [decoded] = AAVE_V2_POOL_READ.decodeFunctionResult("getReserveData", data);
    expect((decoded as { aTokenAddress: string }).aTokenAddress).to.equal(aToken);
    expect((decoded as { liquidityIndex: bigint }).liquidityIndex).to.equal(10n ** 27n + 5n);
    expect((decoded as { id: bigint }).id).to.equal(7n);
    expect((data.length - 2) / 2).to.equal(12 * 32);
  });

  it("yearn-v2: balanceOf × pricePerShare / 10^decimals, three calls in one batch; a pps revert keeps the last value", async () => {
    const chain = scriptedChain();
    const vault = addr();
    chain.set(vault, "balanceOf", uint(3n * 10n ** 6n));
    chain.set(vault, "pricePerShare", uint(1_123_456n));
    chain.set(vault, "decimals", uint(6));
    const reader = new ChainPositionReader({ caller: chain });
    const r: PositionRead = { id: "yv", spec: { kind: "yearn-v2", vault, holder } };
    const first = await reader.read({ positions: [r], balances: [] });
    expect(first.positions.get("yv")?.last?.value).to.equal(3_370_368n);
    expect(first.positions.get("yv")?.shares).to.equal(3n * 10n ** 6n);
    expect(first.rpcCalls).to.equal(1);
    expect(chain.batches).to.deep.equal([3]);
    chain.set(vault, "pricePerShare", new Error("reverted"));
    chain.tick(30);
    const second = (await reader.read({ positions: [r], balances: [] })).positions.get("yv");
    expect(second?.status).to.equal("stale");
    expect(second?.last?.value).to.equal(3_370_368n);
    expect(second?.ageSec).to.equal(30);
    expect(second?.error).to.match(/pricePerShare reverted/);
    // A non-contract (no data) never becomes a value.
    const empty = new ChainPositionReader({ caller: chain });
    const none = (await empty.read({ positions: [{ id: "x", spec: { kind: "yearn-v2", vault: addr(), holder } }], balances: [] })).positions.get("x");
    expect(none?.status).to.equal("unknown");
    expect(none?.last).to.equal(undefined);
  });

  describe("uniswap-v3", () => {
    const npm = addr();
    const factory = addr();
    const pool = addr();
    const usdc = "0x1000000000000000000000000000000000000001";
    const dai = "0x2000000000000000000000000000000000000002";
    const sqrtP = (Q96 * 10n ** 6n) / 1n; // 1e12 token1 (DAI, 18) per token0 (USDC, 6): $1 (√1e12 = 1e6)
    const Q128 = 2n ** 128n;
    function world(options: { enumerate?: boolean } = {}) {
      const chain = scriptedChain();
      const ids = [7n, 9n];
      const liquidity = 10n ** 15n;
      chain.set(npm, "factory", coder.encode(["address"], [factory]));
      chain.set(npm, "balanceOf", uint(ids.length));
      chain.set(npm, "tokenOfOwnerByIndex", (args) => uint(ids[Number(args[1] as bigint)] ?? 0n));
      chain.set(npm, "positions", (args) =>
        UNISWAP_V3_NPM_READ.encodeFunctionResult("positions", [0n, addr(), usdc, dai, 100, -10, 10, args[0] === 7n ? liquidity : 0n, 0n, 0n, args[0] === 7n ? 5n : 0n, 0n]),
      );
      chain.set(factory, "getPool", coder.encode(["address"], [pool]));
      chain.set(usdc, "decimals", uint(6));
      chain.set(dai, "decimals", uint(18));
      chain.set(pool, "slot0", UNISWAP_V3_POOL_READ.encodeFunctionResult("slot0", [sqrtP, 0, 0, 1, 1, 0, true]));
      chain.set(pool, "feeGrowthGlobal0X128", uint(3n * Q128));
      chain.set(pool, "feeGrowthGlobal1X128", uint(0n));
      chain.set(pool, "ticks", () => UNISWAP_V3_POOL_READ.encodeFunctionResult("ticks", [1n, 0n, 0n, 0n, 0n, 0n, 0n, true]));
      const spec = { kind: "uniswap-v3" as const, positionManager: npm, holder, asset: usdc, pricing: "par" as const, ...(options.enumerate === true ? {} : { tokenIds: ids }) };
      return { chain, spec, liquidity };
    }
    const expected = (liquidity: bigint): bigint => {
      const p = amountsForLiquidity(sqrtP, -10, 10, liquidity);
      // fees: tokensOwed0 5 + liquidity × 3 (all growth inside: current tick 0 in [-10, 10), outside 0)
      return p.amount0 + 5n + liquidity * 3n + p.amount1 / 10n ** 12n;
    };

    it("configured ids: learns factory → pool + decimals → value (3 batches), then ONE batch per tick; principal + fees at par", async () => {
      const { chain, spec, liquidity } = world();
      const reader = new ChainPositionReader({ caller: chain });
      const r: PositionRead = { id: "uni", spec };
      const first = await reader.read({ positions: [r], balances: [] });
      expect(first.positions.get("uni")?.status).to.equal("fresh");
      expect(first.positions.get("uni")?.last?.value).to.equal(expected(liquidity));
      expect(first.rpcCalls).to.equal(3);
      chain.tick();
      const steady = await reader.read({ positions: [r], balances: [] });
      expect(steady.rpcCalls).to.equal(1);
      expect(steady.positions.get("uni")?.last?.value).to.equal(expected(liquidity));
      // positions×2, slot0, feeGrowthGlobal0/1, ticks(-10), ticks(10): pool reads once for both ids
      expect(chain.batches.at(-1)).to.equal(7);
    });

    it("enumerated ids (no tokenIds): balanceOf + tokenOfOwnerByIndex ride in the steady batch; a slot0 revert keeps the last value, never 0", async () => {
      const { chain, spec, liquidity } = world({ enumerate: true });
      const reader = new ChainPositionReader({ caller: chain });
      const r: PositionRead = { id: "uni", spec };
      const first = await reader.read({ positions: [r], balances: [] });
      expect(first.positions.get("uni")?.last?.value).to.equal(expected(liquidity));
      expect(first.rpcCalls).to.equal(5);
      chain.tick();
      expect((await reader.read({ positions: [r], balances: [] })).rpcCalls).to.equal(1);
      chain.set(pool, "slot0", new Error("down"));
      chain.tick(24);
      const failed = (await reader.read({ positions: [r], balances: [] })).positions.get("uni");
      expect(failed?.status).to.equal("stale");
      expect(failed?.last?.value).to.equal(expected(liquidity));
      expect(failed?.ageSec).to.equal(24);
      expect(failed?.error).to.match(/slot0 reverted/);
    });

    it("a configured id outside the covered asset's pools is refused by name; a burned id fails without a value", async () => {
      const { chain, spec } = world();
      const reader = new ChainPositionReader({ caller: chain });
      const other = (await reader.read({ positions: [{ id: "u", spec: { ...spec, asset: addr() } }], balances: [] })).positions.get("u");
      expect(other?.status).to.equal("unknown");
      expect(other?.error).to.match(/does not hold the covered asset/);
      chain.set(npm, "positions", new Error("Invalid token ID"));
      const burned = (await new ChainPositionReader({ caller: chain }).read({ positions: [{ id: "b", spec }], balances: [] })).positions.get("b");
      expect(burned?.status).to.equal("unknown");
      expect(burned?.error).to.match(/burned token id/);
    });

    it("feeGrowthInside follows Tick.getFeeGrowthInside below, inside and above the range (mod 2^256)", () => {
      const g = 1000n;
      expect(feeGrowthInside(0, -10, 10, g, 100n, 200n)).to.equal(g - 100n - 200n);
      // below the range: below = global − lowerOutside = 900, above = upperOutside = 200 → 1000 − 900 − 200 wraps
      expect(feeGrowthInside(-20, -10, 10, g, 100n, 200n)).to.equal(2n ** 256n - 100n);
      expect(feeGrowthInside(20, -10, 10, g, 100n, 200n)).to.equal(g - 100n - (g - 200n));
    });

    it("valueInAsset: par scales by decimals; pool price converts at sqrtPriceX96² / 2^192", () => {
      // USDC (6) token0, DAI (18) token1, $1: 1e12 DAI units per USDC unit.
      expect(valueInAsset(0, 5n * 10n ** 6n, 2n * 10n ** 18n, 6, 18, sqrtP, "par")).to.equal(7n * 10n ** 6n);
      expect(valueInAsset(0, 5n * 10n ** 6n, 2n * 10n ** 18n, 6, 18, sqrtP, "pool")).to.equal(7n * 10n ** 6n);
      expect(valueInAsset(1, 5n * 10n ** 6n, 2n * 10n ** 18n, 6, 18, sqrtP, "par")).to.equal(7n * 10n ** 18n);
      // ETH (18) token0 at 3,000 USDC (6) token1: price 3000e6/1e18 token1 units per token0 unit.
      const sqrtEth = BigInt(Math.round(Math.sqrt(3000e6 / 1e18) * 2 ** 48)) * 2n ** 48n;
      const v = valueInAsset(1, 10n ** 18n, 0n, 18, 6, sqrtEth, "pool");
      expect(Number(v) / 1e6).to.be.closeTo(3000, 0.01);
    });
  });
});
