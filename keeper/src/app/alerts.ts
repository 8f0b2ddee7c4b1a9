/** Kept for existing imports: alert delivery lives in ./alerting. */
export * from "./alerting";
