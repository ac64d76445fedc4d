'use strict';
// Stream clients for bench.js (the stream scenario), in a process of their own so that their
// parsing does not share an event loop with autocannon: bench.js forks this file and drives it
// over the IPC channel. Each client is a plain node:http GET of /ingest/stream on its own socket
// that parses the Server-Sent Events wire format line by line (fields event, data, id, retry,
// comments; an event is dispatched at its blank line), and counts what it gets.
//
// Messages from the parent, each answered with one message (with the `seq` it came with):
//   { cmd: 'connect', group, url, count, paused, urlOf? }  open `count` streams (url, or url + i
//       when urlOf is 'suffix'); answered once every one has parsed its `retry:` field (or failed).
//       paused: after that, the response and its socket are paused and never read again
//       (until `resume`).
//   { cmd: 'record', on, group }          keep the arrival time of every event at every open client
//       of the group.
//   { cmd: 'latency', sent: [[id, ms]] }  latencies from each 201 (process.hrtime, ms) to the event
//       at each client that recorded it; the recorded times are dropped.
//   { cmd: 'waitLast', group, id, timeoutMs }  until every open client of the group has `id` as its
//       last event id (the marker record written after a load).
//   { cmd: 'resume', group, waitMs }      resume paused clients; wait until none has closed for waitMs.
//   { cmd: 'stats', group }               counts of the group; the process's CPU seconds so far.
//   { cmd: 'close', group }               destroy the group's sockets.
//
// BENCH_STREAM_JSON=all parses the data JSON of every event at every client (default: at the
// first client of each group only, which also checks that data.id equals the id field).

const http = require('node:http');

const JSON_ALL = process.env.BENCH_STREAM_JSON === 'all';
const groups = new Map();
let recording = false;
/** id -> Float64Array of arrival times (ms, process.hrtime), one slot per recording client. */
const arrivals = new Map();
let recordingSlots = 0;

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * An incremental parser of the text/event-stream format (the WHATWG "event stream
 * interpretation"): lines end with LF, CRLF or CR; `:` starts a comment; a blank line dispatches.
 */
class SseParser {
  constructor(onEvent, onComment, onRetry) {
    this.onEvent = onEvent;
    this.onComment = onComment;
    this.onRetry = onRetry;
    this.rest = '';
    this.type = '';
    this.data = '';
    this.hasData = false;
    this.lastEventId = '';
  }

  push(chunk) {
    let text = this.rest.length > 0 ? this.rest + chunk : chunk;
    if (text.indexOf('\r') !== -1) {
      // A CR at the end may be the first half of a CRLF: keep it for the next chunk.
      const tail = text.endsWith('\r') ? '\r' : '';
      text = (tail ? text.slice(0, -1) : text).replace(/\r\n?/g, '\n');
      if (tail) {
        this.lineLoop(text);
        this.rest += tail;
        return;
      }
    }
    this.lineLoop(text);
  }

  lineLoop(text) {
    let start = 0;
    for (;;) {
      const end = text.indexOf('\n', start);
      if (end === -1) break;
      this.line(text, start, end);
      start = end + 1;
    }
    this.rest = start === text.length ? '' : text.slice(start);
  }

  line(text, start, end) {
    if (start === end) return this.dispatch();
    const first = text.charCodeAt(start);
    if (first === 58 /* : */) return this.onComment(text.slice(start + 1, end));
    let colon = text.indexOf(':', start);
    if (colon === -1 || colon > end) colon = end;
    const field = text.slice(start, colon);
    let valueStart = colon + 1;
    if (valueStart < end && text.charCodeAt(valueStart) === 32) valueStart++;
    const value = valueStart >= end ? '' : text.slice(valueStart, end);
    switch (field) {
      case 'data':
        this.data = this.hasData ? this.data + '\n' + value : value;
        this.hasData = true;
        break;
      case 'event':
        this.type = value;
        break;
      case 'id':
        if (value.indexOf('\0') === -1) this.lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.onRetry(Number(value));
        break;
      default:
        break; // ignored, as the format says
    }
  }

  dispatch() {
    const { hasData, data, type } = this;
    this.type = '';
    this.data = '';
    this.hasData = false;
    if (hasData) this.onEvent(type || 'message', data, this.lastEventId);
  }
}

function newGroup(name) {
  return {
    name,
    clients: [],
    connectErrors: 0,
    refused: {}, // status -> count
    closed: 0, // streams that ended or failed after they were established
    closedCleanly: 0,
    events: 0,
    wrongType: 0,
    badData: 0,
    jsonParsed: 0,
    heartbeats: 0,
    bytes: 0,
    chunks: 0, // reads from the sockets: events / chunks is how many events the server writes at once, at least
  };
}

function openClient(group, url, index, paused, onReady) {
  const client = { index, events: 0, lastId: '', open: false, closed: false, ready: false, slot: -1 };
  const verify = JSON_ALL || index === 0;
  const ready = (outcome) => {
    if (client.ready) return;
    client.ready = true;
    onReady(outcome);
  };
  const parser = new SseParser(
    (type, data, id) => {
      client.events++;
      group.events++;
      client.lastId = id;
      if (type !== 'data-ingested') group.wrongType++;
      if (verify) {
        group.jsonParsed++;
        try {
          if (JSON.parse(data).id !== id) group.badData++;
        } catch {
          group.badData++;
        }
      }
      if (recording && client.slot >= 0) {
        let times = arrivals.get(id);
        if (times === undefined) {
          times = new Float64Array(recordingSlots).fill(NaN);
          arrivals.set(id, times);
        }
        times[client.slot] = nowMs();
      }
    },
    (comment) => {
      if (comment.trim() === 'ping') group.heartbeats++;
    },
    () => {
      if (!client.open) return;
      ready('ok');
      if (paused) {
        client.response.pause();
        client.response.socket.pause();
      }
    },
  );
  const request = http.get(url, { agent: false, headers: { accept: 'text/event-stream' } }, (response) => {
    client.response = response;
    if (response.statusCode !== 200) {
      group.refused[response.statusCode] = (group.refused[response.statusCode] ?? 0) + 1;
      response.resume();
      ready('refused');
      return;
    }
    client.open = true;
    response.setEncoding('utf8');
    response.on('data', (chunk) => {
      group.bytes += chunk.length;
      group.chunks++;
      parser.push(chunk);
    });
    response.on('end', () => {
      if (response.complete) group.closedCleanly++;
    });
    response.on('error', () => undefined); // "aborted": counted on close
    response.on('close', () => {
      if (client.closed) return;
      client.closed = true;
      client.open = false;
      if (!client.destroyedByUs) group.closed++;
      ready('closed');
    });
  });
  request.on('error', () => {
    if (client.ready) return;
    group.connectErrors++;
    ready('error');
  });
  client.request = request;
  return client;
}

async function connect({ group: name, url, count, paused, urlOf }) {
  const group = groups.get(name) ?? newGroup(name);
  groups.set(name, group);
  const started = nowMs();
  const outcomes = {};
  await new Promise((resolve) => {
    let pending = count;
    if (pending === 0) resolve();
    // Opened in slices so that a thousand connects do not hit the listener's backlog at once.
    let next = 0;
    const openSome = () => {
      for (let n = 0; n < 50 && next < count; n++, next++) {
        const target = urlOf === 'suffix' ? url + next : url;
        const client = openClient(group, target, group.clients.length, paused, (outcome) => {
          outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
          if (--pending === 0) resolve();
        });
        group.clients.push(client);
      }
      if (next < count) setImmediate(openSome);
    };
    openSome();
  });
  return { outcomes, ms: Math.round(nowMs() - started) };
}

function stats({ group: name }) {
  const group = groups.get(name);
  const cpu = process.cpuUsage();
  const base = { cpuSeconds: (cpu.user + cpu.system) / 1e6, rssMb: Math.round(process.memoryUsage.rss() / 1048576) };
  if (!group) return base;
  const counts = group.clients.filter((c) => c.ready).map((c) => c.events);
  const { clients, ...rest } = group;
  return {
    ...base,
    ...rest,
    clients: clients.length,
    open: clients.filter((c) => c.open).length,
    minEvents: counts.length ? Math.min(...counts) : 0,
    maxEvents: counts.length ? Math.max(...counts) : 0,
  };
}

async function waitLast({ group: name, id, timeoutMs }) {
  const group = groups.get(name);
  const started = nowMs();
  for (;;) {
    const open = group.clients.filter((c) => c.open);
    const behind = open.filter((c) => c.lastId !== id).length;
    if (behind === 0) return { ms: Math.round(nowMs() - started), open: open.length, behind: 0 };
    if (nowMs() - started > timeoutMs) return { ms: Math.round(nowMs() - started), open: open.length, behind };
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function resume({ group: name, waitMs }) {
  const group = groups.get(name);
  for (const client of group.clients) {
    if (client.response && !client.response.destroyed) {
      client.response.socket?.resume();
      client.response.resume();
    }
  }
  // Until no stream has closed for waitMs (a dropped client reads what was buffered, then the end).
  let closed = -1;
  while (closed !== group.closed) {
    closed = group.closed;
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
  return { closed: group.closed };
}

function record({ on, group: name }) {
  recording = on;
  recordingSlots = 0;
  arrivals.clear();
  for (const group of groups.values())
    for (const client of group.clients) client.slot = on && group.name === name && client.open ? recordingSlots++ : -1;
  return { slots: recordingSlots };
}

function latency({ sent }) {
  const values = [];
  let missing = 0;
  for (const [id, at] of sent) {
    const times = arrivals.get(id);
    if (times === undefined) {
      missing += recordingSlots;
      continue;
    }
    for (const time of times) {
      if (Number.isNaN(time)) missing++;
      else values.push(time - at);
    }
  }
  recording = false;
  arrivals.clear();
  const sorted = Float64Array.from(values).sort();
  const at = (q) =>
    sorted.length ? +sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(1) : null;
  return {
    clients: recordingSlots,
    samples: sorted.length,
    missing,
    min: at(0),
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: sorted.length ? +sorted[sorted.length - 1].toFixed(1) : null,
  };
}

function close({ group: name }) {
  const group = groups.get(name);
  if (!group) return {};
  const result = stats({ group: name });
  for (const client of group.clients) {
    client.destroyedByUs = true;
    client.request.destroy();
  }
  groups.delete(name);
  return result;
}

const handlers = { connect, stats, waitLast, resume, record, latency, close };

process.on('message', async (message) => {
  const result = await handlers[message.cmd](message);
  process.send({ seq: message.seq, ...result });
});
process.on('disconnect', () => process.exit(0));

module.exports = { SseParser };
