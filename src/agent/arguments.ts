// Checks of method arguments that the schema cannot express. The agent session has already
// checked every argument against the schema (presence, type, size) and converted it; what is
// left is meaning: a path must be absolute, XML must not be empty, a count must not be
// negative. Each check runs before any libvirt call, so a refused call changes nothing, and
// names the argument (PARAMETER_INVALID). Arguments are named by key of the call's typed
// arguments, so a misspelled name fails to compile.
import { badArgument } from "./errors.js";

/** PATH_MAX. */
const MAX_PATH_BYTES = 4096;

/** What the checks need of a call. */
interface Call<A> {
  readonly methodName: string;
  readonly args: A;
}
/** The names of the arguments of type `T` (optional or not). */
type KeyOf<A, T> = { [K in keyof A]-?: NonNullable<A[K]> extends T ? K : never }[keyof A] & string;

const value = <A>(call: Call<A>, name: keyof A): unknown => call.args[name];

/** An XML document: not empty (its size the session has checked). */
export function xmlArg<A>(call: Call<A>, name: KeyOf<A, string>): string {
  const v = value(call, name) as string;
  if (v.trim() === "")
    throw badArgument(call.methodName, name, "is empty (an XML document is required)");
  return v;
}

/** A file name on the host: absolute, no NUL, at most PATH_MAX bytes. */
export function pathArg<A>(call: Call<A>, name: KeyOf<A, string>): string {
  const v = value(call, name) as string;
  if (v === "") throw badArgument(call.methodName, name, "must be a non-empty file name");
  if (!v.startsWith("/"))
    throw badArgument(
      call.methodName,
      name,
      `must be an absolute path on the host, got ${JSON.stringify(v)}`,
    );
  if (v.includes("\0")) throw badArgument(call.methodName, name, "must not contain NUL");
  if (Buffer.byteLength(v, "utf8") > MAX_PATH_BYTES) {
    throw badArgument(call.methodName, name, `is longer than ${MAX_PATH_BYTES} bytes`);
  }
  return v;
}

/** A text without NUL; empty only if `allowEmpty`; `absent` when an optional one is left out. */
export function textArg<A>(
  call: Call<A>,
  name: KeyOf<A, string>,
  opts: { allowEmpty: boolean; absent?: string },
): string {
  const v = value(call, name) as string | undefined;
  if (v === undefined && opts.absent !== undefined) return opts.absent;
  if (v === undefined || (!opts.allowEmpty && v === ""))
    throw badArgument(call.methodName, name, "must not be empty");
  if (v.includes("\0")) throw badArgument(call.methodName, name, "must not contain NUL");
  return v;
}

/** An integer of at least `min` (the schema's int32 bounds are the session's); `absent` when left out. */
export function intArg<A>(
  call: Call<A>,
  name: KeyOf<A, number>,
  min: number,
  absent?: number,
): number {
  const v = value(call, name) as number | undefined;
  if (v === undefined && absent !== undefined) return absent;
  if (v === undefined || !Number.isInteger(v) || v < min) {
    throw badArgument(call.methodName, name, `must be an integer ≥ ${min}, got ${String(v)}`);
  }
  return v;
}

/** The words a text argument may hold, as their values. */
export type Words<V> = Readonly<Record<string, V>>;

const wordList = (table: Words<unknown>): string => Object.keys(table).join(", ");

/** One word of `table`, as its value; `absent` when the optional argument is left out or empty. */
export function wordArg<A, V>(
  call: Call<A>,
  name: KeyOf<A, string>,
  table: Words<V>,
  absent: V,
): V {
  const v = ((value(call, name) as string | undefined) ?? "").trim();
  if (v === "") return absent;
  if (!Object.hasOwn(table, v)) {
    throw badArgument(
      call.methodName,
      name,
      `is ${JSON.stringify(v)}, not one of ${wordList(table)}`,
    );
  }
  return table[v] as V;
}

/**
 * Flag words of `table` separated by commas or spaces (libvirt's names, such as "live,config"),
 * their values or-ed; 0 when the optional argument is left out or empty.
 */
export function flagsArg<A>(call: Call<A>, name: KeyOf<A, string>, table: Words<number>): number {
  const v = (value(call, name) as string | undefined) ?? "";
  let flags = 0;
  for (const word of v.split(/[\s,]+/).filter((w) => w !== "")) {
    if (!Object.hasOwn(table, word)) {
      throw badArgument(
        call.methodName,
        name,
        `has ${JSON.stringify(word)}, not one of ${wordList(table)}`,
      );
    }
    flags |= table[word] as number;
  }
  return flags;
}
