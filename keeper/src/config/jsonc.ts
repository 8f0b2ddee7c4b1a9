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

/** Parses JSON that may carry comments. */
export function parseJsonc(text: string): unknown {
  return JSON.parse(stripJsonComments(text));
}
