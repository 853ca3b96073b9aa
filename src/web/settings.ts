// `lvq web`'s settings as people write them: the listen address, and the config file's `web`
// section. Checked here so a typo stops the command at start with a message saying where.
import { passwordHashProblem, type WebUser } from "./auth.js";

/** The config file's `web` section. */
export interface WebConfig {
  /** `host:port`, as --listen. */
  listen?: string;
  /** A token that lets a request in (as --token). */
  token?: string;
  /** Users who may log in, with scrypt password hashes (`lvq web --hash-password`). */
  users?: WebUser[];
  /** PEM files of a TLS certificate and its key. */
  httpsCert?: string;
  httpsKey?: string;
}

/** A listen address: `host:port`, `[v6]:port`, `host` (port 8080) or `:port` (127.0.0.1). */
export function parseListen(text: string): { host: string; port: number } | string {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*))(?::(\d{1,5}))?$/.exec(text.trim());
  if (!m) return `"${text}" is not host:port`;
  const host = m[1] ?? (m[2] || "127.0.0.1");
  const port = m[3] === undefined ? 8080 : Number(m[3]);
  if (port > 65535) return `port ${port} is out of range`;
  return { host, port };
}

/** The `web` section of a config file, checked; a string says what is wrong. */
export function parseWebConfig(value: unknown): WebConfig | string {
  if (value === undefined) return {};
  if (!value || typeof value !== "object" || Array.isArray(value)) return `"web" must be an object`;
  const out: WebConfig = {};
  for (const [k, v] of Object.entries(value)) {
    if (
      (k === "listen" || k === "token" || k === "httpsCert" || k === "httpsKey") &&
      typeof v === "string" &&
      v
    ) {
      out[k] = v;
    } else if (k === "users" && Array.isArray(v)) {
      const users: WebUser[] = [];
      for (const u of v) {
        const name = (u as WebUser)?.name;
        const password = (u as WebUser)?.password;
        if (typeof name !== "string" || !name || typeof password !== "string") {
          return `"web.users" entries are {"name": …, "password": "scrypt$…"}`;
        }
        const problem = passwordHashProblem(password);
        if (problem) return `"web.users" ${name}: ${problem}`;
        users.push({ name, password });
      }
      out.users = users;
    } else {
      return `unknown or mistyped key "web.${k}" (expected listen, token, users, httpsCert, httpsKey: strings)`;
    }
  }
  return out;
}
