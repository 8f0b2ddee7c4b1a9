/**
 * Redaction of secrets that live inside URLs (API keys in paths, webhook tokens, RPC keys).
 * Plumbing every layer may use; imports nothing.
 */

/** Keeps scheme and host; drops credentials, path, query and fragment. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}/<redacted>`;
  } catch {
    return "<invalid url redacted>";
  }
}

/** Removes every trace of `url` (whole, path, query, credentials) from `text`. */
export function scrubSecret(text: string, url: string): string {
  let out = text.split(url).join("<redacted url>");
  try {
    const parsed = new URL(url);
    const secrets = [parsed.pathname + parsed.search, parsed.pathname, parsed.search, parsed.username, parsed.password];
    for (const secret of secrets) {
      if (secret.length > 1) out = out.split(secret).join("<redacted>");
    }
  } catch {
    // not a URL: the whole string was already scrubbed
  }
  return out;
}

/** A database URL with its password replaced by `***` (user, host, port and database stay: they name the server). */
export function redactStateUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    parsed.search = "";
    return parsed.toString();
  } catch {
    return "<invalid url redacted>";
  }
}
