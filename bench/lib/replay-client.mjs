// The resuming client of the replay scenario, in a process of its own (so that receiving a backlog at tens of
// thousands of frames per second neither slows the parent's open-loop alert posting nor shares a worker with the
// live clients). The parent drives it over IPC:
//
//   head   {url, token}  -> head {position}                the log's head, from a probe subscription
//   replay {url, backlog, filters, token}
//          reads the log's head H from the `position` of a probe subscription (a connection of its own, closed at
//          once), opens the resuming connection, waits for `welcome`, then sends
//          `{"type":"subscribe","subscription_id":"replay","filters":…,"resume_from":max(0, H - backlog)}`
//          -> subscribing {resumeFrom, subscribeUs}        just before the subscribe is written
//          -> replay-complete {...}                         when `replay_complete` arrives, or the connection
//                                                           closed before it (abortedUs, closeCode)
//   finish -> result {...}                                  replayed and live events, checks, per-slice counts
//   close  terminates the socket and exits
//
// Frames are not JSON.parse`d on the hot path: an event frame is recognised by its first bytes and its envelope
// `sequence` (the last key of the frame, contract section 3) read from its tail. Control frames are parsed.

import { performance } from 'node:perf_hooks';
import { RawWebSocket } from './raw-ws-client.mjs';

const EVENT_PREFIX = Buffer.from('{"type":"event"');
const SEQUENCE_MARKER = Buffer.from('"sequence":');
/** Replayed frames are counted per slice of this length, for the rate over time. */
const SLICE_US = 100_000;

const CLOCK_OFFSET_US = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000;
const nowUs = () => performance.now() * 1000 + CLOCK_OFFSET_US;

let socket = null;
let closing = false;
const state = {
  head: null,
  resumeFrom: null,
  subscribeUs: null,
  subscribedUs: null,
  firstEventUs: null,
  completeUs: null,
  /** When the connection closed before replay_complete, or null. */
  abortedUs: null,
  resumed: null,
  /** `position` of `subscribed` (the head then) and of `replay_complete` (where the subscription went live). */
  position: null,
  completePosition: null,
  replayedAnnounced: null,
  replayed: 0,
  replayedBytes: 0,
  /** Replayed sequences that were not the previous one + 1 (the log or the filter skipped some). */
  replayHoles: 0,
  /** Event frames whose sequence did not increase, or were outside (resume_from, position] while replaying. */
  outOfOrder: 0,
  outOfRange: 0,
  live: 0,
  firstLiveSequence: null,
  lastLiveUs: null,
  liveHoles: 0,
  lastSequence: -1,
  gaps: [],
  errors: [],
  closeCode: null,
  /** Replayed frames per SLICE_US from the subscribe. */
  perSlice: [],
};

function fail(message) {
  process.send({ type: 'fatal', message });
}

/** The decimal number at buf[i...]. */
function digitsAt(buf, i, end) {
  let value = 0;
  for (let c = buf[i]; i < end && c >= 48 && c <= 57; c = buf[++i]) value = value * 10 + (c - 48);
  return value;
}

function isEvent(buf, start, end) {
  if (end - start < EVENT_PREFIX.length) return false;
  for (let i = 0; i < EVENT_PREFIX.length; i++) if (buf[start + i] !== EVENT_PREFIX[i]) return false;
  return true;
}

function onText(buf, start, end) {
  if (!isEvent(buf, start, end)) return onControl(buf.toString('utf8', start, end));
  const now = nowUs();
  const at = buf.lastIndexOf(SEQUENCE_MARKER, end - 1);
  const sequence = at >= start ? digitsAt(buf, at + SEQUENCE_MARKER.length, end) : -1;
  if (sequence <= state.lastSequence) state.outOfOrder += 1;
  if (state.completeUs === null) {
    // Replaying: every stored event in (resume_from, position] matches a subscription to everything.
    state.firstEventUs ??= now;
    // (The replay may run past the subscribed position to catch up with the head: replay_complete says where.)
    if (sequence <= state.resumeFrom) state.outOfRange += 1;
    if (state.replayed > 0 && sequence !== state.lastSequence + 1) state.replayHoles += 1;
    state.replayed += 1;
    state.replayedBytes += end - start;
    const slice = Math.floor((now - state.subscribeUs) / SLICE_US);
    while (state.perSlice.length <= slice) state.perSlice.push(0);
    state.perSlice[slice] += 1;
  } else {
    // Live, after replay_complete: from replay_complete.position + 1 on, with no gap.
    if (state.firstLiveSequence === null) state.firstLiveSequence = sequence;
    else if (sequence !== state.lastSequence + 1) state.liveHoles += 1;
    state.live += 1;
    state.lastLiveUs = now;
  }
  state.lastSequence = Math.max(state.lastSequence, sequence);
  return undefined;
}

function onControl(text) {
  let message;
  try {
    message = JSON.parse(text);
  } catch {
    state.errors.push(`unparsable frame ${text.slice(0, 100)}`);
    return;
  }
  switch (message.type) {
    case 'subscribed':
      state.subscribedUs = nowUs();
      state.position = message.position;
      state.resumed = message.resumed;
      if (message.resumed !== true) {
        state.errors.push(`not resumed: ${text.slice(0, 200)}`);
        fail(`subscribe with resume_from ${state.resumeFrom} was not resumed: ${text.slice(0, 200)}`);
      }
      break;
    case 'replay_complete':
      state.completeUs = nowUs();
      state.replayedAnnounced = message.replayed;
      state.completePosition = message.position;
      // Everything replayed lies in (resume_from, replay_complete.position].
      if (state.lastSequence > message.position) state.outOfRange += 1;
      if (message.position < state.position) {
        state.errors.push(`replay_complete position ${message.position} < subscribed ${state.position}`);
      }
      process.send({ type: 'replay-complete', ...summary() });
      break;
    case 'gap':
      state.gaps.push({
        from: message.from_sequence,
        to: message.to_sequence,
        dropped: message.dropped,
        duringReplay: state.completeUs === null,
      });
      break;
    case 'error':
      state.errors.push(`${message.code}: ${message.message}`);
      break;
    default:
      // pong, closing and the like: nothing to count.
      break;
  }
}

/** Opens a connection and resolves when its `welcome` arrived. */
function open(url, token, handlers) {
  return new Promise((resolve, reject) => {
    const headers = token ? { authorization: `Bearer ${token}` } : {};
    const ws = new RawWebSocket(
      url,
      {
        onOpen: () => {},
        onText: (buf, start, end) => handlers.onText(ws, buf, start, end, resolve),
        onClose: (code) => handlers.onClose(code),
        onError: reject,
      },
      headers,
    );
  });
}

/** The log's head: the `position` of a live subscription on a throw-away connection. */
async function probeHead(url, token) {
  let done;
  const head = new Promise((resolve, reject) => {
    done = { resolve, reject };
    setTimeout(() => reject(new Error('probe: no subscribed within 10 s')), 10_000).unref();
  });
  const ws = await open(url, token, {
    onText: (ws, buf, start, end, opened) => {
      if (isEvent(buf, start, end)) return;
      const message = JSON.parse(buf.toString('utf8', start, end));
      if (message.type === 'welcome') opened(ws);
      else if (message.type === 'subscribed') done.resolve(message.position);
      else if (message.type === 'error') done.reject(new Error(`probe: ${message.code}`));
    },
    onClose: () => {},
  });
  ws.send(JSON.stringify({ type: 'subscribe', subscription_id: 'probe', filters: {} }));
  try {
    return await head;
  } finally {
    ws.terminate();
  }
}

async function replay({ url, backlog, filters, token }) {
  state.head = await probeHead(url, token);
  state.resumeFrom = Math.max(0, state.head - backlog);
  socket = await open(url, token, {
    onText: (ws, buf, start, end, opened) => {
      if (socket === null) {
        // Before the welcome: nothing else is expected.
        const message = JSON.parse(buf.toString('utf8', start, end));
        if (message.type === 'welcome') opened(ws);
        return;
      }
      onText(buf, start, end);
    },
    onClose: (code) => {
      state.closeCode = code;
      if (closing || state.completeUs !== null) return;
      // Closed before replay_complete (a slow consumer, 4008, say): the replay ends there, and that is the result.
      state.abortedUs = nowUs();
      process.send({ type: 'replay-complete', ...summary() });
    },
  });
  state.subscribeUs = nowUs();
  process.send({
    type: 'subscribing',
    resumeFrom: state.resumeFrom,
    head: state.head,
    subscribeUs: state.subscribeUs,
  });
  socket.send(
    JSON.stringify({ type: 'subscribe', subscription_id: 'replay', filters, resume_from: state.resumeFrom }),
  );
}

function summary() {
  const { perSlice, ...rest } = state;
  return {
    ...rest,
    replaySlices: perSlice,
    sliceUs: SLICE_US,
    replayUs: (state.completeUs ?? state.abortedUs ?? nowUs()) - state.subscribeUs,
  };
}

process.on('message', (message) => {
  switch (message.cmd) {
    case 'head':
      probeHead(message.url, message.token).then(
        (position) => process.send({ type: 'head', position }),
        (error) => fail(String(error?.stack ?? error)),
      );
      break;
    case 'replay':
      replay(message).catch((error) => fail(String(error?.stack ?? error)));
      break;
    case 'finish':
      process.send({ type: 'result', ...summary() });
      break;
    case 'close':
      closing = true;
      socket?.terminate();
      setTimeout(() => process.exit(0), 50);
      break;
    default:
      fail(`unknown command ${message.cmd}`);
  }
});

process.on('disconnect', () => process.exit(0));
