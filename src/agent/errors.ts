// How failures reach a QMF caller: as `_exception` {error_code, error_text}.
// - libvirt refused: error_code = 0x10000 + libvirt's virErrorNumber (libvirt-qpid's
//   convention), text "virDomainCreate: <libvirt's message>".
// - our own checks of the input (before any libvirt call): QMF PARAMETER_INVALID.
// - the libvirt link broke or timed out: QMF EXCEPTION, saying the outcome is unknown (the
//   call is never retried: it may have run).
import {
  isCallTimeout,
  isConnectionLost,
  isLibvirtError,
  type LibvirtError,
} from "../libvirt/index.js";
import { libvirtStatus, MethodError, QmfStatus } from "../qmf/errors.js";

/** error_code of a libvirt failure: 0x10000 + libvirt's error number. */
export const LIBVIRT_ERROR_BASE = QmfStatus.USER;

/** A method refused before libvirt was called (bad argument): PARAMETER_INVALID. */
export function badArgument(method: string, arg: string, why: string): MethodError {
  return new MethodError(QmfStatus.PARAMETER_INVALID, `${method}: argument ${arg} ${why}`);
}

/** libvirt is not connected now: nothing was attempted. */
export function notConnected(call: string, why: string | undefined): MethodError {
  return new MethodError(
    QmfStatus.EXCEPTION,
    `${call}: libvirt is not connected${why ? ` (${why})` : ""}; nothing was done`,
  );
}

/** The QMF error for a failed libvirt call named `call` (e.g. "virDomainCreate"). */
export function libvirtFailure(call: string, err: unknown): MethodError {
  if (err instanceof MethodError) return err;
  if (isLibvirtError(err)) {
    const e = err as LibvirtError;
    return new MethodError(libvirtStatus(e.libvirtCode), `${call}: ${e.message}`);
  }
  if (isConnectionLost(err) || isCallTimeout(err)) {
    return new MethodError(
      QmfStatus.EXCEPTION,
      `${call}: ${(err as Error).message}; the libvirt connection was lost, so whether the call took effect is unknown`,
    );
  }
  return new MethodError(QmfStatus.EXCEPTION, `${call}: ${(err as Error)?.message ?? String(err)}`);
}

/** Runs one libvirt call, turning its failure into the QMF error naming `call`. */
export async function libvirtCall<T>(call: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw libvirtFailure(call, e);
  }
}
