// How a user names an object on the command line or in a script: a name, a UUID,
// `host/name`, or an object id (`<agent name>/<object name>`). Parsing only; the fleet does
// the lookups.

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `s` has the canonical 8-4-4-4-12 UUID shape. */
export function looksLikeUuid(s: string): boolean {
  return UUID_RE.test(s);
}

/** A reference, split into what it may mean. */
export interface ParsedRef {
  /** The reference as given. */
  text: string;
  /** The part before the first `/`, when there is one: a host or an agent name. */
  scope?: string;
  /** The part after the first `/` (or all of it): a name, UUID or object name. */
  key: string;
}

/** Splits a reference at its first `/` (names in libvirt may contain `/` only after it). */
export function parseRef(text: string): ParsedRef {
  const slash = text.indexOf("/");
  if (slash > 0 && slash < text.length - 1) {
    return { text, scope: text.slice(0, slash), key: text.slice(slash + 1) };
  }
  return { text, key: text };
}
