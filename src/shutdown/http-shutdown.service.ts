import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';
import { isEventStream } from '../common/event-stream';
import { APP_CONFIG, AppConfig } from '../config/app-config';

/**
 * The first step of shutdown: HTTP stops taking new work and finishes what it has. Runs in onModuleDestroy of the
 * root module, which Nest calls before every other shutdown hook (see app.setup.ts for the whole order), so the
 * requests in flight run with every service still up and their events are committed and published before the
 * streams deliver them and close.
 *
 * - The listener is closed: no new connection (HTTP or WebSocket) is accepted.
 * - Every response written from now on carries `Connection: close`, so each keep-alive connection ends in order
 *   after its answer (Node then ends the socket with a FIN).
 * - Idle keep-alive connections are closed only once no request has been in flight for a moment (the idle
 *   linger): a client that sent its next request on one just before shutdown gets it answered, not reset.
 * - A request that does not complete within the drain wait (a client that stops sending its body) is cut, so that
 *   it cannot hold shutdown.
 */
/**
 * How long HTTP must have been quiet before idle keep-alive connections are closed: a client's next request on a
 * connection answered (with keep-alive) just before shutdown arrives within a round trip; one sent later races
 * the close, as it always can with keep-alive.
 */
const IDLE_LINGER_MS = 100;

@Injectable()
export class HttpShutdownService implements OnModuleInit, OnModuleDestroy {
  private readonly drainWaitMs: number;
  private closing = false;
  /** Responses not yet finished (or aborted). */
  private readonly inFlight = new Set<ServerResponse>();
  private onIdle: (() => void) | null = null;
  /** When a request last started or ended (ms since the epoch). */
  private lastActivityAt = 0;
  /** Every response's 'close' listener (one function for all). */
  private readonly onResponseClose: (this: ServerResponse) => void;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    // A third of the grace period: the stream close wait and the database close share the rest.
    this.drainWaitMs = config.http.shutdownGraceMs / 3;
    // An emitter calls its listeners with itself as `this`: the response that closed.
    const untrack = (response: ServerResponse): void => this.untrack(response);
    this.onResponseClose = function (this: ServerResponse): void {
      untrack(this);
    };
  }

  onModuleInit(): void {
    this.server.on('request', this.track);
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    // Event streams never finish by themselves: the stream shutdown ends them, with `closing`, after this step.
    for (const response of this.inFlight) if (isEventStream(response)) this.inFlight.delete(response);
    for (const response of this.inFlight) {
      if (!response.headersSent) response.setHeader('Connection', 'close');
    }
    // http.Server#close would also destroy every idle keep-alive connection at once, resetting the ones a client
    // is sending a request on at that moment; net.Server#close only stops the listener.
    NetServer.prototype.close.call(this.server);
    const deadline = Date.now() + this.drainWaitMs;
    await this.untilQuiet(deadline);
    this.server.closeIdleConnections();
    // A request read just before the idle connections closed is answered too (its connection is active).
    await this.untilNoneInFlight(deadline);
    if (this.inFlight.size > 0) this.server.closeAllConnections();
  }

  private get server(): Server {
    return this.adapterHost.httpAdapter.getHttpServer() as Server;
  }

  private readonly track = (_request: IncomingMessage, response: ServerResponse): void => {
    if (this.closing) response.setHeader('Connection', 'close');
    this.inFlight.add(response);
    this.lastActivityAt = Date.now();
    // One listener for every response ('close' comes once per response), not a closure and a `once` wrapper each.
    response.on('close', this.onResponseClose);
  };

  private untrack(response: ServerResponse): void {
    this.inFlight.delete(response);
    this.lastActivityAt = Date.now();
    if (this.inFlight.size === 0) this.onIdle?.();
  }

  /**
   * Waits until no request has been in flight for the idle linger, or the deadline: a client answered with
   * keep-alive just before shutdown may be sending its next request on that connection right now.
   */
  private async untilQuiet(deadline: number): Promise<void> {
    while (Date.now() < deadline) {
      await this.untilNoneInFlight(deadline);
      const quietFor = Date.now() - this.lastActivityAt;
      if (this.inFlight.size > 0 || quietFor >= IDLE_LINGER_MS) return;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(IDLE_LINGER_MS - quietFor, deadline - Date.now())),
      );
    }
  }

  /**
   * Waits until no request is in flight, or the deadline. A real-time safety net for a process that is stopping,
   * not application time, so it does not go through the Clock.
   */
  private async untilNoneInFlight(deadline: number): Promise<void> {
    if (this.inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.onIdle = resolve;
      timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
    });
    clearTimeout(timer);
    this.onIdle = null;
  }
}
