// What any lvq run may print before its command module is loaded (usage and failure messages
// from main.ts and errors.ts): colour decisions and text made safe for a terminal. Kept apart
// from output.ts so that those paths, and `lvq agent` (which prints only these), do not load
// the table and width libraries.
import pc from "picocolors";

/** True when `stream` is a terminal and the user has not asked for no colour (NO_COLOR). */
export function colourWanted(stream: NodeJS.WriteStream): boolean {
  const noColor = process.env.NO_COLOR;
  return stream.isTTY === true && (noColor === undefined || noColor === "");
}

/** Colour functions for stderr (error messages), decided on stderr's own terminal-ness. */
export const errColours = pc.createColors(colourWanted(process.stderr));

// Controls (C0, DEL, C1), format characters (bidi overrides and isolates, zero-width, BOM)
// and the line/paragraph separators: characters that change how the rest of a line shows.
const UNSAFE = /[\p{Cc}\p{Cf}\u2028\u2029\\]/gu;

/**
 * A string made safe to show on a terminal: backslash and every control, bidi or invisible
 * character become escapes (`\n`, `\x1b`, `\u{202e}`), printable Unicode stays as it is.
 * Quotes and `<` are harmless on a terminal and are kept, so names read as libvirt has them.
 */
export function safeText(s: string): string {
  return s.replace(UNSAFE, (ch) => {
    switch (ch) {
      case "\\":
        return "\\\\";
      case "\n":
        return "\\n";
      case "\r":
        return "\\r";
      case "\t":
        return "\\t";
    }
    const cp = ch.codePointAt(0)!;
    return cp <= 0xff
      ? `\\x${cp.toString(16).padStart(2, "0")}`
      : `\\u{${cp.toString(16).padStart(4, "0")}}`;
  });
}
