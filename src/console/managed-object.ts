// The base of every generated class: one managed object as the fleet last saw it, with the
// means to call its methods and follow its references through the fleet that found it.
import { ArgumentError } from "./errors.js";
import {
  convertValues,
  type ObjectRef,
  objectIdText,
  refText,
  toObjectRef,
} from "./field-values.js";
import { type ClassMeta, LABEL_PROPERTIES } from "./metadata.js";

/** What a managed object needs from the fleet it came from. */
export interface ObjectSource {
  /** Calls `method` on the object; resolves to the out arguments (SDK-typed). */
  callMethod(
    target: ManagedObject<object>,
    method: string,
    args: Record<string, unknown>,
  ): Promise<Record<string, unknown>>;
  /** Fetches the object `ref` points at, as an instance of `cls`. */
  getObject<T extends ManagedObject<object>>(ref: ObjectRef, cls: ManagedClass<T>): Promise<T>;
  /** The host name of an agent (its `hostname` attribute, else its instance name). */
  hostOf(agentName: string): string;
}

/** A generated class: constructible from a source and the data of one object. */
export interface ManagedClass<T extends ManagedObject<object>> {
  new (source: ObjectSource, data: ObjectData): T;
  readonly meta: ClassMeta;
}

type AnyManagedClass = ManagedClass<ManagedObject<object>>;

/** The raw data of one object, as the QMF session reports it. */
export interface ObjectData {
  objectId: ObjectRef;
  agentName: string;
  values: Record<string, unknown>;
  updateTs?: bigint;
  createTs?: bigint;
}

/**
 * One managed object. Properties are in `props` (typed by the generated subclass, which also
 * has one getter per property and one async method per schema method, installed from its
 * schema by {@link ManagedObject.installSchemaMembers}). The object is a snapshot: call
 * `fleet.get(obj.objectId)` for a fresh copy.
 */
export class ManagedObject<P extends object> {
  /** The object's id: publishing agent and object name. */
  readonly objectId: ObjectRef;
  /** The agent that publishes the object. */
  readonly agentName: string;
  /** Property values, typed per the schema (bigint for 64-bit integers). */
  readonly props: P;
  /** When the agent last changed the object (ns since the epoch), if known. */
  readonly updateTs: bigint | undefined;
  /** @internal */
  protected readonly source: ObjectSource;

  constructor(source: ObjectSource, data: ObjectData) {
    this.source = source;
    this.objectId = data.objectId;
    this.agentName = data.agentName;
    this.updateTs = data.updateTs;
    const meta = (this.constructor as ManagedClass<ManagedObject<P>>).meta;
    this.props = convertValues(meta.properties, data.values) as P;
  }

  /** The schema class name, e.g. "Domain". */
  get className(): string {
    return (this.constructor as ManagedClass<ManagedObject<P>>).meta.name;
  }

  /** The host the object lives on (its agent's host name). */
  get host(): string {
    return this.source.hostOf(this.agentName);
  }

  /**
   * What people call the object: its `name`, else `hostname` (a Node), else `key`, else its
   * object name.
   */
  get label(): string {
    const p = this.props as Record<string, unknown>;
    for (const k of LABEL_PROPERTIES) if (p[k] !== null && p[k] !== undefined) return String(p[k]);
    return this.objectId.objectName;
  }

  /** The object id as text, `<agent name>/<object name>`. */
  get objectIdText(): string {
    return objectIdText(this.objectId);
  }

  /** A plain view for JSON output: id, agent, host, class and properties. */
  toJSON(): Record<string, unknown> {
    const properties: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.props)) properties[k] = refText(v);
    return {
      object_id: this.objectIdText,
      class: this.className,
      agent: this.agentName,
      host: this.host,
      properties,
    };
  }

  /**
   * Gives each class, on its prototype, what its schema (`meta`) declares and the generated
   * file types: a getter per property (a reference with a target class resolves to that
   * object), and an async method per schema method that calls it and returns its output: none,
   * the one out argument (an object it references, resolved), or all of them.
   * @internal
   */
  static installSchemaMembers(classes: Readonly<Record<string, AnyManagedClass>>): void {
    const classNamed = (name: string): AnyManagedClass => {
      const cls = classes[name];
      if (!cls) throw new Error(`the schema references unknown class ${name}`);
      return cls;
    };
    for (const cls of Object.values(classes)) {
      const proto = cls.prototype as ManagedObject<Record<string, unknown>>;
      for (const p of cls.meta.properties) {
        const target = p.type === "objId" && p.references ? classNamed(p.references) : undefined;
        Object.defineProperty(proto, p.name, {
          configurable: true,
          get(this: ManagedObject<Record<string, unknown>>) {
            return target ? this.follow(p.name, target) : this.props[p.name];
          },
        });
      }
      for (const m of cls.meta.methods) {
        const takesArgs = m.args.some((a) => a.dir !== "O");
        const outs = m.args.filter((a) => a.dir === "O" || a.dir === "IO");
        const out = outs.length === 1 ? outs[0] : undefined;
        const target =
          out?.type === "objId" && out.references ? classNamed(out.references) : undefined;
        const what = `${cls.meta.name}.${m.name}`;
        const { [m.name]: method } = {
          async [m.name](this: ManagedObject<object>, args?: Record<string, unknown>) {
            const values = await this.invoke(m.name, takesArgs ? { ...args } : {});
            if (outs.length === 0) return undefined;
            if (!out) return values;
            return target ? this.resolveRef(values[out.name], what, target) : values[out.name];
          },
        };
        Object.defineProperty(proto, m.name, { configurable: true, writable: true, value: method });
      }
    }
  }

  /** Calls a schema method by name with already typed arguments. */
  protected invoke(
    method: string,
    args: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    return this.source.callMethod(this, method, args);
  }

  /** Fetches the object a reference property points at. */
  protected follow<T extends ManagedObject<object>>(
    prop: string,
    cls: ManagedClass<T>,
  ): Promise<T> {
    const ref = toObjectRef((this.props as Record<string, unknown>)[prop]);
    if (!ref) {
      return Promise.reject(
        new ArgumentError(`${this.className} ${this.objectIdText} has no reference in "${prop}"`),
      );
    }
    return this.source.getObject(ref, cls);
  }

  /** Fetches the object an out argument of a method points at. */
  protected resolveRef<T extends ManagedObject<object>>(
    value: unknown,
    what: string,
    cls: ManagedClass<T>,
  ): Promise<T> {
    const ref = toObjectRef(value);
    if (!ref) {
      return Promise.reject(new ArgumentError(`${what}: the agent returned no object reference`));
    }
    return this.source.getObject(ref, cls);
  }
}
