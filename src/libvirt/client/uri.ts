// Turns the URIs users write into (socket path, name sent in CONNECT_OPEN).
import { InvalidArgumentError } from "../errors.js";
import { DEFAULT_SOCKET_PATH } from "../transport/index.js";

/** Where to dial and what to ask the daemon to open. */
export interface ResolvedUri {
  socketPath: string;
  /** The URI given to CONNECT_OPEN (transport suffix and `socket=` removed). */
  openName: string;
}

/**
 * Accepts `driver:///path`, `driver+unix:///path` and `?socket=/p`, e.g. `test:///default`,
 * `qemu:///system`, `test+unix:///abs/file.xml`, `qemu+unix:///system?socket=/path`.
 * Remote hosts and other transports are refused with InvalidArgumentError.
 */
export function resolveUri(uri: string, socketOverride?: string): ResolvedUri {
  const m = /^([a-z][a-z0-9]*)(?:\+([a-z0-9]+))?:\/\/([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/i.exec(
    uri ?? "",
  );
  if (!m) throw new InvalidArgumentError(`not a libvirt URI: ${JSON.stringify(uri)}`);
  const [, driver, transport, host, path = "", query] = m;
  if (transport && transport !== "unix") {
    throw new InvalidArgumentError(
      `libvirt URI ${uri}: transport "${transport}" is not supported (only local unix sockets)`,
    );
  }
  if (host) {
    throw new InvalidArgumentError(
      `libvirt URI ${uri}: remote host "${host}" is not supported (use an SSH tunnel to the unix socket)`,
    );
  }
  let socketPath = socketOverride ?? DEFAULT_SOCKET_PATH;
  const kept: string[] = [];
  for (const part of (query ?? "").split("&")) {
    if (!part) continue;
    const [k, v = ""] = part.split("=");
    if (k === "socket") {
      const p = decodeURIComponent(v);
      if (!p.startsWith("/")) {
        throw new InvalidArgumentError(`libvirt URI ${uri}: socket must be an absolute path`);
      }
      if (!socketOverride) socketPath = p;
    } else {
      kept.push(part);
    }
  }
  const openName = `${driver}://${path}${kept.length ? `?${kept.join("&")}` : ""}`;
  return { socketPath, openName };
}
