import type { QmfObject } from "./types.js";
import { cacheKey } from "./wire.js";

/** Which cached objects to list; every field given must match. */
export interface CacheFilter {
  agentName?: string;
  className?: string;
  packageName?: string;
}

/**
 * The objects a console has seen, from query results and data indications, by agent and
 * object name; a disabled cache keeps nothing.
 */
export class ObjectCache {
  private readonly objects = new Map<string, QmfObject>();

  constructor(readonly enabled: boolean) {}

  /** Adds or replaces an object. */
  put(obj: QmfObject): void {
    if (this.enabled) this.objects.set(cacheKey(obj.objectId), obj);
  }

  /** Forgets an object (deleted on its agent). */
  remove(obj: QmfObject): void {
    this.objects.delete(cacheKey(obj.objectId));
  }

  /** Forgets every object of an agent (aged out, or restarted). */
  dropAgent(agentName: string): void {
    for (const [k, o] of this.objects) if (o.agentName === agentName) this.objects.delete(k);
  }

  /** After a full re-read of an agent: forgets its objects that the re-read did not return. */
  keepOnly(agentName: string, current: readonly QmfObject[]): void {
    const seen = new Set(current.map((o) => cacheKey(o.objectId)));
    for (const [k, o] of this.objects) {
      if (o.agentName === agentName && !seen.has(k)) this.objects.delete(k);
    }
  }

  list(filter: CacheFilter = {}): QmfObject[] {
    const out: QmfObject[] = [];
    for (const o of this.objects.values()) {
      if (filter.agentName !== undefined && o.agentName !== filter.agentName) continue;
      if (filter.className !== undefined && o.className !== filter.className) continue;
      if (filter.packageName !== undefined && o.packageName !== filter.packageName) continue;
      out.push(o);
    }
    return out;
  }
}
