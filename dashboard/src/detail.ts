import type { EventMessage, Incident } from '@llm-incident-manager/protocol';
import { describeEvent } from './describe-event';
import { h, replaceChildren, setText } from './dom';
import { ageOf, clockTime, dateTime, labelPairs } from './format';
import type { EventLogEntry, IncidentClient } from '@llm-incident-manager/client';
import { apiErrorOf } from './sdk';

export interface DetailActions {
  acknowledge(id: string, button: HTMLButtonElement): void;
  resolve(id: string, button: HTMLButtonElement): void;
  close(id: string, button: HTMLButtonElement): void;
  /** Resolves true once the comment is stored. */
  comment(id: string, text: string): Promise<boolean>;
  /** A request failed for a reason the page handles globally (401); true when handled. */
  failed(error: unknown): boolean;
}

interface Shown {
  id: string;
  incident: Incident | null;
  /** By sequence: the log's entries, then the live ones. */
  events: Map<number, { sequence: number; at: string; message: EventMessage['event'] }>;
  parts: {
    head: HTMLElement;
    meta: HTMLElement;
    description: HTMLElement;
    acknowledge: HTMLButtonElement;
    resolve: HTMLButtonElement;
    close: HTMLButtonElement;
    timeline: HTMLOListElement;
    events: HTMLOListElement;
    status: HTMLElement;
  };
}

/** The selected incident: what it is, its timeline and its events, updated live; its actions and comments. */
export class Detail {
  private shown: Shown | null = null;
  private refetch: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly root: HTMLElement,
    private readonly client: () => IncidentClient,
    private readonly actions: DetailActions,
    private readonly onClose: () => void,
  ) {}

  get id(): string | null {
    return this.shown?.id ?? null;
  }

  show(id: string, known: Incident | undefined): void {
    if (this.shown?.id === id) return;
    clearTimeout(this.refetch);
    this.refetch = undefined;
    this.shown = this.build(id);
    this.shown.incident = known ?? null;
    this.draw();
    void this.load(this.shown);
  }

  hide(): void {
    this.shown = null;
    clearTimeout(this.refetch);
    this.refetch = undefined;
    replaceChildren(
      this.root,
      h('p', { className: 'placeholder' }, 'Select an incident to see its timeline and events.'),
    );
  }

  /** A live event: kept when it is about the shown incident, which it updates. */
  onEvent(message: EventMessage): void {
    const shown = this.shown;
    if (shown === null || describeEvent(message.event).incidentId !== shown.id) return;
    shown.events.set(message.sequence, {
      sequence: message.sequence,
      at: message.timestamp,
      message: message.event,
    });
    if ('incident' in message.event) {
      shown.incident = message.event.incident;
    } else {
      // Comments, escalations and assignments change the incident without carrying it: read it again (once for a
      // burst of them).
      this.refetch ??= setTimeout(() => {
        this.refetch = undefined;
        void this.reload(shown);
      }, 150);
    }
    this.draw();
  }

  /** Ages move on. */
  tick(): void {
    const shown = this.shown;
    if (shown !== null && shown.incident !== null) this.drawMeta(shown, shown.incident);
  }

  private async load(shown: Shown): Promise<void> {
    const client = this.client();
    try {
      const [incident, log] = await Promise.all([
        client.incidents.get(shown.id),
        client.incidents.events(shown.id, { limit: 1000 }),
      ]);
      if (this.shown !== shown) return;
      shown.incident = incident;
      for (const entry of log.events) this.addEventLogEntry(shown, entry);
      setText(shown.parts.status, '');
      this.draw();
    } catch (error) {
      if (this.shown !== shown || this.actions.failed(error)) return;
      const api = apiErrorOf(error);
      setText(
        shown.parts.status,
        api?.status === 404
          ? 'This incident does not exist, or your credential may not see it.'
          : `Could not load it: ${api?.message ?? String(error)}`,
      );
    }
  }

  private async reload(shown: Shown): Promise<void> {
    try {
      const incident = await this.client().incidents.get(shown.id);
      if (this.shown !== shown) return;
      shown.incident = incident;
      this.draw();
    } catch (error) {
      this.actions.failed(error);
    }
  }

  private addEventLogEntry(shown: Shown, entry: EventLogEntry): void {
    shown.events.set(entry.sequence, {
      sequence: entry.sequence,
      at: entry.created_at,
      message: entry.event,
    });
  }

  private build(id: string): Shown {
    const head = h('div', { className: 'detail-head' });
    const meta = h('dl', { className: 'meta' });
    const description = h('p', { className: 'description' });
    const acknowledge = h(
      'button',
      {
        className: 'btn btn-ack',
        attrs: { type: 'button' },
        onClick: () => this.actions.acknowledge(id, acknowledge),
      },
      'Acknowledge',
    );
    const resolve = h(
      'button',
      {
        className: 'btn btn-resolve',
        attrs: { type: 'button' },
        onClick: () => this.actions.resolve(id, resolve),
      },
      'Resolve',
    );
    const close = h(
      'button',
      { className: 'btn btn-ghost', attrs: { type: 'button' }, onClick: () => this.actions.close(id, close) },
      'Close incident',
    );
    const input = h('textarea', {
      attrs: {
        id: 'comment-input',
        rows: '2',
        placeholder: 'Add a comment (Ctrl+Enter sends)',
        required: '',
      },
    });
    const submit = h('button', { className: 'btn', attrs: { type: 'submit' } }, 'Add comment');
    const form = h(
      'form',
      { className: 'comment-form', attrs: { 'aria-label': 'Add a comment' } },
      h('label', { className: 'visually-hidden', attrs: { for: 'comment-input' } }, 'Comment'),
      input,
      submit,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (text === '') return;
      submit.disabled = true;
      void this.actions.comment(id, text).then((stored) => {
        submit.disabled = false;
        if (stored) input.value = '';
      });
    });
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) form.requestSubmit();
    });
    const timeline = h('ol', { className: 'timeline' });
    const events = h('ol', { className: 'events' });
    const status = h('p', { className: 'detail-status', attrs: { role: 'status' } }, 'Loading…');
    replaceChildren(
      this.root,
      head,
      status,
      meta,
      description,
      h('div', { className: 'detail-actions' }, acknowledge, resolve, close),
      form,
      h(
        'div',
        { className: 'detail-columns' },
        h(
          'section',
          { attrs: { 'aria-labelledby': 'timeline-title' } },
          h('h3', { attrs: { id: 'timeline-title' } }, 'Timeline'),
          timeline,
        ),
        h(
          'section',
          { attrs: { 'aria-labelledby': 'events-title' } },
          h('h3', { attrs: { id: 'events-title' } }, 'Events'),
          events,
        ),
      ),
    );
    return {
      id,
      incident: null,
      events: new Map(),
      parts: { head, meta, description, acknowledge, resolve, close, timeline, events, status },
    };
  }

  private draw(): void {
    const shown = this.shown;
    if (shown === null) return;
    const { parts } = shown;
    const incident = shown.incident;
    this.root.dataset.incidentId = shown.id;
    const closeButton = h(
      'button',
      {
        className: 'btn btn-ghost btn-icon',
        attrs: { type: 'button', 'aria-label': 'Close detail', title: 'Close (Esc)' },
        onClick: () => this.onClose(),
      },
      '×',
    );
    if (incident === null) {
      replaceChildren(parts.head, h('h2', { className: 'detail-title' }, 'Incident'), closeButton);
      return;
    }
    replaceChildren(
      parts.head,
      h(
        'div',
        { className: 'badges' },
        h('span', { className: `sev-badge sev-${incident.severity}` }, incident.severity),
        h(
          'span',
          { className: `state state-${incident.state}`, attrs: { 'data-testid': 'detail-state' } },
          incident.state,
        ),
      ),
      h('h2', { className: 'detail-title', attrs: { id: 'detail-title' } }, incident.title),
      closeButton,
    );
    this.drawMeta(shown, incident);
    setText(parts.description, incident.description);
    parts.description.hidden = incident.description === '';
    const active = incident.state !== 'Resolved' && incident.state !== 'Closed';
    parts.acknowledge.disabled = incident.state !== 'Detected';
    parts.resolve.disabled = !active;
    parts.close.disabled = incident.state === 'Closed';
    replaceChildren(
      parts.timeline,
      ...[...incident.timeline].reverse().map((entry) =>
        h(
          'li',
          {},
          h(
            'time',
            {
              className: 'mono dim',
              attrs: { datetime: entry.timestamp, title: dateTime(entry.timestamp) },
            },
            clockTime(entry.timestamp),
          ),
          h('span', { className: 'kind' }, entry.event_type),
          h(
            'span',
            { className: 'entry-text' },
            entry.description,
            h('span', { className: 'dim' }, ` — ${entry.actor}`),
          ),
        ),
      ),
    );
    replaceChildren(
      parts.events,
      ...[...shown.events.values()]
        .sort((a, b) => b.sequence - a.sequence)
        .map((entry) => {
          const summary = describeEvent(entry.message);
          return h(
            'li',
            { attrs: { 'data-sequence': String(entry.sequence) } },
            h('span', { className: 'mono dim', attrs: { title: dateTime(entry.at) } }, `#${entry.sequence}`),
            h('span', { className: `kind tone-${summary.tone}` }, entry.message.event_type),
            h('span', { className: 'entry-text' }, summary.text),
          );
        }),
    );
  }

  private drawMeta(shown: Shown, incident: Incident): void {
    const now = Date.now();
    const labels = labelPairs(incident.labels);
    const rows: [string, string | Node | null][] = [
      ['Source', `${incident.source} · ${incident.incident_type}`],
      [
        'Opened',
        `${dateTime(incident.created_at)}, ${ageOf(incident.created_at, now)} ago` +
          (incident.updated_at === incident.created_at
            ? ''
            : ` · updated ${ageOf(incident.updated_at, now)} ago`),
      ],
      ['Assignees', incident.assignees.length > 0 ? incident.assignees.join(', ') : null],
      ['Resources', incident.affected_resources.length > 0 ? incident.affected_resources.join(', ') : null],
      [
        'Labels',
        labels.length > 0
          ? h('span', { className: 'chips' }, ...labels.map((pair) => h('span', { className: 'chip' }, pair)))
          : null,
      ],
      [
        'Resolution',
        incident.resolution === null
          ? null
          : `${incident.resolution.resolution_method} by ${incident.resolution.resolved_by}${incident.resolution.notes === '' ? '' : `: ${incident.resolution.notes}`}`,
      ],
      ['Id', h('span', { className: 'mono dim' }, incident.id)],
    ];
    replaceChildren(
      shown.parts.meta,
      ...rows
        .filter((row): row is [string, string | Node] => row[1] !== null)
        .flatMap(([name, value]) => [h('dt', {}, name), h('dd', {}, value)]),
    );
  }
}
