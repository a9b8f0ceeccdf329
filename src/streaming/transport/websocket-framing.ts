/** FIN bit + opcode 1 (text): a complete, unfragmented text message. */
const FIN_TEXT = 0x81;
/** FIN bit + opcode 9 (ping). */
const FIN_PING = 0x89;

/** A complete, unmasked ping frame with an empty payload (RFC 6455 section 5.5.2), the same bytes for every peer. */
export const PING_FRAME: Buffer = Buffer.from([FIN_PING, 0x00]);

/**
 * Encodes a complete, unmasked (server-to-client) WebSocket text frame, RFC 6455 section 5.2: header and payload
 * in one buffer, so that one shared buffer can be written as-is to every recipient.
 */
export function encodeTextFrame(payload: Buffer): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = FIN_TEXT;
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  payload.copy(frame, headerLength);
  return frame;
}
