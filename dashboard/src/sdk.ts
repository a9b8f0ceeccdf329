import type {
  DomainEvent,
  EventMessage,
  Incident,
  IncidentNote,
  SubscriptionFilterInput,
} from '@llm-incident-manager/protocol';

/** What the dashboard needs from the client SDK (`@llm-incident-manager/client`), and nothing more. */
export type ConnectionStatus = 'connecting' | 'live' | 'reconnecting' | 'resumed' | 'closed';

export interface SubscriptionHandlers {
  onEvent?(message: EventMessage): void;
  onSnapshot?(incidents: Incident[], position: number, truncated: boolean): void;
  onResumeFailed?(info: unknown): void;
  onError?(error: unknown): void;
}

export interface SubscriptionHandle {
  unsubscribe(): void;
}

/** One entry of `GET /v1/incidents/:id/events`. */
export interface LogEntry {
  sequence: number;
  event_type: string;
  incident_id: string | null;
  created_at: string;
  event: DomainEvent;
}

export interface DashboardClient {
  onStatus(listener: (status: ConnectionStatus, detail?: unknown) => void): () => void;
  subscribe(
    options: { id?: string; filters?: SubscriptionFilterInput; snapshot?: boolean },
    handlers: SubscriptionHandlers,
  ): SubscriptionHandle;
  connect(): void;
  close(): void;
  incidents: {
    get(id: string): Promise<Incident>;
    acknowledge(id: string, body?: { actor?: string }): Promise<Incident>;
    resolve(
      id: string,
      body: { method: 'Manual'; notes: string; resolved_by?: string; root_cause?: string },
    ): Promise<Incident>;
    close(id: string, body?: { actor?: string }): Promise<Incident>;
    comment(id: string, body: { comment: string; author?: string }): Promise<IncidentNote>;
    events(id: string): Promise<{ events: LogEntry[] }>;
  };
}

/** An HTTP error answer of the API (`{error: {code, message, status}}`). */
export function apiErrorOf(error: unknown): { status: number; code: string; message: string } | null {
  if (typeof error !== 'object' || error === null) return null;
  const { status, code, message } = error as Record<string, unknown>;
  if (typeof status !== 'number') return null;
  return {
    status,
    code: typeof code === 'string' ? code : '',
    message: typeof message === 'string' ? message : '',
  };
}

/** The WebSocket close code in a `closed` status detail, if any (4001 unauthorized, 4003 forbidden). */
export function closeCodeOf(detail: unknown): number | null {
  if (typeof detail !== 'object' || detail === null) return null;
  const { code } = detail as Record<string, unknown>;
  return typeof code === 'number' ? code : null;
}
