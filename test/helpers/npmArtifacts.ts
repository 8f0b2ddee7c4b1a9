/** The npm-artifact deployer lives with the keeper's demo layer (shared by the demo, the bench and the tests). */
export * from "../../keeper/src/demo/npmArtifacts";
