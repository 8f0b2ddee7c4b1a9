/** Default public endpoints of the data sources; the config module fills them in, tests override them. */

/** Public DefiLlama endpoints, the config module's defaults. */
export const DEFILLAMA_DEFAULT_URLS = {
  apiBaseUrl: "https://api.llama.fi",
  stablecoinsBaseUrl: "https://stablecoins.llama.fi",
} as const;

/** DefiLlama's Pro API; the hacks feed lives at `{base}/{key}/api/hacks`. */
export const DEFILLAMA_PRO_API_BASE_URL = "https://pro-api.llama.fi";
