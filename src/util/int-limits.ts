// The bounds of the fixed-size integers both wire codecs carry (XDR's int/hyper, QMF's
// int32/int64): 32-bit ones as `number`, 64-bit ones as `bigint`.

export const INT32_MIN = -0x80000000;
export const INT32_MAX = 0x7fffffff;
export const UINT32_MAX = 0xffffffff;
export const INT64_MIN = -(1n << 63n);
export const INT64_MAX = (1n << 63n) - 1n;
export const UINT64_MAX = (1n << 64n) - 1n;
