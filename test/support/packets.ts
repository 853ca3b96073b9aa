// A libvirt REPLY packet carrying raw payload bytes, for feeding frame decoders in tests.
import {
  encodePacket,
  PacketStatus,
  PacketType,
  PROTOCOL_VERSION,
  Program,
} from "../../src/libvirt/codec/index.js";

/** A REMOTE-program REPLY (procedure 16) with `serial` whose payload is `payload` verbatim. */
export function replyPacket(serial: number, payload: Buffer): Buffer {
  return Buffer.from(
    encodePacket(
      {
        program: Program.REMOTE,
        version: PROTOCOL_VERSION,
        procedure: 16,
        type: PacketType.REPLY,
        serial,
        status: PacketStatus.OK,
      },
      (w) => w.fixedOpaque(payload, payload.length),
    ),
  );
}
