import './styles.css';
import { IncidentClient, type StreamSubscription } from '@llm-incident-manager/client';
import { SEVERITIES, type EventMessage, type Incident } from '@llm-incident-manager/protocol';
import { askForToken, authMode, forgetToken, storedToken } from './auth';
import { Board } from './board';
import { Detail } from './detail';
import { byId, h, replaceChildren, setText } from './dom';
import { Feed } from './feed';
import { FilterBar } from './filters';
import { clockTime } from './format';
import { filtersFromHash, filtersToHash, onBoard, subscriptionFilters, type BoardFilters } from './model';
import { apiErrorOf } from './sdk';
import { Stats } from './stats';
import { showStaleness, showStatus } from './status';
import { toast } from './toast';

/** Acting without a credential (AUTH_MODE=none), the API needs a name for comments and resolutions. */
const OPEN_MODE_ACTOR = 'dashboard';

let client: IncidentClient | null = null;
let token: string | undefined;
let subscription: StreamSubscription | null = null;
let filters: BoardFilters = filtersFromHash(location.hash);
let lastEventAt: string | null = null;

const statusElement = byId('connection-status');
const signOut = byId<HTMLButtonElement>('sign-out');

/** What a row's and the detail's buttons do; the stream brings the result back to both. */
const incidentActions = {
  acknowledge: (id: string, button: HTMLButtonElement): void =>
    void act(button, (c) => c.incidents.acknowledge(id, actor('actor'))),
  resolve: (id: string, button: HTMLButtonElement): void =>
    void act(button, (c) =>
      c.incidents.resolve(id, {
        method: 'Manual',
        notes: 'Resolved from the dashboard',
        ...actor('resolved_by'),
      }),
    ),
};

const board = new Board(
  byId<HTMLTableSectionElement>('incident-rows'),
  byId('board-empty'),
  { ...incidentActions, select: (id) => select(id) },
  (incidents) => drawCounts(incidents),
);

const detail = new Detail(
  byId('detail'),
  () => connected(),
  {
    ...incidentActions,
    close: (id, button) => void act(button, (c) => c.incidents.close(id, actor('actor'))),
    comment: async (id, text) => {
      try {
        await connected().incidents.comment(id, { comment: text, ...actor('author') });
        return true;
      } catch (error) {
        report(error);
        return false;
      }
    },
    failed: (error) => unauthorized(error),
  },
  () => select(null),
);

const feed = new Feed(byId<HTMLOListElement>('feed'), byId('feed-position'), (id) => select(id));
const stats = new Stats(
  byId('stats'),
  () => token,
  (error) => unauthorized(error),
);

const filterBar = new FilterBar(filters, (next) => {
  filters = next;
  history.replaceState(null, '', filtersToHash(next) || location.pathname);
  subscribeBoard();
});

function connected(): IncidentClient {
  if (client === null) throw new Error('not connected');
  return client;
}

/** The actor field for a write: none with a credential (the server names the credential's owner). */
function actor<K extends string>(field: K): Partial<Record<K, string>> {
  return token === undefined ? ({ [field]: OPEN_MODE_ACTOR } as Record<K, string>) : {};
}

/** Runs an action from a button: disabled while it runs, errors shown; the stream brings the result. */
async function act(
  button: HTMLButtonElement,
  action: (client: IncidentClient) => Promise<unknown>,
): Promise<void> {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    await action(connected());
  } catch (error) {
    report(error);
    button.disabled = false;
  } finally {
    button.removeAttribute('aria-busy');
  }
}

function report(error: unknown): void {
  if (unauthorized(error)) return;
  const api = apiErrorOf(error);
  toast(api === null ? `Request failed: ${String(error)}` : `${api.message} (${api.status})`);
}

/** A 401 from the API: the token is wrong or gone; ask for another one. */
function unauthorized(error: unknown): boolean {
  if (apiErrorOf(error)?.status !== 401) return false;
  void signIn('The server refused this token (401). Paste a valid one.');
  return true;
}

function select(id: string | null): void {
  board.select(id);
  if (id === null) {
    detail.hide();
    return;
  }
  detail.show(
    id,
    board.incidents().find((incident) => incident.id === id),
  );
}

function onEvent(message: EventMessage): void {
  lastEventAt = message.timestamp;
  drawLastEvent();
  feed.add(message);
  detail.onEvent(message);
  const event = message.event;
  if ('incident' in event) {
    if (onBoard(event.incident, filters)) board.upsert(event.incident, !board.has(event.incident.id));
    else board.remove(event.incident.id);
  }
  if (event.event_type === 'incident_resolved' || event.event_type === 'incident_updated') stats.changed();
}

/** Subscribes the board to the current filters (a snapshot, then live), ending the previous subscription. */
let generation = 0;
function subscribeBoard(): void {
  void subscription?.unsubscribe();
  subscription = null;
  board.emptyText =
    filters.severities.length + filters.states.length + Object.keys(filters.labels).length > 0
      ? 'No active incident matches these filters.'
      : 'All quiet: no active incident.';
  board.reset([], true);
  if (client === null) return;
  // Frames of the previous subscription still in flight are ignored.
  const mine = ++generation;
  const current = (): boolean => mine === generation;
  subscription = client.subscribe(
    { id: 'board', filters: subscriptionFilters(filters), snapshot: true },
    {
      // The first one, and a new one whenever resuming was not possible (the SDK asks for it by itself).
      onSnapshot: (incidents: Incident[], _position: number, truncated: boolean) => {
        if (!current()) return;
        board.reset(incidents.filter((incident) => onBoard(incident, filters)));
        setText(
          byId('board-hint'),
          truncated ? 'Showing the newest 1,000: narrow the filters to see the rest' : '',
        );
      },
      onEvent: (message) => {
        if (current()) onEvent(message);
      },
      onError: (error) => {
        if (current()) toast(`The server refused the subscription: ${error.message}`);
      },
    },
  );
}

function connect(withToken: string | undefined): void {
  token = withToken;
  signOut.hidden = token === undefined;
  const fresh = new IncidentClient({ url: location.origin, token, retryInitialConnection: true });
  client = fresh;
  fresh.onStatus((status, detail) => {
    if (client !== fresh) return;
    showStatus(statusElement, status);
    showStaleness(byId('conn-banner'), status);
    // Back after a loss: the numbers read meanwhile may have failed.
    if (status === 'resumed') stats.changed();
    if (status === 'closed' && detail?.code === 4001) {
      void signIn('The stream refused this token (unauthorized). Paste a valid one.');
    } else if (status === 'closed' && detail?.code === 4003) {
      void signIn('This token lacks the stream:read scope. Paste one that has it.');
    }
  });
  subscribeBoard();
  // A refused credential is reported through the status (above); connect() keeps trying otherwise.
  fresh.connect().catch(() => undefined);
  stats.load();
}

/** Drops the connection and the token, asks for a new token and connects with it. */
let asking = false;
async function signIn(reason: string): Promise<void> {
  if (asking) return;
  asking = true;
  const previous = client;
  client = null;
  void subscription?.unsubscribe();
  subscription = null;
  void previous?.close();
  forgetToken();
  const fresh = await askForToken(reason);
  asking = false;
  connect(fresh);
}

function drawCounts(incidents: Incident[]): void {
  const counts = new Map(SEVERITIES.map((severity) => [severity, 0]));
  for (const incident of incidents) counts.set(incident.severity, (counts.get(incident.severity) ?? 0) + 1);
  replaceChildren(
    byId('sev-counts'),
    ...SEVERITIES.map((severity) => {
      const count = counts.get(severity) ?? 0;
      return h(
        'li',
        {
          className: `sev-count sev-${severity}${count === 0 ? ' zero' : ''}`,
          attrs: { title: `${count} active ${severity}` },
        },
        h('span', { className: 'n' }, String(count)),
        h('span', { className: 'sev-name' }, severity),
      );
    }),
  );
  setText(byId('board-count'), String(incidents.length));
  const urgent = (counts.get('P0') ?? 0) + (counts.get('P1') ?? 0);
  document.title = `${urgent > 0 ? `(${urgent}) ` : ''}Incidents · LLM Incident Manager`;
}

function drawLastEvent(): void {
  setText(byId('last-event'), lastEventAt === null ? '' : `last event ${clockTime(lastEventAt)}`);
}

function installShortcuts(): void {
  document.addEventListener('keydown', (event) => {
    const target = event.target as HTMLElement;
    if (
      target.closest('input, textarea, select, dialog') !== null ||
      event.ctrlKey ||
      event.metaKey ||
      event.altKey
    ) {
      return;
    }
    if (event.key === '/') {
      event.preventDefault();
      filterBar.focusLabels();
    } else if (event.key === 'j' || event.key === 'k') {
      const id = board.neighbour(event.key === 'j' ? 1 : -1);
      if (id !== null) {
        select(id);
        board.focusRow(id);
      }
    } else if (event.key === 'Escape' && detail.id !== null) {
      const id = detail.id;
      select(null);
      board.focusRow(id);
    }
  });
}

signOut.addEventListener('click', () => void signIn(''));
setInterval(() => {
  board.tick(Date.now());
  detail.tick();
}, 5000);
drawCounts([]);
installShortcuts();

const saved = storedToken();
if (saved !== undefined || authMode() !== 'required') connect(saved);
else void signIn('');
