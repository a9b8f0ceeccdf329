import { byId, setText } from './dom';

const TOKEN_KEY = 'llm-im.token';

/** The token for this browser tab only (sessionStorage: gone when the tab closes). */
export function storedToken(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** The server's AUTH_MODE as written into the page when it was served ('' when unknown, as with `vite dev`). */
export function authMode(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="llm-im-auth-mode"]')?.content ?? '';
}

/** Asks for a token in a modal dialog (with `message` as the reason), keeps it for the tab, resolves with it. */
export function askForToken(message = ''): Promise<string> {
  const dialog = byId<HTMLDialogElement>('token-dialog');
  const form = byId<HTMLFormElement>('token-form');
  const input = byId<HTMLInputElement>('token-input');
  setText(byId('token-error'), message);
  input.value = '';
  input.setAttribute('aria-invalid', message === '' ? 'false' : 'true');
  return new Promise((resolve) => {
    const submit = (event: SubmitEvent): void => {
      event.preventDefault();
      const token = input.value.trim();
      if (token === '') return;
      form.removeEventListener('submit', submit);
      dialog.removeEventListener('cancel', refuseCancel);
      sessionStorage.setItem(TOKEN_KEY, token);
      dialog.close();
      resolve(token);
    };
    // Without a token there is nothing to show: Escape does not dismiss the dialog.
    const refuseCancel = (event: Event): void => event.preventDefault();
    form.addEventListener('submit', submit);
    dialog.addEventListener('cancel', refuseCancel);
    if (!dialog.open) dialog.showModal();
    input.focus();
  });
}
