/**
 * The keeper's signer: `KEEPER_PRIVATE_KEY` (env/.env) or an encrypted JSON keystore
 * (`KEEPER_KEYSTORE_PATH`) unlocked with `KEEPER_KEYSTORE_PASSWORD` or the first line of
 * `KEEPER_KEYSTORE_PASSWORD_FILE`. Key material and passwords never reach a log or an error
 * message. Also the start-up check of the chain and contract addresses.
 */
import { readFile, stat } from "node:fs/promises";
import { Wallet, type Provider } from "ethers";
import type { Logger } from "../lib/logger";

export class KeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KeyError";
  }
}

export interface KeySource {
  readonly privateKey?: string;
  readonly keystorePath?: string;
  readonly keystorePassword?: string;
  readonly keystorePasswordFile?: string;
}

/** The signer, or `undefined` when no key is configured (read-only and dry-run use). */
export async function loadSigner(source: KeySource, provider: Provider | null, logger: Logger): Promise<Wallet | undefined> {
  if (source.privateKey !== undefined && source.keystorePath !== undefined) {
    throw new KeyError("both KEEPER_PRIVATE_KEY and KEEPER_KEYSTORE_PATH are set — keep one");
  }
  if (source.privateKey !== undefined) {
    let wallet: Wallet;
    try {
      wallet = new Wallet(source.privateKey, provider);
    } catch {
      throw new KeyError("KEEPER_PRIVATE_KEY is not a valid secp256k1 private key");
    }
    logger.info({ address: wallet.address, from: "KEEPER_PRIVATE_KEY" }, "keeper key loaded");
    return wallet;
  }
  if (source.keystorePath === undefined) return undefined;

  await refuseSharedFile("KEEPER_KEYSTORE_PATH", source.keystorePath);
  const password = await keystorePassword(source);
  let json: string;
  try {
    json = await readFile(source.keystorePath, "utf8");
  } catch (err) {
    throw new KeyError(`KEEPER_KEYSTORE_PATH ${source.keystorePath}: ${fileProblem(err)}`);
  }
  let wallet: Wallet;
  try {
    const decrypted = await Wallet.fromEncryptedJson(json, password);
    wallet = (decrypted instanceof Wallet ? decrypted : new Wallet(decrypted.privateKey)).connect(provider);
  } catch (err) {
    const message = (err as Error).message;
    // ethers says "incorrect password" on a wrong password; anything else is a bad file.
    throw new KeyError(
      /password/i.test(message)
        ? `KEEPER_KEYSTORE_PATH ${source.keystorePath}: wrong password`
        : `KEEPER_KEYSTORE_PATH ${source.keystorePath}: not an encrypted JSON keystore`,
    );
  }
  logger.info({ address: wallet.address, from: "keystore", keystorePath: source.keystorePath }, "keeper key loaded");
  return wallet;
}

async function keystorePassword(source: KeySource): Promise<string> {
  if (source.keystorePassword !== undefined && source.keystorePasswordFile !== undefined) {
    throw new KeyError("both KEEPER_KEYSTORE_PASSWORD and KEEPER_KEYSTORE_PASSWORD_FILE are set — keep one");
  }
  if (source.keystorePassword !== undefined) return source.keystorePassword;
  if (source.keystorePasswordFile === undefined) {
    throw new KeyError("KEEPER_KEYSTORE_PATH is set but no password — set KEEPER_KEYSTORE_PASSWORD or KEEPER_KEYSTORE_PASSWORD_FILE");
  }
  await refuseSharedFile("KEEPER_KEYSTORE_PASSWORD_FILE", source.keystorePasswordFile);
  let text: string;
  try {
    text = await readFile(source.keystorePasswordFile, "utf8");
  } catch (err) {
    throw new KeyError(`KEEPER_KEYSTORE_PASSWORD_FILE ${source.keystorePasswordFile}: ${fileProblem(err)}`);
  }
  const password = text.split(/\r?\n/)[0] ?? "";
  if (password === "") throw new KeyError(`KEEPER_KEYSTORE_PASSWORD_FILE ${source.keystorePasswordFile}: empty`);
  return password;
}

/**
 * Pure: the refusal for a secret file whose mode lets its group or others read or write it (as
 * ssh refuses such a key), naming the `chmod 600` to run; undefined when only the owner has access.
 */
export function sharedFileProblem(label: string, file: string, mode: number): string | undefined {
  const shared = mode & 0o077;
  if (shared === 0) return undefined;
  const who = [(shared & 0o070) !== 0 ? "group" : undefined, (shared & 0o007) !== 0 ? "others" : undefined].filter((w) => w !== undefined).join(" and ");
  return `${label} ${file}: accessible by ${who} (mode ${(mode & 0o777).toString(8).padStart(4, "0")}) — a secret must be readable by its owner only: run \`chmod 600 ${file}\``;
}

/** Throws when a secret file is open to group/others (POSIX only; a missing file is left to the read). */
async function refuseSharedFile(label: string, file: string): Promise<void> {
  if (process.platform === "win32") return;
  let mode: number;
  try {
    mode = (await stat(file)).mode;
  } catch {
    return;
  }
  const problem = sharedFileProblem(label, file, mode);
  if (problem !== undefined) throw new KeyError(problem);
}

function fileProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES") return "permission denied";
  if (code === "EISDIR") return "is a directory";
  return "cannot be read";
}

export class StartupCheckError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`keeper start-up checks failed:\n  ${problems.join("\n  ")}`);
    this.name = "StartupCheckError";
  }
}

/**
 * Checks the RPC's chain id and that the configured contracts have code there. Throws one
 * `StartupCheckError` listing every problem, e.g. "FUND_ADDRESS 0x… has no code on chain 11155111".
 */
export async function verifyChain(input: {
  provider: Provider;
  chainId?: number;
  fund?: string;
  lens?: string;
  /** Extra addresses to check, by the env var name the operator would fix. */
  contracts?: Readonly<Record<string, string>>;
}): Promise<{ chainId: number }> {
  const network = await input.provider.getNetwork();
  const actual = Number(network.chainId);
  if (input.chainId !== undefined && actual !== input.chainId) {
    throw new StartupCheckError([`the RPC is on chain ${actual}, but CHAIN_ID / chain.chainId says ${input.chainId}`]);
  }
  const targets: [string, string][] = [
    ...(input.fund !== undefined ? [["FUND_ADDRESS", input.fund] as [string, string]] : []),
    ...(input.lens !== undefined ? [["LENS_ADDRESS", input.lens] as [string, string]] : []),
    ...Object.entries(input.contracts ?? {}),
  ];
  const problems: string[] = [];
  const codes = await Promise.all(targets.map(([, address]) => input.provider.getCode(address)));
  targets.forEach(([name, address], i) => {
    if (codes[i] === "0x") problems.push(`${name} ${address} has no code on chain ${actual}`);
  });
  if (problems.length > 0) throw new StartupCheckError(problems);
  return { chainId: actual };
}
