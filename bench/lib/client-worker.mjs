// A load-generator child process: it holds a share of the WebSocket clients, subscribes them, and accounts for
// every event frame they receive. The parent drives it over IPC:
//
//   connect {url, matching, nonMatching, matchingFilters, nonMatchingFilters, concurrency, deflate, timeoutMs,
//            token (sent as `Authorization: Bearer` on every upgrade, or null),
//            client: 'raw' (lib/raw-ws-client.mjs, the default) | 'ws' (the `ws` library; always with deflate),
//            allEvents: the matching filter takes every event type (e.g. `{}`): the other events of an alert are
//            counted as `otherEvents`, not as misdelivered}
//           -> connected {ok, failed, connectUs (histogram), errors}
//   start   {firstSeq, sliceMs?, originUs?}   counting starts (again: every count is reset); frames of alerts
//                                          numbered below firstSeq are warm-up. With sliceMs, latencies are also
//                                          kept per slice of the alert's send time (from originUs, monotonic µs)
//           -> progress {delivered, misdelivered, maxLatencyUs, closed} every 500 ms
//   finish  {accepted: [seq...]}           -> result {delivered, lost, duplicated, unexpected, misdelivered,
//                                             otherEvents, slices: [histogram | null], ...}
//   close                                  terminates every socket and exits
//
// The hot path (one call per frame) avoids JSON.parse and allocation: the bench marks each alert's title
// `bench#<seq>@<us>` and the frame's bytes are searched for that marker; the event type, severity and envelope
// sequence are checked once per alert (see sequenceOf). Control frames (welcome, subscribed, pong, error,
// closing) are parsed as JSON.

import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { Histogram } from './histogram.mjs';
import { MATCHED_EVENT, TITLE_MARKER, withMatchers } from './protocol.mjs';
import { RawWebSocket } from './raw-ws-client.mjs';

// Markers searched in the frame's bytes (all ASCII).
const EVENT_MARKER = Buffer.from('"type":"event"');
const TITLE = Buffer.from(TITLE_MARKER);
const TYPE_MARKER = Buffer.from(`"event_type":"${MATCHED_EVENT}"`);
const SEQUENCE_MARKER = Buffer.from('"sequence":');

// performance.now() is the process's view of the system monotonic clock; this offset makes it comparable with
// the microsecond stamp the parent puts in each alert (process.hrtime, CLOCK_MONOTONIC).
const CLOCK_OFFSET_US = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000;
const nowUs = () => performance.now() * 1000 + CLOCK_OFFSET_US;

const clients = [];
let severityMarker = Buffer.from('"severity":"P0"');
let measuring = false;
let firstSeq = 0;
let delivered = 0;
let lastDeliveryUs = 0;
let misdelivered = 0;
let warmup = 0;
let outOfOrder = 0;
let controlErrors = 0;
/** JSON `pong` heartbeats received (the server's heartbeat, with its WebSocket ping) since `start`. */
let heartbeats = 0;
/** Clients that have received at least one heartbeat since they connected (not reset by `start`). */
let heartbeatClients = 0;
let closedDuringRun = 0;
const closeCodes = {};
let otherEvents = 0;
let allEvents = false;
let latency = new Histogram();
/** Latencies by slice of the alert's send time (`start` with sliceMs), for a window inside the measured phase. */
let slices = null;
let sliceUs = 0;
let sliceOriginUs = 0;
let intervalMaxLatency = 0;
let progressTimer = null;

class Client {
  constructor(matching) {
    this.matching = matching;
    /** A RawWebSocket or a `ws` WebSocket: send(text), terminate(). */
    this.socket = null;
    this.subscribed = false;
    this.lastSequence = -1;
    /** counts[seq - firstSeq] = deliveries of that alert's incident_created frame (matching clients only). */
    this.counts = matching ? new Uint8Array(256) : null;
    this.received = 0;
    /** Whether a heartbeat (JSON pong) has reached this client yet. */
    this.heartbeated = false;
  }

  count(index) {
    if (index >= this.counts.length) {
      let size = this.counts.length * 2;
      while (size <= index) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.counts);
      this.counts = grown;
    }
    if (this.counts[index] < 255) this.counts[index] += 1;
  }
}

/** Where `marker` starts inside buf[start, end), or -1. */
function find(buf, marker, start, end) {
  const at = buf.indexOf(marker, start);
  return at !== -1 && at + marker.length <= end ? at : -1;
}

/** The decimal number at buf[i...], and where it ends (in `parsedEnd`). */
let parsedEnd = 0;
function digitsAt(buf, i, end) {
  let value = 0;
  for (let c = buf[i]; i < end && c >= 48 && c <= 57; c = buf[++i]) value = value * 10 + (c - 48);
  parsedEnd = i;
  return value;
}

/**
 * What the first frame seen for an alert (per byte length) was found to be: the envelope's sequence, -1 when it
 * has none, -2 when it is not an `incident_created` of the subscribed severity. Every recipient of an event gets
 * the same bytes, so the full check runs once per alert rather than once per delivery. Up to SLOTS lengths are
 * remembered per alert (a subscription to every event gets alert_received, alert_converted and incident_created
 * of each alert); a frame of yet another length is checked in full.
 */
const SLOTS = 4;
let checkedLength = new Int32Array(1024 * SLOTS);
let checkedSequence = new Float64Array(1024 * SLOTS);
const INVALID = -2;

function checkFrame(buf, start, end) {
  if (find(buf, TYPE_MARKER, start, end) === -1 || find(buf, severityMarker, start, end) === -1)
    return INVALID;
  const s = find(buf, SEQUENCE_MARKER, start, end);
  return s === -1 ? -1 : digitsAt(buf, s + SEQUENCE_MARKER.length, end);
}

function sequenceOf(index, buf, start, end) {
  const length = end - start;
  const base = index * SLOTS;
  if (base >= checkedLength.length) {
    let size = checkedLength.length * 2;
    while (size <= base) size *= 2;
    const lengths = new Int32Array(size);
    lengths.set(checkedLength);
    const sequences = new Float64Array(size);
    sequences.set(checkedSequence);
    checkedLength = lengths;
    checkedSequence = sequences;
  }
  for (let k = base; k < base + SLOTS; k++) {
    if (checkedLength[k] === length) return checkedSequence[k];
    if (checkedLength[k] === 0) {
      const sequence = checkFrame(buf, start, end);
      checkedLength[k] = length;
      checkedSequence[k] = sequence;
      return sequence;
    }
  }
  return checkFrame(buf, start, end);
}

/** One text message: buf[start, end) (only valid during the call). */
function onFrame(client, buf, start, end) {
  const at = find(buf, TITLE, start, end);
  if (at === -1) {
    if (find(buf, EVENT_MARKER, start, end) === -1)
      return onControl(client, buf.toString('utf8', start, end));
    // An event, but not about one of the bench's alerts: nobody subscribed to it (unless to every event).
    if (measuring) {
      if (allEvents && client.matching) otherEvents += 1;
      else misdelivered += 1;
    }
    return;
  }
  if (!measuring) return;
  const now = nowUs();
  if (!client.matching) {
    misdelivered += 1;
    return;
  }
  const seq = digitsAt(buf, at + TITLE.length, end);
  const sentUs = digitsAt(buf, parsedEnd + 1, end);
  if (seq < firstSeq) {
    warmup += 1;
    return;
  }
  const sequence = sequenceOf(seq - firstSeq, buf, start, end);
  if (sequence === INVALID) {
    // With a subscription to every event, the alert's other events (alert_received, ...) arrive too.
    if (allEvents) otherEvents += 1;
    else misdelivered += 1;
    return;
  }
  if (sequence >= 0) {
    if (sequence <= client.lastSequence) outOfOrder += 1;
    client.lastSequence = sequence;
  }
  const us = now - sentUs;
  latency.record(us);
  if (slices !== null) recordSlice(sentUs, us);
  if (us > intervalMaxLatency) intervalMaxLatency = us;
  client.count(seq - firstSeq);
  client.received += 1;
  delivered += 1;
  lastDeliveryUs = now;
}

function recordSlice(sentUs, us) {
  const index = Math.floor((sentUs - sliceOriginUs) / sliceUs);
  if (index < 0 || index > 100_000) return;
  while (slices.length <= index) slices.push(null);
  (slices[index] ??= new Histogram()).record(us);
}

function onControl(client, text) {
  let message;
  try {
    message = JSON.parse(text);
  } catch {
    controlErrors += 1;
    return;
  }
  if (message.type === 'pong') {
    heartbeats += 1;
    if (!client.heartbeated) {
      client.heartbeated = true;
      heartbeatClients += 1;
    }
  } else if (message.type === 'subscribed') {
    client.subscribed = true;
    client.onSubscribed?.();
  } else if (message.type === 'error') {
    controlErrors += 1;
    client.onError?.(new Error(`${message.code}: ${message.message}`));
  }
}

function connectOne(client, url, filters, deflate, timeoutMs, implementation, headers) {
  return new Promise((resolve, reject) => {
    const subscribe = JSON.stringify({ type: 'subscribe', subscription_id: 's1', filters });
    const timer = setTimeout(() => fail(new Error('timeout waiting for subscribed')), timeoutMs);
    const fail = (error) => {
      clearTimeout(timer);
      client.onSubscribed = client.onError = undefined;
      client.socket?.terminate();
      reject(error);
    };
    const closed = (code) => {
      if (!client.subscribed) return fail(new Error(`closed ${code} before subscribed`));
      if (client.closing) return;
      closeCodes[code] = (closeCodes[code] ?? 0) + 1;
      if (measuring) closedDuringRun += 1;
    };
    client.onSubscribed = () => {
      clearTimeout(timer);
      client.onSubscribed = client.onError = undefined;
      resolve();
    };
    client.onError = fail;
    if (implementation === 'raw' && !deflate) {
      client.socket = new RawWebSocket(
        url,
        {
          onOpen: () => client.socket.send(subscribe),
          onText: (buf, start, end) => onFrame(client, buf, start, end),
          onClose: closed,
          onError: fail,
        },
        headers,
      );
      return;
    }
    const ws = new WebSocket(url, {
      headers,
      perMessageDeflate: deflate,
      skipUTF8Validation: true,
      handshakeTimeout: timeoutMs,
    });
    client.socket = ws;
    ws.on('message', (data) => onFrame(client, data, 0, data.length));
    ws.once('open', () => ws.send(subscribe));
    ws.on('error', (error) => (client.subscribed ? undefined : fail(error)));
    ws.on('close', closed);
  });
}

async function connect(options) {
  const { url, matching, nonMatching, matchingFilters, nonMatchingFilters, concurrency, deflate, timeoutMs } =
    options;
  const headers = options.token ? { authorization: `Bearer ${options.token}` } : {};
  severityMarker = Buffer.from(`"severity":"${options.severity ?? 'P0'}"`);
  allEvents = options.allEvents === true;
  const total = matching + nonMatching;
  // Interleave matching and non-matching clients so that neither group is favoured by connection order.
  for (let i = 0; i < total; i++) {
    const isMatching = Math.floor(((i + 1) * matching) / total) > Math.floor((i * matching) / total);
    clients.push(new Client(isMatching));
  }
  const connectUs = new Histogram();
  const errors = {};
  let ok = 0;
  let matchingOk = 0;
  let failed = 0;
  let next = 0;
  const runner = async () => {
    while (next < clients.length) {
      const index = next++;
      const client = clients[index];
      const started = performance.now();
      try {
        await connectOne(
          client,
          url,
          withMatchers(
            client.matching ? matchingFilters : nonMatchingFilters,
            process.env.BENCH_MATCHERS,
            index,
          ),
          deflate,
          timeoutMs,
          options.client ?? 'raw',
          headers,
        );
        connectUs.record((performance.now() - started) * 1000);
        ok += 1;
        if (client.matching) matchingOk += 1;
      } catch (error) {
        failed += 1;
        const key = String(error.message).slice(0, 120);
        errors[key] = (errors[key] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, runner));
  return { type: 'connected', ok, matchingOk, failed, errors, connectUs: connectUs.toJSON() };
}

function finish(accepted) {
  let lost = 0;
  let duplicated = 0;
  let expectedHits = 0;
  let matchingClients = 0;
  for (const client of clients) {
    if (!client.matching || !client.subscribed) continue;
    matchingClients += 1;
    const counts = client.counts;
    for (const seq of accepted) {
      const index = seq - firstSeq;
      const c = index < counts.length ? counts[index] : 0;
      if (c === 0) lost += 1;
      else {
        expectedHits += 1;
        duplicated += c - 1;
      }
    }
  }
  return {
    type: 'result',
    matchingClients,
    delivered,
    lost,
    duplicated,
    unexpected: delivered - expectedHits - duplicated,
    misdelivered,
    otherEvents,
    outOfOrder,
    warmup,
    controlErrors,
    heartbeats,
    closedDuringRun,
    closeCodes,
    lastDeliveryUs,
    latencyUs: latency.toJSON(),
    slices: slices === null ? null : slices.map((h) => (h === null ? null : h.toJSON())),
  };
}

function sendProgress() {
  process.send({
    type: 'progress',
    delivered,
    misdelivered,
    closed: closedDuringRun,
    maxLatencyUs: intervalMaxLatency,
    heartbeats,
    heartbeatClients,
  });
  intervalMaxLatency = 0;
}

process.on('message', (message) => {
  switch (message.cmd) {
    case 'connect':
      connect(message).then(
        (result) => process.send(result),
        (error) => process.send({ type: 'fatal', message: String(error?.stack ?? error) }),
      );
      break;
    case 'start':
      firstSeq = message.firstSeq;
      delivered = misdelivered = otherEvents = warmup = outOfOrder = closedDuringRun = lastDeliveryUs = 0;
      heartbeats = 0;
      checkedLength.fill(0);
      // A second measured phase on the same clients counts from zero again.
      for (const client of clients) client.counts?.fill(0);
      latency = new Histogram();
      slices = message.sliceMs ? [] : null;
      sliceUs = (message.sliceMs ?? 0) * 1000;
      sliceOriginUs = message.originUs ?? 0;
      measuring = true;
      clearInterval(progressTimer);
      progressTimer = setInterval(sendProgress, 500);
      process.send({ type: 'started' });
      break;
    case 'finish':
      measuring = false;
      clearInterval(progressTimer);
      sendProgress();
      process.send(finish(message.accepted));
      break;
    case 'close':
      for (const client of clients) {
        client.closing = true;
        client.socket?.terminate();
      }
      setTimeout(() => process.exit(0), 50);
      break;
    default:
      process.send({ type: 'fatal', message: `unknown command ${message.cmd}` });
  }
});

process.on('disconnect', () => process.exit(0));
