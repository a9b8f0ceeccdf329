#!/usr/bin/env node
// Runs before `npm start` and `npm test` (pre-scripts) so that both quick-start commands work on a fresh clone:
// installs exactly the locked dependencies when node_modules is missing or older than package-lock.json.
const { existsSync, statSync } = require('node:fs');
const { execSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..');
const installed = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');

if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  process.stdout.write('Installing locked dependencies (npm ci)...\n');
  execSync('npm ci', { cwd: root, stdio: 'inherit' });
}
