// Reading one value out of an XML document libvirt returned (capabilities, a saved image's
// domain definition), with a real parser: entities decoded, comments and CDATA handled.
import { createRequire } from "node:module";

// Loaded at the first document read, not with the module: saxes and its character tables cost
// several megabytes, and the agent reads XML only at its first start and in a few methods.
const require = createRequire(import.meta.url);

/** The text of the first element at `path` (e.g. ["capabilities","host","uuid"]), if any. */
export function xmlText(xml: string, path: readonly string[]): string | undefined {
  const { SaxesParser } = require("saxes") as typeof import("saxes");
  const parser = new SaxesParser();
  const stack: string[] = [];
  let text: string | undefined;
  let collecting = false;
  let buf = "";
  parser.on("opentag", (t) => {
    stack.push(t.name);
    if (
      text === undefined &&
      stack.length === path.length &&
      stack.every((n, i) => n === path[i])
    ) {
      collecting = true;
      buf = "";
    }
  });
  parser.on("text", (t) => {
    if (collecting) buf += t;
  });
  parser.on("closetag", () => {
    if (collecting && stack.length === path.length) {
      text = buf;
      collecting = false;
    }
    stack.pop();
  });
  parser.write(xml).close();
  return text;
}

/** An element of a parsed XML document. */
export interface XmlElement {
  readonly name: string;
  /** Its attributes, entities decoded. */
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** Its own text (not its children's), entities decoded. */
  readonly text: string;
}

/**
 * A whole document as a tree of elements (its root), for reading several values of one
 * document (a domain's devices, a snapshot's facts) in one parse.
 */
export function parseXml(xml: string): XmlElement {
  type Open = { name: string; attrs: Record<string, string>; children: XmlElement[]; text: string };
  const { SaxesParser } = require("saxes") as typeof import("saxes");
  const parser = new SaxesParser();
  const stack: Open[] = [];
  let root: Open | undefined;
  parser.on("opentag", (t: { name: string; attributes: unknown }) => {
    const el: Open = {
      name: t.name,
      attrs: { ...(t.attributes as Record<string, string>) },
      children: [],
      text: "",
    };
    stack.at(-1)?.children.push(el);
    root ??= el;
    stack.push(el);
  });
  parser.on("text", (t: string) => {
    const top = stack.at(-1);
    if (top) top.text += t;
  });
  parser.on("closetag", () => {
    stack.pop();
  });
  parser.write(xml).close();
  if (!root) throw new Error("the XML document has no root element");
  return root;
}

/** The child elements of `el` named `name`. */
export const childrenNamed = (el: XmlElement, name: string): XmlElement[] =>
  el.children.filter((c) => c.name === name);

/** The first child element of `el` at `path` (names, one level each), if any. */
export function childAt(el: XmlElement, ...path: string[]): XmlElement | undefined {
  let at: XmlElement | undefined = el;
  for (const name of path) at = at?.children.find((c) => c.name === name);
  return at;
}
