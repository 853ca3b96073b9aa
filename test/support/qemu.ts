// QEMU guests for tests on qemu:///system: tiny (64 MiB), diskless, TCG (`type='qemu'`), with
// unique names so concurrent test runs never collide, and a cleanup that always leaves
// nothing behind.
import { writeFileSync } from "node:fs";
import { DomainUndefineFlags, isNoDomain, type LibvirtClient } from "../../src/libvirt/index.js";
import { uniqueName } from "./names.js";

/** A unique guest name: `lvqtest-<tag>-<random>`. */
export const uniqueGuestName = (tag = "vm"): string => uniqueName(tag);

/**
 * Domain XML of a QEMU (TCG) guest with a virtio balloon: diskless and without graphics unless
 * `disk` (a qcow2 image path, as vda) or `vnc` (a VNC display on 127.0.0.1, port chosen by
 * libvirt) is given; its balloon's stats period is `statsPeriod` seconds (default 1; null:
 * none set).
 */
export function qemuGuestXml(
  name: string,
  opts: {
    memoryMiB?: number;
    /** Memory at start (default: all of it). */
    currentMemoryMiB?: number;
    vcpus?: number;
    /** Most vCPUs it may get (default: vcpus). */
    maxVcpus?: number;
    statsPeriod?: number | null;
    disk?: string;
    vnc?: boolean;
  } = {},
): string {
  const mem = opts.memoryMiB ?? 64;
  const current = opts.currentMemoryMiB ?? mem;
  const vcpus = opts.vcpus ?? 1;
  const maxVcpus = opts.maxVcpus ?? vcpus;
  const period = opts.statsPeriod === undefined ? 1 : opts.statsPeriod;
  const balloon =
    period === null
      ? "<memballoon model='virtio'/>"
      : `<memballoon model='virtio'><stats period='${period}'/></memballoon>`;
  const disk = opts.disk
    ? `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${opts.disk}'/><target dev='vda' bus='virtio'/></disk>`
    : "";
  const vnc = opts.vnc ? "<graphics type='vnc' autoport='yes' listen='127.0.0.1'/>" : "";
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>${mem}</memory>
  <currentMemory unit='MiB'>${current}</currentMemory>
  ${maxVcpus === vcpus ? `<vcpu>${vcpus}</vcpu>` : `<vcpu current='${vcpus}'>${maxVcpus}</vcpu>`}
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='network'/></os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    ${disk}${vnc}${balloon}
    <serial type='pty'/>
  </devices>
</domain>
`;
}

/**
 * Destroys (if running) and undefines the named guest, including a managed-save image.
 * Missing guests are fine; other errors are returned (not thrown) so `after` hooks keep going.
 */
export async function cleanupGuest(client: LibvirtClient, name: string): Promise<Error | null> {
  try {
    const d = await client.domainLookupByName(name);
    try {
      await client.domainDestroy(d);
    } catch {
      // Already stopped.
    }
    const everything =
      DomainUndefineFlags.MANAGED_SAVE |
      DomainUndefineFlags.SNAPSHOTS_METADATA |
      DomainUndefineFlags.NVRAM;
    await client.domainUndefine(d, everything).catch(() => client.domainUndefine(d));
    return null;
  } catch (err) {
    if (isNoDomain(err)) return null;
    return err as Error;
  }
}

/**
 * Writes an empty qcow2 image (version 2, 64 KiB clusters) of `sizeBytes` at `path`, for a
 * guest whose disk must take internal snapshots (the machine has no qemu-img). Layout, as
 * qemu-img lays one out: cluster 0 the header, 1 the refcount table (one entry: cluster 2),
 * 2 the refcount block (16-bit counts: clusters 0-3 used once), 3 the L1 table (no L2 yet).
 */
export function writeEmptyQcow2(path: string, sizeBytes: number): void {
  const CLUSTER = 0x10000;
  const l2Covers = (CLUSTER / 8) * CLUSTER; // one L2 table maps cluster_size / 8 clusters
  const img = Buffer.alloc(4 * CLUSTER);
  img.write("QFI\xfb", 0, "latin1"); // magic
  img.writeUInt32BE(2, 4); // version
  img.writeUInt32BE(16, 20); // cluster_bits
  img.writeBigUInt64BE(BigInt(sizeBytes), 24); // virtual size
  img.writeUInt32BE(Math.ceil(sizeBytes / l2Covers), 36); // l1_size
  img.writeBigUInt64BE(BigInt(3 * CLUSTER), 40); // l1_table_offset
  img.writeBigUInt64BE(BigInt(CLUSTER), 48); // refcount_table_offset
  img.writeUInt32BE(1, 56); // refcount_table_clusters
  img.writeBigUInt64BE(BigInt(2 * CLUSTER), CLUSTER); // refcount table → block
  for (let c = 0; c < 4; c++) img.writeUInt16BE(1, 2 * CLUSTER + 2 * c);
  writeFileSync(path, img);
}
