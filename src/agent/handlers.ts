// How a method handler is written. Each class's handlers sit next to its kind
// (kinds/<kind>-methods.ts) in one table typed from schema/libvirt.xml
// (generated/methods.ts): a handler gets the libvirt object the call is made on and its
// arguments under their schema names and types, so a misspelled argument, a wrong output or a
// method left out fails to compile. Each handler row also says the role a caller needs
// (roles.ts); a row that says none needs admin, so a method added later is closed by default.
import type { LibvirtClient } from "../libvirt/index.js";
import type { ConsoleSession, ObjectIdLike } from "../qmf/index.js";
import { xmlArg } from "./arguments.js";
import type { SchemaMethods } from "./generated/methods.js";
import type { AnyKind, KindRow } from "./kinds/kind.js";
import type { AgentLogger } from "./log.js";
import type { Mirror } from "./mirror.js";
import type { Role } from "./roles.js";

/** A class that has methods. */
export type ClassWithMethods = keyof SchemaMethods;
/** A method of class `C`. */
export type MethodOf<C extends ClassWithMethods> = keyof SchemaMethods[C] & string;
type Signature<C extends ClassWithMethods, M extends MethodOf<C>> = SchemaMethods[C][M];
/** The inputs of `C.M`, as the agent session hands them over (checked and converted). */
export type ArgsOf<C extends ClassWithMethods, M extends MethodOf<C>> =
  Signature<C, M> extends { args: infer A } ? A : never;
/** The output `C.M` returns. */
export type ResultOf<C extends ClassWithMethods, M extends MethodOf<C>> =
  Signature<C, M> extends { result: infer R } ? R : never;

/** What a handler may use besides its call. */
export interface HandlerContext {
  /** What keeps the objects equal to libvirt (to read an object again after a change). */
  mirror: Mirror;
  /** This agent's name (to tell its own objects from another host's). */
  agentName: string;
  /** The object id of one of this agent's objects. */
  objectId(className: string, key: string): ObjectIdLike;
  /** A console session on the same broker (opened on first use), for reading other agents. */
  console(): Promise<ConsoleSession>;
  /**
   * Runs one libvirt call; `name` is libvirt's name for it (e.g. "virDomainCreate"). Refuses
   * at once when libvirt is not connected; a failure becomes the QMF error naming the call.
   */
  callLibvirt<T>(name: string, fn: (c: LibvirtClient) => Promise<T>): Promise<T>;
  log: AgentLogger;
}

/** One method call, as a handler sees it. */
export interface HandlerCall<A, H> {
  /** The libvirt object the method is called on (found through its kind). */
  readonly target: H;
  readonly args: A;
  readonly className: string;
  readonly methodName: string;
  readonly objectName: string;
  /** The broker-validated user that called. */
  readonly userId?: string;
}

/** One method's handler. */
export interface Handler<A, R, H> {
  /** The role a caller needs; absent: admin. */
  readonly role?: Role;
  /**
   * A long job (save, restore, migrate…): the agent runs only a few at a time
   * (`maxLongJobs`) and refuses one more at once instead of queueing it.
   */
  readonly long?: boolean;
  run(call: HandlerCall<A, H>, ctx: HandlerContext): Promise<R>;
}

/** `handler`, needing `role` of its caller instead of admin. */
export function needs<A, R, H>(role: Role, handler: Handler<A, R, H>): Handler<A, R, H> {
  return { ...handler, role };
}

/** `handler`, marked as a long job. */
export function long<A, R, H>(handler: Handler<A, R, H>): Handler<A, R, H> {
  return { ...handler, long: true };
}

/** A handler for every method of class `C`, whose objects are libvirt handles `H`. */
export type Handlers<C extends ClassWithMethods, H> = {
  readonly [M in MethodOf<C>]: Handler<ArgsOf<C, M>, ResultOf<C, M>, H>;
};

/** The handlers of one class, with the kind whose objects they are called on. */
export interface MethodTable<C extends ClassWithMethods = ClassWithMethods> {
  readonly className: C;
  readonly kind: AnyKind;
  readonly handlers: Readonly<Record<string, Handler<unknown, unknown, unknown>>>;
}

/**
 * The handlers of class `className`, called on objects of `kind` (its first class must be
 * `className`: the object a call names is looked up there).
 */
export function methodsOf<C extends ClassWithMethods, H>(
  className: C,
  kind: KindRow<H, unknown, unknown, unknown>,
  handlers: Handlers<C, H>,
): MethodTable<C> {
  if (kind.classes[0] !== className) {
    throw new Error(`methods of ${className} given the ${kind.name} kind (${kind.classes[0]})`);
  }
  return {
    className,
    kind: kind as AnyKind,
    handlers: handlers as unknown as MethodTable["handlers"],
  };
}

/**
 * A method without output that changes one object: run one libvirt call on it (given the
 * call's arguments), then read the object again (its events would too, but the caller should
 * see the new state at once).
 */
export function act<H, A = unknown>(
  kind: KindRow<H, unknown, unknown, unknown>,
  name: string,
  fn: (c: LibvirtClient, target: H, args: A) => Promise<unknown>,
): Handler<A, Record<string, never>, H> {
  return {
    async run(call, ctx) {
      await ctx.callLibvirt(name, (c) => fn(c, call.target, call.args));
      await ctx.mirror.refresh(kind as AnyKind, kind.key(call.target));
      return {};
    },
  };
}

/**
 * A method that defines or creates an object of `kind` from the XML argument
 * `xml_desc`, publishes it at once and returns its object id as output `output`.
 */
export function fromXml<H, K extends string>(
  kind: KindRow<H, unknown, unknown, unknown>,
  output: K,
  name: string,
  fn: (c: LibvirtClient, xml: string) => Promise<H>,
): Handler<{ xml_desc: string }, Record<K, ObjectIdLike>, unknown> {
  return {
    async run(call, ctx) {
      const xml = xmlArg(call, "xml_desc");
      const key = kind.key(await ctx.callLibvirt(name, (c) => fn(c, xml)));
      await ctx.mirror.refresh(kind as AnyKind, key);
      return { [output]: ctx.objectId(kind.classes[0], key) } as Record<K, ObjectIdLike>;
    },
  };
}

/** A method returning one object's XML description as `description` (it only reads). */
export function describe<H>(
  name: string,
  fn: (c: LibvirtClient, target: H) => Promise<string>,
): Handler<unknown, { description: string }, H> {
  return {
    run: async (call, ctx) => ({
      description: await ctx.callLibvirt(name, (c) => fn(c, call.target)),
    }),
  };
}
