/** What is wrong with a schema file. */
export type SchemaErrorCode =
  | "MALFORMED_XML"
  | "UNKNOWN_ELEMENT"
  | "MISPLACED_ELEMENT"
  | "UNKNOWN_ATTRIBUTE"
  | "MISSING_ATTRIBUTE"
  | "BAD_NAME"
  | "UNKNOWN_TYPE"
  | "BAD_ACCESS"
  | "BAD_DIR"
  | "BAD_VALUE"
  | "DUPLICATE_NAME"
  | "UNKNOWN_REFERENCE"
  | "UNEXPECTED_TEXT";

/**
 * An invalid schema file. The message reads `file:line:column: problem`; `line` and `column`
 * (both 1-based) point at the element or attribute at fault.
 */
export class SchemaError extends Error {
  override readonly name = "SchemaError";
  readonly code: SchemaErrorCode;
  readonly fileName: string;
  readonly line: number;
  readonly column: number;
  /** The problem without the position. */
  readonly detail: string;

  constructor(
    code: SchemaErrorCode,
    detail: string,
    where: { fileName: string; line: number; column: number },
    options?: { cause?: unknown },
  ) {
    super(`${where.fileName}:${where.line}:${where.column}: ${detail}`, options);
    this.code = code;
    this.detail = detail;
    this.fileName = where.fileName;
    this.line = where.line;
    this.column = where.column;
  }
}

/** True when `err` is a {@link SchemaError}. */
export function isSchemaError(err: unknown): err is SchemaError {
  return err instanceof SchemaError;
}
