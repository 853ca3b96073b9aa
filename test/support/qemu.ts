// QEMU guests for tests on qemu:///system: tiny (64 MiB), diskless, TCG (`type='qemu'`), with
// unique names so concurrent test runs never collide, and a cleanup that always leaves
// nothing behind.
import { randomBytes } from "node:crypto";
import { DomainUndefineFlags, isNoDomain, type LibvirtClient } from "../../src/libvirt/index.js";

/** A unique guest name: `lvqtest-<random>`. */
export function uniqueGuestName(tag = "vm"): string {
  return `lvqtest-${tag}-${randomBytes(4).toString("hex")}`;
}

/** Domain XML of a diskless QEMU (TCG) guest with a virtio balloon and no graphics. */
export function qemuGuestXml(
  name: string,
  opts: { memoryMiB?: number; vcpus?: number } = {},
): string {
  const mem = opts.memoryMiB ?? 64;
  const vcpus = opts.vcpus ?? 1;
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>${mem}</memory>
  <currentMemory unit='MiB'>${mem}</currentMemory>
  <vcpu>${vcpus}</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='network'/></os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <memballoon model='virtio'><stats period='1'/></memballoon>
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
