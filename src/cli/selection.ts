// How a command line selects objects of a class: `prop=value` words (a property of a
// referenced class counts too, so `state=running` picks domains by their DomainInfo) and a
// `--where` QMF predicate. `lvq list` and the batch verbs parse them here, the same way.
import type { ClassMeta } from "../console/index.js";
import type { ConsoleModule } from "./context.js";
import { UsageError } from "./errors.js";

/**
 * Builds the filter of `prop=value` words: each value is parsed by its property's schema type
 * (a property of a referenced class, such as Domain's `state` in DomainInfo, counts too).
 */
export function filterFromWords(
  sdk: ConsoleModule,
  meta: ClassMeta,
  words: string[],
): Record<string, unknown> {
  const eqs: Record<string, unknown> = {};
  for (const w of words) {
    const eq = w.indexOf("=");
    if (eq <= 0) throw new UsageError(`filter "${w}": expected property=value`);
    const name = w.slice(0, eq);
    const field = sdk.filterField(meta, name);
    if (!field) {
      throw new UsageError(
        `filter "${w}": ${meta.name} has no property "${name}" (see \`lvq schema ${meta.name}\`)`,
      );
    }
    if (field.type === "objId") {
      throw new UsageError(`filter "${w}": "${name}" is a reference; filter on it with --where`);
    }
    eqs[name] = sdk.parseFieldText(field, w.slice(eq + 1), `filter "${name}"`);
  }
  return eqs;
}

/** True when `word` is `prop=value` for a property a filter of `meta` may name. */
export function isFilterWord(sdk: ConsoleModule, meta: ClassMeta, word: string): boolean {
  const eq = word.indexOf("=");
  return eq > 0 && sdk.filterField(meta, word.slice(0, eq)) !== undefined;
}

/**
 * Parses `--where` JSON into a predicate list and checks it, or a usage error saying what is
 * wrong. Done before any connection: a bad predicate is a usage error (exit 2).
 */
export async function parseWhere(text: string): Promise<unknown[]> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--where: not JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(v)) {
    throw new UsageError(
      `--where: a predicate is a JSON list, e.g. '["eq","name",["quote","web1"]]'`,
    );
  }
  const { compilePredicate } = await import("../qmf/predicate/index.js");
  compilePredicate(v);
  return v;
}
