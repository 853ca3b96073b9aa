// What error messages may say about a broker URL: its password never, its user and vhost
// plainly. No imports, so the CLI can use it without loading the SDK.

/** The URL with its password replaced by `***`, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) {
      u.password = "***";
      return u.toString().replace(/\/$/, "");
    }
  } catch {
    // Not a URL: handled below.
  }
  // No password the URL parser saw, yet the text may still hold `user:password@` (a string
  // that is not a URL, or "user:pw@host", which parses as scheme "user:"): mask that much and
  // show the rest, which is what the user needs to see to find the mistake.
  return url.replace(/^([^@/]*\/\/)?([^@/:]*):[^@/]*@/, "$1$2:***@");
}

/**
 * What is wrong with a broker URL, as a message that names `source` (e.g. "from --broker")
 * and shows no password; undefined for an amqp:// or amqps:// URL. The agent's settings and
 * the CLI both check with this, and throw their own error types.
 */
export function brokerUrlProblem(url: string, source: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `broker URL ${JSON.stringify(redactUrl(url))} (${source}) is not a URL`;
  }
  if (parsed.protocol !== "amqp:" && parsed.protocol !== "amqps:") {
    return `broker URL ${redactUrl(url)} (${source}) must start with amqp:// or amqps://`;
  }
  return undefined;
}

/** The vhost an AMQP URL names ("/" when none). */
export function vhostOf(url: string): string {
  try {
    const path = new URL(url).pathname;
    return path.length > 1 ? decodeURIComponent(path.slice(1)) : "/";
  } catch {
    return "?";
  }
}

/** The user an AMQP URL names (amqplib's default "guest" when none). */
export function userOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).username) || "guest";
  } catch {
    return "?";
  }
}
