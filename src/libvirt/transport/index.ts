/**
 * libvirt RPC transport: an {@link RpcConnection} over any duplex byte stream (framing,
 * serials, pending calls, timeouts, in-flight bound, keepalive, event messages; calls issued
 * in one tick leave in one write) and the unix socket dialer ({@link openUnixConnection} reads
 * through one reused buffer).
 * @module
 */
export { RpcConnection, type RpcConnectionOptions, type RpcMessage } from "./connection.js";
export { DEFAULT_SOCKET_PATH, dialUnix, openUnixConnection } from "./unix.js";
