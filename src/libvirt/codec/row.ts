// The constructor of one procedure-table row, shared by procedures.ts and the per-object
// tables it spreads in (network.ts, snapshot.ts, …). A module of its own so those tables can
// build rows without importing procedures.ts at run time (which imports them: a cycle).
import type { Codec } from "./codec.js";
import type { Procedure } from "./procedures.js";

/** One row: libvirt's procedure name (without REMOTE_PROC_), its number and its codecs. */
export const proc = <A, R>(name: string, number: number, args: Codec<A>, ret: Codec<R>) =>
  ({ name, number, args, ret }) as Procedure<A, R>;
