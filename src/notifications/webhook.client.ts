import { Injectable } from '@nestjs/common';
import { Clock } from '../clock/clock';
import { ValidationError } from '../common/api-error';

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
  /** Short, human-readable outcome for timelines and step results. */
  message: string;
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
 * The one place that sends HTTP to user-configured URLs (notification channels, escalation webhook targets,
 * playbook webhook steps): a JSON POST with a timeout that never throws. Redirects are not followed, so a receiver
 * cannot bounce the request to an address nobody configured.
 */
@Injectable()
export class WebhookClient {
  constructor(private readonly clock: Clock) {}

  async post(request: WebhookRequest): Promise<WebhookResult> {
    // The deadline is kept by the Clock (not AbortSignal.timeout) so that tests can move time past it.
    const deadline = new AbortController();
    const timer = this.clock.setTimeout(() => deadline.abort(), request.timeoutMs);
    const timeout = deadline.signal;
    const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
    try {
      const response = await fetch(request.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          ...request.headers,
        },
        body: JSON.stringify(request.body),
        redirect: 'manual',
        signal,
      });
      await discardBody(response);
      const ok = response.status >= 200 && response.status < 300;
      return { ok, status: response.status, message: `HTTP ${response.status}` };
    } catch (error) {
      if (timeout.aborted) {
        return { ok: false, status: null, message: `timed out after ${request.timeoutMs} ms` };
      }
      if (request.signal?.aborted) return { ok: false, status: null, message: 'aborted' };
      return { ok: false, status: null, message: describeFetchError(error) };
    } finally {
      timer.cancel();
    }
  }
}

async function discardBody(response: Response): Promise<void> {
  if (!response.body) return;
  const reader = response.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  let read = 0;
  try {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) return;
      read += chunk.value.byteLength;
      if (read > MAX_RESPONSE_BYTES) {
        await reader.cancel();
        return;
      }
    }
  } catch {
    // The status already tells the outcome; a broken body does not change it.
  }
}

function describeFetchError(error: unknown): string {
  // Duck-typed: fetch's errors may come from another realm (test runners), where instanceof Error fails.
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (cause && typeof cause.code === 'string') {
    return cause.code === 'ECONNREFUSED' ? 'connection refused' : `request failed: ${cause.code}`;
  }
  if (cause && typeof cause.message === 'string') return `request failed: ${cause.message}`;
  const message = (error as { message?: unknown } | null)?.message;
  return `request failed: ${typeof message === 'string' ? message : String(error)}`;
}
