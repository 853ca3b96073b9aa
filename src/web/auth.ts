// Who may use the web server. On the loopback address nobody logs in (as every local user may
// run lvq with the same broker settings). Anywhere else a request carries a token (an
// `Authorization: Bearer` header, for scripts and Prometheus) or the session cookie a login
// gave: with a token, or a user name and password checked against a scrypt hash.
import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** A user who may log in, with the hash {@link hashPassword} made of their password. */
export interface WebUser {
  name: string;
  /** `scrypt$N$r$p$<salt base64>$<key base64>`. */
  password: string;
}

/** Who made a request. */
export interface Principal {
  /** The user name, or "token" for a token. */
  name: string;
  /** How: a bearer header is not sent by a browser on its own, a cookie is (see guard.ts). */
  via: "bearer" | "cookie" | "loopback";
}

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 };
const SESSION_COOKIE = "lvq_session";
const SESSION_MS = 12 * 3600_000;
const MAX_SESSIONS = 10_000;

function scryptAsync(
  password: string,
  salt: Buffer,
  keylen: number,
  o: { N: number; r: number; p: number },
): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keylen, { ...o, maxmem: 256 * o.N * o.r }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** The hash of a password for the config file's `web.users`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT.keylen, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString("base64")}$${key.toString("base64")}`;
}

/** Null when `encoded` is a well-formed scrypt hash, else what is wrong with it. */
export function passwordHashProblem(encoded: string): string | null {
  const parts = encoded.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") {
    return "expected scrypt$N$r$p$salt$key (make one with `lvq web --hash-password`)";
  }
  const [n, r, p] = parts.slice(1, 4).map(Number);
  if (!n || !r || !p || n & (n - 1)) return "N, r and p must be positive (N a power of 2)";
  return null;
}

/** True when `password` is the one `encoded` was made from. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  if (passwordHashProblem(encoded)) return false;
  const [, n, r, p, salt, key] = encoded.split("$") as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const expected = Buffer.from(key, "base64");
  const got = await scryptAsync(password, Buffer.from(salt, "base64"), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** Compares secrets in a time that does not depend on where they differ. */
function sameSecret(a: string, b: string): boolean {
  const h = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(h(a), h(b));
}

/** Parses a Cookie header. */
export function cookiesOf(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return out;
}

/** The credentials of one web server and the sessions of those who logged in. */
export class Access {
  private readonly sessions = new Map<string, { name: string; expires: number }>();

  constructor(
    private readonly opts: {
      tokens: string[];
      users: WebUser[];
      /** Cookies get the Secure flag (the server speaks TLS). */
      secure: boolean;
    },
  ) {}

  /** True when requests must authenticate (some credential is configured). */
  get required(): boolean {
    return this.opts.tokens.length > 0 || this.opts.users.length > 0;
  }

  /** Whether a user name and password login is offered (else only a token). */
  get hasUsers(): boolean {
    return this.opts.users.length > 0;
  }

  /** Who made `req`; null when it carries no valid credential (and one is required). */
  who(req: IncomingMessage): Principal | null {
    if (!this.required) return { name: "local", via: "loopback" };
    const auth = req.headers.authorization;
    if (auth?.startsWith("Bearer ")) {
      const token = auth.slice(7).trim();
      return this.opts.tokens.some((t) => sameSecret(t, token))
        ? { name: "token", via: "bearer" }
        : null;
    }
    const sid = cookiesOf(req).get(SESSION_COOKIE);
    const s = sid ? this.sessions.get(sid) : undefined;
    if (!s) return null;
    if (s.expires < Date.now()) {
      this.sessions.delete(sid!);
      return null;
    }
    return { name: s.name, via: "cookie" };
  }

  /**
   * Checks a login (a token, or a user and password) and opens a session: resolves to the
   * Set-Cookie header value, or null when the credentials are wrong.
   */
  async login(form: { token?: string; user?: string; password?: string }): Promise<string | null> {
    let name: string | null = null;
    if (form.token) {
      if (this.opts.tokens.some((t) => sameSecret(t, form.token!))) name = "token";
    } else if (form.user !== undefined && form.password !== undefined) {
      const u = this.opts.users.find((x) => x.name === form.user);
      // A missing user costs the same scrypt as a wrong password: no probing for names.
      const ok = await verifyPassword(form.password, u?.password ?? DUMMY_HASH);
      if (u && ok) name = u.name;
    }
    if (!name) return null;
    if (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    const sid = randomBytes(32).toString("base64url");
    this.sessions.set(sid, { name, expires: Date.now() + SESSION_MS });
    return this.cookie(sid, SESSION_MS / 1000);
  }

  /** Ends the session of `req`; the Set-Cookie value that clears the cookie. */
  logout(req: IncomingMessage): string {
    const sid = cookiesOf(req).get(SESSION_COOKIE);
    if (sid) this.sessions.delete(sid);
    return this.cookie("", 0);
  }

  private cookie(value: string, maxAge: number): string {
    const secure = this.opts.secure ? "; Secure" : "";
    return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure}`;
  }
}

/** A valid hash of a random password, compared against when the user does not exist. */
const DUMMY_HASH = `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${randomBytes(16).toString("base64")}$${randomBytes(32).toString("base64")}`;
