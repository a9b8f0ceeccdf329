#!/usr/bin/env node
// Runs before `npm start` and `npm test` (pre-scripts) so that both quick-start commands work on a fresh clone:
// installs exactly the locked dependencies when node_modules is missing or older than package-lock.json, then
// builds each workspace package (protocol, SDK, dashboard) whose build is missing or older than its sources: the
// server loads them from their build at run time.
const { existsSync, readdirSync, readFileSync, statSync } = require('node:fs');
const { execSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..');
const installed = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');

if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  process.stdout.write('Installing locked dependencies (npm ci)...\n');
  execSync('npm ci', { cwd: root, stdio: 'inherit' });
}

/** The newest modification time under `path` (0 when it does not exist). */
function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

// Workspaces are listed in dependency order (protocol, then the SDK on it, then the dashboard bundling both): a
// package is stale when its build is older than its own sources or those of any package listed before it.
const { workspaces = [] } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
let upstreamSources = 0;
for (const workspace of workspaces) {
  const dir = join(root, workspace);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const sources = Math.max(newestMtime(join(dir, 'src')), statSync(join(dir, 'package.json')).mtimeMs);
  upstreamSources = Math.max(upstreamSources, sources);
  if (!manifest.scripts || !manifest.scripts.build) continue;
  const built = newestMtime(join(dir, 'dist'));
  if (built === 0 || built < upstreamSources) {
    process.stdout.write(`Building ${manifest.name}...\n`);
    execSync('npm run build', { cwd: dir, stdio: 'inherit' });
  }
}
