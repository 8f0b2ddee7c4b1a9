/**
 * JSON with comments (the format `keeper init` writes): `//` line and `/* *\/` block comments are
 * blanked out (newlines kept, so JSON.parse positions still point at the right line), strings are
 * left untouched. Trailing commas are not accepted: the result must be plain JSON.
 */
export function stripJsonComments(text: string): string {
  let out = "";
  let i = 0;
  let inString = false;
  while (i < text.length) {
    const ch = text[i] as string;
    const next = text[i + 1];
    if (inString) {
      out += ch;
      if (ch === "\\" && next !== undefined) {
        out += next;
        i += 2;
        continue;
      }
      if (ch === '"') inString = false;
      i += 1;
      continue;
    }
    if (ch === '"') {
      inString = true;
      out += ch;
      i += 1;
    } else if (ch === "/" && next === "/") {
      while (i < text.length && text[i] !== "\n") {
        out += " ";
        i += 1;
      }
    } else if (ch === "/" && next === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end === -1 ? text.length : end + 2;
      for (; i < stop; i += 1) out += text[i] === "\n" ? "\n" : " ";
    } else {
      out += ch;
      i += 1;
    }
  }
  return out;
}

/** A JSONC syntax error with the line and column (1-based) it points at. */
export class JsoncSyntaxError extends SyntaxError {
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`line ${line}, column ${column}: ${reason}`);
    this.name = "JsoncSyntaxError";
  }
}

/** 1-based line and column of a character offset in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split("\n");
  return { line: lines.length, column: (lines[lines.length - 1] ?? "").length + 1 };
}

/**
 * Parses JSON that may carry comments. A syntax error is a JsoncSyntaxError naming the line and
 * column (comments are blanked character for character, so JSON.parse's offset is the file's).
 */
export function parseJsonc(text: string): unknown {
  const stripped = stripJsonComments(text);
  try {
    return JSON.parse(stripped);
  } catch (err) {
    const message = (err as Error).message;
    const position = /at position (\d+)/.exec(message)?.[1];
    // "Unexpected end of JSON input" has no position: the end of the text is where it broke.
    const offset = position !== undefined ? Number(position) : stripped.trimEnd().length;
    const { line, column } = lineAndColumn(text, offset);
    throw new JsoncSyntaxError(message.replace(/ in JSON at position \d+/, "").replace(/ \(line \d+ column \d+\)/, ""), line, column);
  }
}
