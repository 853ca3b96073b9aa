// /metrics in Prometheus' text format (prom-client), for the whole fleet, from the cache: a
// scrape never asks an agent. Names and labels follow the libvirt exporters
// (prometheus-libvirt-exporter, Tinkoff/libvirt-exporter), so their dashboards need little
// change; `host` and `uuid` tell apart hosts and same-named domains. A silent agent's objects
// leave the output (their last values are not current), its `libvirt_qmf_agent_up` is 0.
import { Gauge, Registry } from "prom-client";
import type { DomainInfo, Pool } from "../console/index.js";
import type { DomainEntry, FleetCache, HostEntry } from "./cache.js";

/** libvirt's virDomainState numbers, the value of `libvirt_domain_info_state`. */
export const DOMAIN_STATE_CODES: Record<string, number> = {
  nostate: 0,
  running: 1,
  blocked: 2,
  paused: 3,
  shutdown: 4,
  shutoff: 5,
  crashed: 6,
  pmsuspended: 7,
};

type DomainValue = (i: DomainInfo["props"]) => bigint | number | undefined;

/** Per-domain series: name, help, kind, value (from its DomainInfo). */
const DOMAIN_SERIES: [string, string, "gauge" | "counter", DomainValue][] = [
  [
    "libvirt_domain_info_state",
    "Domain state (virDomainState: 1 running, 3 paused, 5 shut off, …)",
    "gauge",
    (i) => (i.state === undefined ? undefined : (DOMAIN_STATE_CODES[i.state] ?? 0)),
  ],
  [
    "libvirt_domain_info_cpu_time_seconds_total",
    "CPU time used by the domain, in seconds",
    "counter",
    (i) => (i.cpu_time === undefined ? undefined : Number(i.cpu_time) / 1e9),
  ],
  ["libvirt_domain_info_virtual_cpus", "Number of virtual CPUs", "gauge", (i) => i.num_vcpus],
  [
    "libvirt_domain_info_maximum_memory_bytes",
    "Maximum memory of the domain, in bytes",
    "gauge",
    (i) => kib(i.maximum_memory),
  ],
  [
    "libvirt_domain_info_memory_usage_bytes",
    "Memory of the domain, in bytes",
    "gauge",
    (i) => kib(i.memory),
  ],
  [
    "libvirt_domain_block_stats_read_bytes_total",
    "Bytes read, summed over the domain's disks",
    "counter",
    (i) => i.block_rd_bytes,
  ],
  [
    "libvirt_domain_block_stats_write_bytes_total",
    "Bytes written, summed over the domain's disks",
    "counter",
    (i) => i.block_wr_bytes,
  ],
  [
    "libvirt_domain_block_stats_read_requests_total",
    "Read requests, summed over the domain's disks",
    "counter",
    (i) => i.block_rd_reqs,
  ],
  [
    "libvirt_domain_block_stats_write_requests_total",
    "Write requests, summed over the domain's disks",
    "counter",
    (i) => i.block_wr_reqs,
  ],
  [
    "libvirt_domain_interface_stats_receive_bytes_total",
    "Bytes received, summed over the domain's interfaces",
    "counter",
    (i) => i.net_rx_bytes,
  ],
  [
    "libvirt_domain_interface_stats_transmit_bytes_total",
    "Bytes sent, summed over the domain's interfaces",
    "counter",
    (i) => i.net_tx_bytes,
  ],
  [
    "libvirt_domain_interface_stats_receive_packets_total",
    "Packets received, summed over the domain's interfaces",
    "counter",
    (i) => i.net_rx_pkts,
  ],
  [
    "libvirt_domain_interface_stats_transmit_packets_total",
    "Packets sent, summed over the domain's interfaces",
    "counter",
    (i) => i.net_tx_pkts,
  ],
];

const POOL_SERIES: [string, string, (p: Pool["props"]) => bigint | undefined][] = [
  ["libvirt_storage_pool_capacity_bytes", "Size of the storage pool, in bytes", (p) => p.capacity],
  [
    "libvirt_storage_pool_allocation_bytes",
    "Bytes allocated in the storage pool",
    (p) => p.allocation,
  ],
  [
    "libvirt_storage_pool_available_bytes",
    "Bytes still free in the storage pool",
    (p) => p.available,
  ],
];

const HOST_SERIES: [string, string, (h: HostEntry, now: number) => number][] = [
  [
    "libvirt_qmf_agent_up",
    "1 while the host's agent is heard (heartbeats arrive), else 0",
    (h) => (h.status === "up" ? 1 : 0),
  ],
  [
    "libvirt_qmf_agent_heartbeat_age_seconds",
    "Seconds since the agent's last heartbeat",
    (h, now) => Math.max(0, now - h.heartbeatAt) / 1000,
  ],
  [
    "libvirt_qmf_agent_epoch",
    "The agent's epoch (it grows by one at each restart)",
    (h) => h.epoch,
  ],
  [
    "libvirt_up",
    "1 when the host's agent is heard and connected to libvirt, else 0",
    (h) => (h.status === "up" && libvirtState(h) === "connected" ? 1 : 0),
  ],
];

function kib(v: bigint | undefined): number | undefined {
  return v === undefined ? undefined : Number(v) * 1024;
}

function libvirtState(h: HostEntry): string {
  const a = h.attributes.libvirt_state;
  return typeof a === "string" ? a : (h.node?.props.libvirt_state ?? "");
}

/** The names of every series /metrics serves (for the README and the tests). */
export const METRIC_NAMES = [
  ...HOST_SERIES.map((s) => s[0]),
  "libvirt_qmf_broker_up",
  ...DOMAIN_SERIES.map((s) => s[0]),
  ...POOL_SERIES.map((s) => s[0]),
];

/** /metrics: what a scrape answers, read from `cache` each time. */
export interface FleetMetrics {
  contentType: string;
  /** The whole text, as UTF-8 (the per-host parts are kept encoded between scrapes). */
  render(): Promise<Buffer>;
}

/** One host's part of every per-domain family, and what it was made from. */
interface HostPart {
  host: string;
  /** The Domain and DomainInfo objects it was made from, in order (two per domain). */
  made: object[];
  /** Per family (DOMAIN_SERIES order): the host's sample lines, each ending in a newline. */
  families: Buffer[];
}

/**
 * The metrics of the fleet. Hosts, the broker link and pools are prom-client gauges in a
 * registry of their own. The per-domain families (13 series per domain: 130,000 at 10,000
 * domains, about 18 MiB of text) are written here, in the same text format: prom-client
 * hashes and escapes every label set of every series at every scrape, which alone took over
 * 200 ms for 10,000 domains. Here each host's lines of each family are made once, encoded,
 * and kept until one of its Domain or DomainInfo objects is replaced (the cache replaces an
 * object on every published change): a scrape rebuilds only the hosts whose agents published
 * since the last one and copies the rest.
 */
export function fleetMetrics(cache: FleetCache): FleetMetrics {
  const registry = fleetRegistry(cache);
  const parts = new Map<string, HostPart>();
  const headers = DOMAIN_SERIES.map(([name, help, kind]) =>
    Buffer.from(`# HELP ${name} ${help}\n# TYPE ${name} ${kind}\n`),
  );
  return {
    contentType: registry.contentType,
    async render() {
      const byAgent = domainsByAgent(cache);
      for (const agent of parts.keys()) if (!byAgent.has(agent)) parts.delete(agent);
      const current: HostPart[] = [];
      for (const [agent, entries] of byAgent) {
        const host = cache.hostName(agent);
        let part = parts.get(agent);
        if (!part || part.host !== host || !sameObjects(part.made, entries)) {
          part = hostPart(host, entries);
          parts.set(agent, part);
        }
        current.push(part);
      }
      const chunks: Buffer[] = [Buffer.from(`${await registry.metrics()}\n`)];
      headers.forEach((header, i) => {
        chunks.push(header);
        for (const part of current) chunks.push(part.families[i]!);
        chunks.push(NEWLINE);
      });
      return Buffer.concat(chunks);
    },
  };
}

const NEWLINE = Buffer.from("\n");

/** Is `agent` heard? A silent agent's objects leave the output (their values are not current). */
function heard(cache: FleetCache, agent: string): boolean {
  return cache.hosts.get(agent)?.status === "up";
}

/** The domains with both objects, of hosts whose agents are heard, by agent. */
function domainsByAgent(cache: FleetCache): Map<string, DomainEntry[]> {
  const byAgent = new Map<string, DomainEntry[]>();
  for (const e of cache.domains.values()) {
    if (!e.domain || !e.info || !heard(cache, e.agent)) continue;
    const list = byAgent.get(e.agent);
    if (list) list.push(e);
    else byAgent.set(e.agent, [e]);
  }
  return byAgent;
}

function sameObjects(made: object[], entries: DomainEntry[]): boolean {
  if (made.length !== entries.length * 2) return false;
  for (let i = 0; i < entries.length; i++) {
    if (made[2 * i] !== entries[i]!.domain || made[2 * i + 1] !== entries[i]!.info) return false;
  }
  return true;
}

function hostPart(host: string, entries: DomainEntry[]): HostPart {
  const made: object[] = [];
  const lines: string[][] = DOMAIN_SERIES.map(() => []);
  const hostLabel = escapeLabel(host);
  for (const e of entries) {
    made.push(e.domain!, e.info!);
    const props = e.domain!.props;
    const labels = `{host="${hostLabel}",domain="${escapeLabel(props.name ?? "")}",uuid="${escapeLabel(props.uuid ?? "")}"} `;
    const values = e.info!.props;
    for (let i = 0; i < DOMAIN_SERIES.length; i++) {
      const [metric, , , value] = DOMAIN_SERIES[i]!;
      const v = value(values);
      if (v !== undefined) lines[i]!.push(metric + labels + Number(v));
    }
  }
  const families = lines.map((l) => Buffer.from(l.length ? `${l.join("\n")}\n` : ""));
  return { host, made, families };
}

/** A label value in the text format: backslash, double quote and newline escaped. */
function escapeLabel(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

/** The registry of the host, broker and pool gauges. */
function fleetRegistry(cache: FleetCache): Registry {
  const registry = new Registry();

  for (const [name, help, value] of HOST_SERIES) {
    new Gauge({
      name,
      help,
      labelNames: ["host", "agent"],
      registers: [registry],
      collect() {
        this.reset();
        const now = Date.now();
        for (const h of cache.hosts.values())
          this.set({ host: h.host, agent: h.agent }, value(h, now));
      },
    });
  }
  new Gauge({
    name: "libvirt_qmf_broker_up",
    help: "1 while the web server's console session is connected to the broker, else 0",
    registers: [registry],
    collect() {
      this.set(cache.broker.up ? 1 : 0);
    },
  });

  for (const [name, help, value] of POOL_SERIES) {
    new Gauge({
      name,
      help,
      labelNames: ["host", "storage_pool", "uuid"],
      registers: [registry],
      collect() {
        this.reset();
        for (const p of cache.pools.values()) {
          const v = value(p.props);
          if (v === undefined || !heard(cache, p.agentName)) continue;
          this.set(
            {
              host: cache.hostName(p.agentName),
              storage_pool: p.props.name ?? "",
              uuid: p.props.uuid ?? "",
            },
            Number(v),
          );
        }
      },
    });
  }
  return registry;
}
