/** Why a body could not be encoded or decoded. */
export type CodecErrorCode =
  /** A length, count or fixed-width value runs past the end of the bytes. */
  | "TRUNCATED"
  /** A type code this codec does not know. */
  | "BAD_TYPE_CODE"
  /** Maps and lists nested deeper than the decoder's (or encoder's) limit. */
  | "TOO_DEEP"
  /** A map, list or array's size field disagrees with its contents. */
  | "SIZE_MISMATCH"
  /** Bytes left after the top-level map or list. */
  | "TRAILING_BYTES"
  /** A count larger than the bytes that could possibly hold that many items. */
  | "BAD_COUNT"
  /** A JS value that has no wire form, or does not fit the requested wire type. */
  | "UNENCODABLE";

/**
 * A body that is not valid AMQP 0-10 map/list encoding (decode), or a value that cannot be
 * put on the wire (encode). `offset` is the byte position where the problem was found
 * (for encoding: the output position; -1 when the value was rejected before any output).
 */
export class CodecError extends Error {
  override readonly name = "CodecError";
  readonly code: CodecErrorCode;
  readonly offset: number;
  /** The problem without position information. */
  readonly detail: string;
  /** For encoding: where in the value the problem is, e.g. `_values.name` or `args[2]`. */
  readonly path: string | undefined;

  constructor(
    code: CodecErrorCode,
    detail: string,
    offset: number,
    options?: { cause?: unknown; path?: string },
  ) {
    const where = options?.path ? ` at ${options.path}` : "";
    super(offset >= 0 ? `${detail}${where} (byte ${offset})` : `${detail}${where}`, options);
    this.code = code;
    this.offset = offset;
    this.detail = detail;
    this.path = options?.path;
  }
}

/** True when `err` is a {@link CodecError}. */
export function isCodecError(err: unknown): err is CodecError {
  return err instanceof CodecError;
}
