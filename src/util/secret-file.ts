// Secrets kept in files rather than on the command line (which `ps` shows to every user):
// reading a password file, and telling whether a file that holds a secret is readable by
// every user of the machine (worth a warning).
import { constants } from "node:fs";
import { access, readFile, stat } from "node:fs/promises";

/**
 * The password in a file: its text without the line end after it (an editor adds one). An
 * empty file or one that cannot be read is an error naming the file, never its content.
 */
export async function readPasswordFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new Error(
      `cannot read the password file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const password = text.replace(/\r?\n$/, "");
  if (password === "") throw new Error(`the password file ${path} is empty`);
  return password;
}

/** Whether every user of the machine may read `path` (false when it cannot be examined). */
export async function isWorldReadable(path: string): Promise<boolean> {
  try {
    return ((await stat(path)).mode & 0o004) !== 0;
  } catch {
    return false;
  }
}

/** Why `path` cannot be read by this process (a message naming `what`), or undefined. */
export async function unreadableFile(path: string, what: string): Promise<string | undefined> {
  try {
    await access(path, constants.R_OK);
    return undefined;
  } catch (e) {
    return `${what} ${path} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  }
}

/** The warning for a secret in a file every user may read. */
export function worldReadableWarning(path: string, what: string): string {
  return `${path} is readable by every user and holds ${what}: make it private (chmod 600 ${path})`;
}
