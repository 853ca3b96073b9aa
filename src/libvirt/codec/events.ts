// The event families we subscribe to, one row each: the MESSAGE the daemon sends (program,
// procedure number, body), the register-any / deregister-any procedures that subscribe to it,
// libvirt's event id, and the payload the client emits. Numbers and layouts are libvirt's
// (remote_protocol.x; append-only). Adding a family = adding a row (and its body struct); the
// client and the reconnecting wrapper handle every row alike.
import { ProtocolError } from "../errors.js";
import { type Codec, int, struct, voidCodec } from "./codec.js";
import { type Network, network } from "./network.js";
import { Program } from "./packet.js";
import type { Procedure } from "./procedures.js";
import { type Domain, domain, type StoragePool, storagePool } from "./types.js";

/** One asynchronous message (event) the daemon sends, declared as data. */
export interface Message<T> {
  /** libvirt's name without the REMOTE_PROC_ prefix (for errors and logs). */
  readonly name: string;
  readonly program: number;
  readonly number: number;
  readonly body: Codec<T>;
}

/** Arguments of a register-any call as we make it: the event id, for every object. */
export interface RegisterAnyArgs {
  eventID: number;
}

/** One family of events, declared as data. `B` is the message body, `P` the payload emitted. */
export interface EventFamily<B extends { callbackID: number }, P> {
  /** The MESSAGE packets that carry these events. */
  readonly message: Message<B>;
  /** Subscribes to the family for every object; answers the callback id its messages carry. */
  readonly register: Procedure<RegisterAnyArgs, { callbackID: number }>;
  /** Ends a subscription, by its callback id. */
  readonly deregister: Procedure<{ callbackID: number }, undefined>;
  /** libvirt's event id among the events of its object type (VIR_*_EVENT_ID_*). */
  readonly eventId: number;
  /** The payload emitted for a decoded body. */
  payload(body: B): P;
}

/** Payload of the `'domainLifecycle'` event (event/detail: DomainEventType and its detail). */
export interface DomainLifecycleEvent {
  domain: Domain;
  event: number;
  detail: number;
}
/** Payload of the `'poolLifecycle'` event (event: PoolEventType). */
export interface PoolLifecycleEvent {
  pool: StoragePool;
  event: number;
  detail: number;
}
/** Payload of the `'poolRefresh'` event. */
export interface PoolRefreshEvent {
  pool: StoragePool;
}
/** Payload of the `'networkLifecycle'` event (event: NetworkEventType). */
export interface NetworkLifecycleEvent {
  network: Network;
  event: number;
  detail: number;
}

const eventIdArg = struct({ eventID: int });

/**
 * `{int eventID; remote_<object> obj}` with `obj` NULL, which subscribes to the events of every
 * object. One codec serves every object type because the NULL handle is one zero word whatever
 * its type; decoding (fake peers) refuses a present handle, whose type it cannot know.
 */
const registerAnyArgs: Codec<RegisterAnyArgs> = {
  minBytes: eventIdArg.minBytes + 4,
  encode(w, v) {
    eventIdArg.encode(w, v);
    w.uint(0);
  },
  decode(r) {
    const v = eventIdArg.decode(r);
    const at = r.offset;
    if (r.bool()) {
      throw new ProtocolError("register-any for one object is not supported", { offset: at });
    }
    return v;
  },
};

/** The register-any / deregister-any pair of one object type (`prefix` + `_REGISTER_ANY`). */
function subscription(prefix: string, register: number, deregister: number) {
  return {
    register: {
      name: `${prefix}_REGISTER_ANY`,
      number: register,
      args: registerAnyArgs,
      ret: struct({ callbackID: int }),
    },
    deregister: {
      name: `${prefix}_DEREGISTER_ANY`,
      number: deregister,
      args: struct({ callbackID: int }),
      ret: voidCodec,
    },
  } as const satisfies Pick<
    EventFamily<{ callbackID: number }, unknown>,
    "register" | "deregister"
  >;
}

const message = <T>(name: string, number: number, body: Codec<T>): Message<T> => ({
  name,
  program: Program.REMOTE,
  number,
  body,
});

/** Lets TypeScript infer a row's body and payload types from its message and decoder. */
const family = <B extends { callbackID: number }, P>(row: EventFamily<B, P>) => row;

const domainEvents = subscription("CONNECT_DOMAIN_EVENT_CALLBACK", 316, 317);
const poolEvents = subscription("CONNECT_STORAGE_POOL_EVENT", 368, 369);
const networkEvents = subscription("CONNECT_NETWORK_EVENT", 313, 314);

/** Event ids for the register-any calls. */
export const DomainEventId = { LIFECYCLE: 0 } as const;
export const StoragePoolEventId = { LIFECYCLE: 0, REFRESH: 1 } as const;
export const NetworkEventId = { LIFECYCLE: 0 } as const;

/**
 * The event families of program REMOTE that we route, by kind. The kind names the client's
 * event (`client.on("domainLifecycle", …)`) and is what `registerEvents` takes.
 */
export const EventFamilies = {
  domainLifecycle: family({
    message: message(
      "DOMAIN_EVENT_CALLBACK_LIFECYCLE",
      318,
      struct({ callbackID: int, dom: domain, event: int, detail: int }),
    ),
    ...domainEvents,
    eventId: DomainEventId.LIFECYCLE,
    payload: (b): DomainLifecycleEvent => ({ domain: b.dom, event: b.event, detail: b.detail }),
  }),
  poolLifecycle: family({
    message: message(
      "STORAGE_POOL_EVENT_LIFECYCLE",
      370,
      struct({ callbackID: int, pool: storagePool, event: int, detail: int }),
    ),
    ...poolEvents,
    eventId: StoragePoolEventId.LIFECYCLE,
    payload: (b): PoolLifecycleEvent => ({ pool: b.pool, event: b.event, detail: b.detail }),
  }),
  poolRefresh: family({
    message: message(
      "STORAGE_POOL_EVENT_REFRESH",
      373,
      struct({ callbackID: int, pool: storagePool }),
    ),
    ...poolEvents,
    eventId: StoragePoolEventId.REFRESH,
    payload: (b): PoolRefreshEvent => ({ pool: b.pool }),
  }),
  networkLifecycle: family({
    message: message(
      "NETWORK_EVENT_LIFECYCLE",
      315,
      struct({ callbackID: int, net: network, event: int, detail: int }),
    ),
    ...networkEvents,
    eventId: NetworkEventId.LIFECYCLE,
    payload: (b): NetworkLifecycleEvent => ({ network: b.net, event: b.event, detail: b.detail }),
  }),
} as const;

/** The name of an event family: a key of {@link EventFamilies}. */
export type EventKind = keyof typeof EventFamilies;

/** The payload emitted for events of kind `K`. */
export type EventPayload<K extends EventKind> = ReturnType<(typeof EventFamilies)[K]["payload"]>;

/** Every event kind, in table order. */
export const eventKinds = Object.keys(EventFamilies) as EventKind[];

/** program → message procedure number → kind. */
const kindByMessage = new Map<number, Map<number, EventKind>>();
for (const kind of eventKinds) {
  const { program, number, name } = EventFamilies[kind].message;
  const numbers = kindByMessage.get(program) ?? new Map<number, EventKind>();
  kindByMessage.set(program, numbers);
  // Two rows on one message would leave one of them silently unrouted.
  if (numbers.has(number)) throw new Error(`two event families route ${name} (${number})`);
  numbers.set(number, kind);
}

/** The kind whose messages are `procedure` of `program`, or undefined if we route none. */
export function eventKindOf(program: number, procedure: number): EventKind | undefined {
  return kindByMessage.get(program)?.get(procedure);
}
