import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDashboard } from './dashboard-assets';

describe('loadDashboard', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'llm-im-dashboard-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('is null when the dashboard is not built', () => {
    expect(loadDashboard(dir, 'required')).toBeNull();
  });

  it("writes the server's auth mode into index.html", () => {
    writeFileSync(join(dir, 'index.html'), '<head><meta name="llm-im-auth-mode" content="" /></head>');
    const bundle = loadDashboard(dir, 'none');
    expect(bundle?.index.body.toString('utf8')).toBe(
      '<head><meta name="llm-im-auth-mode" content="none" /></head>',
    );
    expect(bundle?.index.contentType).toBe('text/html; charset=utf-8');
  });

  it('serves the known asset types under assets/ by name, with a validator that follows the content', () => {
    writeFileSync(join(dir, 'index.html'), '<html></html>');
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
    writeFileSync(join(dir, 'assets', 'index-abc.css'), 'body{}');
    writeFileSync(join(dir, 'assets', 'notes.txt'), 'not served');
    const bundle = loadDashboard(dir, 'required');
    expect([...(bundle?.assets.keys() ?? [])].sort()).toEqual(['index-abc.css', 'index-abc.js']);
    expect(bundle?.assets.get('index-abc.js')?.contentType).toBe('text/javascript; charset=utf-8');
    expect(bundle?.assets.get('index-abc.js')?.etag).not.toBe(bundle?.assets.get('index-abc.css')?.etag);
  });
});
