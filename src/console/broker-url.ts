// What error messages may say about a broker URL: its password never, its user and vhost
// plainly. No imports, so the CLI can use it without loading the SDK.

/** The URL with its password replaced by `***`, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString().replace(/\/$/, "");
  } catch {
    return "<unparsable URL>";
  }
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
