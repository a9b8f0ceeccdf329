// A minimal WebSocket client (RFC 6455) for the load generator: handshake, unmasked server frames parsed in
// place, masked client frames, ping -> pong, close. No extensions (permessage-deflate targets use `ws`).
//
// Why not `ws`: on 2 shared cores the generator competes with the server it measures. `ws` allocates a Buffer
// and emits two events per message; here a text frame is handed over as (chunk, start, end) of the socket's read
// buffer, so receiving costs a few hundred nanoseconds and no allocation.

import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

const OPCODE_CONTINUATION = 0x0;
const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;
const OPCODE_CLOSE = 0x8;
const OPCODE_PING = 0x9;

/**
 * handlers: onOpen(), onText(buffer, start, end) (the bytes are only valid during the call), onClose(code),
 * onError(error) (before open only; afterwards errors end in onClose). headers: extra request headers of the
 * handshake, e.g. `{ authorization: 'Bearer …' }`.
 */
export class RawWebSocket {
  constructor(url, handlers, headers = {}) {
    const { hostname, port, pathname, search } = new URL(url);
    this.handlers = handlers;
    this.state = 'connecting';
    this.pending = null;
    this.fragments = null;
    this.closeCode = 1006;
    this.error = null;
    this.key = randomBytes(16).toString('base64');
    this.socket = net.connect({ host: hostname, port: Number(port) });
    this.socket.setNoDelay(true);
    let extra = '';
    for (const [name, value] of Object.entries(headers)) extra += `${name}: ${value}\r\n`;
    this.socket.on('connect', () =>
      this.socket.write(
        `GET ${pathname}${search} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${this.key}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
      ),
    );
    this.socket.on('data', (chunk) => this.onData(chunk));
    this.socket.on('error', (error) => {
      this.error ??= error;
    });
    this.socket.on('close', () => {
      const was = this.state;
      this.state = 'closed';
      if (was === 'connecting') this.handlers.onError(this.error ?? new Error('closed during the handshake'));
      else this.handlers.onClose(this.closeCode);
    });
  }

  send(text) {
    if (this.state === 'open') this.socket.write(maskedFrame(OPCODE_TEXT, Buffer.from(text)));
  }

  terminate() {
    this.socket.destroy();
  }

  onData(chunk) {
    if (this.pending !== null) {
      chunk = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    let offset = 0;
    if (this.state === 'connecting') {
      const headEnd = chunk.indexOf('\r\n\r\n');
      if (headEnd === -1) {
        this.pending = chunk;
        return;
      }
      const head = chunk.toString('latin1', 0, headEnd);
      const accept = /\r\nsec-websocket-accept:[ \t]*(\S+)/i.exec(head)?.[1];
      const expected = createHash('sha1')
        .update(this.key + GUID)
        .digest('base64');
      if (!/^HTTP\/1\.1 101 /.test(head) || accept !== expected) {
        this.error = new Error(`handshake refused: ${head.split('\r\n', 1)[0]}`);
        this.socket.destroy();
        return;
      }
      this.state = 'open';
      offset = headEnd + 4;
      this.handlers.onOpen();
    }
    const length = chunk.length;
    while (length - offset >= 2) {
      const b0 = chunk[offset];
      const b1 = chunk[offset + 1];
      let size = b1 & 0x7f;
      let header = 2;
      if (size === 126) {
        if (length - offset < 4) break;
        size = chunk.readUInt16BE(offset + 2);
        header = 4;
      } else if (size === 127) {
        if (length - offset < 10) break;
        size = chunk.readUInt32BE(offset + 2) * 2 ** 32 + chunk.readUInt32BE(offset + 6);
        header = 10;
      }
      if (b1 & 0x80) {
        this.protocolError('masked frame from the server');
        return;
      }
      if (length - offset < header + size) break;
      const start = offset + header;
      offset = start + size;
      this.onFrame(b0, chunk, start, offset);
      if (this.state !== 'open') return;
    }
    if (offset < length) this.pending = chunk.subarray(offset);
  }

  onFrame(b0, chunk, start, end) {
    const opcode = b0 & 0x0f;
    const fin = (b0 & 0x80) !== 0;
    if (opcode === OPCODE_TEXT && fin && this.fragments === null) {
      this.handlers.onText(chunk, start, end);
    } else if (opcode === OPCODE_TEXT || opcode === OPCODE_BINARY || opcode === OPCODE_CONTINUATION) {
      // A fragmented message (servers rarely fragment): collect the parts.
      if (opcode !== OPCODE_CONTINUATION) this.fragments = [];
      if (this.fragments === null) return this.protocolError('continuation without a first fragment');
      this.fragments.push(Buffer.from(chunk.subarray(start, end)));
      if (fin) {
        const message = Buffer.concat(this.fragments);
        this.fragments = null;
        this.handlers.onText(message, 0, message.length);
      }
    } else if (opcode === OPCODE_CLOSE) {
      this.closeCode = end - start >= 2 ? chunk.readUInt16BE(start) : 1005;
      this.state = 'closing';
      this.socket.end(
        maskedFrame(OPCODE_CLOSE, Buffer.from(chunk.subarray(start, Math.min(end, start + 2)))),
      );
    } else if (opcode === OPCODE_PING) {
      this.socket.write(maskedFrame(0xa, Buffer.from(chunk.subarray(start, end))));
    }
    // pong (0xA): nothing to do.
    return undefined;
  }

  protocolError(reason) {
    this.closeCode = 1002;
    this.error ??= new Error(reason);
    this.state = 'closing';
    this.socket.destroy();
  }
}

/** A final frame with a random mask, as every client-to-server frame must be. */
function maskedFrame(opcode, payload) {
  const length = payload.length;
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + 4 + length);
  frame[0] = 0x80 | opcode;
  if (length < 126) frame[1] = 0x80 | length;
  else if (length < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  const mask = randomBytes(4);
  mask.copy(frame, header);
  for (let i = 0; i < length; i++) frame[header + 4 + i] = payload[i] ^ mask[i & 3];
  return frame;
}
