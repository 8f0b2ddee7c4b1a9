/**
 * Where the repository is, from source (`keeper/src/...` under ts-node) and from the compiled
 * output (`dist/keeper/src/...`) alike: the nearest directory above this file that holds the
 * project's package.json. Plumbing every layer may use; imports only node built-ins.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

const PACKAGE_NAME = "stablecoin-insurance-fund";

function findRepoRoot(start: string): string {
  let dir = start;
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === PACKAGE_NAME) return dir;
      } catch {
        // not ours or unreadable: keep walking up
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no ${PACKAGE_NAME} package.json above ${start}`);
    dir = parent;
  }
}

/** The repository root (holds package.json, node_modules, keeper/, deploy/). */
export const REPO_ROOT = findRepoRoot(__dirname);
