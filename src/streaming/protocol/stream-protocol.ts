// The wire protocol's messages, codes and close codes are defined once, in the protocol package shared with the SDK
// and the dashboard (protocol/src/stream.ts). RejectedFrame is the server's own.
export {
  ClientMessageType,
  CLIENT_MESSAGE_TYPES,
  ServerMessageType,
  StreamErrorCode,
  INVALID_MESSAGE_PREFIX,
  CloseCode,
} from '@llm-incident-manager/protocol';
export type {
  WelcomeMessage,
  SubscribedMessage,
  ReplayCompleteMessage,
  SnapshotMessage,
  UnsubscribedMessage,
  PongMessage,
  ErrorMessage,
  ClosingMessage,
  GapMessage,
  AuthOkMessage,
  ControlMessage,
  EventMessage,
  ServerMessage,
} from '@llm-incident-manager/protocol';

/**
 * Frames that are not a valid client message still reach a gateway handler (so that every frame gets an answer);
 * these are the internal patterns the frame parser routes them to. They never appear on the wire.
 */
export const RejectedFrame = {
  Invalid: 'invalid_frame',
  Binary: 'binary_frame',
} as const;
export type RejectedFrame = (typeof RejectedFrame)[keyof typeof RejectedFrame];
