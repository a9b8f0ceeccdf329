/**
 * Who a connection is and when it was last heard from: the session id (sent in `welcome`), when it started, its
 * metadata (remote address, user agent) and its last activity (a client message or a pong). Times are epoch ms.
 */
export class Session {
  lastActiveAt: number;

  constructor(
    readonly id: string,
    readonly createdAt: number,
    readonly metadata: Readonly<Record<string, string>>,
  ) {
    this.lastActiveAt = createdAt;
  }

  /** Records client activity (a message or a pong). */
  touch(now: number): void {
    this.lastActiveAt = now;
  }

  isIdle(now: number, timeoutMs: number): boolean {
    return now - this.lastActiveAt > timeoutMs;
  }
}
