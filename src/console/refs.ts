// How a user names an object on the command line or in a script: a name, a UUID,
// `host/name`, or an object id (`<agent name>/<object name>`); and finding the objects such a
// reference means, through the fleet's queries.
import { type AnyClass, HOST_CLASS, namedClasses } from "./classes.js";
import type { FleetAgent } from "./discovery.js";
import { AmbiguousRefError, ArgumentError, type Candidate, NotFoundError } from "./errors.js";
import type { ObjectRef } from "./field-values.js";
import { equals } from "./filters.js";
import type { ManagedClass, ManagedObject } from "./managed-object.js";
import { NAMING_PROPERTIES } from "./metadata.js";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `s` has the canonical 8-4-4-4-12 UUID shape. */
export function looksLikeUuid(s: string): boolean {
  return UUID_RE.test(s);
}

/** A reference, split into what it may mean. */
export interface ParsedRef {
  /** The reference as given. */
  text: string;
  /** The part before the first `/`, when there is one: a host or an agent name. */
  scope?: string;
  /** The part after the first `/` (or all of it): a name, UUID or object name. */
  key: string;
}

/** Splits a reference at its first `/` (names in libvirt may contain `/` only after it). */
export function parseRef(text: string): ParsedRef {
  const slash = text.indexOf("/");
  if (slash > 0 && slash < text.length - 1) {
    return { text, scope: text.slice(0, slash), key: text.slice(slash + 1) };
  }
  return { text, key: text };
}

type AnyObject = ManagedObject<object>;

/** What resolving a reference needs from the fleet. */
export interface RefSource {
  whenDiscovered(): Promise<void>;
  agents(): FleetAgent[];
  /** Throws NotFoundError when no agent has that host name. */
  agentsForHost(host: string): FleetAgent[];
  /** Throws NotFoundError when the object does not exist. */
  get<T extends AnyObject>(ref: ObjectRef, cls?: ManagedClass<T>): Promise<T>;
  objects<T extends AnyObject>(
    cls: ManagedClass<T>,
    filter?: unknown[],
    opts?: { agents?: string[] },
  ): Promise<T[]>;
}

/**
 * Finds the objects references mean, by queries through a {@link RefSource}. A reference is
 * tried as an object id first (when its scope is an agent name), then as a name, host name,
 * key, path or UUID, within the agents of its scope when it has one.
 */
export class RefResolver {
  constructor(private readonly fleet: RefSource) {}

  /** Every object of `cls` a reference could mean. */
  async find<T extends AnyObject>(cls: ManagedClass<T>, text: string): Promise<T[]> {
    await this.fleet.whenDiscovered();
    const ref = parseRef(text);
    const byId = await this.byObjectId(ref, cls);
    return byId ? [byId] : this.byKey(cls, ref);
  }

  /** The one object of `cls` a reference names; NotFoundError or AmbiguousRefError else. */
  async resolve<T extends AnyObject>(cls: ManagedClass<T>, text: string): Promise<T> {
    return (await this.resolveAmong([cls], text, cls.meta.name, cls)) as T;
  }

  /**
   * The one object a reference names when its class is not known: an object id of any class,
   * or a name, UUID or `host/name` of an object of one of `classes` (default: every class
   * whose objects people name).
   */
  async resolveAny(classes: AnyClass[] = namedClasses(), text: string): Promise<AnyObject> {
    return this.resolveAmong(classes, text, "object", undefined);
  }

  /** Resolves among `classes`; an object id must name an object of `idClass` when given. */
  private async resolveAmong(
    classes: AnyClass[],
    text: string,
    what: string,
    idClass: AnyClass | undefined,
  ): Promise<AnyObject> {
    await this.fleet.whenDiscovered();
    const ref = parseRef(text);
    // An object id names one object whatever the classes searched: asked once, not per class.
    const byId = await this.byObjectId(ref, idClass);
    if (byId) return byId;
    const found = (await Promise.all(classes.map((c) => this.byKey(c, ref)))).flat();
    if (found.length === 1) return found[0]!;
    if (found.length === 0) {
      throw new NotFoundError(`no ${what} "${text}" on any agent`, what, text);
    }
    const objects = what === "object" ? "objects" : `${what} objects`;
    throw new AmbiguousRefError(
      `"${text}" names ${found.length} ${objects}; use host/name, the UUID or the object id`,
      what,
      text,
      found.map(candidateOf),
    );
  }

  /** The object a reference names as an object id; undefined when it is not one. */
  private async byObjectId<T extends AnyObject>(
    ref: ParsedRef,
    cls: ManagedClass<T> | undefined,
  ): Promise<T | undefined> {
    if (ref.scope === undefined || !this.fleet.agents().some((a) => a.name === ref.scope)) {
      return undefined;
    }
    try {
      return await this.fleet.get({ agentName: ref.scope, objectName: ref.key }, cls);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /** The objects of `cls` whose name, host name, key, path or UUID is the reference's key. */
  private byKey<T extends AnyObject>(cls: ManagedClass<T>, ref: ParsedRef): Promise<T[]> {
    if (ref.scope !== undefined) {
      let agents: FleetAgent[];
      try {
        agents = this.fleet.agentsForHost(ref.scope);
      } catch (err) {
        // Not a host: the whole text may still be a name containing "/".
        if (!(err instanceof NotFoundError)) throw err;
        return this.named(cls, ref.text);
      }
      return this.named(
        cls,
        ref.key,
        agents.map((a) => a.name),
      );
    }
    if ((cls as unknown) === HOST_CLASS) {
      // A host is also named by its agent (instance or full name), which is unique even when
      // several agents run on one machine and report the same libvirt host name.
      const text = ref.text;
      const byAgent = this.fleet
        .agents()
        .filter((a) => a.name === text || a.instance === text || a.host === text);
      if (byAgent.length) {
        return this.fleet.objects(cls, undefined, { agents: byAgent.map((a) => a.name) });
      }
    }
    return this.named(cls, ref.text);
  }

  private named<T extends AnyObject>(
    cls: ManagedClass<T>,
    key: string,
    agents?: string[],
  ): Promise<T[]> {
    const props = new Set(cls.meta.properties.map((p) => p.name));
    const terms = NAMING_PROPERTIES.filter((p) => props.has(p)).map((p) => equals(p, key));
    if (props.has("uuid") && looksLikeUuid(key)) terms.push(equals("uuid", key.toLowerCase()));
    if (terms.length === 0) {
      throw new ArgumentError(`${cls.meta.name} objects can only be named by object id`);
    }
    const where = terms.length === 1 ? terms[0]! : ["or", ...terms];
    return this.fleet.objects(cls, where, agents ? { agents } : {});
  }
}

function candidateOf(o: AnyObject): Candidate {
  const c: Candidate = { objectId: o.objectIdText, host: o.host, name: o.label };
  const uuid = (o.props as Record<string, unknown>).uuid;
  if (typeof uuid === "string") c.uuid = uuid;
  return c;
}
