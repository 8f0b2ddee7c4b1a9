/** Recording stand-ins for the HTTP client's injected dependencies. */
import type { HttpClientDeps, Logger } from "../../src/sources/http";

export interface LogEntry {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly obj: Record<string, unknown>;
  readonly msg: string | undefined;
}

export interface RecordingLogger extends Logger {
  readonly entries: LogEntry[];
}

export function recordingLogger(): RecordingLogger {
  const entries: LogEntry[] = [];
  const at =
    (level: LogEntry["level"]) =>
    (obj: object, msg?: string): void => {
      entries.push({ level, obj: obj as Record<string, unknown>, msg });
    };
  return { entries, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

export interface TestDeps extends HttpClientDeps {
  readonly logger: RecordingLogger;
  /** Every delay the client asked to sleep, ms (sleeps return at once). */
  readonly sleeps: number[];
}

export function testDeps(overrides: Partial<HttpClientDeps> = {}): TestDeps {
  const sleeps: number[] = [];
  return {
    logger: recordingLogger(),
    sleeps,
    sleep: async (ms: number) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    nowMs: () => 1_800_000_000_000,
    ...overrides,
  } as TestDeps;
}
