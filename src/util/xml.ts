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
