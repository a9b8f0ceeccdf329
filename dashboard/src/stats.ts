import { h, replaceChildren } from './dom';
import { formatDuration } from './format';

/** `GET /v1/incidents/stats`: response times over a window, by severity (see the server's ResponseStats). */
interface Summary {
  count: number;
  mean_seconds: number | null;
  p90_seconds: number | null;
}
interface Group {
  acknowledged: Summary;
  resolved: Summary;
  open: { total: number };
}
interface ResponseStats {
  window: string;
  by_severity: (Group & { severity: string })[];
  all: Group;
}

const WINDOWS = ['1h', '24h', '7d', '30d'];
const REFRESH_MS = 30_000;

/**
 * MTTA and MTTR per severity over a window (the server computes them from the store, the same numbers on every
 * node). Read again every 30 s and shortly after an acknowledgement or a resolution.
 */
export class Stats {
  private window = '24h';
  private timer: ReturnType<typeof setTimeout> | undefined;
  private generation = 0;
  /** A read within the second is scheduled. */
  private soon = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly token: () => string | undefined,
    private readonly failed: (error: unknown) => boolean,
  ) {}

  load(): void {
    this.schedule(0);
  }

  /**
   * An incident was acknowledged or resolved: the numbers may have moved. Read them within a second, once for a
   * burst of changes (a steady stream of changes does not keep postponing it).
   */
  changed(): void {
    if (this.soon) return;
    this.soon = true;
    this.schedule(1000);
  }

  private schedule(delay: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.fetch(), delay);
  }

  private async fetch(): Promise<void> {
    this.soon = false;
    const generation = ++this.generation;
    try {
      const headers: Record<string, string> = {};
      const token = this.token();
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      const response = await fetch(`/v1/incidents/stats?window=${this.window}`, { headers });
      if (response.status === 401) {
        this.failed({ status: 401 });
        return;
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const stats = (await response.json()) as ResponseStats;
      if (generation === this.generation) this.draw(stats);
    } catch {
      if (generation === this.generation) this.draw(null);
    } finally {
      if (generation === this.generation) this.schedule(REFRESH_MS);
    }
  }

  private draw(stats: ResponseStats | null): void {
    const select = h(
      'select',
      { attrs: { id: 'stats-window', 'aria-label': 'Window for response times' } },
      ...WINDOWS.map((w) => {
        const option = h('option', { attrs: { value: w } }, `last ${w}`);
        option.selected = w === this.window;
        return option;
      }),
    );
    select.addEventListener('change', () => {
      this.window = select.value;
      this.load();
    });
    const heading = h(
      'div',
      { className: 'stats-head' },
      h('h2', { attrs: { id: 'stats-title' } }, 'Response times'),
      select,
    );
    if (stats === null) {
      replaceChildren(this.root, heading, h('p', { className: 'dim' }, 'Response times are not available.'));
      return;
    }
    replaceChildren(
      this.root,
      heading,
      this.card('All', 'all', stats.all),
      ...stats.by_severity.map((group) => this.card(group.severity, `sev-${group.severity}`, group)),
    );
  }

  private card(name: string, className: string, group: Group): HTMLElement {
    return h(
      'div',
      { className: `stat-card ${className}`, attrs: { 'data-stats-severity': name } },
      h(
        'div',
        { className: 'stat-name' },
        name,
        h('span', { className: 'dim' }, ` · ${group.open.total} open`),
      ),
      this.metric('MTTA', 'Mean time to acknowledge', group.acknowledged),
      this.metric('MTTR', 'Mean time to resolve', group.resolved),
    );
  }

  private metric(name: string, title: string, summary: Summary): HTMLElement {
    const value = summary.mean_seconds === null ? '—' : formatDuration(summary.mean_seconds);
    const detail =
      summary.count === 0
        ? 'none'
        : `n=${summary.count}${summary.p90_seconds === null ? '' : `, p90 ${formatDuration(summary.p90_seconds)}`}`;
    return h(
      'div',
      { className: 'metric', attrs: { title: `${title} (${detail})` } },
      h('span', { className: 'metric-name' }, name),
      h('span', { className: 'metric-value' }, value),
      h('span', { className: 'metric-detail dim' }, detail),
    );
  }
}
