/** A child of an element: a node, text, or nothing. */
export type Child = Node | string | null | undefined | false;

export interface Props {
  className?: string;
  /** Attributes (`data-*`, `aria-*`, `type`...); undefined leaves one out. */
  attrs?: Record<string, string | undefined>;
  onClick?: (event: MouseEvent) => void;
}

/** Creates an element; text children become text nodes (never parsed as HTML). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.className !== undefined) element.className = props.className;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (value !== undefined) element.setAttribute(name, value);
  }
  const onClick = props.onClick;
  if (onClick !== undefined) element.addEventListener('click', (event) => onClick(event as MouseEvent));
  append(element, children);
  return element;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** Replaces every child of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** The element with this id; the page's skeleton (index.html) has them all. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} is missing from index.html`);
  return element as T;
}

/** Sets text only when it changed (no needless layout or screen-reader churn). */
export function setText(element: Element, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}
