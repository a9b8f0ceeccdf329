import type { Incident } from '@llm-incident-manager/protocol';
import { h, replaceChildren, setText } from './dom';
import { ageOf, dateTime, labelPairs, shortId } from './format';
import { compareIncidents } from './model';

export interface BoardActions {
  select(id: string): void;
  acknowledge(id: string, button: HTMLButtonElement): void;
  resolve(id: string, button: HTMLButtonElement): void;
}

/** One row and the parts of it that change. */
interface Row {
  element: HTMLTableRowElement;
  incident: Incident;
  title: HTMLButtonElement;
  sub: HTMLElement;
  severity: HTMLElement;
  state: HTMLElement;
  age: HTMLTimeElement;
  acknowledge: HTMLButtonElement;
}

const MAX_LABEL_CHIPS = 4;

/**
 * The table of active incidents. Changes are applied to the model at once and drawn once per animation frame, rows
 * updated in place (a focused button keeps its focus while events stream in).
 */
export class Board {
  private readonly rows = new Map<string, Row>();
  private selected: string | null = null;
  private frame = 0;
  private loading = false;

  constructor(
    private readonly body: HTMLTableSectionElement,
    private readonly empty: HTMLElement,
    private readonly actions: BoardActions,
    private readonly onChange: (incidents: Incident[]) => void,
  ) {}

  /** Replaces everything: a snapshot, or nothing while `loading` (until the snapshot comes). */
  reset(incidents: Incident[], loading = false): void {
    for (const row of this.rows.values()) row.element.remove();
    this.rows.clear();
    this.loading = loading;
    for (const incident of incidents) this.upsert(incident, false);
    this.schedule();
  }

  /** What the empty board says once loaded (filters or not). */
  emptyText = 'All quiet: no active incident.';

  upsert(incident: Incident, fresh: boolean): void {
    const row = this.rows.get(incident.id);
    if (row === undefined) {
      const created = this.createRow(incident);
      if (fresh) created.element.classList.add('flash');
      this.rows.set(incident.id, created);
    } else {
      row.incident = incident;
      this.fill(row);
    }
    this.schedule();
  }

  remove(id: string): void {
    const row = this.rows.get(id);
    if (row === undefined) return;
    const hadFocus = row.element.contains(document.activeElement);
    row.element.remove();
    this.rows.delete(id);
    if (hadFocus) this.body.closest('section')?.focus();
    this.schedule();
  }

  has(id: string): boolean {
    return this.rows.has(id);
  }

  incidents(): Incident[] {
    return [...this.rows.values()].map((row) => row.incident).sort(compareIncidents);
  }

  select(id: string | null): void {
    if (this.selected !== null) this.rows.get(this.selected)?.element.classList.remove('selected');
    this.selected = id;
    if (id !== null) this.rows.get(id)?.element.classList.add('selected');
  }

  /** The id next to the selected one in display order (`step` +1 down, -1 up), for keyboard navigation. */
  neighbour(step: 1 | -1): string | null {
    const ids = this.incidents().map((incident) => incident.id);
    if (ids.length === 0) return null;
    const at = this.selected === null ? -1 : ids.indexOf(this.selected);
    if (at === -1) return step === 1 ? ids[0] : ids[ids.length - 1];
    return ids[Math.min(ids.length - 1, Math.max(0, at + step))];
  }

  focusRow(id: string): void {
    this.rows.get(id)?.title.focus();
  }

  /** Refreshes the ages (called every few seconds). */
  tick(now: number): void {
    for (const row of this.rows.values()) setText(row.age, ageOf(row.incident.created_at, now));
  }

  private schedule(): void {
    if (this.frame !== 0) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  /** Puts the rows in display order, moving only the ones out of place. */
  private draw(): void {
    const ordered = this.incidents();
    let cursor = this.body.firstElementChild;
    for (const incident of ordered) {
      const element = this.rows.get(incident.id)?.element;
      if (element === undefined) continue;
      if (cursor === element) cursor = element.nextElementSibling;
      else this.body.insertBefore(element, cursor);
    }
    this.empty.hidden = ordered.length > 0;
    setText(this.empty, this.loading ? 'Loading the active incidents…' : this.emptyText);
    this.onChange(ordered);
  }

  private createRow(incident: Incident): Row {
    const id = incident.id;
    const title = h('button', {
      className: 'title-link',
      attrs: { type: 'button' },
      onClick: () => this.actions.select(id),
    });
    const acknowledge = h('button', {
      className: 'btn btn-sm btn-ack',
      attrs: { type: 'button' },
      onClick: (event) => this.actions.acknowledge(id, event.currentTarget as HTMLButtonElement),
    });
    acknowledge.textContent = 'Acknowledge';
    const resolve = h(
      'button',
      {
        className: 'btn btn-sm btn-resolve',
        attrs: { type: 'button' },
        onClick: (event) => this.actions.resolve(id, event.currentTarget as HTMLButtonElement),
      },
      'Resolve',
    );
    const severity = h('span', { className: 'sev-badge' });
    const state = h('span', { className: 'state' });
    const age = h('time', { className: 'age' });
    const sub = h('div', { className: 'sub' });
    const element = h(
      'tr',
      { className: 'row', attrs: { 'data-incident-id': id } },
      h('td', { className: 'col-sev' }, severity),
      h('td', { className: 'col-title' }, title, sub),
      h('td', { className: 'col-state' }, state),
      h('td', { className: 'col-age' }, age),
      h('td', { className: 'col-actions' }, h('div', { className: 'row-actions' }, acknowledge, resolve)),
    );
    element.addEventListener('click', (event) => {
      if ((event.target as Element).closest('button') === null) this.actions.select(id);
    });
    const row: Row = { element, incident, title, sub, severity, state, age, acknowledge };
    if (this.selected === id) element.classList.add('selected');
    this.fill(row);
    return row;
  }

  private fill(row: Row): void {
    const { incident } = row;
    row.element.dataset.severity = incident.severity;
    row.element.dataset.state = incident.state;
    for (const name of [...row.element.classList]) {
      if (name.startsWith('sev-')) row.element.classList.remove(name);
    }
    row.element.classList.add(`sev-${incident.severity}`);
    setText(row.title, incident.title);
    row.severity.className = `sev-badge sev-${incident.severity}`;
    setText(row.severity, incident.severity);
    row.state.className = `state state-${incident.state}`;
    setText(row.state, incident.state);
    row.age.dateTime = incident.created_at;
    row.age.title = `Opened ${dateTime(incident.created_at)}`;
    setText(row.age, ageOf(incident.created_at, Date.now()));
    row.acknowledge.disabled = incident.state !== 'Detected';
    row.acknowledge.title =
      incident.state === 'Detected' ? 'Acknowledge: Detected → Triaged' : 'Already acknowledged';
    const labels = labelPairs(incident.labels);
    replaceChildren(
      row.sub,
      h('span', { className: 'source' }, incident.source),
      h('span', { className: 'mono dim', attrs: { title: incident.id } }, shortId(incident.id)),
      ...labels.slice(0, MAX_LABEL_CHIPS).map((pair) => h('span', { className: 'chip' }, pair)),
      labels.length > MAX_LABEL_CHIPS
        ? h('span', { className: 'dim' }, `+${labels.length - MAX_LABEL_CHIPS}`)
        : null,
    );
  }
}
