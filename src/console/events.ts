// The events a Fleet emits, typed: what the QMF session reports about agents, objects and the
// broker link, in the SDK's terms (FleetAgent, typed objects, typed event arguments).
import type { QmfEvent } from "../qmf/index.js";
import type { FleetAgent } from "./discovery.js";
import { convertValues } from "./field-values.js";
import { EVENTS, type EventArgsByName, PACKAGE_NAME } from "./generated/libvirt.js";
import type { ManagedObject } from "./managed-object.js";
import type { FleetChange } from "./watch.js";

/**
 * An event an agent raised (a schema event such as DomainLifecycle), its arguments typed per
 * the schema. Narrow on `name` to get the arguments of one event.
 */
export type SchemaEvent = {
  [E in keyof EventArgsByName]: {
    /** The event's schema name. */
    name: E;
    /** The agent that raised it. */
    agentName: string;
    /** That agent's host name. */
    host: string;
    /** 0 (emergency) … 7 (debug). */
    severity: number | undefined;
    /** When it was raised, in ns since the epoch. */
    timestamp: bigint | undefined;
    args: EventArgsByName[E];
  };
}[keyof EventArgsByName];

/** A query result an agent is missing from because it failed (lost, or no answer in time). */
export interface AgentFailure {
  agentName: string;
  error: Error;
}

/**
 * The events of a {@link Fleet}, for `fleet.on(name, listener)` with typed listeners.
 * Object and schema events come from every agent of the fleet while a listener is attached;
 * {@link Fleet.watch} filters them and hands them over as an async iterator.
 */
export interface FleetEvents {
  /**
   * An agent became known: it answered the initial locate (before connectFleet resolves,
   * unless `awaitDiscovery` is false) or started later.
   */
  agentJoined: [agent: FleetAgent];
  /** An agent went silent for several heartbeat intervals and was dropped. */
  agentLeft: [agent: FleetAgent];
  /** An agent came back with a new epoch: it restarted, and its objects were published anew. */
  agentRestarted: [agent: FleetAgent, previousEpoch: number];
  /** An agent published an object, new or changed. */
  objectChanged: [object: ManagedObject<object>];
  /** An agent deleted an object (the last values it had). */
  objectDeleted: [object: ManagedObject<object>];
  /** An agent raised a schema event. */
  schemaEvent: [event: SchemaEvent];
  /** The broker connection was lost; the fleet reconnects by itself. Requests in flight failed. */
  brokerDisconnected: [error: Error];
  /**
   * The broker connection is back (on `node`, a cluster node's URL without password) and the
   * agents have answered a locate again (`agents` of them). Changes made while it was down
   * were not seen.
   */
  brokerReconnected: [info: { node: string; agents: number }];
  /**
   * The broker refused this console for good (its login, on a reconnect): the fleet stopped
   * trying and its requests fail. Open a new fleet once the broker accepts the login again.
   */
  brokerFailed: [error: Error];
  /** An agent was left out of a query result because it failed. */
  agentError: [failure: AgentFailure];
  /**
   * A whole-fleet result lacks an agent that became known only after the query was sent (a
   * late answer to discovery, or an agent that just started).
   */
  agentLate: [late: { agentName: string }];
  /** @deprecated the changes of the callback form of {@link Fleet.watch}; iterate a watch instead. */
  change: [change: FleetChange];
}

/** The SDK form of an event the QMF session reports; null when it is not one of the schema's. */
export function schemaEventOf(
  e: QmfEvent,
  host: (agentName: string) => string,
): SchemaEvent | null {
  if (e.packageName !== PACKAGE_NAME) return null;
  const meta = EVENTS.find((x) => x.name === e.eventName);
  if (!meta) return null;
  return {
    name: meta.name,
    agentName: e.agentName,
    host: host(e.agentName),
    severity: e.severity,
    timestamp: e.timestamp,
    args: convertValues(meta.args, e.values ?? {}),
  } as unknown as SchemaEvent;
}
