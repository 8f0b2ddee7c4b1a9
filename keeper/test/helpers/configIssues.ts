/** The issues of the ConfigError `fn` throws (fails when it throws none or something else). */
import { ConfigError } from "../../src/config";

export function issuesOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error("expected a ConfigError");
}
