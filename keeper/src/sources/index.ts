/** Risk data sources: one import for the composition root. */
export * from "./types";
export { JsonHttpClient, silentLogger, describeHttpError } from "./http";
export type { Logger, HttpClientConfig, HttpClientDeps, HttpResult, HttpError, HttpMeta } from "./http";
export * from "./defiLlamaSource";
export * from "./hacksFeedSource";
export * from "./configSource";
export * from "./chainDeploymentSource";
export * from "./fixtureSource";
export * from "./compositeSource";
