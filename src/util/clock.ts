// Wall-clock time as QMF carries it (absTime: nanoseconds since the epoch, int64).

/** Now, in nanoseconds since the Unix epoch (millisecond resolution). */
export const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n;
