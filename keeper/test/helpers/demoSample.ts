/**
 * docs/demo.md's "Sample output" block against a real `npm run demo` run: what varies from run to
 * run (wall times, ports, pids, temp dirs, chain timestamps, durations, hashes) is normalised away;
 * everything else (stages, amounts, scores, counts, the report) must match. `UPDATE_DEMO_DOC=1`
 * rewrites the block from the run instead of failing.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export const DEMO_DOC = path.resolve(__dirname, "..", "..", "..", "docs", "demo.md");
const HEADING = "## Sample output";

/** The fenced block under "## Sample output" and where it sits in the text. */
export function sampleBlock(markdown: string): { block: string; start: number; end: number } {
  const heading = markdown.indexOf(HEADING);
  if (heading === -1) throw new Error(`docs/demo.md has no "${HEADING}" section`);
  const open = markdown.indexOf("```\n", heading);
  const start = open + 4;
  const end = markdown.indexOf("\n```", start);
  if (open === -1 || end === -1) throw new Error(`docs/demo.md: no fenced block under "${HEADING}"`);
  return { block: markdown.slice(start, end), start, end };
}

export function replaceSampleBlock(markdown: string, block: string): string {
  const { start, end } = sampleBlock(markdown);
  return `${markdown.slice(0, start)}${block.trimEnd()}${markdown.slice(end)}`;
}

/** What differs between two runs of the same demo, replaced by placeholders. */
export function normaliseDemoOutput(text: string): string {
  return text
    .split("\n")
    .map((line) => line.trimEnd())
    .filter((line) => line !== "")
    .map((line) =>
      line
        .replace(/^\[demo +\+[\d.]+s\]/, "[demo +<wall>s]")
        .replace(/\/tmp\/sif-embedded-[A-Za-z0-9]+/g, "<tmp>")
        .replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:<port>")
        .replace(/\(pid \d+\)/g, "(pid <pid>)")
        .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "<time>")
        .replace(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/g, "<time>")
        .replace(/\b\d{4}-\d\d-\d\d\b/g, "<date>")
        .replace(/\(\d+ ms\)/g, "(<ms> ms)")
        .replace(/\b1[7-9]\d{8}\b/g, "<t>")
        .replace(/0x[0-9a-fA-F]{64}\b/g, "<hash>")
        .replace(/0x[0-9a-fA-F]{16}…/g, "<hash>…")
        .replace(/\bblock \d+\b/g, "block <n>")
        .replace(/at blocks? \d+/g, "at block <n>")
        .replace(/in [\d.]+ s wall time/, "in <wall> s wall time"),
    )
    .join("\n");
}

/** The doc's sample, normalised. */
export function documentedSample(): string {
  return normaliseDemoOutput(sampleBlock(readFileSync(DEMO_DOC, "utf8")).block);
}

/** Rewrites the doc's sample from a real run (UPDATE_DEMO_DOC=1). */
export function updateDocumentedSample(realStdout: string): void {
  writeFileSync(DEMO_DOC, replaceSampleBlock(readFileSync(DEMO_DOC, "utf8"), realStdout));
}
