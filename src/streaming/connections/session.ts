import type { SubscriptionFilter } from '../routing/subscription-filter';

/**
 * One client's session: identity, activity, subscriptions (by subscription id) and free-form metadata (the
 * remote address, the user agent). Times are epoch milliseconds.
 */
export class Session {
  readonly subscriptions = new Map<string, SubscriptionFilter>();
  lastActiveAt: number;
  messageCount = 0;

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
