// The agent's libvirt connection, opened before anything else: the daemon may take seconds to
// read its host (the test driver parses its whole file, a large host lists many domains), and
// `lvq agent` loads the rest of the agent (QMF sessions, AMQP, the kinds) meanwhile. This
// module loads only the libvirt client.
import { ReconnectingLibvirt } from "../libvirt/index.js";
import type { AgentConfig } from "./config.js";
import type { AgentLogger } from "./log.js";

/**
 * A libvirt connection for `config` with its first open under way, retrying until it succeeds
 * (each new failure logged once as a warning). Hand it to `LibvirtAgent.start` as `libvirt`,
 * which then owns it.
 */
export function connectLibvirt(config: AgentConfig, log: AgentLogger): ReconnectingLibvirt {
  const libvirt = new ReconnectingLibvirt(config.uri, {
    callTimeoutMs: config.libvirtCallTimeoutMs,
    maxRetryDelayMs: config.reconnectMaxDelayMs,
    keepaliveIntervalMs: config.libvirtKeepaliveIntervalMs,
    keepaliveCount: config.libvirtKeepaliveCount,
  });
  let lastConnectError = "";
  const onConnectFailed = (err: Error) => {
    if (err.message !== lastConnectError)
      log.warn("libvirt connection failed; retrying", { uri: config.uri, err });
    lastConnectError = err.message;
  };
  libvirt.on("connectFailed", onConnectFailed);
  // Failures after the first connection are the running agent's to report.
  const firstOpenEnded = () => libvirt.off("connectFailed", onConnectFailed);
  libvirt.open().then(firstOpenEnded, firstOpenEnded);
  return libvirt;
}
