import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";

/**
 * Every shell command the README shows must be exercised somewhere: by a test (which must mention
 * the command) or by `.ci/run`. A command added to the README without a witness fails here.
 */
const ROOT = path.resolve(__dirname, "..", "..");

interface Witness {
  /** Files that exercise the command (test files, .ci/run, or the entry the test spawns). */
  readonly files: readonly string[];
  /** A token each file must contain, proving it is about this command. */
  readonly token: string;
}

const WITNESSES: Record<string, Witness> = {
  // `.ci/run` installs with `npm ci`; the e2e test spawns the demo's entry (what `npm run demo` runs).
  "npm install && npm run demo": { files: ["keeper/test/e2e/demo.test.ts"], token: '"demo.ts"' },
  "npm test": { files: [".ci/run"], token: "npm test" },
  // The browser test spawns the demo's entry with --keep-open and loads the dashboard it keeps open.
  "npm run demo -- --keep-open": { files: ["keeper/test/e2e/dashboard.test.ts"], token: '"--keep-open"' },
  // .ci/run builds before the tests; the compiled-keeper test runs dist/ through the launcher.
  "npm run build": { files: [".ci/run", "keeper/test/e2e/compiled.test.ts"], token: "npm run build" },
  "npm run keeper -- score --all": { files: ["keeper/test/integration/coverageClaims.test.ts"], token: '"score", "--all"' },
  "npm run keeper -- push-risk --dry-run": { files: ["keeper/test/integration/coverageClaims.test.ts"], token: '"push-risk", "--dry-run"' },
  "npm run keeper -- run": { files: ["keeper/test/integration/daemon.test.ts"], token: '["run"]' },
  "npm run keeper -- once": { files: ["keeper/test/integration/coverageClaims.test.ts"], token: '"once", "--dry-run"' },
  "npm run keeper -- report": { files: ["keeper/test/integration/coverageClaims.test.ts"], token: 'run("report")' },
  "npm run keeper -- status": { files: ["keeper/test/integration/coverageClaims.test.ts"], token: '"status"' },
  "npm run keeper -- incident add --protocol aave-v3 --tx 0x…": {
    files: ["keeper/test/integration/coverageClaims.test.ts"],
    token: '"incident", "add", "--protocol", "aave-v3", "--tx"',
  },
  "npm run keeper -- incident confirm 1": { files: ["keeper/test/integration/incidentClaims.test.ts"], token: '"incident", "confirm"' },
  "npm run keeper -- incident dismiss 1": { files: ["keeper/test/integration/incidentClaims.test.ts"], token: '"incident", "dismiss"' },
  "npm run keeper -- claim file --incident 1 --position <id> --amount 30000": {
    files: ["keeper/test/integration/realAaveClaims.test.ts"],
    token: '"claim", "file", "--incident"',
  },
  // `npm run node` + `npm run deploy:local` = `hardhat node` + `hardhat run --network localhost
  // scripts/deploy.ts`: exactly what the embedded chain of the demo/start tests does.
  "npm run node": { files: ["keeper/src/cli/embedded.ts", "test/deploy/childProcess.ts"], token: '"node"' },
  "npm run deploy:local": { files: ["keeper/src/cli/embedded.ts"], token: '"run", "--network", "localhost", "scripts/deploy.ts"' },
  // Needs an archive RPC: offline, the same test bodies run against the mainnet replica.
  "MAINNET_RPC_URL=https://your-archive-node npm test": { files: ["test/fork/mainnet.test.ts"], token: "MAINNET_RPC_URL" },
};

/** The command lines of the README's ```sh blocks, comments stripped. */
function readmeCommands(): string[] {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const commands: string[] = [];
  for (const block of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of (block[1] ?? "").split("\n")) {
      const command = line.replace(/\s+#.*$/, "").trim();
      if (command !== "") commands.push(command);
    }
  }
  return commands;
}

describe("README commands", () => {
  it("every command shown in the README has a witness that exercises it", () => {
    const commands = readmeCommands();
    expect(commands.length).to.be.greaterThan(5);
    const unwitnessed = commands.filter((c) => WITNESSES[c] === undefined);
    expect(unwitnessed, "add a test for these README commands and list it in WITNESSES").to.deep.equal([]);
  });

  it("each witness file exists and mentions its command", () => {
    for (const [command, witness] of Object.entries(WITNESSES)) {
      for (const file of witness.files) {
        const text = fs.readFileSync(path.join(ROOT, file), "utf8");
        expect(text.includes(witness.token), `${file} should exercise \`${command}\` (token ${witness.token})`).to.equal(true);
      }
    }
  });

  it("every npm script the README names exists in package.json", () => {
    const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const named = [...readme.matchAll(/npm run ([a-z:]+)/g)].map((m) => m[1]!);
    expect(named.filter((n) => scripts[n] === undefined)).to.deep.equal([]);
  });
});
