// Writes libvirt test-driver node files: a private, in-memory hypervisor per connection
// (`test+unix:///abs/file.xml`), so tests never touch the shared test:///default.
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";

/** What the generated host contains. */
export interface TestDriverSpec {
  /** Number of domains (`<prefix>dom-<i>`, i from 0). */
  domains: number;
  /** Number of storage pools (`<prefix>pool-<p>`), all active, type dir. */
  pools: number;
  /** Volumes per pool (`<prefix>vol-<p>-<v>`, 1 MiB each). */
  volumesPerPool: number;
  /**
   * Virtual networks (`<prefix>net-<n>`, bridge `lvqbr<n>`, 10.<n / 250>.<n % 250>.1/24 with
   * a DHCP range), all active. Default 0.
   */
  networks?: number;
  /** Domains start running (default) or shut off (`<test:runstate>5</test:runstate>`). */
  runningDomains?: boolean;
  /**
   * The test driver always reports the machine's real hostname (CONNECT_GET_HOSTNAME), so a
   * host name cannot be faked through the file; when given it becomes the CPU model
   * (NODE_GET_INFO `model`, at most 31 bytes) to tell generated hosts apart.
   */
  hostName?: string;
  /** Prefix for every name (and seed of the deterministic UUIDs). Default "lvqtest-". */
  namePrefix?: string;
}

/** Deterministic UUID from a seed, so tests can predict UUIDs. */
export function testUuid(seed: string): string {
  const h = createHash("sha1").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const esc = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/'/g, "&apos;");

/** Names and UUIDs the file will contain (for assertions). */
export function testDriverNames(spec: TestDriverSpec): {
  domains: { name: string; uuid: string }[];
  pools: { name: string; uuid: string; path: string; volumes: { name: string; path: string }[] }[];
  networks: { name: string; uuid: string; bridge: string; subnet: string }[];
} {
  const prefix = spec.namePrefix ?? "lvqtest-";
  const domains = Array.from({ length: spec.domains }, (_, i) => ({
    name: `${prefix}dom-${i}`,
    uuid: testUuid(`${prefix}domain-${i}`),
  }));
  const pools = Array.from({ length: spec.pools }, (_, p) => {
    const name = `${prefix}pool-${p}`;
    const path = `/lvq-test-driver/${name}`;
    return {
      name,
      uuid: testUuid(`${prefix}pool-${p}`),
      path,
      volumes: Array.from({ length: spec.volumesPerPool }, (_, v) => ({
        name: `${prefix}vol-${p}-${v}`,
        path: `${path}/${prefix}vol-${p}-${v}`,
      })),
    };
  });
  const networks = Array.from({ length: spec.networks ?? 0 }, (_, n) => ({
    name: `${prefix}net-${n}`,
    uuid: testUuid(`${prefix}network-${n}`),
    bridge: `lvqbr${n}`,
    subnet: `10.${Math.floor(n / 250)}.${n % 250}`,
  }));
  return { domains, pools, networks };
}

/**
 * Writes the node file at `path` and returns its URI (`test+unix:///abs/path`). Each libvirt
 * connection to that URI gets its own private copy of this host.
 */
export function writeTestDriverFile(path: string, spec: TestDriverSpec): string {
  const abs = isAbsolute(path) ? path : resolve(path);
  const { domains, pools, networks } = testDriverNames(spec);
  const running = spec.runningDomains ?? true;
  const model = esc(
    Buffer.from(spec.hostName ?? "lvq-test-cpu")
      .subarray(0, 31)
      .toString(),
  );
  const parts: string[] = [
    "<node>",
    `  <cpu><mhz>2400</mhz><model>${model}</model><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads><active>4</active></cpu>`,
    "  <memory>16777216</memory>",
  ];
  for (const d of domains) {
    parts.push(
      `  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'><name>${esc(d.name)}</name><uuid>${d.uuid}</uuid><memory unit='KiB'>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os>${running ? "" : "<test:runstate>5</test:runstate>"}</domain>`,
    );
  }
  for (const p of pools) {
    parts.push(
      `  <pool type='dir'><name>${esc(p.name)}</name><uuid>${p.uuid}</uuid><capacity>107374182400</capacity><allocation>0</allocation><available>107374182400</available><target><path>${esc(p.path)}</path></target>`,
    );
    for (const v of p.volumes) {
      parts.push(
        `    <volume type='file'><name>${esc(v.name)}</name><capacity unit='bytes'>1048576</capacity><allocation unit='bytes'>0</allocation><target><path>${esc(v.path)}</path></target></volume>`,
      );
    }
    parts.push("  </pool>");
  }
  for (const n of networks) {
    parts.push(
      `  <network><name>${esc(n.name)}</name><uuid>${n.uuid}</uuid><bridge name='${n.bridge}'/><ip address='${n.subnet}.1' netmask='255.255.255.0'><dhcp><range start='${n.subnet}.2' end='${n.subnet}.254'/></dhcp></ip></network>`,
    );
  }
  parts.push("</node>", "");
  writeFileSync(abs, parts.join("\n"));
  return `test+unix://${abs}`;
}
