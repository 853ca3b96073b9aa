// The progress bar of a batch on a terminal's stderr: how many calls have settled of how
// many, the failures so far and the elapsed time, on one line that fits the terminal.
import stringWidth from "string-width";
import { elapsedText, errColours, startLiveLine } from "./output.js";

/** A batch's progress, as its calls settle. */
export interface Progress {
  /** One more call settled (failed or not). */
  settled(failed: boolean): void;
  /** The batch is over: the bar stays, with a success or failure mark. */
  end(): void;
}

const BAR_MIN = 10;
const BAR_MAX = 30;

/** The bar itself: `width` cells, the settled share filled. */
export function barText(done: number, total: number, width: number): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  const rest = "░".repeat(width - filled);
  return `${"█".repeat(filled)}${rest && errColours.dim(rest)}`;
}

/**
 * Starts the progress of `total` calls, labelled `label`: a bar on stderr when it is a
 * terminal, nothing otherwise.
 */
export async function startProgress(label: string, total: number): Promise<Progress> {
  const started = Date.now();
  let done = 0;
  let failed = 0;
  const text = (): string => {
    const failures = `${failed} failed`;
    const tail = `${done}/${total}  ${failed > 0 ? errColours.red(failures) : failures}  ${elapsedText(started)}`;
    // The spinner's frame and a space come first; the line must not wrap.
    const room = (process.stderr.columns || 80) - 2 - stringWidth(`${label}  ${tail}`) - 1;
    const width = Math.max(BAR_MIN, Math.min(BAR_MAX, room));
    return `${label} ${barText(done, total, width)} ${tail}`;
  };
  const line = await startLiveLine(text);
  return {
    settled(f) {
      done++;
      if (f) failed++;
      line?.refresh();
    },
    end() {
      line?.end(failed > 0);
    },
  };
}
