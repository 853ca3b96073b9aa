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
 * With `onRead`, the socket reads into one buffer allocated here and reused for every read
 * (Node's `onread` option), and hands each read to `onRead` instead of emitting 'data': no
 * buffer allocation and no stream bookkeeping per read. `onRead` must be done with the bytes
 * when it returns.
 */
export function dialUnix(
  path: string,
  timeoutMs = 10_000,
  onRead?: (chunk: Buffer) => void,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(onRead ? { path, onread: reusedReadBuffer(onRead) } : { path });
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
  // Bytes cannot arrive before the connection object exists (the daemon speaks only when
  // spoken to), but a read that raced it anyway is kept, not lost.
  let connection: RpcConnection | undefined;
  const early: Buffer[] = [];
  const socket = await dialUnix(path, undefined, (chunk) => {
    if (connection) connection.receive(chunk);
    else early.push(Buffer.from(chunk));
  });
  connection = new RpcConnection(socket, options);
  for (const chunk of early) connection.receive(chunk);
  return connection;
}
