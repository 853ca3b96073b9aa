// The TLS test node of scripts/tls-broker.sh: its URLs, the certificates the script made with
// openssl, and rabbitmqctl against it. The node runs beside the system broker (own name, ports
// 5690/5691, own data folder) and never touches it.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { uniqueName } from "./names.js";

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL("../../scripts/tls-broker.sh", import.meta.url));
const DIR = process.env.LVQ_TLS_DIR ?? "/tmp/lvq-tls";

/** amqps:// on the TLS listener, as guest (allowed from 127.0.0.1 on this node). */
export const TLS_URL = "amqps://guest:guest@127.0.0.1:5691";
/** The same node's plain AMQP listener. */
export const PLAIN_URL = "amqp://guest:guest@127.0.0.1:5690";

/** A certificate file the script made: `ca`, `server`, `client`, `other-ca`, … */
export const certFile = (name: string): string => join(DIR, "certs", `${name}.pem`);
/** Its key. */
export const keyFile = (name: string): string => join(DIR, "certs", `${name}.key`);

/** The broker user of the client certificate (its CN), for EXTERNAL login. */
export const CLIENT_CERT_USER = "lvq-tls-client";

/**
 * SNI names that make the node show a certificate that fails one check (the script's
 * sni_hosts): long expired, or naming another host.
 */
export const EXPIRED_NAME = "expired.lvq.test";
export const WRONG_NAME = "wrongname.lvq.test";

/** Runs `scripts/tls-broker.sh <args>`; its stdout. */
export async function tlsBroker(...args: string[]): Promise<string> {
  const { stdout } = await run("bash", [SCRIPT, ...args], {
    timeout: 180_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

/**
 * Starts the node (idempotent; makes the certificates first) and makes the client
 * certificate's broker user afresh, without a password: EXTERNAL is its only way in.
 */
export async function tlsBrokerUp(): Promise<void> {
  await tlsBroker("up");
  await tlsCtl("delete_user", CLIENT_CERT_USER).catch(() => {});
  await tlsCtl("add_user", CLIENT_CERT_USER, uniqueName("unused"));
  await tlsCtl("clear_password", CLIENT_CERT_USER);
  await tlsCtl("set_permissions", "-p", "/", CLIENT_CERT_USER, ".*", ".*", ".*");
}

/** Stops and removes it, unless LVQ_KEEP_TLS_BROKER=1 (to run several files in a row). */
export async function tlsBrokerDown(): Promise<void> {
  if (process.env.LVQ_KEEP_TLS_BROKER !== "1") await tlsBroker("down");
}

/** rabbitmqctl against the TLS node. */
export const tlsCtl = (...args: string[]): Promise<string> => tlsBroker("ctl", ...args);
