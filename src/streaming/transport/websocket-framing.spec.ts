import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { encodeTextFrame } from './websocket-framing';

// `ws` exports its frame parser at run time; its type definitions do not declare it.
interface FrameReceiver extends EventEmitter {
  write(chunk: Buffer): void;
}
const { Receiver } = WebSocket as unknown as {
  Receiver: new (options: { isServer: boolean }) => FrameReceiver;
};

/** Decodes with the `ws` library's own parser, as a client would. */
function decode(frame: Buffer): string[] {
  const messages: string[] = [];
  const receiver = new Receiver({ isServer: false });
  receiver.on('message', (data: Buffer) => messages.push(data.toString('utf8')));
  receiver.write(frame);
  return messages;
}

describe('encodeTextFrame', () => {
  it.each([0, 1, 125, 126, 127, 65535, 65536, 300_000])(
    'encodes a %d-byte payload that ws decodes',
    (size) => {
      const text = 'é'.repeat(Math.floor(size / 2)) + 'x'.repeat(size % 2);
      const payload = Buffer.from(text, 'utf8');
      expect(decode(encodeTextFrame(payload))).toEqual([text]);
    },
  );

  it('encodes frames that can be concatenated on one stream', () => {
    const frames = Buffer.concat([
      encodeTextFrame(Buffer.from('a')),
      encodeTextFrame(Buffer.from('b'.repeat(200))),
    ]);
    expect(decode(frames)).toEqual(['a', 'b'.repeat(200)]);
  });
});
