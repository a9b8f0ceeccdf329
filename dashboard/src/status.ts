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
}
