/** A REST call answered with a non-2xx status: the server's error body, or what could be made of the answer. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    /** The HTTP status. */
    readonly status: number,
    /**
     * The contract's error code (an ApiErrorCode: `NOT_FOUND`, `AUTHENTICATION_ERROR`, ...), or `HTTP_<status>`
     * when the answer had no error body (a proxy's page, say).
     */
    readonly code: string,
    message: string,
    /** The parsed body, when it was JSON. */
    readonly body?: unknown,
  ) {
    super(message);
  }

  /** 401 or 403: the credential is missing, invalid or lacks the scope. */
  get isAuthError(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

/** The server could not be reached (refused, unknown host, reset, timed out) or did not answer like this server. */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The stream was closed by the server with a code that means "do not come back" (4001 unauthorized, 4003 forbidden). */
export class StreamClosedError extends Error {
  override readonly name = 'StreamClosedError';

  constructor(
    readonly code: number,
    readonly reason: string,
  ) {
    super(`the server closed the stream: ${code}${reason === '' ? '' : ` ${reason}`}`);
  }

  /** 4001 or 4003: the credential is missing, invalid, expired or lacks `stream:read`. */
  get isAuthError(): boolean {
    return this.code === 4001 || this.code === 4003;
  }
}
