// What the agent reads from a running domain's XML: where its displays listen (Domain.graphics)
// and whether its balloon lacks a stats period. The XML is read only when a running domain is
// first seen, after its lifecycle events and after a method on it (never on every resync: at
// 10,000 domains that would double the resync's calls), and then, for a QEMU domain whose
// balloon has no stats period, the period is set (as cockpit does) so that its memory
// statistics are refreshed.
import {
  type Domain,
  DomainModificationImpact,
  isLibvirtError,
  type LibvirtClient,
} from "../../libvirt/index.js";
import { childAt, childrenNamed, parseXml, type XmlElement } from "../../util/xml.js";
import type { KindSettings, Values } from "./kind.js";

/** A domain's displays, and the domain id they were read at (-1: not running, none). */
export interface Displays {
  readonly of: number;
  readonly graphics: readonly Values[];
}

/** What a domain that is not running shows: no display listens. */
export const NO_DISPLAYS: Displays = Object.freeze({ of: -1, graphics: Object.freeze([]) });

/**
 * Domain.graphics from the `<devices>` of a domain's XML: per `<graphics>`, its type, the
 * address it listens on (or its socket path) and its port (-1 when libvirt gives none).
 */
export function graphicsOf(devices: XmlElement | undefined): Values[] {
  if (!devices) return [];
  return childrenNamed(devices, "graphics").map((g) => {
    const listen = childrenNamed(g, "listen")[0]?.attrs;
    const port = Number(g.attrs.port ?? "-1");
    return {
      type: g.attrs.type ?? "",
      address: listen?.address ?? listen?.socket ?? g.attrs.listen ?? g.attrs.socket ?? "",
      port: Number.isInteger(port) ? port : -1,
    };
  });
}

/** Whether a domain is a QEMU one whose balloon has no stats period. */
export function lacksStatsPeriod(domain: XmlElement): boolean {
  if (domain.attrs.type !== "qemu" && domain.attrs.type !== "kvm") return false;
  const balloon = childAt(domain, "devices", "memballoon");
  if (!balloon || balloon.attrs.model === "none") return false;
  // libvirt writes <stats period='N'/> only for a period it has set.
  return childrenNamed(balloon, "stats").every((s) => s.attrs.period === undefined);
}

/**
 * Reads a running domain's XML: its displays, and, when `settings` ask for it and its
 * balloon has no stats period, sets one (live). A refusal to set it is logged, not thrown.
 */
export async function readDisplays(
  c: LibvirtClient,
  d: Domain,
  settings: KindSettings,
  log: { warn(msg: string, fields: Record<string, unknown>): void },
): Promise<Displays> {
  const xml = await c.domainGetXmlDesc(d);
  const balloon = settings.balloonStatsPeriod > 0 && xml.includes("<memballoon");
  // Most of a resync's first reads at scale find neither: no parse then.
  if (!balloon && !xml.includes("<graphics")) return { of: d.id, graphics: NO_DISPLAYS.graphics };
  const root = parseXml(xml);
  if (balloon && lacksStatsPeriod(root)) {
    const period = settings.balloonStatsPeriod;
    try {
      await c.domainSetMemoryStatsPeriod(d, period, DomainModificationImpact.LIVE);
    } catch (err) {
      if (!isLibvirtError(err)) throw err;
      log.warn("could not set the balloon's stats period", { domain: d.uuid, period, err });
    }
  }
  const graphics = graphicsOf(childAt(root, "devices"));
  return { of: d.id, graphics: graphics.length > 0 ? graphics : NO_DISPLAYS.graphics };
}
