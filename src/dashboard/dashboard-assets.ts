import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { AuthMode } from '../config/env.schema';

/** Where `npm run build` writes the dashboard (dashboard/dist), from src/dashboard or dist/dashboard alike. */
export const DASHBOARD_DIST = join(__dirname, '../../dashboard/dist');

/** One file as served: its bytes, type and a strong validator. */
export interface DashboardFile {
  readonly body: Buffer;
  readonly contentType: string;
  readonly etag: string;
}

/** The built page: index.html and the hashed files under assets/, all held in memory (a few tens of KB). */
export interface DashboardBundle {
  readonly index: DashboardFile;
  readonly assets: ReadonlyMap<string, DashboardFile>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** The page reads the server's AUTH_MODE from this tag, so that it asks for a token before any request fails. */
const AUTH_MODE_META = /<meta name="llm-im-auth-mode" content="[^"]*"\s*\/?>/;

function file(body: Buffer, contentType: string): DashboardFile {
  return {
    body,
    contentType,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
  };
}

/**
 * Reads the built dashboard from `dir`, or null when it is not built (no index.html). Only the files that exist at
 * start are served, looked up by exact name: no path from a request ever reaches the file system.
 */
export function loadDashboard(dir: string, authMode: AuthMode): DashboardBundle | null {
  const indexPath = join(dir, 'index.html');
  if (!existsSync(indexPath)) return null;
  const html = readFileSync(indexPath, 'utf8').replace(
    AUTH_MODE_META,
    `<meta name="llm-im-auth-mode" content="${authMode}" />`,
  );
  const assets = new Map<string, DashboardFile>();
  const assetsDir = join(dir, 'assets');
  if (existsSync(assetsDir)) {
    for (const entry of readdirSync(assetsDir, { withFileTypes: true })) {
      const contentType = CONTENT_TYPES[extname(entry.name)];
      if (!entry.isFile() || contentType === undefined) continue;
      assets.set(entry.name, file(readFileSync(join(assetsDir, entry.name)), contentType));
    }
  }
  return { index: file(Buffer.from(html, 'utf8'), 'text/html; charset=utf-8'), assets };
}

/**
 * The page's Content-Security-Policy: everything from this origin only, the WebSocket to this host (`ws:`/`wss:`:
 * CSP's 'self' does not cover them in every browser), no inline script or style, no framing.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self' ws: wss:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
