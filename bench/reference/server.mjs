#!/usr/bin/env node
// The reference: the thinnest server on `ws` + node:http that speaks the subset of the product's protocol the
// bench uses (welcome, subscribe/unsubscribe with `severities` + `event_types` filters, ping, POST /v1/alerts with
// in-memory deduplication, `alert_received` / `alert_converted` / `incident_created` event frames). It has no
// storage, no validation framework, no logging: it is what Node and `ws` can do on this machine. With
// BENCH_REF_JWT_SECRET set (targets `ref-*+auth`), POSTs and WebSocket upgrades need the run's JWT, verified once
// and then looked up in a cache like the product's (./jwt.mjs). Connections are
// indexed by the event types they subscribe to, so an event only visits connections that may want it.
//
//   node bench/reference/server.mjs --port 9000 --mode send|coalesce|cork [--deflate] [--heartbeat-ms 30000]
//
// Modes (how an event reaches its recipients; the event is serialized once in every mode):
//   send      one `ws.send()` per recipient per event, written at once;
//   coalesce  frames are queued per connection and flushed in `setImmediate`: the WebSocket frame (header +
//             payload) is built once per event and the frames due to a connection in one event-loop turn are
//             written with one `writev` (socket cork/uncork), bypassing `ws`'s per-send framing;
//   cork      the same per-connection queue and flush, but each frame goes through `ws.send()` inside
//             cork/uncork (what a server that keeps `ws` framing can do).
//
// Heartbeat (--heartbeat-ms N, default 30000 like the product's WS_HEARTBEAT_INTERVAL; 0: none): the product's
// scheme (src/streaming/connections/heartbeat.service.ts) with the same period and payload. Each connection is
// due one period after it connected, then every period, from a queue ordered by due time; a 100 ms tick visits
// those due, at most max(64, 2 × connections / ticks per period); a visit writes an empty WebSocket ping and the
// JSON `{"type":"pong","timestamp":...}` (built once per tick) under one cork, or queues both into the
// connection's pending flush; a peer that missed two pings is terminated.

import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import { WebSocketServer } from 'ws';
import { authorized } from './jwt.mjs';

const args = parseArgs(process.argv.slice(2));
const PORT = Number(args.port ?? process.env.PORT ?? 9000);
const MODE = args.mode ?? 'coalesce';
const DEFLATE = args.deflate === true || args.deflate === 'true';
const DEDUP_WINDOW_MS = Number(args['dedup-window'] ?? 900) * 1000;
// Deliberate faults, to check that the bench detects them: --fault-drop 0.01 skips 1 % of the deliveries,
// --fault-dup duplicates, --fault-misdeliver sends to connections that do not match.
const FAULTS = {
  drop: Number(args['fault-drop'] ?? 0),
  dup: Number(args['fault-dup'] ?? 0),
  misdeliver: Number(args['fault-misdeliver'] ?? 0),
};
const FAULTY = FAULTS.drop > 0 || FAULTS.dup > 0 || FAULTS.misdeliver > 0;
/** A connection with more than this many bytes waiting in its socket is closed as a slow consumer. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
/**
 * coalesce/cork: 0 flushes at the end of the turn (setImmediate); N > 0 waits N ms, so that the frames of several
 * events (several alerts) due to a connection go out in one write: fewer syscalls for N ms more latency.
 */
const FLUSH_DELAY_MS = Number(args['flush-delay-ms'] ?? 0);
const HEARTBEAT_MS = Number(args['heartbeat-ms'] ?? 30_000);
const HEARTBEAT_TICK_MS = 100;
const MIN_VISITS_PER_TICK = 64;
const MAX_MISSED_PINGS = 2;
/** FIN + ping opcode, no payload: the product's PING_FRAME. */
const PING_FRAME = Buffer.from([0x89, 0x00]);

if (!['send', 'coalesce', 'cork'].includes(MODE)) {
  process.stderr.write(`unknown --mode ${MODE} (send, coalesce or cork)\n`);
  process.exit(2);
}

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
const FILTER_KEYS = [
  'event_types',
  'severities',
  'states',
  'sources',
  'affected_resources',
  'labels',
  'incident_ids',
  // Accepted and, like labels, not matched: the bench's alerts satisfy every matcher it sends (see --matchers), so
  // the reference stands for matchers that cost nothing.
  'label_matchers',
];

/** Every open connection. */
const connections = new Set();
/** event_type -> connections with a subscription naming it; `anyType`: those with one naming no type. */
const byType = new Map();
const anyType = new Set();
/** fingerprint -> { incident, createdMs } */
const dedup = new Map();
let sequence = 0;
let slowConsumersClosed = 0;

class Connection {
  constructor(ws, socket) {
    this.ws = ws;
    this.socket = socket;
    /** subscription_id -> { types: Set|null, severities: Set|null } */
    this.subscriptions = new Map();
    /** Frames due to this connection in the current turn (coalesce and cork modes), or null. */
    this.queue = null;
    this.open = true;
    /** Epoch ms at which the next heartbeat is due; pings sent and not answered. */
    this.heartbeatDueAt = 0;
    this.missedPings = 0;
  }

  matches(eventType, severity) {
    for (const sub of this.subscriptions.values()) {
      if (sub.types !== null && !sub.types.has(eventType)) continue;
      if (sub.severities !== null && !sub.severities.has(severity)) continue;
      return true;
    }
    return false;
  }

  sendJson(message) {
    if (this.open) this.ws.send(JSON.stringify(message));
  }
}

// ---- fan-out ------------------------------------------------------------------------------------------------

/** Connections with queued frames, flushed together once the current turn's I/O callbacks have run. */
let dirty = [];
let flushScheduled = false;

function publish(eventType, severity, event) {
  const typed = byType.get(eventType);
  if (typed === undefined && anyType.size === 0) return;
  let payload = null;
  let frame = null;
  const visit = (conn) => {
    if (!conn.open) return;
    let copies = 1;
    if (FAULTY) {
      copies = faultyCopies(conn.matches(eventType, severity));
      if (copies === 0) return;
    } else if (!conn.matches(eventType, severity)) return;
    if (payload === null) {
      sequence += 1;
      payload = Buffer.from(
        JSON.stringify({
          type: 'event',
          message_id: randomUUID(),
          timestamp: new Date().toISOString(),
          sequence,
          event,
        }),
      );
      frame = MODE === 'coalesce' && !DEFLATE ? textFrame(payload) : payload;
    }
    for (let i = 0; i < copies; i++) {
      if (MODE === 'send') {
        conn.ws.send(payload, { binary: false });
        if (conn.socket.writableLength > MAX_BUFFERED_BYTES) closeSlow(conn);
      } else if (conn.queue === null) {
        conn.queue = [frame];
        dirty.push(conn);
        if (!flushScheduled) {
          flushScheduled = true;
          if (FLUSH_DELAY_MS > 0) setTimeout(flush, FLUSH_DELAY_MS);
          else setImmediate(flush);
        }
      } else {
        conn.queue.push(frame);
      }
    }
  };
  if (typed !== undefined) for (const conn of typed) visit(conn);
  for (const conn of anyType) if (typed === undefined || !typed.has(conn)) visit(conn);
}

/** How many copies a connection gets when faults are injected. */
function faultyCopies(matches) {
  if (!matches) return Math.random() < FAULTS.misdeliver ? 1 : 0;
  if (Math.random() < FAULTS.drop) return 0;
  return Math.random() < FAULTS.dup ? 2 : 1;
}

/** Re-files a connection in the event-type index after its subscriptions changed or it closed. */
function reindex(conn) {
  for (const set of byType.values()) set.delete(conn);
  anyType.delete(conn);
  if (!conn.open) return;
  for (const sub of conn.subscriptions.values()) {
    if (sub.types === null) anyType.add(conn);
    else {
      for (const type of sub.types) {
        let set = byType.get(type);
        if (set === undefined) byType.set(type, (set = new Set()));
        set.add(conn);
      }
    }
  }
}

function flush() {
  const batch = dirty;
  dirty = [];
  flushScheduled = false;
  const raw = MODE === 'coalesce' && !DEFLATE;
  for (const conn of batch) {
    const queue = conn.queue;
    conn.queue = null;
    if (!conn.open) continue;
    const socket = conn.socket;
    if (queue.length > 1) socket.cork();
    for (const frame of queue) {
      if (raw) socket.write(frame);
      else conn.ws.send(frame, { binary: false });
    }
    if (queue.length > 1) socket.uncork();
    if (socket.writableLength > MAX_BUFFERED_BYTES) closeSlow(conn);
  }
}

function closeSlow(conn) {
  slowConsumersClosed += 1;
  conn.open = false;
  reindex(conn);
  conn.ws.terminate();
}

/** An unmasked, final, text WebSocket frame (RFC 6455 section 5.2) around `payload`, built once per event. */
function textFrame(payload) {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x81;
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  payload.copy(frame, headerLength);
  return frame;
}

// ---- heartbeat ------------------------------------------------------------------------------------------------

const TICKS_PER_INTERVAL = Math.max(1, Math.floor(HEARTBEAT_MS / HEARTBEAT_TICK_MS));
/** Connections in due-time order from `heartbeatHead` on. */
let heartbeatQueue = [];
let heartbeatHead = 0;

function trackHeartbeat(conn) {
  conn.heartbeatDueAt = Date.now() + HEARTBEAT_MS;
  conn.ws.on('pong', () => {
    conn.missedPings = 0;
  });
  heartbeatQueue.push(conn);
}

function heartbeatTick() {
  const now = Date.now();
  const budget = Math.max(MIN_VISITS_PER_TICK, 2 * Math.ceil(connections.size / TICKS_PER_INTERVAL));
  let pong = null;
  let visited = 0;
  while (heartbeatHead < heartbeatQueue.length && visited < budget) {
    const conn = heartbeatQueue[heartbeatHead];
    if (conn.heartbeatDueAt > now) break;
    heartbeatHead += 1;
    visited += 1;
    if (!conn.open) continue;
    if (pong === null) {
      const payload = Buffer.from(JSON.stringify({ type: 'pong', timestamp: new Date(now).toISOString() }));
      pong = { payload, frame: textFrame(payload) };
    }
    if (conn.missedPings >= MAX_MISSED_PINGS) conn.ws.terminate();
    else heartbeat(conn, pong);
    conn.heartbeatDueAt = now + HEARTBEAT_MS;
    heartbeatQueue.push(conn);
  }
  if (heartbeatHead > 1024 && heartbeatHead * 2 > heartbeatQueue.length) {
    heartbeatQueue = heartbeatQueue.slice(heartbeatHead);
    heartbeatHead = 0;
  }
}

function heartbeat(conn, pong) {
  conn.missedPings += 1;
  if (MODE === 'coalesce' && !DEFLATE) {
    if (conn.queue !== null) conn.queue.push(PING_FRAME, pong.frame);
    else {
      conn.socket.cork();
      conn.socket.write(PING_FRAME);
      conn.socket.write(pong.frame);
      conn.socket.uncork();
    }
  } else {
    conn.ws.ping();
    conn.ws.send(pong.payload, { binary: false });
  }
}

if (HEARTBEAT_MS > 0) setInterval(heartbeatTick, HEARTBEAT_MS / TICKS_PER_INTERVAL);

// ---- WebSocket protocol -------------------------------------------------------------------------------------

const wss = new WebSocketServer({
  noServer: true,
  perMessageDeflate: DEFLATE,
  maxPayload: 262144,
  skipUTF8Validation: false,
});

function onConnection(ws, socket) {
  const conn = new Connection(ws, socket);
  connections.add(conn);
  conn.sendJson({ type: 'welcome', session_id: randomUUID(), server_time: new Date().toISOString() });
  if (HEARTBEAT_MS > 0) trackHeartbeat(conn);
  ws.on('message', (data, isBinary) => onMessage(conn, data, isBinary));
  ws.on('close', () => {
    conn.open = false;
    connections.delete(conn);
    reindex(conn);
  });
  ws.on('error', () => {});
}

function onMessage(conn, data, isBinary) {
  if (isBinary) return conn.sendJson({ type: 'error', code: 'UNSUPPORTED', message: 'binary frames' });
  let message;
  try {
    message = JSON.parse(data.toString());
  } catch (error) {
    return invalid(conn, error.message);
  }
  if (message === null || typeof message !== 'object') return invalid(conn, 'not an object');
  switch (message.type) {
    case 'subscribe': {
      const id = message.subscription_id;
      if (typeof id !== 'string' || id.length < 1 || id.length > 128) return invalid(conn, 'subscription_id');
      const filters = message.filters;
      if (filters === null || typeof filters !== 'object' || Array.isArray(filters))
        return invalid(conn, 'filters');
      for (const key of Object.keys(filters)) {
        if (!FILTER_KEYS.includes(key)) return invalid(conn, `unknown filter ${key}`);
      }
      const types = stringSet(filters.event_types);
      const severities = stringSet(filters.severities);
      if (types === undefined || severities === undefined) return invalid(conn, 'filter lists');
      conn.subscriptions.set(id, { types, severities });
      reindex(conn);
      const echoed = {};
      for (const key of FILTER_KEYS) echoed[key] = filters[key] ?? (key === 'labels' ? {} : []);
      return conn.sendJson({ type: 'subscribed', subscription_id: id, filters: echoed });
    }
    case 'unsubscribe':
      if (!conn.subscriptions.delete(message.subscription_id)) {
        return conn.sendJson({ type: 'error', code: 'NOT_FOUND', message: 'no such subscription' });
      }
      reindex(conn);
      return conn.sendJson({ type: 'unsubscribed', subscription_id: message.subscription_id });
    case 'ping':
      return conn.sendJson({ type: 'pong', timestamp: message.timestamp });
    case 'ack':
      return undefined;
    default:
      return invalid(conn, `unknown type ${String(message.type)}`);
  }
}

function invalid(conn, reason) {
  conn.sendJson({ type: 'error', code: 'INVALID_MESSAGE', message: `Failed to process message: ${reason}` });
}

/** null for an absent or empty list (matches everything), a Set of strings, or undefined when malformed. */
function stringSet(list) {
  if (list === undefined) return null;
  if (!Array.isArray(list) || list.some((v) => typeof v !== 'string')) return undefined;
  return list.length === 0 ? null : new Set(list);
}

// ---- REST: POST /v1/alerts ------------------------------------------------------------------------------------

function ingest(body) {
  const now = new Date();
  const nowIso = now.toISOString();
  const services = body.affected_services ?? [];
  const fingerprint = createHash('sha256')
    .update(body.source + body.alert_type + body.title + services.join(''))
    .digest('hex');
  const alert = {
    id: randomUUID(),
    external_id: body.external_id ?? randomUUID(),
    source: body.source,
    timestamp: nowIso,
    received_at: nowIso,
    severity: body.severity,
    alert_type: body.alert_type,
    title: body.title,
    description: body.description ?? '',
    labels: body.labels ?? {},
    affected_services: services,
    runbook_url: body.runbook_url ?? null,
    annotations: body.annotations ?? {},
    incident_id: null,
    deduplicated: false,
    parent_alert_id: null,
  };
  const existing = dedup.get(fingerprint);
  if (existing !== undefined && now.getTime() - existing.createdMs < DEDUP_WINDOW_MS) {
    const incident = existing.incident;
    alert.incident_id = incident.id;
    alert.deduplicated = true;
    incident.updated_at = nowIso;
    publish('alert_received', alert.severity, { event_type: 'alert_received', alert });
    publish('incident_updated', incident.severity, {
      event_type: 'incident_updated',
      incident,
      previous_state: null,
    });
    return {
      alert_id: alert.id,
      incident_id: incident.id,
      status: 'Duplicate',
      message: 'Alert deduplicated',
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
    description: alert.description,
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
        description: `Incident created from alert ${alert.id}`,
        metadata: {},
      },
    ],
    assignees: [],
    notes: [],
    fingerprint,
    correlation_score: null,
  };
  alert.incident_id = incident.id;
  dedup.set(fingerprint, { incident, createdMs: now.getTime() });
  publish('alert_received', alert.severity, { event_type: 'alert_received', alert });
  publish('alert_converted', alert.severity, {
    event_type: 'alert_converted',
    alert,
    incident_id: incident.id,
  });
  publish('incident_created', incident.severity, { event_type: 'incident_created', incident });
  return { alert_id: alert.id, incident_id: incident.id, status: 'Accepted', message: 'Alert accepted' };
}

function validationError(body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'body must be an object';
  for (const key of ['source', 'title']) {
    if (typeof body[key] !== 'string' || body[key].length === 0) return `${key} is required`;
  }
  if (typeof body.description !== 'string') return 'description is required';
  if (!SEVERITIES.has(body.severity)) return 'severity';
  if (!ALERT_TYPES.has(body.alert_type)) return 'alert_type';
  if (body.labels !== undefined && (typeof body.labels !== 'object' || body.labels === null)) return 'labels';
  if (body.affected_services !== undefined && !Array.isArray(body.affected_services))
    return 'affected_services';
  return null;
}

function reply(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url.startsWith('/health')) {
    return reply(res, 200, {
      status: 'ok',
      connections: connections.size,
      slow_consumers: slowConsumersClosed,
    });
  }
  if (req.method !== 'POST' || req.url !== '/v1/alerts') {
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
    if (size <= 1_048_576) chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > 1_048_576) {
      return reply(res, 413, { error: { code: 'PAYLOAD_TOO_LARGE', message: 'too large', status: 413 } });
    }
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString());
    } catch {
      return reply(res, 400, { error: { code: 'VALIDATION_ERROR', message: 'invalid JSON', status: 400 } });
    }
    const problem = validationError(body);
    if (problem !== null) {
      return reply(res, 400, { error: { code: 'VALIDATION_ERROR', message: problem, status: 400 } });
    }
    return reply(res, 200, ingest(body));
  });
});
server.keepAliveTimeout = 60_000;

server.on('upgrade', (req, socket, head) => {
  if (!req.url.startsWith('/ws')) return socket.destroy();
  if (!authorized(req, 'stream:read')) {
    socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return undefined;
  }
  wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, socket));
});

server.listen(PORT, '127.0.0.1', () => {
  process.stdout.write(`reference server (${MODE}${DEFLATE ? ', deflate' : ''}) listening on :${PORT}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    for (const conn of connections) conn.ws.terminate();
    server.close(() => process.exit(0));
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
