import type { Observer } from "../../observe/observer.js";
import { nowNs } from "../../util/clock.js";
import { type Encoded, encodeList, type QmfMap } from "../codec/index.js";
import {
  Content,
  ContentType,
  ObjectId,
  Opcode,
  objectIdFromWire,
  TOPIC_EXCHANGE,
} from "../transport/envelope.js";
import type { BrokerLink, Logger } from "../transport/link.js";
import type { ClassInfo } from "./schema-index.js";
import { checkValues, encodedObjectId, sameValues, typedValues } from "./typed-values.js";

/** One object an agent publishes. */
export interface ManagedObject {
  info: ClassInfo;
  name: string;
  id: ObjectId;
  /** Its `_object_id` map, encoded once. */
  idWire: Encoded;
  /**
   * The application's values (predicates run on these). They are typed for the wire when
   * they are sent, not kept typed: an agent of 10,000 domains holds 20,000 objects.
   */
  values: Record<string, unknown>;
  createTs: bigint;
  updateTs: bigint;
  deleteTs: bigint;
}

/** A publish round lets other work run after this much of its own (ms). */
const ROUND_SLICE_MS = 10;

/**
 * What changes of an object between two publications (its values are replaced, never changed
 * in place): a round records it when it begins and sends what it recorded.
 */
type PublishedState = Pick<ManagedObject, "values" | "updateTs" | "deleteTs">;

/** What an object table needs to know of its agent. */
export interface ObjectTableOptions {
  agentName: string;
  epoch: number;
  /** Objects per data indication. */
  batchSize: number;
  /** Changes within this window go out as one indication per class. */
  publishDelayMs: number;
  log?: Logger;
  observer?: Observer;
}

/**
 * An agent's objects by name, and the publishing of their changes: a real change (or a
 * deletion) marks the object, and the marked objects go out together `publishDelayMs` after
 * the first, as one `_data_indication` per class (in batches). One round is sent at a time:
 * under backpressure a round can wait on the link, and a second one sent meanwhile could
 * overtake it and leave an object's older values last; a round due while one runs folds into
 * the next, which starts when it ends. While the link is down the objects stay marked and go
 * out once it is back. The number of objects is reported as the `qmf_objects_published`
 * gauge.
 */
export class ObjectTable {
  private readonly objects = new Map<string, ManagedObject>();
  private readonly dirty = new Set<ManagedObject>();
  private publishTimer: NodeJS.Timeout | null = null;
  /** A round is being sent. */
  private publishing = false;
  /** A round came due while one was being sent: send again when it ends. */
  private roundDue = false;
  private stopped = false;

  constructor(
    private readonly link: BrokerLink,
    private readonly opts: ObjectTableOptions,
  ) {}

  /** The id of one of the agent's objects (the one it holds, when it has the object). */
  objectId(objectName: string): ObjectId {
    return (
      this.objects.get(objectName)?.id ??
      new ObjectId(this.opts.agentName, objectName, this.opts.epoch)
    );
  }

  /** See {@link AgentSession.setObject}. */
  set(info: ClassInfo, objectName: string, values: Record<string, unknown>): void {
    const className = info.cls.name;
    if (typeof objectName !== "string" || objectName.length === 0) {
      throw new TypeError("setObject: the object name must be a non-empty string");
    }
    const existing = this.objects.get(objectName);
    if (existing && existing.info !== info) {
      throw new TypeError(
        `setObject: object ${objectName} is a ${existing.info.cls.name}, not a ${className}`,
      );
    }
    if (existing && sameValues(existing.values, values)) return;
    checkValues(values, info.props, (k, e) =>
      e
        ? new TypeError(`setObject ${className}.${k}: ${e.message}`, { cause: e })
        : new TypeError(`setObject ${className}: unknown property ${k}`),
    );
    const now = nowNs();
    if (existing) {
      existing.values = { ...values };
      existing.updateTs = now;
      this.dirty.add(existing);
    } else {
      const id = this.objectId(objectName);
      const obj: ManagedObject = {
        info,
        name: objectName,
        id,
        idWire: encodedObjectId(id),
        values: { ...values },
        createTs: now,
        updateTs: now,
        deleteTs: 0n,
      };
      this.objects.set(objectName, obj);
      this.dirty.add(obj);
      this.opts.observer?.gauge?.("qmf_objects_published", this.objects.size);
    }
    this.schedulePublish(this.opts.publishDelayMs);
  }

  /** See {@link AgentSession.deleteObject}. */
  delete(className: string, objectName: string): void {
    const obj = this.objects.get(objectName);
    if (!obj || obj.info.cls.name !== className) return;
    this.objects.delete(objectName);
    this.opts.observer?.gauge?.("qmf_objects_published", this.objects.size);
    obj.deleteTs = nowNs();
    obj.updateTs = obj.deleteTs;
    this.dirty.add(obj);
    this.schedulePublish(this.opts.publishDelayMs);
  }

  get(objectName: string): ManagedObject | undefined {
    return this.objects.get(objectName);
  }

  /** Names of the current objects, optionally of one class. */
  names(className?: string): string[] {
    const out: string[] = [];
    for (const o of this.objects.values()) {
      if (className === undefined || o.info.cls.name === className) out.push(o.name);
    }
    return out;
  }

  /**
   * The objects a query selects: the one its `_object_id` names, else those of the class and
   * package given that pass `filter`.
   */
  select(
    objectIdWire: unknown,
    packageName: string | undefined,
    className: string | undefined,
    filter: ((values: Record<string, unknown>) => boolean) | null,
  ): ManagedObject[] {
    if (objectIdWire !== undefined && objectIdWire !== null) {
      const id = objectIdFromWire(objectIdWire);
      const o =
        id && id.agentName === this.opts.agentName ? this.objects.get(id.objectName) : undefined;
      return o ? [o] : [];
    }
    const out: ManagedObject[] = [];
    for (const o of this.objects.values()) {
      if (className !== undefined && o.info.cls.name !== className) continue;
      if (packageName !== undefined && o.info.schema.packageName !== packageName) continue;
      if (filter && !filter(o.values)) continue;
      out.push(o);
    }
    return out;
  }

  /** The `_data` map of an object (as it is now, or as `at` recorded it). */
  dataMap(o: ManagedObject, at: PublishedState = o): QmfMap {
    return {
      // Checked when they were set.
      _values: typedValues(at.values, o.info.props, (k) => new TypeError(k)),
      _object_id: o.idWire,
      _schema_id: o.info.schemaIdData,
      _create_ts: o.createTs,
      _update_ts: at.updateTs,
      _delete_ts: at.deleteTs,
    };
  }

  /** Publishes the marked objects after `delayMs` (0: the link is back, send what waited). */
  schedulePublish(delayMs: number): void {
    if (this.publishTimer || this.dirty.size === 0 || this.stopped) return;
    this.publishTimer = setTimeout(() => {
      this.publishTimer = null;
      void this.publishChanges();
    }, delayMs);
  }

  /** No more publishing (the agent closed). */
  stop(): void {
    this.stopped = true;
    if (this.publishTimer) clearTimeout(this.publishTimer);
    this.publishTimer = null;
  }

  private async publishChanges(): Promise<void> {
    if (this.publishing) {
      this.roundDue = true;
      return;
    }
    this.publishing = true;
    try {
      do {
        this.roundDue = false;
        await this.publishRound();
      } while (this.roundDue && !this.stopped);
    } finally {
      this.publishing = false;
    }
  }

  /**
   * Sends the marked objects, by class and in batches. Each batch is typed and encoded just
   * before it is sent, and other work (libvirt's replies, queries) runs between batches once
   * the round has worked for ROUND_SLICE_MS: a round of 20,000 objects (a first resync) takes
   * a few hundred ms of CPU, which would otherwise hold up everything else for that long.
   */
  private async publishRound(): Promise<void> {
    if (!this.link.isOpen) return; // kept marked; sent when the link is back
    // The state of each object as the round begins: a change made while it is sent marks the
    // object again for the next round, which then sends the newer values after these.
    const byClass = new Map<ClassInfo, [ManagedObject, PublishedState][]>();
    for (const o of this.dirty) {
      let list = byClass.get(o.info);
      if (!list) {
        list = [];
        byClass.set(o.info, list);
      }
      list.push([o, { values: o.values, updateTs: o.updateTs, deleteTs: o.deleteTs }]);
    }
    this.dirty.clear();
    const size = this.opts.batchSize;
    let since = performance.now();
    try {
      for (const [info, objects] of byClass) {
        for (let i = 0; i < objects.length; i += size) {
          if (performance.now() - since > ROUND_SLICE_MS) {
            await new Promise((r) => setImmediate(r));
            since = performance.now();
          }
          await this.link.publish(
            TOPIC_EXCHANGE,
            info.routingKey,
            encodeList(objects.slice(i, i + size).map(([o, at]) => this.dataMap(o, at))),
            {
              opcode: Opcode.DATA_INDICATION,
              contentType: ContentType.LIST,
              agentName: this.opts.agentName,
              content: Content.DATA,
              method: "indication",
            },
          );
        }
      }
    } catch (e) {
      this.opts.log?.warn(
        `[qmf agent ${this.opts.agentName}] data indication lost: ${(e as Error).message}`,
      );
    }
  }
}
