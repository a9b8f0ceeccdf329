import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Observable, Subject } from 'rxjs';
import { APP_CONFIG, AppConfig, StreamingConfig } from '../../config/app-config';
import { Session } from './session';

/**
 * Session lifecycle: creation, lookup, end, and idle expiry. Every `cleanupInterval` it emits, on `expired$`, the
 * sessions idle for longer than `sessionTimeout` (no client message and no pong); the connection owner closes them.
 */
@Injectable()
export class SessionService implements OnModuleInit, OnModuleDestroy {
  private readonly sessions = new Map<string, Session>();
  private readonly expiredSubject = new Subject<Session>();
  readonly expired$: Observable<Session> = this.expiredSubject.asObservable();
  private readonly config: StreamingConfig;
  private sweepTimer: NodeJS.Timeout | null = null;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.config = config.streaming;
  }

  onModuleInit(): void {
    this.sweepTimer = setInterval(() => this.sweep(Date.now()), this.config.cleanupIntervalMs);
    this.sweepTimer.unref();
  }

  onModuleDestroy(): void {
    this.stop();
  }

  /** Stops expiring sessions (shutdown closes them all anyway). */
  stop(): void {
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    this.expiredSubject.complete();
  }

  create(metadata: Record<string, string>, now = Date.now()): Session {
    const session = new Session(randomUUID(), now, metadata);
    this.sessions.set(session.id, session);
    return session;
  }

  /** Forgets a session; returns its lifetime in seconds. */
  end(session: Session, now = Date.now()): number {
    this.sessions.delete(session.id);
    return (now - session.createdAt) / 1000;
  }

  /** Emits every session idle for longer than the timeout. Public for tests with a controlled clock. */
  sweep(now: number): void {
    for (const session of this.sessions.values()) {
      if (session.isIdle(now, this.config.sessionTimeoutMs)) this.expiredSubject.next(session);
    }
  }
}
