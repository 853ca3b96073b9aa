// amqplib and the socket report a failed connect as plain errors, told apart only by an errno
// code or by amqplib's wording. This is the one place that reads them; everything above sees a
// BrokerConnectError with a stable code.
import { AuthenticationError, BrokerConnectError, type ConnectErrorCode } from "../errors.js";
import { redactUrl, userOf, vhostOf } from "./broker-url.js";
import { classifyTlsError } from "./tls.js";

const ERRNO_CODES: Readonly<Record<string, ConnectErrorCode>> = {
  ECONNREFUSED: "REFUSED",
  ENOTFOUND: "HOST_NOT_FOUND",
  EAI_AGAIN: "HOST_NOT_FOUND",
  ETIMEDOUT: "UNREACHABLE",
  EHOSTUNREACH: "UNREACHABLE",
  ENETUNREACH: "UNREACHABLE",
};

/** The error a failed `amqp.connect(url)` becomes. */
export function classifyConnectError(
  e: unknown,
  url: string,
  connectTimeoutMs: number,
  user: string = userOf(url),
): BrokerConnectError {
  if (e instanceof BrokerConnectError) return e; // ours already (a TLS file we cannot read)
  const err = e instanceof Error ? e : new Error(String(e));
  const where = redactUrl(url);
  if (err.message === "connect ETIMEDOUT") {
    // amqplib's words when its socket timeout fired before the connection was open.
    return new BrokerConnectError(
      "CONNECT_TIMEOUT",
      `no AMQP handshake within ${connectTimeoutMs / 1000} s: the broker is hung or overloaded, or the host drops packets`,
      { cause: err, url: where },
    );
  }
  const who = { url: where, user, vhost: vhostOf(url) };
  // 403 ACCESS_REFUSED: the user name or password (credentials are not worth retrying).
  if (/ACCESS[-_]REFUSED|NOT[-_]ALLOWED|\b403\b|\b530\b/.test(err.message)) {
    return new AuthenticationError(`the broker refused the connection: ${err.message}`, {
      cause: err,
      code: "AUTH_FAILED",
      ...who,
    });
  }
  // amqplib reports a vhost refusal (530 NOT_ALLOWED: no such vhost, or no permission on it)
  // without the broker's reply text: the broker answered connection.open with a close.
  if (/^Expected ConnectionOpenOk; got <ConnectionClose/.test(err.message)) {
    return new AuthenticationError(
      `the broker refused the connection: access to vhost ${JSON.stringify(who.vhost)} refused (no such vhost, or the user has no permission on it)`,
      { cause: err, code: "VHOST_DENIED", ...who },
    );
  }
  const tls = classifyTlsError(err, where);
  if (tls) return tls;
  const errno = (err as NodeJS.ErrnoException).code;
  const code = (errno !== undefined && ERRNO_CODES[errno]) || "CONNECT_FAILED";
  return new BrokerConnectError(
    code,
    `cannot connect to the broker at ${where}: ${err.message || errno || "unknown error"}`,
    {
      cause: err,
      url: where,
    },
  );
}
