import type { EventMessage } from '@llm-incident-manager/protocol';
import { describeEvent } from './describe-event';
import { h, setText } from './dom';
import { clockTime, dateTime } from './format';

const MAX_ITEMS = 200;

/** The live event feed: newest on top, the last 200 events. */
export class Feed {
  constructor(
    private readonly list: HTMLOListElement,
    private readonly position: HTMLElement,
    private readonly select: (incidentId: string) => void,
  ) {}

  add(message: EventMessage): void {
    const summary = describeEvent(message.event);
    const incidentId = summary.incidentId;
    const text =
      incidentId === null
        ? h('span', { className: 'feed-text' }, summary.text)
        : h(
            'button',
            {
              className: 'feed-text link',
              attrs: { type: 'button', title: `Open incident ${incidentId}` },
              onClick: () => this.select(incidentId),
            },
            summary.text,
          );
    const item = h(
      'li',
      {
        className: 'feed-item',
        attrs: { 'data-sequence': String(message.sequence), 'data-event-type': message.event.event_type },
      },
      h(
        'time',
        { className: 'mono dim', attrs: { datetime: message.timestamp, title: dateTime(message.timestamp) } },
        clockTime(message.timestamp),
      ),
      h('span', { className: `kind tone-${summary.tone}` }, summary.kind),
      text,
    );
    this.list.prepend(item);
    while (this.list.childElementCount > MAX_ITEMS) this.list.lastElementChild?.remove();
    setText(this.position, `#${message.sequence}`);
    this.position.title = 'Sequence of the last event received';
  }
}
