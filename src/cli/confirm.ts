// Asking the person at the terminal before acting on many objects: a y/N question on
// stderr (stdout stays for the results), the answer read from stdin.
import { createInterface } from "node:readline";

/**
 * Writes `question` (one line; write any longer explanation on stderr first: a terminal's
 * line editor redraws only the prompt's line) on stderr and reads one line from stdin: true for "y" or "yes" (any
 * case); false for anything else, an empty line, end of input or Ctrl-C.
 */
export function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  return new Promise((resolve) => {
    let answer: string | undefined;
    rl.on("SIGINT", () => rl.close());
    rl.on("close", () => {
      if (answer === undefined) process.stderr.write("\n");
      resolve(/^y(es)?$/i.test((answer ?? "").trim()));
    });
    rl.question(question, (a) => {
      answer = a;
      rl.close();
    });
  });
}
