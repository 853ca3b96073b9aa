// TLS to the broker (amqps:// URLs): the settings a session takes, the socket options they
// become, and the names of Node's TLS failures. Verification of the broker's chain and name is
// always on: the options say what to trust, never whether to check.
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { type ConnectionOptions, checkServerIdentity } from "node:tls";
import { TlsError, type TlsErrorCode } from "../errors.js";
import type { TlsOptions } from "./tls-options.js";

/**
 * The `tls.connect` options of `tls`: files read now (so a renewed certificate is used on the
 * next connect), chain and name checks forced on, whatever NODE_TLS_REJECT_UNAUTHORIZED says.
 * A file that cannot be read is a {@link TlsError} `TLS_FILES`.
 */
export async function tlsSocketOptions(tls: TlsOptions, url: string): Promise<ConnectionOptions> {
  const read = async (
    given: string | Buffer | undefined,
    file: string | undefined,
    what: string,
  ): Promise<string | Buffer | undefined> => {
    if (given !== undefined || file === undefined) return given;
    try {
      return await readFile(file);
    } catch (e) {
      throw new TlsError("TLS_FILES", `cannot read the ${what} ${file}: ${(e as Error).message}`, {
        cause: e,
        url,
      });
    }
  };
  const out: ConnectionOptions = {
    rejectUnauthorized: true,
    checkServerIdentity,
  };
  const ca = await read(tls.ca, tls.caFile, "CA file");
  const cert = await read(tls.cert, tls.certFile, "client certificate");
  const key = await read(tls.key, tls.keyFile, "client key");
  if (ca !== undefined) out.ca = ca;
  if (cert !== undefined) out.cert = cert;
  if (key !== undefined) out.key = key;
  if (tls.servername !== undefined) out.servername = tls.servername.trim();
  return out;
}

/**
 * The broker user of an EXTERNAL login: the common name of the client certificate (read now,
 * from `cert` or `certFile`); undefined when there is none or it cannot be read.
 */
export function certificateUser(tls: TlsOptions): string | undefined {
  try {
    const pem = tls.cert ?? (tls.certFile === undefined ? undefined : readFileSync(tls.certFile));
    if (pem === undefined) return undefined;
    const subject = new X509Certificate(pem).subject;
    return /^CN=(.*)$/m.exec(subject)?.[1];
  } catch {
    return undefined;
  }
}

/** Node's codes of a failed chain or name check, by the check that failed. */
const TLS_CODES: Readonly<Record<string, TlsErrorCode>> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "TLS_UNTRUSTED_CERT",
  UNABLE_TO_GET_ISSUER_CERT: "TLS_UNTRUSTED_CERT",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "TLS_UNTRUSTED_CERT",
  SELF_SIGNED_CERT_IN_CHAIN: "TLS_UNTRUSTED_CERT",
  DEPTH_ZERO_SELF_SIGNED_CERT: "TLS_UNTRUSTED_CERT",
  CERT_SIGNATURE_FAILURE: "TLS_UNTRUSTED_CERT",
  CERT_UNTRUSTED: "TLS_UNTRUSTED_CERT",
  CERT_REJECTED: "TLS_UNTRUSTED_CERT",
  INVALID_CA: "TLS_UNTRUSTED_CERT",
  CERT_HAS_EXPIRED: "TLS_CERT_EXPIRED",
  CERT_NOT_YET_VALID: "TLS_CERT_NOT_YET_VALID",
  ERR_TLS_CERT_ALTNAME_INVALID: "TLS_NAME_MISMATCH",
  HOSTNAME_MISMATCH: "TLS_NAME_MISMATCH",
  // The broker's alerts about our certificate.
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: "TLS_CLIENT_CERT_REFUSED",
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: "TLS_CLIENT_CERT_REFUSED",
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: "TLS_CLIENT_CERT_REFUSED",
  ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE: "TLS_CLIENT_CERT_REFUSED",
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: "TLS_CLIENT_CERT_REFUSED",
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: "TLS_CLIENT_CERT_REFUSED",
  // Our own key or certificate that OpenSSL cannot use.
  ERR_OSSL_X509_KEY_VALUES_MISMATCH: "TLS_FILES",
  ERR_OSSL_PEM_NO_START_LINE: "TLS_FILES",
  ERR_OSSL_PEM_BAD_END_LINE: "TLS_FILES",
  ERR_OSSL_UNSUPPORTED: "TLS_FILES",
};

/** What each code says happened, for the error's message. */
const TLS_WORDS: Readonly<Record<TlsErrorCode, string>> = {
  TLS_UNTRUSTED_CERT: "the broker's certificate is not signed by a trusted CA",
  TLS_CERT_EXPIRED: "the broker's certificate has expired",
  TLS_CERT_NOT_YET_VALID: "the broker's certificate is not valid yet",
  TLS_NAME_MISMATCH: "the broker's certificate does not name the host",
  TLS_CLIENT_CERT_REFUSED: "the broker refused our client certificate",
  TLS_FILES: "our TLS certificate or key cannot be used",
  TLS_HANDSHAKE_FAILED: "the TLS handshake failed",
};

/**
 * The {@link TlsError} a failed connect is, when it failed in TLS (a chain or name check, an
 * alert from the broker, our own files); undefined for any other failure.
 */
export function classifyTlsError(err: Error, where: string): TlsError | undefined {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === undefined) return undefined;
  const tlsCode =
    TLS_CODES[code] ??
    (/^ERR_(SSL|TLS|OSSL)_/.test(code) || code === "EPROTO" ? "TLS_HANDSHAKE_FAILED" : undefined);
  if (tlsCode === undefined) return undefined;
  return new TlsError(
    tlsCode,
    `cannot connect to the broker at ${where}: ${TLS_WORDS[tlsCode]} (${code})`,
    { cause: err, url: where },
  );
}
