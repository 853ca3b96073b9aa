// Deterministic object names, and how the agent turns libvirt's numbers into words. Names must
// not change across agent restarts (libvirt-qpid's random names duplicated objects in
// consoles); words are the ones a person reads, close to virsh's. The words of each kind's
// enums live with the kind (kinds/).

/** The package of schema/libvirt.xml. */
export const PACKAGE = "Libvirt";

/**
 * The name of an object: `<class>:<key>` (`Domain:<uuid>`, `Volume:<key>`, …). Opaque to
 * consoles, but stable: the same libvirt object gets the same name.
 */
export const objectName = (className: string, key: string): string => `${className}:${key}`;

/** The key in one of our object names of `className`, or undefined for another class. */
export function keyOf(className: string, name: string): string | undefined {
  const prefix = `${className}:`;
  return name.startsWith(prefix) ? name.slice(prefix.length) : undefined;
}

/** The word for value `n` of a libvirt enum, or `unknown (n)` for one newer than the table. */
export const wordOf = (table: readonly string[], n: number): string => table[n] ?? `unknown (${n})`;

/** libvirt's version numbers (major × 1,000,000 + minor × 1,000 + release) as text. */
export function versionText(v: bigint): string {
  const n = Number(v);
  return `${Math.floor(n / 1_000_000)}.${Math.floor(n / 1000) % 1000}.${n % 1000}`;
}
