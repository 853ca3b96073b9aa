// Broker URLs: a list of them (one per cluster node), the user and vhost each names, and what
// an error message may show of one (its password never). No imports, so the CLI and the
// agent's settings can check a URL without loading the sessions or amqplib.

/**
 * Where a list of URLs splits: at a comma followed by a scheme (or by nothing). A password may
 * hold a comma (it is allowed unescaped in the user part of a URL), a scheme right after one
 * may not; any scheme counts, so that a wrong one is reported rather than read as a password.
 */
const LIST_SEPARATOR = /\s*,\s*(?=[a-z][a-z0-9+.-]*:\/\/|$)/i;

/**
 * The broker URLs of a setting: an array as given, or a text of one URL or several separated
 * by commas (`amqp://h1:5672,amqp://h2:5672`). Blank entries are left out.
 */
export function parseBrokerUrls(urls: string | readonly string[]): string[] {
  const list = typeof urls === "string" ? urls.trim().split(LIST_SEPARATOR) : [...urls];
  return list.map((u) => u.trim()).filter((u) => u.length > 0);
}

/** The URL (or comma-separated list of URLs) with each password replaced by `***`. */
export function redactUrl(url: string | readonly string[]): string {
  return parseBrokerUrls(url).map(redactOne).join(",");
}

function redactOne(url: string): string {
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
 * What is wrong with a broker URL or list of URLs, as a message that names `source` (e.g.
 * "from --broker") and shows no password; undefined when each is an amqp:// or amqps:// URL.
 * The agent's settings and the CLI both check with this, and throw their own error types.
 */
export function brokerUrlProblem(url: string, source: string): string | undefined {
  const list = parseBrokerUrls(url);
  if (list.length === 0) return `broker URL (${source}) is empty`;
  for (const one of list) {
    let parsed: URL;
    try {
      parsed = new URL(one);
    } catch {
      return `broker URL ${JSON.stringify(redactOne(one))} (${source}) is not a URL`;
    }
    if (parsed.protocol !== "amqp:" && parsed.protocol !== "amqps:") {
      return `broker URL ${redactOne(one)} (${source}) must start with amqp:// or amqps://`;
    }
  }
  return undefined;
}

/** The vhost an AMQP URL names ("/" when none, RabbitMQ's default; "?" when not a URL). */
export function vhostOf(url: string): string {
  try {
    const path = new URL(url).pathname;
    return path.length > 1 ? decodeURIComponent(path.slice(1)) : "/";
  } catch {
    return "?";
  }
}

/** The user an AMQP URL names (amqplib's default "guest" when none; "?" when not a URL). */
export function userOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).username) || "guest";
  } catch {
    return "?";
  }
}

/** Whether any of the URLs carries a password. */
export function hasPassword(urls: string | readonly string[]): boolean {
  return parseBrokerUrls(urls).some((u) => {
    try {
      return new URL(u).password !== "";
    } catch {
      return /^([^@/]*\/\/)?[^@/:]*:[^@/]*@/.test(u);
    }
  });
}

/**
 * The URLs (comma-separated) with `password` as the password of each: a password kept in a
 * file instead of the URL. Each URL must name its user; a problem is thrown as an Error whose
 * message names `source` and shows no password.
 */
export function withPassword(urls: string, password: string, source: string): string {
  return parseBrokerUrls(urls)
    .map((one) => {
      const u = new URL(one);
      if (u.username === "") {
        throw new Error(
          `broker URL ${redactOne(one)} (${source}) names no user for the password of the password file`,
        );
      }
      u.password = encodeURIComponent(password);
      return u.toString().replace(/\/$/, "");
    })
    .join(",");
}

/**
 * Why the URLs cannot be used with TLS required, or with an EXTERNAL login (which needs TLS):
 * a message naming `setting` and the first plain amqp:// URL (no password); undefined when
 * every URL is amqps://.
 */
export function plainUrlProblem(urls: string, setting: string): string | undefined {
  const plain = parseBrokerUrls(urls).find((u) => !/^amqps:/i.test(u));
  return plain === undefined
    ? undefined
    : `${setting} is set, but the broker URL ${redactOne(plain)} is plain amqp://: use amqps:// (TLS)`;
}
