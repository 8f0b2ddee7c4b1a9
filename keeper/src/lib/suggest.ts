/** "Did you mean": the nearest valid name to a misspelt one. Pure; imports nothing. */

/** Levenshtein distance (insert, delete, substitute: 1 each), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= t.length; j += 1) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[t.length] ?? 0;
}

/**
 * The valid name closest to `wrong`, or undefined when none is close enough to be a typo
 * (distance at most a third of the longer name, at least 2; a case-only difference always counts).
 */
export function nearestName(wrong: string, valid: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of valid) {
    const distance = editDistance(wrong, name);
    if (best === undefined || distance < best.distance) best = { name, distance };
  }
  if (best === undefined) return undefined;
  const limit = Math.max(2, Math.floor(Math.max(wrong.length, best.name.length) / 3));
  return best.distance <= limit ? best.name : undefined;
}
