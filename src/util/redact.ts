// Passwords out of texts that are logged: a URL's user info (`scheme://user:password@host`)
// keeps its user and loses its password, wherever it sits in the text.

// Every part is bounded (a scheme of at most 32 characters, user info of at most 256, a
// password of at most 1024): on a long text without a URL an unbounded scheme made each start
// position scan the rest of the text (a 4 MB XML argument took minutes).
const URL_PASSWORD = /([a-z][a-z0-9+.-]{0,31}:\/\/[^/@:\s]{0,255}):[^/@\s]{0,1023}@/gi;
/** A URL's user info cut short by the end of the text: its password may be partly there. */
const CUT_PASSWORD = /([a-z][a-z0-9+.-]{0,31}:\/\/[^/@:\s]{0,255}):[^/@\s]{0,1023}$/i;

/** `text` with the password of every URL in it shown as `***`. */
export function withoutPasswords(text: string): string {
  return text.replace(URL_PASSWORD, "$1:***@");
}

/**
 * The first `chars` characters of `text`, passwords masked, including one whose URL the cut
 * leaves without its `@`.
 */
export function headWithoutPasswords(text: string, chars: number): string {
  // The masking may shorten the text: take enough for a whole URL's user info after the head.
  const head = withoutPasswords(text.slice(0, chars + 1300)).slice(0, chars);
  return head.replace(CUT_PASSWORD, "$1:***");
}
