export * from "./multicall";
export * from "./readers";
export * from "./positionReader";
export * from "./fromConfig";
export * from "./aaveLendingState";
export * from "./uniswapV3Reader";
export * from "./incidentLoss";
export * from "./cometLendingState";
