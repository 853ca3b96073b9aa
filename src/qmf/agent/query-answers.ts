// How an agent answers locate and query requests: from its heartbeat attributes, its object
// table and its schemas.
import { encodeMap, type QmfMap, type QmfValue, wireText } from "../codec/index.js";
import { compilePredicate } from "../predicate/index.js";
import { Content, ContentType, Opcode } from "../transport/envelope.js";
import type { InboundMessage } from "../transport/link.js";
import type { ObjectTable } from "./object-table.js";
import type { Replier } from "./replies.js";
import type { SchemaIndex } from "./schema-index.js";

/** Answers `_agent_locate_request` with the attributes, when they match its predicate (if any). */
export function answerLocate(
  m: InboundMessage,
  replier: Replier,
  attributes: () => Record<string, QmfValue>,
): void {
  const body = replier.decodeBody(m, "list") as QmfValue[] | undefined;
  if (!body) return;
  if (!replier.canReply(m, "agent locate request")) return;
  if (body.length > 0) {
    let matches: boolean;
    try {
      matches = compilePredicate(body)(attributes());
    } catch (e) {
      replier.refuse(m, "bad locate predicate", (e as Error).message);
      return;
    }
    if (!matches) return;
  }
  void replier.reply(m, Opcode.AGENT_LOCATE_RESPONSE, ContentType.MAP, undefined, [
    encodeMap({ _values: attributes() }),
  ]);
}

/**
 * Answers `_query_request`: objects (`OBJECT`) or their ids (`OBJECT_ID`) by id, or by class
 * and package filtered by `_where`; schema ids or schemas (`SCHEMA_ID`, `SCHEMA`) by package
 * and name. The promise ends when the last batch is sent.
 */
export function answerQuery(
  m: InboundMessage,
  replier: Replier,
  objects: ObjectTable,
  schemas: SchemaIndex,
): Promise<void> | undefined {
  const q = replier.decodeBody(m, "map") as QmfMap | undefined;
  if (!q) return;
  if (!replier.canReply(m, "query request")) return;
  const what = typeof q._what === "string" ? q._what : "";
  let filter: ((values: Record<string, unknown>) => boolean) | null = null;
  if (q._where !== undefined && q._where !== null) {
    try {
      filter = compilePredicate(q._where);
    } catch (e) {
      replier.refuse(m, "bad query predicate", (e as Error).message);
      return;
    }
  }
  const schemaId = q._schema_id as QmfMap | undefined;
  const className =
    schemaId && typeof schemaId === "object" ? wireText(schemaId._class_name) : undefined;
  const packageName =
    schemaId && typeof schemaId === "object" ? wireText(schemaId._package_name) : undefined;
  switch (what) {
    case "OBJECT":
    case "OBJECT_ID": {
      const objs = objects.select(q._object_id, packageName, className, filter);
      if (what === "OBJECT")
        return replier.batches(m, Content.DATA, objs, (o) => objects.dataMap(o));
      return replier.batches(m, Content.OBJECT_ID, objs, (o) => o.idWire);
    }
    case "SCHEMA_ID":
      return replier.batches(
        m,
        Content.SCHEMA_ID,
        schemas.select(what, packageName, className),
        (x) => x,
      );
    case "SCHEMA":
      return replier.batches(
        m,
        Content.SCHEMA,
        schemas.select(what, packageName, className),
        (x) => x,
      );
    default:
      replier.refuse(m, "bad query", `_what must be OBJECT, OBJECT_ID, SCHEMA or SCHEMA_ID`);
      return;
  }
}
