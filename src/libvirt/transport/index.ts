/**
 * libvirt RPC transport: an {@link RpcConnection} over any duplex byte stream (framing,
 * serials, pending calls, timeouts, in-flight bound, keepalive, event messages) and the unix
 * socket dialer.
 * @module
 */
export { RpcConnection, type RpcConnectionOptions, type RpcMessage } from "./connection.js";
export { DEFAULT_SOCKET_PATH, dialUnix, openUnixConnection } from "./unix.js";
