/**
 * The managed-node agent (`lvq agent`): publishes one libvirt host — Node, NodeInfo, Domain,
 * DomainInfo, Pool, Volume, Network, Snapshot of `schema/libvirt.xml` — as QMFv2 objects on
 * the broker, follows libvirt at once (lifecycle events, periodic resync, one bulk stats call
 * per sweep), and runs the schema's methods against libvirt.
 *
 * ```ts
 * import { LibvirtAgent, resolveAgentConfig, createLogger } from "./agent/index.js";
 * const config = await resolveAgentConfig({ flags: { uri: "test:///default" } });
 * const agent = await LibvirtAgent.start(config, createLogger());
 * // agent.name === "libvirt-qmf:libvirt:<host uuid>", agent.epoch increments per start
 * await agent.stop();
 * ```
 *
 * Object names (deterministic; consumers should treat them as opaque): `Node:<host uuid>`,
 * `NodeInfo:<host uuid>`, `Domain:<uuid>`, `DomainInfo:<uuid>`, `Pool:<uuid>`,
 * `Volume:<key>`, `Network:<uuid>`, `Snapshot:<domain uuid>/<name>`. Agent heartbeat attributes add `hostname`, `host_uuid`, `libvirt_uri` and
 * `libvirt_state` (connected | disconnected).
 *
 * Authorisation: with `roles` (viewer, operator, admin; flag `--roles`) or `controlUsers` (admins)
 * set, each method needs the role its handler row names (`METHOD_ROLES`, `lvq schema --roles`)
 * and each query needs viewer; anything else is refused (FORBIDDEN, 6: "user bob lacks role
 * admin for Domain.undefine"). With neither, every broker user may do everything.
 *
 * Lifecycle events (DomainLifecycle, PoolLifecycle, NetworkLifecycle) that happen while the
 * broker is unreachable are held (at most 1000) and raised after the reconnect. Volumes and
 * snapshots have no libvirt events: ones created or deleted outside the agent appear at the
 * next full resync (`resyncIntervalMs`, default 5 min), a pool refresh event, or (snapshots)
 * the next lifecycle event or method of their domain.
 *
 * The agent sets the balloon stats period (`balloonStatsPeriodSeconds`, default 5; 0: never)
 * on running QEMU domains whose balloon has none, so that their memory statistics are
 * reported.
 *
 * `Domain.restore` refuses (PARAMETER_INVALID) a file saved from another domain.
 * `Domain.migrate` takes `uri` and/or `destination_node` (all inputs are optional, one of these
 * two is required); given only `uri`, the destination agent is the one whose `libvirt_uri`
 * attribute equals it.
 *
 * Method failures: libvirt's error → `_exception` error_code 0x10000 + virErrorNumber with
 * text `<libvirt call>: <libvirt's message>`; bad input → PARAMETER_INVALID (4) naming the
 * argument, before any libvirt call; libvirt not connected or lost mid-call → EXCEPTION (7).
 * @module
 */
export {
  AGENT_PRODUCT,
  AGENT_VENDOR,
  defaultSchemaPath,
  derivedUuid,
  LibvirtAgent,
  type LibvirtAgentEvents,
  type LibvirtAgentOptions,
} from "./agent.js";
export {
  type AgentConfig,
  ConfigError,
  DEFAULT_CONFIG_FILE,
  defaultConfig,
  ENV_VARS,
  type RawSettings,
  resolveAgentConfig,
} from "./config.js";
export { connectLibvirt } from "./connect.js";
export { LIBVIRT_ERROR_BASE } from "./errors.js";
export {
  type AgentState,
  hostUuidFromCapabilities,
  readAgentState,
  stateFile,
} from "./identity.js";
export { domainReasonText, domainStateText } from "./kinds/domain-words.js";
export { KINDS } from "./kinds/index.js";
export type { AnyKind, KindRow } from "./kinds/kind.js";
export { poolStateText } from "./kinds/pool.js";
export {
  type AgentLogger,
  createLogger,
  type LogLevel,
} from "./log.js";
export { IMPLEMENTED_METHODS, METHOD_ROLES } from "./methods.js";
export type { LinkState, SweepResult } from "./mirror.js";
export { objectName, PACKAGE, versionText } from "./names.js";
export { AccessPolicy, ROLES, type Role, type RoleUsers } from "./roles.js";
