import type { RawData } from 'ws';
import { findUnacceptableJson } from '../../common/untrusted-json';
import { CLIENT_MESSAGE_TYPES, ClientMessageType, RejectedFrame } from './stream-protocol';

/** What the adapter dispatches: a gateway message pattern and its body. */
export type ParsedFrame =
  | { event: ClientMessageType; data: Record<string, unknown> }
  | { event: typeof RejectedFrame.Invalid; data: string }
  | { event: typeof RejectedFrame.Binary; data: null };

/**
 * Maps every inbound frame to a gateway handler: a well-formed message to its `type`'s handler, anything else
 * (bad JSON, not an object, missing or unknown `type`, or what REST bodies refuse too: a reserved key such as
 * `__proto__`, a NUL character, nesting beyond 32 levels) to the invalid-frame handler with the reason, and a binary
 * frame to the binary-frame handler. Nothing is dropped, so every frame gets an answer. A reserved key must not
 * reach validation: class-transformer drops it, and a `{"filters":{"__proto__":{...}}}` subscribed to everything.
 */
export function parseClientFrame(data: RawData, isBinary: boolean): ParsedFrame {
  if (isBinary) return { event: RejectedFrame.Binary, data: null };
  let message: unknown;
  try {
    message = JSON.parse(rawDataToString(data));
  } catch (error) {
    return { event: RejectedFrame.Invalid, data: `invalid JSON: ${(error as Error).message}` };
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return { event: RejectedFrame.Invalid, data: 'a message must be a JSON object' };
  }
  const problem = findUnacceptableJson(message, 'the message');
  if (problem !== undefined) return { event: RejectedFrame.Invalid, data: problem };
  const type = (message as { type?: unknown }).type;
  if (type === undefined) return { event: RejectedFrame.Invalid, data: 'missing field `type`' };
  if (typeof type !== 'string' || !CLIENT_MESSAGE_TYPES.includes(type)) {
    return {
      event: RejectedFrame.Invalid,
      data: `unknown message type ${JSON.stringify(type)} (expected one of ${CLIENT_MESSAGE_TYPES.join(', ')})`,
    };
  }
  return { event: type as ClientMessageType, data: message as Record<string, unknown> };
}

function rawDataToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
