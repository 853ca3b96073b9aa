// Dialing libvirtd's unix socket.
import { connect as netConnect, type OnReadOpts, type Socket } from "node:net";
import { ConnectionLostError } from "../errors.js";
import { RpcConnection, type RpcConnectionOptions } from "./connection.js";

/** libvirtd's default read-write socket. */
export const DEFAULT_SOCKET_PATH = "/var/run/libvirt/libvirt-sock";

/**
 * Size of the read buffer each connection reuses: big enough that a burst of replies is one
 * read, and large replies (10k-domain lists) arrive in few pieces.
 */
const READ_BUFFER_BYTES = 64 * 1024;

/** Node's `onread` option: one buffer for every read; `false` would pause reading. */
function reusedReadBuffer(onRead: (chunk: Buffer) => void): OnReadOpts {
  const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  return {
    buffer,
    callback: (bytes: number) => {
      onRead(buffer.subarray(0, bytes));
      return true;
    },
  };
}

/**
 * Opens a unix socket; rejects with ConnectionLostError (code CONNECT_FAILED) naming the path.
 *
 * The socket reads into one buffer allocated here and reused for every read (Node's `onread`
 * option), and hands each read to `onRead` instead of emitting 'data': no buffer allocation
 * and no stream bookkeeping per read. `onRead` must be done with the bytes when it returns.
 */
export function dialUnix(
  path: string,
  onRead: (chunk: Buffer) => void,
  timeoutMs = 10_000,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ path, onread: reusedReadBuffer(onRead) });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new ConnectionLostError(`connecting to ${path} timed out after ${timeoutMs} ms`, {
          code: "CONNECT_FAILED",
        }),
      );
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      socket.setNoDelay?.(true);
      resolve(socket);
    });
    socket.once("error", (err) => {
      clearTimeout(timer);
      reject(
        new ConnectionLostError(`cannot connect to libvirtd at ${path}: ${err.message}`, {
          cause: err,
          code: "CONNECT_FAILED",
        }),
      );
    });
  });
}

/**
 * Dials libvirtd's unix socket and runs an {@link RpcConnection} over it, reading through one
 * reused buffer (see {@link dialUnix}). Rejects like dialUnix.
 */
export async function openUnixConnection(
  path: string,
  options: RpcConnectionOptions = {},
): Promise<RpcConnection> {
  // No read can come before the connection below exists: dialUnix resolves from the socket's
  // 'connect' event and this function resumes in that same turn, before any further I/O; and
  // the daemon speaks only when spoken to.
  let connection!: RpcConnection;
  const socket = await dialUnix(path, (chunk) => connection.receive(chunk));
  connection = new RpcConnection(socket, options);
  return connection;
}
