// The one place where the agent meets libvirt's event families: the kind rows name the events
// that touch them (kinds/*.ts, `events`), and this subscribes to exactly those and asks
// libvirt for them (again after every reconnect: the reconnecting client keeps the set).
import type { EventEmitter } from "node:events";
import type { EventKind, EventPayload, ReconnectingLibvirt } from "../libvirt/index.js";
import type { AnyKind, EventRow } from "./kinds/kind.js";

/** The libvirt events a kind may follow (every row of libvirt's event table), each with what it carries. */
export type LibvirtEventPayloads = { [K in EventKind]: EventPayload<K> };

/** Called for each libvirt event, with the row and event row that follow it. */
export type EventSink = (row: AnyKind, ev: EventRow<unknown>, payload: unknown) => void;

/**
 * Subscribes `onEvent` to every event the rows name, then registers those families with
 * libvirt. Listeners come first, so no event of the registration is missed.
 */
export async function followLibvirtEvents(
  libvirt: ReconnectingLibvirt,
  rows: readonly AnyKind[],
  onEvent: EventSink,
): Promise<void> {
  const wanted = new Set<keyof LibvirtEventPayloads>();
  // The emitter's typed overloads take one event name at a time; the rows hold them as data.
  const emitter = libvirt as unknown as EventEmitter;
  for (const row of rows) {
    for (const ev of row.events ?? []) {
      wanted.add(ev.event);
      emitter.on(ev.event, (payload: unknown) => onEvent(row, ev, payload));
    }
  }
  await libvirt.registerEvents([...wanted]);
}
