import { h } from './dom';

let region: HTMLElement | null = null;

/** A short message at the bottom of the screen (errors of the actions), read out by screen readers. */
export function toast(text: string, tone: 'error' | 'info' = 'error'): void {
  if (region === null) {
    region = h('div', { className: 'toasts', attrs: { role: 'alert', 'aria-live': 'assertive' } });
    document.body.append(region);
  }
  const item = h('div', { className: `toast toast-${tone}` }, text);
  region.append(item);
  setTimeout(() => item.remove(), 6000);
}
