/** Token amounts for people: base units → "12,345.67 USDC" (exact, no float rounding). */
import { formatUnits } from "ethers";

export function formatTokenAmount(amount: bigint, decimals: number, symbol: string, maxFractionDigits = 6): string {
  const negative = amount < 0n;
  const text = formatUnits(negative ? -amount : amount, decimals);
  const [whole = "0", fraction = ""] = text.split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const trimmed = fraction.slice(0, maxFractionDigits).replace(/0+$/, "");
  return `${negative ? "-" : ""}${grouped}${trimmed === "" ? "" : `.${trimmed}`} ${symbol}`;
}

/** Wei → "0.05 ETH". */
export function formatEth(wei: bigint): string {
  return formatTokenAmount(wei, 18, "ETH");
}
