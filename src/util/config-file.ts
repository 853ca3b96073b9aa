// One reader for the JSON config files of the agent (/etc/lvq/agent.json) and of lvq
// (~/.config/lvq/config.json): read the file, parse it, refuse a key the program does not know
// or a value of the wrong type with a message naming the file and the key. A typo in a config
// file is found at start, not guessed around. What the values mean is each program's business.
import { readFile } from "node:fs/promises";

/** The broker every lvq program uses when nothing else says: a local RabbitMQ, its default user. */
export const DEFAULT_BROKER = "amqp://guest:guest@127.0.0.1:5672";

/** What a config file may hold, and how a program reports what it does not accept. */
export interface ConfigFileFormat<T> {
  /** Each key with its check: the value to use, or undefined when the value does not fit. */
  readonly keys: { readonly [K in keyof T]-?: (value: unknown) => T[K] | undefined };
  /** What a refused key is called in the message, e.g. "unknown key". */
  readonly refused: string;
  /** What the message says after the key: the keys known (and their types). */
  readonly expected: string;
  /** An example of a whole file, shown when the file holds no JSON object. */
  readonly example?: string;
  /** The program's error for a bad file, given the message. */
  error(message: string): Error;
}

/**
 * Reads a JSON config file of `format`. A missing file is an error only when `required` (a
 * file the user named); then the values of the keys it has, checked.
 */
export async function readConfigFile<T>(
  path: string,
  format: ConfigFileFormat<T>,
  required: boolean,
): Promise<Partial<T>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if (!required && (e as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw format.error(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw format.error(`config file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    const like = format.example === undefined ? "" : ` like ${format.example}`;
    throw format.error(`config file ${path} must hold a JSON object${like}`);
  }
  const out: Partial<T> = {};
  for (const [key, value] of Object.entries(parsed)) {
    const check = Object.hasOwn(format.keys, key) ? format.keys[key as keyof T] : undefined;
    const v = check?.(value);
    if (v === undefined) {
      throw format.error(`config file ${path}: ${format.refused} "${key}" ${format.expected}`);
    }
    out[key as keyof T] = v;
  }
  return out;
}

/** A check that takes any JSON value (for a program that checks values where it uses them). */
export const anyValue = (v: unknown): unknown => v;
/** A check for a string. */
export const aString = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
/** A check for a number above 0 (an integer when `integer`). */
export const aPositive =
  (integer = false) =>
  (v: unknown): number | undefined =>
    typeof v === "number" && v > 0 && (!integer || Number.isInteger(v)) ? v : undefined;
