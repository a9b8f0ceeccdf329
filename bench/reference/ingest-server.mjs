#!/usr/bin/env node
// The durable-ingestion reference (issue 17, target d): the physical limit of this stack for `POST /v1/alerts`.
// Plain `node:http` + better-sqlite3, no framework: JSON parsing, a minimal validation, and the same durable writes
// per alert as the product, in the product's schema (tables and indexes copied from a product database):
//
//   new alert:  dedup lookup (incidents_dedup), one `alerts` row, one `incidents` row, three `event_log` rows
//               (alert_received, alert_converted, incident_created), each with its JSON document as the product
//               writes it (the alert, the incident with its timeline, the event payload, the match subjects);
//   duplicate:  dedup lookup, the opening alert's id, one `alerts` row, the incident's document updated, two
//               `event_log` rows (alert_received, incident_updated).
//
// SQLite as the product opens it (src/storage/database.service.ts): WAL, synchronous=NORMAL, temp_store=MEMORY,
// wal_autocheckpoint=10000 and a worker thread checkpointing (PASSIVE) every 50 ms. Group commit: every request
// whose body completed in the same event-loop turn is written in one transaction (each alert or batch in its own
// savepoint, like the product's unit of work), committed once, then all of them are answered. `POST
// /v1/alerts/batch` ({"alerts": [1..1000]}) stores a batch as one unit, all or nothing, and answers {"acks": [...]}.
// No WebSocket, no fan-out, no logging.
//
//   node bench/reference/ingest-server.mjs --port 9000 --db /tmp/ref.db [--checkpointer worker|none]
//
// With BENCH_REF_JWT_SECRET in the environment (target `ref-ingest+auth`), every POST needs `Authorization: Bearer
// <HS256 JWT>` with the scope `alerts:write`, verified on a token's first use and then found in a cache, as the
// product does (./jwt.mjs); 401 otherwise.

import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { authorized } from './jwt.mjs';

const args = parseArgs(process.argv.slice(2));
const PORT = Number(args.port ?? process.env.PORT ?? 9000);
const DB_PATH = args.db;
const CHECKPOINTER = args.checkpointer ?? 'worker';
const DEDUP_WINDOW_MS = Number(args['dedup-window'] ?? 900) * 1000;
const MAX_BODY_BYTES = 1_048_576;
const MAX_BATCH = 1000;

if (typeof DB_PATH !== 'string') {
  process.stderr.write('usage: ingest-server.mjs --port N --db PATH [--checkpointer worker|none]\n');
  process.exit(2);
}

// ---- storage ------------------------------------------------------------------------------------------------

const db = new Database(DB_PATH);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
db.pragma('foreign_keys = ON');
db.pragma('temp_store = MEMORY');
db.pragma('wal_autocheckpoint = 10000');
// The product's schema for these three tables, as its migrations leave it.
db.exec(`
CREATE TABLE IF NOT EXISTS "incidents" ("id" varchar(36) primary key, "created_at" varchar(40) not null,
  "updated_at" varchar(40) not null, "state" varchar(32) not null, "severity" varchar(8) not null,
  "incident_type" varchar(32) not null, "source" varchar(255) not null, "fingerprint" varchar(64),
  "document" text not null, "last_alert_at" varchar(40), "acknowledged_at" varchar(40),
  "first_resolved_at" varchar(40));
CREATE INDEX IF NOT EXISTS "incidents_created_at" on "incidents" ("created_at");
CREATE INDEX IF NOT EXISTS "incidents_state" on "incidents" ("state");
CREATE INDEX IF NOT EXISTS "incidents_dedup" on "incidents" ("fingerprint", "last_alert_at");
CREATE INDEX IF NOT EXISTS "incidents_acknowledged_at" on "incidents" ("acknowledged_at")
  where "acknowledged_at" is not null;
CREATE INDEX IF NOT EXISTS "incidents_first_resolved_at" on "incidents" ("first_resolved_at")
  where "first_resolved_at" is not null;
CREATE TABLE IF NOT EXISTS "alerts" ("id" varchar(36) primary key, "external_id" varchar(255) not null,
  "source" varchar(255) not null, "received_at" varchar(40) not null, "incident_id" varchar(36),
  "origin" varchar(32) not null, "origin_status" varchar(16), "origin_starts_at" varchar(64),
  "document" text not null, "incident_created_at" varchar(40));
CREATE INDEX IF NOT EXISTS "alerts_alertmanager_external" on "alerts" ("external_id", "origin_starts_at")
  where "origin" = 'alertmanager';
CREATE INDEX IF NOT EXISTS "alerts_grafana_external" on "alerts" ("external_id", "origin_starts_at")
  where "origin" = 'grafana';
CREATE INDEX IF NOT EXISTS "alerts_incident_key" on "alerts" ("incident_created_at", "incident_id", "received_at");
CREATE TABLE IF NOT EXISTS "event_log" ("sequence" integer primary key autoincrement, "id" varchar(36) not null,
  "event_type" varchar(64) not null, "incident_id" varchar(36), "created_at" varchar(40) not null,
  "payload" text not null, "incident_created_at" varchar(40), "match_subjects" text);
CREATE INDEX IF NOT EXISTS "event_log_incident_key" on "event_log" ("incident_created_at", "incident_id");
`);

const statements = {
  findActive: db.prepare(
    `select document from incidents where fingerprint = ? and last_alert_at >= ?
       and state in ('Detected', 'Triaged', 'Investigating', 'Remediating') order by last_alert_at desc limit 1`,
  ),
  openingAlert: db.prepare(
    `select id from alerts where incident_created_at = ? and incident_id = ? order by received_at limit 1`,
  ),
  insertAlert: db.prepare(
    `insert into alerts (id, external_id, source, received_at, incident_id, origin, origin_status,
       origin_starts_at, document, incident_created_at) values (?, ?, ?, ?, ?, 'native', null, null, ?, ?)`,
  ),
  insertIncident: db.prepare(
    `insert into incidents (id, created_at, updated_at, state, severity, incident_type, source, fingerprint,
       document, last_alert_at, acknowledged_at, first_resolved_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null, null)`,
  ),
  updateIncident: db.prepare(
    `update incidents set updated_at = ?, severity = ?, state = ?, document = ?, last_alert_at = ? where id = ?`,
  ),
  insertEvent: db.prepare(
    `insert into event_log (id, event_type, incident_id, created_at, payload, incident_created_at, match_subjects)
       values (?, ?, ?, ?, ?, ?, ?)`,
  ),
};

/** The checkpointer of the product (src/storage/wal-checkpointer.ts): its own connection, PASSIVE every 50 ms. */
const checkpointer =
  CHECKPOINTER === 'worker'
    ? new Worker(
        `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 0');
const timer = setInterval(() => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} }, 50);
parentPort.on('message', () => { clearInterval(timer); db.close(); parentPort.close(); });
`,
        {
          eval: true,
          workerData: { path: DB_PATH, driverPath: createRequire(import.meta.url).resolve('better-sqlite3') },
        },
      )
    : null;
checkpointer?.unref();

function matchSubjects(incident) {
  return JSON.stringify({
    subject: {
      typeOnly: false,
      severity: incident.severity,
      state: incident.state,
      source: incident.source,
      resources: incident.affected_resources,
      labels: incident.labels,
      incidentId: incident.id,
    },
    previous: null,
  });
}

function appendEvent(type, payload, incident, nowIso) {
  statements.insertEvent.run(
    randomUUID(),
    type,
    incident.id,
    nowIso,
    JSON.stringify(payload),
    incident.created_at,
    matchSubjects(incident),
  );
}

/** One alert's durable writes, inside the caller's transaction; returns its ack. */
function storeAlert(body) {
  const nowMs = Date.now();
  const nowIso = new Date(nowMs).toISOString();
  const services = body.affected_services ?? [];
  const fingerprint = createHash('sha256')
    .update(`${body.source}\u0000${body.alert_type}\u0000${body.title}\u0000${services.join('\u0000')}`)
    .digest('hex');
  const alert = {
    id: randomUUID(),
    external_id: body.external_id ?? randomUUID(),
    source: body.source,
    timestamp: body.timestamp ?? nowIso,
    received_at: nowIso,
    severity: body.severity,
    alert_type: body.alert_type,
    title: body.title,
    description: body.description,
    labels: body.labels ?? {},
    affected_services: services,
    runbook_url: body.runbook_url ?? null,
    annotations: body.annotations ?? {},
    incident_id: null,
    deduplicated: false,
    parent_alert_id: null,
  };
  const since = new Date(nowMs - DEDUP_WINDOW_MS).toISOString();
  const existingRow = statements.findActive.get(fingerprint, since);
  if (existingRow !== undefined) {
    const incident = JSON.parse(existingRow.document);
    alert.incident_id = incident.id;
    alert.deduplicated = true;
    alert.parent_alert_id = statements.openingAlert.get(incident.created_at, incident.id)?.id ?? null;
    incident.updated_at = nowIso;
    incident.timeline.push({
      timestamp: nowIso,
      event_type: 'AlertReceived',
      actor: 'deduplication-engine',
      description: `Duplicate alert received: ${alert.title}`,
      metadata: { alert_id: alert.id, external_id: alert.external_id, source: alert.source },
    });
    statements.insertAlert.run(
      alert.id,
      alert.external_id,
      alert.source,
      nowIso,
      incident.id,
      JSON.stringify(alert),
      incident.created_at,
    );
    statements.updateIncident.run(
      nowIso,
      incident.severity,
      incident.state,
      JSON.stringify(incident),
      nowIso,
      incident.id,
    );
    appendEvent('alert_received', { event_type: 'alert_received', alert }, incident, nowIso);
    appendEvent(
      'incident_updated',
      { event_type: 'incident_updated', incident, previous_state: null },
      incident,
      nowIso,
    );
    return {
      alert_id: alert.id,
      incident_id: incident.id,
      status: 'Duplicate',
      message: `Duplicate of active incident ${incident.id}; alert attached`,
    };
  }
  const incident = {
    id: randomUUID(),
    created_at: nowIso,
    updated_at: nowIso,
    state: 'Detected',
    severity: body.severity,
    incident_type: body.alert_type,
    source: body.source,
    title: body.title,
    description: body.description,
    affected_resources: services,
    labels: alert.labels,
    related_incidents: [],
    active_playbook: null,
    resolution: null,
    timeline: [
      {
        timestamp: nowIso,
        event_type: 'Created',
        actor: 'system',
        description: `Incident created: ${body.title}`,
        metadata: { severity: body.severity, source: body.source },
      },
    ],
    assignees: [],
    notes: [],
    fingerprint,
    correlation_score: null,
  };
  alert.incident_id = incident.id;
  statements.insertAlert.run(
    alert.id,
    alert.external_id,
    alert.source,
    nowIso,
    incident.id,
    JSON.stringify(alert),
    nowIso,
  );
  statements.insertIncident.run(
    incident.id,
    nowIso,
    nowIso,
    incident.state,
    incident.severity,
    incident.incident_type,
    incident.source,
    fingerprint,
    JSON.stringify(incident),
    nowIso,
  );
  appendEvent('alert_received', { event_type: 'alert_received', alert }, incident, nowIso);
  appendEvent(
    'alert_converted',
    { event_type: 'alert_converted', alert, incident_id: incident.id },
    incident,
    nowIso,
  );
  appendEvent('incident_created', { event_type: 'incident_created', incident }, incident, nowIso);
  return {
    alert_id: alert.id,
    incident_id: incident.id,
    status: 'Accepted',
    message: `Alert accepted; incident ${incident.id} created`,
  };
}

// ---- group commit -------------------------------------------------------------------------------------------

/** Units of work whose request completed in this turn: { alerts: [body...], batch: boolean, res }. */
let pending = [];
let commitScheduled = false;
let groupCommits = 0;
let unitsCommitted = 0;

function enqueue(unit) {
  pending.push(unit);
  if (!commitScheduled) {
    commitScheduled = true;
    setImmediate(commitPending);
  }
}

function commitPending() {
  const units = pending;
  pending = [];
  commitScheduled = false;
  const outcomes = new Array(units.length);
  try {
    db.exec('BEGIN');
    for (let i = 0; i < units.length; i++) {
      db.exec('SAVEPOINT unit');
      try {
        outcomes[i] = units[i].alerts.map(storeAlert);
        db.exec('RELEASE unit');
      } catch (error) {
        db.exec('ROLLBACK TO unit');
        db.exec('RELEASE unit');
        outcomes[i] = error;
      }
    }
    db.exec('COMMIT');
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    for (let i = 0; i < units.length; i++) outcomes[i] = error;
  }
  groupCommits += 1;
  unitsCommitted += units.length;
  for (let i = 0; i < units.length; i++) {
    const { res, batch } = units[i];
    const outcome = outcomes[i];
    if (outcome instanceof Error) {
      reply(res, 500, { error: { code: 'INTERNAL_ERROR', message: outcome.message, status: 500 } });
    } else reply(res, 200, batch ? { acks: outcome } : outcome[0]);
  }
}

// ---- HTTP ---------------------------------------------------------------------------------------------------

const SEVERITIES = new Set(['P0', 'P1', 'P2', 'P3', 'P4']);
const ALERT_TYPES = new Set([
  'Infrastructure',
  'Application',
  'Security',
  'Data',
  'Performance',
  'Availability',
  'Compliance',
  'Unknown',
]);

/** A minimal validation of one alert: null when valid, else the problem. */
function validationError(body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'body must be an object';
  for (const key of ['source', 'title']) {
    if (typeof body[key] !== 'string' || body[key].length === 0 || body[key].length > 1000)
      return `${key} is required`;
  }
  if (typeof body.description !== 'string') return 'description is required';
  if (!SEVERITIES.has(body.severity)) return 'severity';
  if (!ALERT_TYPES.has(body.alert_type)) return 'alert_type';
  if (body.labels !== undefined) {
    if (typeof body.labels !== 'object' || body.labels === null || Array.isArray(body.labels))
      return 'labels';
    for (const value of Object.values(body.labels)) if (typeof value !== 'string') return 'labels';
  }
  if (body.affected_services !== undefined) {
    if (!Array.isArray(body.affected_services)) return 'affected_services';
    for (const value of body.affected_services) if (typeof value !== 'string') return 'affected_services';
  }
  return null;
}

function reply(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const invalid = (res, message) =>
  reply(res, 400, { error: { code: 'VALIDATION_ERROR', message, status: 400 } });

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url.startsWith('/health')) {
    return reply(res, 200, { status: 'ok', group_commits: groupCommits, units: unitsCommitted });
  }
  const batch = req.url === '/v1/alerts/batch';
  if (req.method !== 'POST' || (req.url !== '/v1/alerts' && !batch)) {
    return reply(res, 404, { error: { code: 'NOT_FOUND', message: 'not found', status: 404 } });
  }
  if (!authorized(req, 'alerts:write')) {
    req.resume();
    return reply(res, 401, { error: { code: 'UNAUTHORIZED', message: 'credential required', status: 401 } });
  }
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > MAX_BODY_BYTES) {
      return reply(res, 413, { error: { code: 'PAYLOAD_TOO_LARGE', message: 'too large', status: 413 } });
    }
    let body;
    try {
      body = JSON.parse(chunks.length === 1 ? chunks[0].toString() : Buffer.concat(chunks).toString());
    } catch {
      return invalid(res, 'invalid JSON');
    }
    let alerts;
    if (batch) {
      alerts = body?.alerts;
      if (!Array.isArray(alerts) || alerts.length === 0 || alerts.length > MAX_BATCH)
        return invalid(res, `alerts must hold 1..${MAX_BATCH} alerts`);
      for (let i = 0; i < alerts.length; i++) {
        const problem = validationError(alerts[i]);
        if (problem !== null) return invalid(res, `alerts.${i}.${problem}`);
      }
    } else {
      const problem = validationError(body);
      if (problem !== null) return invalid(res, problem);
      alerts = [body];
    }
    enqueue({ alerts, batch, res });
  });
});
server.keepAliveTimeout = 60_000;

server.listen(PORT, '127.0.0.1', () => {
  process.stdout.write(
    `ingestion reference listening on :${PORT} (${DB_PATH}, checkpointer ${CHECKPOINTER})\n`,
  );
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections?.();
    const finish = () => {
      db.close();
      process.exit(0);
    };
    if (checkpointer) {
      checkpointer.ref();
      checkpointer.once('exit', finish);
      checkpointer.postMessage('stop');
    } else finish();
    setTimeout(() => process.exit(0), 2000).unref();
  });
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) continue;
    const [key, inline] = arg.slice(2).split('=', 2);
    if (inline !== undefined) out[key] = inline;
    else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) out[key] = argv[++i];
    else out[key] = true;
  }
  return out;
}
