// Reading one value out of an XML document libvirt returned (capabilities, a saved image's
// domain definition), with a real parser: entities decoded, comments and CDATA handled.
import { SaxesParser } from "saxes";

/** The text of the first element at `path` (e.g. ["capabilities","host","uuid"]), if any. */
export function xmlText(xml: string, path: readonly string[]): string | undefined {
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
