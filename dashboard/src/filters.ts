import { ACTIVE_STATES, SEVERITIES, type IncidentState, type Severity } from '@llm-incident-manager/protocol';
import { byId, h, setText } from './dom';
import { formatLabels, parseLabels, type BoardFilters } from './model';

/**
 * The filter bar: severity and state toggles apply at once, labels on Apply (or Enter). Each change calls
 * `onChange` with the new filters, which re-subscribes.
 */
export class FilterBar {
  private readonly severityButtons = new Map<Severity, HTMLButtonElement>();
  private readonly stateButtons = new Map<IncidentState, HTMLButtonElement>();
  private readonly labels = byId<HTMLInputElement>('filter-labels');
  private readonly labelsError = byId('filter-labels-error');

  constructor(
    private filters: BoardFilters,
    private readonly onChange: (filters: BoardFilters) => void,
  ) {
    const severities = byId('filter-severities');
    for (const severity of SEVERITIES) {
      const button = this.toggle(severity, `chip-toggle sev-${severity}`, () =>
        this.flip('severities', severity),
      );
      this.severityButtons.set(severity, button);
      severities.append(button);
    }
    const states = byId('filter-states');
    for (const state of ACTIVE_STATES) {
      const button = this.toggle(state, 'chip-toggle', () => this.flip('states', state));
      this.stateButtons.set(state, button);
      states.append(button);
    }
    byId<HTMLFormElement>('filters').addEventListener('submit', (event) => {
      event.preventDefault();
      this.applyLabels();
    });
    byId('filter-clear').addEventListener('click', () =>
      this.set({ severities: [], states: [], labels: {} }),
    );
    this.draw();
  }

  focusLabels(): void {
    this.labels.focus();
    this.labels.select();
  }

  private toggle(text: string, className: string, onClick: () => void): HTMLButtonElement {
    return h('button', { className, attrs: { type: 'button', 'aria-pressed': 'false' }, onClick }, text);
  }

  private flip(key: 'severities', value: Severity): void;
  private flip(key: 'states', value: IncidentState): void;
  private flip(key: 'severities' | 'states', value: string): void {
    const current = this.filters[key] as string[];
    const next = current.includes(value) ? current.filter((v) => v !== value) : [...current, value];
    const ordered =
      key === 'severities'
        ? SEVERITIES.filter((s) => next.includes(s))
        : ACTIVE_STATES.filter((s) => next.includes(s));
    this.set({ ...this.filters, [key]: ordered });
  }

  private applyLabels(): void {
    const labels = parseLabels(this.labels.value);
    if (typeof labels === 'string') {
      setText(this.labelsError, labels);
      this.labels.setAttribute('aria-invalid', 'true');
      return;
    }
    this.set({ ...this.filters, labels });
  }

  private set(filters: BoardFilters): void {
    this.filters = filters;
    this.draw();
    this.onChange(filters);
  }

  private draw(): void {
    for (const [severity, button] of this.severityButtons) {
      button.setAttribute('aria-pressed', String(this.filters.severities.includes(severity)));
    }
    for (const [state, button] of this.stateButtons) {
      button.setAttribute('aria-pressed', String(this.filters.states.includes(state)));
    }
    this.labels.value = formatLabels(this.filters.labels);
    this.labels.setAttribute('aria-invalid', 'false');
    setText(this.labelsError, '');
  }
}
