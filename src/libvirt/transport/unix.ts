// Dialing libvirtd's unix socket.
import { connect as netConnect, type Socket } from "node:net";
import { ConnectionLostError } from "../errors.js";

/** libvirtd's default read-write socket. */
export const DEFAULT_SOCKET_PATH = "/var/run/libvirt/libvirt-sock";

/** Opens a unix socket; rejects with ConnectionLostError (code CONNECT_FAILED) naming the path. */
export function dialUnix(path: string, timeoutMs = 10_000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ path });
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
