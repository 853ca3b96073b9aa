// How a program reaches its broker safely, checked once every setting is gathered: the same
// rules for the agent's settings and for lvq's, each program naming its settings its own way
// (a config key, a command-line option) in the messages.
import {
  isWorldReadable,
  readPasswordFile,
  unreadableFile,
  worldReadableWarning,
} from "../../util/secret-file.js";
import { plainUrlProblem, withPassword } from "./broker-url.js";
import { type TlsOptions, tlsOptionsProblem } from "./tls-options.js";

/** The broker-access settings of a program, gathered from wherever it reads them. */
export interface BrokerAccess {
  /** One broker URL, or a cluster's nodes comma-separated. */
  broker: string;
  tls?: TlsOptions;
  /** Refuse a plain amqp:// URL. */
  requireTls?: boolean;
  /** A file holding the broker password. */
  passwordFile?: string;
}

/** How a program names each setting in its messages ("tlsCa: the CA file", "the CA file (--tls-ca)"). */
export interface BrokerAccessNames {
  requireTls: string;
  externalLogin: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  /** The password file, checked for readability with the others when named here. */
  passwordFile?: string;
  /** Where the broker URLs came from, for a URL that names no user for the password. */
  broker: string;
}

/**
 * Checks the broker access and returns the broker URLs to use: TLS required or an EXTERNAL
 * login with a plain amqp:// URL, a TLS setting missing its pair, or a file that cannot be read
 * are thrown as an Error whose message names the setting; the password file's password goes
 * into every URL. A client key or password file every user may read is told to `warn`.
 */
export async function resolveBrokerAccess(
  access: BrokerAccess,
  names: BrokerAccessNames,
  warn: (message: string) => void,
): Promise<string> {
  const { broker, tls, passwordFile } = access;
  const plain =
    (access.requireTls ? plainUrlProblem(broker, names.requireTls) : undefined) ??
    (tls?.externalLogin ? plainUrlProblem(broker, names.externalLogin) : undefined);
  if (plain) throw new Error(plain);
  const tlsProblem = tls && tlsOptionsProblem(tls);
  if (tlsProblem) throw new Error(`TLS settings: ${tlsProblem}`);
  const files: [string | undefined, string | undefined][] = [
    [tls?.caFile, names.caFile],
    [tls?.certFile, names.certFile],
    [tls?.keyFile, names.keyFile],
    [passwordFile, names.passwordFile],
  ];
  for (const [path, what] of files) {
    const problem =
      path === undefined || what === undefined ? undefined : await unreadableFile(path, what);
    if (problem) throw new Error(problem);
  }
  if (tls?.keyFile && (await isWorldReadable(tls.keyFile))) {
    warn(worldReadableWarning(tls.keyFile, "the client key"));
  }
  if (passwordFile === undefined) return broker;
  if (await isWorldReadable(passwordFile)) {
    warn(worldReadableWarning(passwordFile, "the broker password"));
  }
  return withPassword(broker, await readPasswordFile(passwordFile), names.broker);
}
