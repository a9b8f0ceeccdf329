import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ServerProcess, freePort, startServerProcess } from './support/server-process';
import { TestApp, startTestApp } from './support/test-app';

const CHROMIUM = '/usr/bin/chromium';
const DASHBOARD_INDEX = join(__dirname, '../dashboard/dist/index.html');
const HAS_CHROMIUM = existsSync(CHROMIUM);

// Outside CI, a machine without Debian's Chromium skips the browser cases; in CI they run (.ci/run installs it) and
// fail if it is missing.
const describeInBrowser = HAS_CHROMIUM || process.env.CI ? describe : describe.skip;
if (!HAS_CHROMIUM && !process.env.CI) {
  process.stderr.write(
    `dashboard.e2e-spec: skipping the browser cases: ${CHROMIUM} is missing (apt-get install chromium)\n`,
  );
}

/** The page is served from dashboard/dist, which `npm run build` builds: without it nothing here can work. */
function requireBuiltDashboard(): void {
  if (!existsSync(DASHBOARD_INDEX)) {
    throw new Error(
      `${DASHBOARD_INDEX} is missing: run \`npm run build\` (it builds the dashboard) before the dashboard tests`,
    );
  }
}

function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Chromium refuses to run its sandbox as root (CI containers).
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
    timeout: 30_000,
  });
}

interface PageErrors {
  /** Console errors and uncaught exceptions. */
  list: string[];
  /** Set while a test keeps the page's server down on purpose. */
  serverDown: boolean;
}

/**
 * Console errors and uncaught exceptions of `page`, collected for its whole life. One kind is expected, and only
 * while a test keeps the server down: Chromium itself logs every refused connection attempt (each reconnection of
 * the WebSocket, each fetch) as a console error, which no page code can prevent.
 */
function collectErrors(page: Page): PageErrors {
  const errors: PageErrors = { list: [], serverDown: false };
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    if (errors.serverDown && text.endsWith('net::ERR_CONNECTION_REFUSED')) return;
    errors.list.push(`console: ${text}`);
  });
  page.on('pageerror', (error) => errors.list.push(`pageerror: ${error.message}`));
  return errors;
}

async function postAlert(baseUrl: string, title: string, token?: string): Promise<string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${baseUrl}/v1/alerts`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      source: 'dashboard-e2e',
      title,
      description: 'made by test/dashboard.e2e-spec.ts',
      severity: 'P1',
      alert_type: 'Application',
      labels: { env: 'test' },
    }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { incident_id: string }).incident_id;
}

/** Waits for the connection status pill to show one of `statuses` (the SDK's status, in `data-status`). */
async function statusBecomes(page: Page, statuses: string[], timeout = 15_000): Promise<void> {
  await page.waitForSelector(statuses.map((s) => `#connection-status[data-status="${s}"]`).join(', '), {
    timeout,
  });
}

const row = (id: string): string => `tr[data-incident-id="${id}"]`;

describe('dashboard: serving the page at /', () => {
  let t: TestApp;

  beforeAll(async () => {
    requireBuiltDashboard();
    t = await startTestApp();
  });

  afterAll(async () => {
    await t?.cleanup();
  });

  it("serves index.html at / without a credential, revalidated on each load, with a self-only CSP and the server's auth mode", async () => {
    const response = await fetch(`${t.baseUrl}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(response.headers.get('content-security-policy')).toContain("connect-src 'self' ws: wss:");
    const html = await response.text();
    expect(html).toContain('<meta name="llm-im-auth-mode" content="none" />');
    const etag = response.headers.get('etag') ?? '';
    const again = await fetch(`${t.baseUrl}/`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
  });

  it('serves the hashed assets as immutable, and answers an unknown one with the JSON 404', async () => {
    const html = await (await fetch(`${t.baseUrl}/`)).text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${t.baseUrl}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const missing = await fetch(`${t.baseUrl}/assets/index-00000000.js`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: { code: 'NOT_FOUND', message: 'Asset index-00000000.js not found', status: 404 },
    });
    const traversal = await fetch(`${t.baseUrl}/assets/..%2f..%2fpackage.json`);
    expect(traversal.status).toBe(404);
  });

  it('leaves the API answers as they were (an unknown API path is still the JSON 404)', async () => {
    const response = await fetch(`${t.baseUrl}/v1/no-such-route`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });
});

describeInBrowser('dashboard in Chromium against the real server process', () => {
  let dir: string;
  let databaseUrl: string;
  let port: number;
  let server: ServerProcess | undefined;
  let other: ServerProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let errors: PageErrors;

  beforeAll(async () => {
    requireBuiltDashboard();
    dir = mkdtempSync(join(tmpdir(), 'llm-im-dashboard-'));
    databaseUrl = `file:${join(dir, 'incidents.db')}`;
    port = await freePort();
    [server, browser] = await Promise.all([
      startServerProcess({ DATABASE_URL: databaseUrl }, { port }),
      launchBrowser(),
    ]);
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    errors = collectErrors(page);
    await page.goto(`${server.baseUrl}/`);
    await statusBecomes(page, ['live']);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([server?.stop('SIGKILL'), other?.stop('SIGKILL')]);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('shows a new incident as it is created, without a reload', async () => {
    await page.evaluate('window.__sameDocument = true');
    const id = await postAlert(server!.baseUrl, 'Checkout latency above 2s');
    await page.waitForSelector(row(id), { timeout: 5_000 });
    expect(await page.textContent(`${row(id)} .title-link`)).toBe('Checkout latency above 2s');
    expect(await page.getAttribute(row(id), 'data-state')).toBe('Detected');
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
  });

  it('moves an incident to Triaged with its Acknowledge button', async () => {
    const id = await postAlert(server!.baseUrl, 'Queue depth above 10k');
    await page.waitForSelector(row(id), { timeout: 5_000 });
    await page.locator(row(id)).getByRole('button', { name: 'Acknowledge', exact: true }).click();
    await page.waitForSelector(`${row(id)}[data-state="Triaged"]`, { timeout: 5_000 });
    expect(await page.textContent(`${row(id)} .state`)).toBe('Triaged');
    const stored = (await (await fetch(`${server!.baseUrl}/v1/incidents/${id}`)).json()) as { state: string };
    expect(stored.state).toBe('Triaged');
    await expect(
      page.locator(row(id)).getByRole('button', { name: 'Acknowledge', exact: true }).isDisabled(),
    ).resolves.toBe(true);
  });

  it('shows "reconnecting" while the server restarts, then the events it missed, then resumes', async () => {
    errors.serverDown = true;
    await server!.stop('SIGTERM');
    await statusBecomes(page, ['reconnecting'], 10_000);
    // While the page cannot reach its server, incidents are created on the same store by another process on another
    // port (while the page's server is down, nothing could create them): the page can only learn of them by
    // resuming from the last sequence it saw once its server is back.
    other = await startServerProcess({ DATABASE_URL: databaseUrl });
    const missed = [
      await postAlert(other.baseUrl, 'Created while the dashboard was away (1)'),
      await postAlert(other.baseUrl, 'Created while the dashboard was away (2)'),
    ];
    await other.stop('SIGTERM');
    other = undefined;
    expect(await page.getAttribute('#connection-status', 'data-status')).toBe('reconnecting');
    expect(await page.locator(row(missed[0])).count()).toBe(0);
    server = await startServerProcess({ DATABASE_URL: databaseUrl }, { port });
    for (const id of missed) await page.waitForSelector(row(id), { timeout: 20_000 });
    await statusBecomes(page, ['resumed', 'live'], 10_000);
    errors.serverDown = false;
    for (const id of missed) {
      const created = page.locator(`#feed li[data-event-type="incident_created"]`, {
        hasText: (await page.textContent(`${row(id)} .title-link`)) ?? '',
      });
      expect(await created.count()).toBe(1);
    }
    // And it is live again.
    const after = await postAlert(server.baseUrl, 'Created after the restart');
    await page.waitForSelector(row(after), { timeout: 5_000 });
  }, 120_000);

  it('logged no console error and threw no error on the page', () => {
    expect(errors.list).toEqual([]);
  });
});

describeInBrowser('dashboard with AUTH_MODE=required', () => {
  let dir: string;
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    requireBuiltDashboard();
    dir = mkdtempSync(join(tmpdir(), 'llm-im-dashboard-auth-'));
    [server, browser] = await Promise.all([
      startServerProcess({
        AUTH_MODE: 'required',
        DATABASE_URL: `file:${join(dir, 'incidents.db')}`,
        ADMIN_KEY_FILE: join(dir, 'admin.key'),
      }),
      launchBrowser(),
    ]);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop('SIGKILL');
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('asks for a token, keeps it for the tab only, and streams with it', async () => {
    const key = readFileSync(join(dir, 'admin.key'), 'utf8').trim();
    const page = await browser!.newPage();
    const errors = collectErrors(page);
    await page.goto(`${server!.baseUrl}/`);
    const input = page.getByLabel('API token');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(key);
    await page.getByRole('button', { name: 'Connect' }).click();
    await statusBecomes(page, ['live']);
    const id = await postAlert(server!.baseUrl, 'Seen with a token', key);
    await page.waitForSelector(row(id), { timeout: 5_000 });
    expect(await page.evaluate("sessionStorage.getItem('llm-im.token')")).toBe(key);
    expect(await page.evaluate('localStorage.length')).toBe(0);
    expect(errors.list).toEqual([]);
    await page.close();
  }, 60_000);

  it('asks again when the server refuses the token', async () => {
    const key = readFileSync(join(dir, 'admin.key'), 'utf8').trim();
    const page = await browser!.newPage();
    await page.goto(`${server!.baseUrl}/`);
    await page.getByLabel('API token').fill('llmim_not-a-key');
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.waitForSelector('#token-error:has-text("refused")', { timeout: 10_000 });
    expect(await page.getByLabel('API token').isVisible()).toBe(true);
    expect(await page.evaluate("sessionStorage.getItem('llm-im.token')")).toBeNull();
    await page.getByLabel('API token').fill(key);
    await page.getByRole('button', { name: 'Connect' }).click();
    await statusBecomes(page, ['live']);
    await page.close();
  }, 60_000);
});
