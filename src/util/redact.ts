// Passwords out of texts that are logged: a URL's user info (`scheme://user:password@host`)
// keeps its user and loses its password, wherever it sits in the text.

const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^/@:\s]*):[^/@\s]*@/gi;

/** `text` with the password of every URL in it shown as `***`. */
export function withoutPasswords(text: string): string {
  return text.replace(URL_PASSWORD, "$1:***@");
}
