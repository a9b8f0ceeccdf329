import { setText } from './dom';
import type { ConnectionStatus } from '@llm-incident-manager/client';

const LABELS: Record<ConnectionStatus, string> = {
  connecting: 'Connecting',
  live: 'Live',
  reconnecting: 'Reconnecting',
  resumed: 'Resumed',
  closed: 'Disconnected',
};

const TITLES: Record<ConnectionStatus, string> = {
  connecting: 'Opening the stream',
  live: 'Streaming: changes appear as they happen',
  reconnecting: 'The connection dropped: reconnecting, then resuming from the last event received',
  resumed: 'Reconnected: every event missed meanwhile was replayed',
  closed: 'Not connected',
};

/** The connection status pill; `data-status` carries the SDK's status as is. */
export function showStatus(element: HTMLElement, status: ConnectionStatus): void {
  element.dataset.status = status;
  element.title = TITLES[status];
  const label = element.querySelector('.conn-label');
  if (label !== null) setText(label, LABELS[status]);
  document.body.dataset.connection = status;
}

/**
 * While the stream is down, a banner says since when the board has not changed (the status pill, a live region,
 * already announces the change itself).
 */
export function showStaleness(banner: HTMLElement, status: ConnectionStatus): void {
  const down = status === 'reconnecting' || status === 'closed';
  if (down && banner.hidden) {
    setText(
      banner,
      status === 'reconnecting'
        ? `Connection lost at ${new Date().toLocaleTimeString(undefined, { hour12: false })}: reconnecting. The board shows what was known then, and catches up with everything missed once back.`
        : 'Not connected: the board is not updating.',
    );
  }
  banner.hidden = !down;
}
