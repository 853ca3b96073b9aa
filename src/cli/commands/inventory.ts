import type { Command } from "commander";
import {
  connect,
  domainStateName,
  type LibvirtClient,
  type NodeInfo,
  PoolState,
  VolType,
} from "../../libvirt/index.js";
import { displayValue, formatTable, safeText } from "../output.js";

/** One host's inventory as read from libvirt. */
export interface Inventory {
  uri: string;
  hostname: string;
  hypervisor: string;
  libVersion: string;
  /** The host's facts as libvirt gives them, its `memory` named for its unit. */
  node: Omit<NodeInfo, "memory"> & { memoryKiB: bigint };
  domains: {
    name: string;
    uuid: string;
    id: number;
    state: string;
    vcpus: number;
    memoryKiB: bigint;
  }[];
  pools: {
    name: string;
    uuid: string;
    state: string;
    capacity: bigint;
    allocation: bigint;
    available: bigint;
    volumes: {
      name: string;
      key: string;
      path: string;
      type: string;
      capacity: bigint;
      allocation: bigint;
    }[];
  }[];
}

const poolStateNames = Object.fromEntries(
  Object.entries(PoolState).map(([k, v]) => [v, k.toLowerCase()]),
);
const volTypeNames = Object.fromEntries(
  Object.entries(VolType).map(([k, v]) => [v, k.toLowerCase()]),
);

const versionText = (v: bigint): string => `${v / 1_000_000n}.${(v / 1000n) % 1000n}.${v % 1000n}`;

/** Reads node info, domains with state, pools and their volumes. */
export async function readInventory(client: LibvirtClient): Promise<Inventory> {
  const [hostname, hypervisor, libVersion, node, domains, pools] = await Promise.all([
    client.getHostname(),
    client.getType(),
    client.getLibVersion(),
    client.nodeGetInfo(),
    client.listAllDomains(),
    client.listAllStoragePools(),
  ]);
  const domainRows = await Promise.all(
    domains.map(async (d) => {
      const info = await client.domainGetInfo(d);
      return {
        name: d.name,
        uuid: d.uuid,
        id: d.id,
        state: domainStateName(info.state),
        vcpus: info.nrVirtCpu,
        memoryKiB: info.memory,
      };
    }),
  );
  const poolRows = await Promise.all(
    pools.map(async (p) => {
      const info = await client.storagePoolGetInfo(p);
      // Volumes of an inactive pool cannot be listed.
      const vols =
        info.state === PoolState.RUNNING ? await client.storagePoolListAllVolumes(p) : [];
      const volumes = await Promise.all(
        vols.map(async (v) => {
          const [vi, path] = await Promise.all([
            client.storageVolGetInfo(v),
            client.storageVolGetPath(v),
          ]);
          return {
            name: v.name,
            key: v.key,
            path,
            type: volTypeNames[vi.type] ?? String(vi.type),
            capacity: vi.capacity,
            allocation: vi.allocation,
          };
        }),
      );
      volumes.sort((a, b) => a.name.localeCompare(b.name));
      return {
        name: p.name,
        uuid: p.uuid,
        state: poolStateNames[info.state] ?? String(info.state),
        capacity: info.capacity,
        allocation: info.allocation,
        available: info.available,
        volumes,
      };
    }),
  );
  domainRows.sort((a, b) => a.name.localeCompare(b.name));
  poolRows.sort((a, b) => a.name.localeCompare(b.name));
  // In libvirt's order (model, memory, then the CPU counts), as the JSON output has it.
  const { model, memory, ...counts } = node;
  return {
    uri: client.uri,
    hostname,
    hypervisor,
    libVersion: versionText(libVersion),
    node: { model, memoryKiB: memory, ...counts },
    domains: domainRows,
    pools: poolRows,
  };
}

/** JSON with 64-bit values as numbers when exact, else as decimal strings. */
export function inventoryJson(inv: Inventory): string {
  return JSON.stringify(
    inv,
    (_k, v) =>
      typeof v === "bigint" ? (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : v,
    2,
  );
}

/** A table with a rule under its headers, without the final newline; names escaped. */
function table(headers: string[], rows: string[][]): string {
  const cells = rows.map((r) => r.map((c) => displayValue(c)));
  return formatTable(
    headers.map((header) => ({ header })),
    cells,
    { headerRule: true },
  ).slice(0, -1);
}

/** The human-readable rendering. */
export function inventoryText(inv: Inventory): string {
  const n = inv.node;
  const out: string[] = [
    `Host ${safeText(inv.hostname)} (${safeText(inv.hypervisor)}, libvirt ${inv.libVersion}) at ${safeText(inv.uri)}`,
    `Node: ${safeText(n.model)}, ${n.cpus} CPUs @ ${n.mhz} MHz (${n.nodes} NUMA nodes, ${n.sockets} sockets, ${n.cores} cores, ${n.threads} threads), ${n.memoryKiB} KiB memory`,
    "",
    `Domains (${inv.domains.length}):`,
    table(
      ["ID", "NAME", "STATE", "VCPUS", "MEMORY KiB", "UUID"],
      inv.domains.map((d) => [
        d.id < 0 ? "-" : String(d.id),
        d.name,
        d.state,
        String(d.vcpus),
        String(d.memoryKiB),
        d.uuid,
      ]),
    ),
    "",
    `Storage pools (${inv.pools.length}):`,
    table(
      ["NAME", "STATE", "CAPACITY", "ALLOCATION", "AVAILABLE", "VOLUMES", "UUID"],
      inv.pools.map((p) => [
        p.name,
        p.state,
        String(p.capacity),
        String(p.allocation),
        String(p.available),
        String(p.volumes.length),
        p.uuid,
      ]),
    ),
  ];
  for (const p of inv.pools) {
    if (p.volumes.length === 0) continue;
    out.push(
      "",
      `Volumes of ${safeText(p.name)}:`,
      table(
        ["NAME", "TYPE", "CAPACITY", "ALLOCATION", "PATH"],
        p.volumes.map((v) => [v.name, v.type, String(v.capacity), String(v.allocation), v.path]),
      ),
    );
  }
  return out.join("\n");
}

/** `lvq inventory`: one host's inventory read straight from libvirt (no broker). */
export function registerInventoryCommand(program: Command): void {
  program
    .command("inventory")
    .description("print one libvirt host's node info, domains, pools and volumes")
    .option("--uri <uri>", "libvirt URI", "test:///default")
    .option("--json", "print JSON instead of tables")
    .addHelpText(
      "after",
      `
Examples:
  $ lvq inventory
  $ lvq inventory --uri qemu:///system
  $ lvq --json inventory --uri test+unix:///srv/host.xml | jq '.domains | length'`,
    )
    .action(async (opts: { uri: string; json?: boolean }, cmd: Command) => {
      // `--json` may also be the program's global option (lvq --json inventory).
      const json = opts.json === true || cmd.optsWithGlobals().json === true;
      const client = await connect(opts.uri, { callTimeoutMs: 60_000 });
      try {
        const inv = await readInventory(client);
        process.stdout.write(`${json ? inventoryJson(inv) : inventoryText(inv)}\n`);
      } finally {
        await client.close();
      }
    });
}
