// The shapes the browser gets (JSON over the API and the event stream), built from the
// console's typed objects: numbers instead of bigints, references as id text, rates computed.
import type { Domain, DomainInfo, Node, NodeInfo, Pool, Volume } from "../console/index.js";
import { objectIdText, toObjectRef } from "../console/index.js";
import type { Rates } from "./rates.js";

/** One domain, as a row of the Domains table. */
export interface DomainRow {
  /** Object id text of the Domain (`<agent>/Domain:<uuid>`). */
  id: string;
  agent: string;
  host: string;
  name: string;
  uuid: string;
  /** libvirt's domain id while running, else -1. */
  domId: number;
  /** running, paused, shutoff, …; "" until its DomainInfo is known. */
  state: string;
  reason: string;
  vcpus: number | null;
  /** Memory in bytes (current and maximum). */
  mem: number | null;
  maxMem: number | null;
  /** CPU time used, in seconds. */
  cpuTime: number | null;
  /** CPU % of its vCPUs, and disk and network rates in bytes/s: null until two samples. */
  cpu: number | null;
  rd: number | null;
  wr: number | null;
  rx: number | null;
  tx: number | null;
  /** The agent could not read its statistics at the last sweep: they are old. */
  stale: boolean;
  /** When the counters behind the rates were read (ms since the epoch; null: none yet). */
  at: number | null;
}

/** A host's agent as last heard: what the server keeps of it and what its row shows. */
export interface HeardAgent {
  agent: string;
  host: string;
  instance: string;
  epoch: number;
  /** "up" while its heartbeats arrive; "silent" once it was aged out (its state is unknown). */
  status: "up" | "silent";
  /** When its last heartbeat arrived (ms since the epoch, this server's clock). */
  heartbeatAt: number;
}

/** One host (one agent), as a row of the Fleet page. */
export interface HostRow extends HeardAgent {
  /** The agent's libvirt connection: connected, connecting or disconnected. */
  libvirtState: string;
  libvirtError: string;
  libvirtVersion: string;
  hypervisor: string;
  uri: string;
  model: string;
  cpus: number | null;
  /** Host memory in bytes. */
  memory: number | null;
  domains: number;
  running: number;
  /** CPU used by its running guests, in % of the host's CPUs. */
  guestCpuPct: number | null;
  /** Memory of its running (and paused) guests, in bytes. */
  guestMem: number;
  /** vCPUs of its running (and paused) guests. */
  guestVcpus: number;
  /** The Node object's id (destination of a migration). */
  nodeId: string;
}

/** One storage pool. */
export interface PoolRow {
  id: string;
  agent: string;
  host: string;
  name: string;
  uuid: string;
  state: string;
  capacity: number | null;
  allocation: number | null;
  available: number | null;
}

/** One storage volume. */
export interface VolumeRow {
  id: string;
  agent: string;
  /** The id of its pool. */
  pool: string;
  name: string;
  path: string;
  capacity: number | null;
  allocation: number | null;
}

const num = (v: bigint | number | undefined | null): number | null =>
  v === undefined || v === null ? null : Number(v);

const round = (v: number | null, digits: number): number | null =>
  v === null ? null : Math.round(v * 10 ** digits) / 10 ** digits;

/** The row of a domain; `info` and `rates` may not be known yet. */
export function domainRow(
  d: Domain,
  host: string,
  info: DomainInfo | undefined,
  rates: Rates | undefined,
  at: number | undefined,
): DomainRow {
  const i = info?.props;
  const kib = (v: bigint | undefined) => (v === undefined ? null : Number(v) * 1024);
  return {
    id: d.objectIdText,
    agent: d.agentName,
    host,
    name: d.props.name ?? d.objectId.objectName,
    uuid: d.props.uuid ?? "",
    domId: Number.parseInt(d.props.id ?? "-1", 10),
    state: i?.state ?? "",
    reason: i?.state_reason ?? "",
    vcpus: i?.num_vcpus ?? null,
    mem: kib(i?.memory),
    maxMem: kib(i?.maximum_memory),
    cpuTime: i?.cpu_time === undefined ? null : round(Number(i.cpu_time) / 1e9, 3),
    cpu: round(rates?.cpuPct ?? null, 2),
    rd: round(rates?.rdBps ?? null, 0),
    wr: round(rates?.wrBps ?? null, 0),
    rx: round(rates?.rxBps ?? null, 0),
    tx: round(rates?.txBps ?? null, 0),
    stale: i?.stats_stale === true,
    at: rates ? (at ?? null) : null,
  };
}

/** The row of a pool. */
export function poolRow(p: Pool, host: string): PoolRow {
  return {
    id: p.objectIdText,
    agent: p.agentName,
    host,
    name: p.props.name ?? "",
    uuid: p.props.uuid ?? "",
    state: p.props.state ?? "",
    capacity: num(p.props.capacity),
    allocation: num(p.props.allocation),
    available: num(p.props.available),
  };
}

/** The row of a volume. */
export function volumeRow(v: Volume): VolumeRow {
  const pool = toObjectRef(v.props.storage_pool);
  return {
    id: v.objectIdText,
    agent: v.agentName,
    pool: pool ? objectIdText(pool) : "",
    name: v.props.name ?? "",
    path: v.props.path ?? "",
    capacity: num(v.props.capacity),
    allocation: num(v.props.allocation),
  };
}

/** The parts of a host row that come from its Node and NodeInfo objects. */
export function hostObjectsPart(
  node: Node | undefined,
  info: NodeInfo | undefined,
  attributes: Record<string, unknown>,
): Pick<
  HostRow,
  | "libvirtState"
  | "libvirtError"
  | "libvirtVersion"
  | "hypervisor"
  | "uri"
  | "model"
  | "cpus"
  | "memory"
  | "nodeId"
> {
  const n = node?.props;
  const attrState = typeof attributes.libvirt_state === "string" ? attributes.libvirt_state : "";
  return {
    // The heartbeat's attribute is the newer word when the two differ: it travels every beat.
    libvirtState: attrState || n?.libvirt_state || "",
    libvirtError: n?.libvirt_error ?? "",
    libvirtVersion: n?.libvirt_version ?? "",
    hypervisor: n?.type ?? "",
    uri: n?.uri ?? "",
    model: info?.props.model ?? "",
    cpus: info?.props.cpus ?? null,
    memory: info?.props.memory === undefined ? null : Number(info.props.memory) * 1024,
    nodeId: node?.objectIdText ?? "",
  };
}
