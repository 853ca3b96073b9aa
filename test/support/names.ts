// Names of what the tests create on the shared services (instances, vhosts, broker users,
// guests): unique per call, since other runs use the same broker and libvirtd at once.
import { randomBytes } from "node:crypto";

/** A unique name: `lvqtest-<tag>-<random>`. */
export function uniqueName(tag: string): string {
  return `lvqtest-${tag}-${randomBytes(4).toString("hex")}`;
}
