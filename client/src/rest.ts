import type {
  AcknowledgeIncidentBody,
  AlertAck,
  AlertAcks,
  AlertSubmission,
  CloseIncidentBody,
  CommentBody,
  EscalateIncidentBody,
  EventLogPage,
  EventLogQuery,
  Incident,
  IncidentListQuery,
  IncidentNote,
  IncidentPage,
  IncidentSubmission,
  IncidentUpdate,
  ResolveIncidentBody,
} from '@llm-incident-manager/protocol';
import { ApiError, ConnectionError } from './errors';

export type FetchFunction = (input: string, init?: RequestInit) => Promise<Response>;

type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

/** Sends REST requests to one server with one credential; every non-2xx answer throws an ApiError. */
export class RestTransport {
  constructor(
    private readonly baseUrl: string,
    private readonly token: () => string | undefined,
    private readonly fetchFn: FetchFunction,
    private readonly timeoutMs: number,
  ) {}

  async request<T>(
    method: string,
    path: string,
    options: { body?: unknown; query?: Query } = {},
  ): Promise<T> {
    const url = this.baseUrl + path + queryString(options.query);
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = this.token();
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetchFn(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new ConnectionError(`${method} ${url}: ${describe(error)}`, { cause: error });
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!response.ok) throw errorFrom(response.status, body, text);
    return body as T;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}

function errorFrom(status: number, body: unknown, text: string): ApiError {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (typeof error?.code === 'string' && typeof error.message === 'string') {
    return new ApiError(status, error.code, error.message, body);
  }
  return new ApiError(status, `HTTP_${status}`, text.slice(0, 200) || `HTTP ${status}`, body);
}

function queryString(query: Query | undefined): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      if (value.length > 0) params.set(key, value.join(','));
    } else {
      params.set(key, String(value));
    }
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

const id = (incidentId: string): string => encodeURIComponent(incidentId);

/** `client.alerts`: ingestion. */
export class AlertsApi {
  constructor(private readonly rest: RestTransport) {}

  /** `POST /v1/alerts`: the ack says whether it opened an incident (`Accepted`) or joined one (`Duplicate`). */
  submit(alert: AlertSubmission): Promise<AlertAck> {
    return this.rest.request('POST', '/v1/alerts', { body: alert });
  }

  /** `POST /v1/alerts/batch`: 1..1000 alerts, one ack each, in order. */
  submitBatch(alerts: AlertSubmission[]): Promise<AlertAcks> {
    return this.rest.request('POST', '/v1/alerts/batch', { body: { alerts } });
  }
}

/** `client.incidents`: reads and lifecycle actions. */
export class IncidentsApi {
  constructor(private readonly rest: RestTransport) {}

  /** `GET /v1/incidents`: a page, newest first. */
  list(query: IncidentListQuery = {}): Promise<IncidentPage> {
    return this.rest.request('GET', '/v1/incidents', { query: { ...query } });
  }

  get(incidentId: string): Promise<Incident> {
    return this.rest.request('GET', `/v1/incidents/${id(incidentId)}`);
  }

  create(incident: IncidentSubmission): Promise<Incident> {
    return this.rest.request('POST', '/v1/incidents', { body: incident });
  }

  update(incidentId: string, update: IncidentUpdate): Promise<Incident> {
    return this.rest.request('PATCH', `/v1/incidents/${id(incidentId)}`, { body: update });
  }

  /** Detected -> Triaged (stops its escalation); a no-op on the other active states; 409 once resolved. */
  acknowledge(incidentId: string, body: AcknowledgeIncidentBody = {}): Promise<Incident> {
    return this.rest.request('POST', `/v1/incidents/${id(incidentId)}/acknowledge`, { body });
  }

  /** Resolves (method `Manual` and empty notes unless given; `resolved_by` defaults to the credential's name). */
  resolve(incidentId: string, body: Partial<ResolveIncidentBody> = {}): Promise<Incident> {
    return this.rest.request('POST', `/v1/incidents/${id(incidentId)}/resolve`, {
      body: { method: 'Manual', notes: '', ...body } satisfies ResolveIncidentBody,
    });
  }

  close(incidentId: string, body: CloseIncidentBody = {}): Promise<Incident> {
    return this.rest.request('POST', `/v1/incidents/${id(incidentId)}/close`, { body });
  }

  comment(incidentId: string, body: CommentBody): Promise<IncidentNote> {
    return this.rest.request('POST', `/v1/incidents/${id(incidentId)}/comments`, { body });
  }

  escalate(incidentId: string, body: EscalateIncidentBody): Promise<Incident> {
    return this.rest.request('POST', `/v1/incidents/${id(incidentId)}/escalate`, { body });
  }

  /** `GET /v1/incidents/:id/events`: the incident's stored events, oldest first. */
  events(incidentId: string, query: EventLogQuery = {}): Promise<EventLogPage> {
    return this.rest.request('GET', `/v1/incidents/${id(incidentId)}/events`, { query: { ...query } });
  }
}

/** `client.events`: the event log. */
export class EventsApi {
  constructor(private readonly rest: RestTransport) {}

  /** `GET /v1/events`: stored events after `after_sequence`, oldest first, and the range the log holds. */
  list(query: EventLogQuery = {}): Promise<EventLogPage> {
    return this.rest.request('GET', '/v1/events', { query: { ...query } });
  }
}
