// The TLS settings of a broker link, and what makes a set of them unusable. No imports, so
// the agent's and lvq's settings can check them without loading node:tls or the sessions.

/**
 * TLS settings of a session, used for its `amqps://` URLs (plain `amqp://` ones ignore them).
 * The broker's certificate chain and name are always verified.
 */
export interface TlsOptions {
  /** PEM file of the CA(s) that sign the broker's certificate (default: Node's public roots). */
  caFile?: string;
  /** The CA PEM itself, instead of `caFile`. */
  ca?: string | Buffer;
  /** PEM file of our client certificate (for a broker that checks one, or EXTERNAL login). */
  certFile?: string;
  /** The client certificate PEM itself, instead of `certFile`. */
  cert?: string | Buffer;
  /** PEM file of the client certificate's private key. */
  keyFile?: string;
  /** The private key PEM itself, instead of `keyFile`. */
  key?: string | Buffer;
  /**
   * The name the broker's certificate must carry (and the SNI name sent), instead of the URL's
   * host: for a broker reached by an address its certificate does not list.
   */
  servername?: string;
  /**
   * Log in with the client certificate (SASL EXTERNAL, RabbitMQ's rabbitmq_auth_mechanism_ssl
   * plugin) instead of the URL's user and password. The broker user is then the certificate's
   * common name, unless the URL names one (a broker set to take another field of it).
   */
  externalLogin?: boolean;
}

/** What is wrong with a set of TLS options (a message), or undefined. */
export function tlsOptionsProblem(tls: TlsOptions): string | undefined {
  const hasCert = tls.cert !== undefined || tls.certFile !== undefined;
  const hasKey = tls.key !== undefined || tls.keyFile !== undefined;
  if (hasCert !== hasKey) return "a client certificate needs its key, and a key its certificate";
  if (tls.externalLogin && !hasCert) return "EXTERNAL login needs a client certificate and key";
  if (tls.servername !== undefined && tls.servername.trim() === "") return "servername is empty";
  return undefined;
}
