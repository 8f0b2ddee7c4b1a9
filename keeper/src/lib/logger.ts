/**
 * The keeper's structured logger (plumbing every layer may use; imports nothing above `lib/`): pino, JSON to stderr by default (stdout stays free for
 * `--json` output), human-readable with `--log-pretty` (pino-pretty, synchronous stream).
 * Secrets are redacted by path wherever they appear in a logged object.
 */
import pino from "pino";
import pretty from "pino-pretty";

/**
 * The one logger shape every keeper module takes: `logger.warn({ field }, "message")`.
 * pino loggers satisfy it; so do the recording loggers of the tests.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A logger that drops everything (for callers that do not care). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";

export interface LoggerOptions {
  readonly level?: LogLevel;
  /** Human-readable, colourised lines instead of JSON. */
  readonly pretty?: boolean;
  /** Where to write (default stderr). */
  readonly destination?: NodeJS.WritableStream;
  /** Name shown in every line. */
  readonly name?: string;
}

const SECRET_KEYS = [
  "privateKey",
  "KEEPER_PRIVATE_KEY",
  "key",
  "secret",
  "password",
  "webhookUrl",
  "webhook_url",
  "ALERT_WEBHOOK_URL",
  "authorization",
  "apiKey",
];

/** pino redaction paths: each secret key at the top level and up to three levels deep. */
export const REDACT_PATHS: readonly string[] = SECRET_KEYS.flatMap((key) => [
  key,
  `*.${key}`,
  `*.*.${key}`,
  `*.*.*.${key}`,
]);

export function createLogger(options: LoggerOptions = {}): pino.Logger {
  const base: pino.LoggerOptions = {
    name: options.name ?? "keeper",
    level: options.level ?? "info",
    redact: { paths: [...REDACT_PATHS], censor: "<redacted>" },
  };
  if (options.pretty === true) {
    const stream = pretty({
      colorize: true,
      translateTime: "SYS:HH:MM:ss.l",
      ignore: "pid,hostname",
      destination: options.destination ?? process.stderr,
      sync: true,
    });
    return pino(base, stream);
  }
  return pino(base, options.destination ?? pino.destination({ fd: 2, sync: true }));
}
