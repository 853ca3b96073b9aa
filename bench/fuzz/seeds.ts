// The committed seed corpus: real messages captured by capture.ts, one hex file per message
// (hex so a diff shows what changed), in seeds/<kind>/. The fuzz run reads only these files.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The three corpora: whole libvirt packets, amqp/map bodies, amqp/list bodies. */
export type SeedKind = "xdr" | "map" | "list";

/** One captured message. */
export interface Seed {
  /** File name without `.hex`, e.g. `reply-DOMAIN_GET_XML_DESC`. */
  name: string;
  bytes: Buffer;
}

const SEED_ROOT = fileURLToPath(new URL("./seeds/", import.meta.url));

/** The seeds of one kind, in file-name order (a run's inputs depend on this order). */
export function loadSeeds(kind: SeedKind): Seed[] {
  const dir = join(SEED_ROOT, kind);
  const seeds = readdirSync(dir)
    .filter((f) => f.endsWith(".hex"))
    .sort()
    .map((f) => ({
      name: f.slice(0, -".hex".length),
      bytes: Buffer.from(readFileSync(join(dir, f), "utf8").replace(/\s+/g, ""), "hex"),
    }));
  if (seeds.length === 0) throw new Error(`no seeds in ${dir}: run bench/fuzz/capture.ts`);
  return seeds;
}

/** Replaces the seeds of one kind (capture.ts). Hex in lines of 32 bytes. */
export function writeSeeds(kind: SeedKind, seeds: readonly Seed[]): void {
  const dir = join(SEED_ROOT, kind);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const s of seeds) {
    const hex = s.bytes.toString("hex").replace(/(.{64})/g, "$1\n");
    writeFileSync(join(dir, `${s.name}.hex`), hex.endsWith("\n") ? hex : `${hex}\n`);
  }
}
