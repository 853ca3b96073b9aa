// Filters of fleet queries: `prop=value` equalities (a property of a referenced class counts
// too, so that `{ state: "running" }` picks domains by their DomainInfo) and QMF predicates,
// turned into what the agents evaluate plus the joins the fleet does itself.
import type { QmfObject } from "../qmf/index.js";
import { type ClassReference, referencesOf } from "./classes.js";
import { ArgumentError } from "./errors.js";
import { objectIdText, objectRefOf, toObjectRef } from "./field-values.js";
import type { ClassMeta, FieldMeta } from "./metadata.js";

/**
 * A filter for fleet queries: either a QMF predicate (prefix list, e.g.
 * `["eq", "name", ["quote", "web1"]]`), or an object of property → value equalities. In the
 * object form a property of a referenced class counts too: `{ state: "running" }` on domains
 * is matched against each domain's DomainInfo.
 */
export type Filter = unknown[] | Record<string, unknown>;

/** The QMF term "property equals this value". */
export function equals(property: string, value: unknown): unknown[] {
  return ["eq", property, ["quote", value]];
}

/** The predicate for property equalities: `["and", ["eq", k, ["quote", v]], …]`. */
export function equalityPredicate(eqs: Record<string, unknown>): unknown[] | undefined {
  const terms = Object.entries(eqs).map(([k, v]) => equals(k, v));
  if (terms.length === 0) return undefined;
  return terms.length === 1 ? terms[0] : ["and", ...terms];
}

/** A filter on a referenced class: objects whose `via` reference points at a matching one. */
export interface Join extends ClassReference {
  eqs: Record<string, unknown>;
}

/** A filter made ready for one class: the predicate its agents evaluate, and the joins. */
export interface CompiledFilter {
  where: unknown[] | undefined;
  joins: Join[];
}

/**
 * Compiles a filter of class `meta`, and-ed with the further predicate `also`: a predicate
 * goes to the agents as it is; equalities on the class's own properties become a predicate,
 * and those on a referenced class (one hop) a join.
 */
export function compileFilter(
  meta: ClassMeta,
  filter: Filter | undefined,
  also?: unknown[],
): CompiledFilter {
  let where: unknown[] | undefined;
  const joins = new Map<string, Join>();
  if (Array.isArray(filter)) {
    where = filter;
  } else if (filter) {
    const own: Record<string, unknown> = {};
    const ownNames = new Set(meta.properties.map((p) => p.name));
    for (const [k, v] of Object.entries(filter)) {
      if (ownNames.has(k)) {
        own[k] = v;
        continue;
      }
      const refs = referencesHaving(meta, k);
      if (refs.length !== 1) {
        const why = refs.length === 0 ? "no such property" : "several referenced classes have it";
        throw new ArgumentError(`filter on ${meta.name}: "${k}": ${why}`);
      }
      const { via, target } = refs[0]!;
      const j = joins.get(via.name) ?? { via, target, eqs: {} };
      j.eqs[k] = v;
      joins.set(via.name, j);
    }
    where = equalityPredicate(own);
  }
  if (also) where = where ? ["and", also, where] : also;
  return { where, joins: [...joins.values()] };
}

/**
 * Keeps the rows whose reference of each join points at one of that join's matches
 * (`matches[i]` are the objects found for `joins[i]`).
 */
export function keepJoined(rows: QmfObject[], joins: Join[], matches: QmfObject[][]): QmfObject[] {
  joins.forEach((j, i) => {
    const ids = new Set(matches[i]!.map((o) => objectIdText(objectRefOf(o))));
    rows = rows.filter((o) => {
      const ref = toObjectRef(o.values[j.via.name]);
      return ref !== null && ids.has(objectIdText(ref));
    });
  });
  return rows;
}

/** The references of `meta` (one hop) whose class has a property `name`, with that property. */
function referencesHaving(
  meta: ClassMeta,
  name: string,
): (ClassReference & { field: FieldMeta })[] {
  const out: (ClassReference & { field: FieldMeta })[] = [];
  for (const r of referencesOf(meta)) {
    const field = r.target.meta.properties.find((p) => p.name === name);
    if (field) out.push({ ...r, field });
  }
  return out;
}

/** Finds which class a filter property belongs to (own or one hop), for typing CLI values. */
export function filterField(meta: ClassMeta, name: string): FieldMeta | undefined {
  return meta.properties.find((p) => p.name === name) ?? referencesHaving(meta, name)[0]?.field;
}
