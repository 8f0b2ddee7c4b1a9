import { ethers, network } from "hardhat";

/**
 * Mainnet addresses the fork suite (and the offline replica) use.
 * Nexus Mutual: `@nexusmutual/deployments` 3.4.0, `dist/data/addresses.json` (a devDependency;
 * test/unit/MockNexusMutual/abi.test.ts checks these against it). Tokens: the canonical mainnet contracts.
 */
export const MAINNET = {
  USDC: "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
  USDT: "0xdAC17F958D2ee523a2206206994597C13D831ec7",
  DAI: "0x6B175474E89094C44Da98b954EedeAC495271d0F",
  nexus: {
    cover: "0xcafeac0fF5dA0A2777d915531bfA6B29d282Ee62",
    claims: "0xcafeac11196a5CC352938aEEd545b32d5b9646fa",
    coverNFT: "0xcafeaCa76be547F14D0220482667B42D8E7Bc3eb",
    registry: "0xcafea2c575550512582090AA06d0a069E7236b9e",
    coverProducts: "0xcafead81a2c2508e7344155eB0DA67a3a487AA8d",
    pool: "0xcafea91714e55756C125B509274eDE9Bc91697CB",
    assessments: "0xcafea55aE10FB1bf21F7aF7a285488C42B59a24A",
  },
} as const;

/** Nexus cover asset ids (Pool asset indices) of the fund's stablecoins: USDC 6 (ETH 0 and cbBTC 7 are the others). */
export const NEXUS_COVER_ASSET = { USDC: 6 } as const;
/** DAI's Pool asset index: abandoned in the v3 pool migration, no longer a cover asset. */
export const NEXUS_DAI_ASSET_ID = 1;

/**
 * Large holders tried in order when funding a test account by impersonation. Balances at the
 * pinned block are checked before use; see `fundFromHolder`.
 */
export const HOLDERS: Record<"USDC" | "USDT" | "DAI", readonly string[]> = {
  USDC: ["0x37305B1cD40574E4C5Ce33f8e8306Be057fD7341", "0x28C6c06298d514Db089934071355E5743bf21d60", "0x55FE002aefF02F77364de339a1292923A15844B8"],
  USDT: ["0xF977814e90dA44bFA03b6295A0616a897441aceC", "0x28C6c06298d514Db089934071355E5743bf21d60", "0x5754284f345afc66a98fbB0a0Afe71e0F007B949"],
  DAI: ["0x40ec5B33f54e0E8A33A975908C5BA1c14e5BbbDf", "0x60FaAe176336dAb62e284Fe19B885B095d29fB7F", "0xD1668fB5F690C59Ab4B0CAbAd0f8C1617895052B"],
};

export const FORK_SKIP_LINE =
  "fork suite skipped: MAINNET_RPC_URL is not set (set it to an archive RPC URL to run against mainnet state)";

export function forkEnabled(): boolean {
  return (process.env.MAINNET_RPC_URL ?? "") !== "";
}

export async function rpc(method: string, params: unknown[] = []): Promise<unknown> {
  return network.provider.request({ method, params });
}

/** Runs `body` as `address` (impersonated, with ETH for gas). */
export async function asAccount<T>(address: string, body: (signer: Awaited<ReturnType<typeof ethers.getSigner>>) => Promise<T>): Promise<T> {
  await rpc("hardhat_impersonateAccount", [address]);
  await rpc("hardhat_setBalance", [address, ethers.toQuantity(ethers.parseEther("10"))]);
  try {
    return await body(await ethers.getSigner(address));
  } finally {
    await rpc("hardhat_stopImpersonatingAccount", [address]);
  }
}

const ERC20_ABI = [
  "function balanceOf(address) view returns (uint256)",
  "function transfer(address,uint256)", // no return value: works for USDT too
  "function approve(address,uint256)",
  "function decimals() view returns (uint8)",
];

export function erc20(address: string) {
  return new ethers.Contract(address, ERC20_ABI, ethers.provider);
}

/**
 * Sends `amount` of `token` to `to` from the first candidate holder that has it, impersonated.
 * Returns the holder used; throws when none holds enough at this block.
 */
export async function fundFromHolder(token: keyof typeof HOLDERS, tokenAddress: string, to: string, amount: bigint): Promise<string> {
  const contract = erc20(tokenAddress);
  for (const holder of HOLDERS[token]) {
    const balance = (await contract.getFunction("balanceOf")(holder)) as bigint;
    if (balance < amount) continue;
    await asAccount(holder, async (signer) => {
      await (await contract.connect(signer).getFunction("transfer")(to, amount)).wait();
    });
    return holder;
  }
  throw new Error(`no ${token} holder in HOLDERS has ${amount} at this block; add one`);
}
