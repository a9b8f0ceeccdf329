import { Injectable } from '@nestjs/common';
import type { LookupOptions } from 'node:dns';
import { RequestOptions, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Clock } from '../clock/clock';
import { ValidationError } from '../common/api-error';
import type { ResolvedAddress } from './outgoing/dns-resolver';
import { BLOCKED_DESTINATION, DestinationGuard } from './outgoing/destination-guard';

export interface WebhookRequest {
  url: string;
  body: unknown;
  headers?: Record<string, string>;
  timeoutMs: number;
  /** Aborts the request early (shutdown, a playbook step's own deadline). */
  signal?: AbortSignal;
}

export interface WebhookResult {
  ok: boolean;
  /** HTTP status, or null when no response arrived (refused, timed out, aborted). */
  status: number | null;
  /**
   * Short outcome for timelines and step results: `HTTP <status>`, `connection failed`, `timed out after <n> ms`,
   * `blocked_destination` or `aborted`.
   */
  message: string;
  /** Why a connection failed, for the server's log only (never shown to API clients). */
  detail?: string;
}

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
/** Headers the client sets itself; letting a user override them would break the request. */
const RESERVED_HEADERS = new Set([
  'content-type',
  'content-length',
  'host',
  'connection',
  'transfer-encoding',
]);

/** Rejects (400) user-configured headers that could not be sent or would break the request. */
export function assertSendableHeaders(headers: Record<string, string>): void {
  for (const [key, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(key) || RESERVED_HEADERS.has(key.toLowerCase())) {
      throw new ValidationError(`headers: "${key}" is not a header that may be set`);
    }
    if (/[\r\n\0]/.test(value)) throw new ValidationError(`headers: the value of "${key}" has a line break`);
  }
}

const USER_AGENT = 'llm-incident-manager/0.1';
/** A receiver's answer is read only to free the connection; we never need more than this of it. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * The outcome messages. Failures below HTTP all read the same (`connection failed`): telling a refused port from a
 * closed one or from one that does not speak HTTP would make the server a port scanner for whoever can configure a
 * URL. The cause is kept in `detail`, for the server's own log.
 */
export const WebhookMessage = {
  ConnectionFailed: 'connection failed',
  Blocked: BLOCKED_DESTINATION,
  Aborted: 'aborted',
} as const;

/**
 * The one place that sends HTTP to user-configured URLs (notification channels, escalation webhook targets,
 * playbook webhook steps): a JSON POST with a timeout that never throws. The destination is vetted first
 * (DestinationGuard) and the connection goes to the vetted addresses only. Redirects are not followed, so a receiver
 * cannot bounce the request to an address nobody configured.
 */
@Injectable()
export class WebhookClient {
  constructor(
    private readonly clock: Clock,
    private readonly guard: DestinationGuard,
  ) {}

  async post(request: WebhookRequest): Promise<WebhookResult> {
    // The deadline is kept by the Clock (not AbortSignal.timeout) so that tests can move time past it.
    const deadline = new AbortController();
    const timer = this.clock.setTimeout(() => deadline.abort(), request.timeoutMs);
    const timeout = deadline.signal;
    const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
    try {
      const url = new URL(request.url);
      const destination = await untilAborted(this.guard.vet(url), signal);
      if (!destination.allowed) return { ok: false, status: null, message: WebhookMessage.Blocked };
      const status = await send(url, destination.addresses, request, signal);
      const ok = status >= 200 && status < 300;
      return { ok, status, message: `HTTP ${status}` };
    } catch (error) {
      if (timeout.aborted) {
        return { ok: false, status: null, message: `timed out after ${request.timeoutMs} ms` };
      }
      if (request.signal?.aborted) return { ok: false, status: null, message: WebhookMessage.Aborted };
      return {
        ok: false,
        status: null,
        message: WebhookMessage.ConnectionFailed,
        detail: describeError(error),
      };
    } finally {
      timer.cancel();
    }
  }
}

/** POSTs the JSON body to `url`, connecting only to `addresses`; resolves with the response status. */
function send(
  url: URL,
  addresses: ResolvedAddress[],
  request: WebhookRequest,
  signal: AbortSignal,
): Promise<number> {
  const body = JSON.stringify(request.body);
  return new Promise<number>((resolve, reject) => {
    const options: RequestOptions = {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'user-agent': USER_AGENT,
        ...request.headers,
      },
      // A fresh connection per request: a pooled one could outlive the vetting of its address.
      agent: false,
      // Called instead of DNS for a host name (never for an IP literal): the Host header and TLS SNI stay the name.
      lookup: pinnedLookup(addresses),
      signal,
    };
    const outgoing = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (response) => {
      const status = response.statusCode ?? 0;
      let read = 0;
      const done = (): void => resolve(status);
      response.on('data', (chunk: Buffer) => {
        read += chunk.byteLength;
        if (read > MAX_RESPONSE_BYTES) response.destroy();
      });
      // The status already tells the outcome; a broken or cut-off body does not change it.
      response.on('end', done);
      response.on('close', done);
      response.on('error', done);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** A `lookup` for http.request that answers with the vetted addresses and never asks DNS again. */
function pinnedLookup(addresses: ResolvedAddress[]): NonNullable<RequestOptions['lookup']> {
  return ((_host: string, options: LookupOptions, callback: (...args: unknown[]) => void): void => {
    if (options.all) callback(null, addresses);
    else callback(null, addresses[0].address, addresses[0].family);
  }) as NonNullable<RequestOptions['lookup']>;
}

/** `promise`, or a rejection as soon as `signal` aborts (a DNS lookup cannot be cancelled, only abandoned). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function describeError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = (error as { message?: unknown } | null)?.message;
  const text = typeof message === 'string' ? message : String(error);
  return typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text;
}
