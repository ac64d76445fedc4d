'use strict';
// Benchmark: the service against ../shared/anchors/limit (plain Fastify + better-sqlite3),
// measured in the same run on the same machine, so that the ratios travel.
//
//   npm run bench                      (builds first)
//   BENCH_DURATION=10 BENCH_CONNECTIONS=32 BENCH_LIST_ROWS=100000 node bench/bench.js
//   BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test npm run bench
//     also runs the service on PostgreSQL (a fresh database `ingestion_bench`, created from
//     that maintenance database and dropped at the end), as `service-pg`.
//   BENCH_EXPORTS=4 BENCH_EXPORT_ROWS=100000: POST /ingest again on a fresh database, idle and
//     then while that many full exports of that many rows stream to a fast reader (another
//     process), on every server; 0 leaves the scenario out.
//   BENCH_NATS=1 (default; 0 leaves it out): POST /ingest and batches on a fresh database without
//     and with NATS_URL (a nats-server of the bench's own, JetStream in .bench/nats), back to back;
//     the latency from each 201 to its message in JetStream under that load; and the relay's rate
//     when it catches up on a backlog of BENCH_BACKLOG_ROWS (100000) records.
//   BENCH_AUTH=1 (default; 0 leaves it out): POST /ingest and GET /ingest/<id> on two fresh
//     databases, one open (no key) and one with a partner key sent as `Authorization: Bearer`
//     (rate limit on, high enough never to refuse), in alternating rounds; the ratio is the cost
//     of authentication and rate limiting per request.
//   BENCH_BASELINE=<a built checkout>: its dist/main.js is measured beside the service in the NATS
//     scenario (without NATS_URL), e.g. the commit before a change.
//   BENCH_STREAM=1 (default; 0 leaves it out): the live feed, GET /ingest/stream, on fresh databases.
//     POST /ingest without and with BENCH_STREAM_CLIENTS (200) connected stream clients, in
//     BENCH_STREAM_ROUNDS (2) alternating rounds, with the CPU seconds per request of the service;
//     the latency from each 201 to its event at every client, under an open-loop sender of
//     BENCH_STREAM_RATE (300) POST/s for BENCH_STREAM_LATENCY_SECONDS (10); then, on a service with
//     STREAM_MAX_LAG=BENCH_STREAM_MAX_LAG (1000), POST /ingest without and with
//     BENCH_STREAM_IDLE_CLIENTS (1000) idle clients (each filtered to a partner nobody writes) and
//     BENCH_STREAM_SLOW_CLIENTS (100) clients that read nothing after the `retry:` field: the service's
//     RSS and how many slow clients it dropped. Before that load, BENCH_STREAM_PREFILL (20000) records
//     are ingested in batches: a socket on loopback takes about 4 MB (24,000 events) before the
//     service sees a slow client fall behind, so without them the drop would come late or not at all.
//     The clients run in a child process of their own (bench/stream-clients.js), which parses every event.
//   BENCH_ONLY=stream (a comma-separated list of main, exports, nats, auth, stream): only those
//     scenarios; main is the table against the limit server (POST, GET by id, batches, lists).
//
// Each server gets a fresh SQLite file under .bench/. Rates are requests/s (mean of
// autocannon's per-second samples); latencies in ms.

const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const autocannon = require('autocannon');

const ROOT = path.resolve(__dirname, '..');
const WORK = path.join(ROOT, '.bench');
const ANCHOR_SOURCE = path.resolve(ROOT, process.env.BENCH_ANCHOR ?? '../shared/anchors/limit');
const ANCHOR = path.join(WORK, 'limit');
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const LIST_ROWS = Number(process.env.BENCH_LIST_ROWS ?? 100000);
const BATCH_SIZE = Number(process.env.BENCH_BATCH_SIZE ?? 1000);
const BATCH_CONNECTIONS = Number(process.env.BENCH_BATCH_CONNECTIONS ?? 4);
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL;
const EXPORTS = Number(process.env.BENCH_EXPORTS ?? 4);
const EXPORT_ROWS = Number(process.env.BENCH_EXPORT_ROWS ?? 100000);
const EXPORT_PARTNER = 'export';
const PG_BENCH_DB = 'ingestion_bench';
const NATS = process.env.BENCH_NATS !== '0';
const NATS_SERVER = process.env.BENCH_NATS_SERVER ?? '/usr/sbin/nats-server';
const NATS_PORT = 4333;
const NATS_URL = `nats://127.0.0.1:${NATS_PORT}`;
const BACKLOG_ROWS = Number(process.env.BENCH_BACKLOG_ROWS ?? 100000);
const BASELINE = process.env.BENCH_BASELINE;
const AUTH = process.env.BENCH_AUTH !== '0';
const AUTH_ROUNDS = Number(process.env.BENCH_AUTH_ROUNDS ?? 2);
const STREAM = process.env.BENCH_STREAM !== '0';
const STREAM_CLIENTS = Number(process.env.BENCH_STREAM_CLIENTS ?? 200);
const STREAM_ROUNDS = Number(process.env.BENCH_STREAM_ROUNDS ?? 2);
const STREAM_RATE = Number(process.env.BENCH_STREAM_RATE ?? 300);
const STREAM_LATENCY_SECONDS = Number(process.env.BENCH_STREAM_LATENCY_SECONDS ?? 10);
const STREAM_IDLE_CLIENTS = Number(process.env.BENCH_STREAM_IDLE_CLIENTS ?? 1000);
const STREAM_SLOW_CLIENTS = Number(process.env.BENCH_STREAM_SLOW_CLIENTS ?? 100);
const STREAM_MAX_LAG = process.env.BENCH_STREAM_MAX_LAG ?? '1000';
const STREAM_PREFILL = Number(process.env.BENCH_STREAM_PREFILL ?? 20000);
const ONLY = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',').map((name) => name.trim()) : undefined;
const PORTS = {
  service: 5002,
  'service-pg': 5004,
  'auth-open': 5005,
  'auth-keyed': 5006,
  'stream-service': 5007,
  'stream-slow': 5008,
};
const PAYLOAD = { event: 'order.created', order_id: 12345, amount: 99.5, currency: 'EUR', tags: ['a', 'b'] };

function prepareAnchor() {
  fs.mkdirSync(WORK, { recursive: true });
  if (!fs.existsSync(path.join(ANCHOR, 'node_modules', 'fastify'))) {
    fs.rmSync(ANCHOR, { recursive: true, force: true });
    fs.cpSync(ANCHOR_SOURCE, ANCHOR, { recursive: true });
    for (const file of fs.readdirSync(ANCHOR)) fs.chmodSync(path.join(ANCHOR, file), 0o644);
    fs.chmodSync(ANCHOR, 0o755);
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: ANCHOR, stdio: 'inherit' });
  }
}

function freshDb(file) {
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
  return file;
}

async function start(name, command, args, env, port) {
  const log = fs.openSync(path.join(WORK, `${name}.log`), 'w');
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', log, log] });
  const deadline = Date.now() + 30000;
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/ingest/all?limit=1`);
      // 401: the service requires API keys (the auth scenario), and it is up.
      if (response.ok || response.status === 401) break;
    } catch {
      /* not up yet */
    }
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`${name} did not start (see .bench/${name}.log)`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { name, port, child, url: `http://127.0.0.1:${port}` };
}

/** The limit server on an SQLite file. */
function startLimit(dbFile) {
  return start('limit', process.execPath, [path.join(ANCHOR, 'server.js'), '--port', '5003', '--db', dbFile], {}, 5003);
}

/** The built service (`dist/main.js`) on a database URL, on the port of its name in PORTS (5002 for others). */
function startService(name, databaseUrl, logLevel, env = {}, main = 'dist/main.js') {
  const port = PORTS[name] ?? 5002;
  return start(
    name,
    process.execPath,
    [main],
    { PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: databaseUrl, LOG_LEVEL: logLevel, NATS_URL: '', ...env },
    port,
  );
}

async function stop(server) {
  server.child.kill('SIGTERM');
  await new Promise((resolve) => server.child.once('exit', resolve));
}

function load(options) {
  return new Promise((resolve, reject) => {
    autocannon({ connections: CONNECTIONS, duration: DURATION, ...options }, (error, result) =>
      error ? reject(error) : resolve(result),
    );
  });
}

/** Whether a scenario runs: its own switch, and BENCH_ONLY if given. */
function selected(scenario, on = true) {
  return on && (!ONLY || ONLY.includes(scenario));
}

let clockTicks;
/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
function cpuSecondsOf(pid) {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // from field 3, state
  return (Number(fields[11]) + Number(fields[12])) / clockTicks; // utime, stime
}

/**
 * Warm-up, then the load measured. With `cpuOf` ({ name: pid }), the row also holds the CPU
 * seconds each of those processes used during the measured load, and the requests it made.
 */
async function measure(server, label, options, cpuOf) {
  await load({ ...options, url: server.url + options.path, duration: 2 }); // warm-up
  const before = cpuOf && Object.entries(cpuOf).map(([name, pid]) => [name, pid, cpuSecondsOf(pid)]);
  const result = await load({ ...options, url: server.url + options.path });
  const row = {
    server: server.name,
    route: label,
    rps: Math.round(result.requests.average),
    exactRps: result.requests.total / DURATION,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
  if (before) {
    row.requests = result.requests.total;
    row.cpuSeconds = Object.fromEntries(
      before.map(([name, pid, seconds]) => [name, +(cpuSecondsOf(pid) - seconds).toFixed(2)]),
    );
  }
  console.log(JSON.stringify(row));
  return row;
}

async function ingestOne(server, headers = {}) {
  const response = await fetch(`${server.url}/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ partner_id: 'bench', payload: PAYLOAD }),
  });
  return (await response.json()).id;
}

function seedRows(dbFile, rows, partnerOf = (i) => `p${i % 50}`) {
  // Both schemas share ingested_data(id, partner_id, timestamp, payload) with an ordering key.
  const Database = require('better-sqlite3');
  const db = new Database(dbFile);
  const insert = db.prepare('INSERT INTO ingested_data (id, partner_id, timestamp, payload) VALUES (?, ?, ?, ?)');
  const { v7 } = require('uuid');
  const json = JSON.stringify(PAYLOAD);
  db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(v7(), partnerOf(i), new Date().toISOString(), json);
  })();
  db.close();
}

function rssOf(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const peak = /VmHWM:\s+(\d+) kB/.exec(status);
  const current = /VmRSS:\s+(\d+) kB/.exec(status);
  return { peakMb: Math.round(Number(peak[1]) / 1024), rssMb: Math.round(Number(current[1]) / 1024) };
}

/** Runs `work` with a pg client on `url` (the maintenance database unless `database` is given). */
async function withPg(database, work) {
  const { Client } = require('pg');
  const url = new URL(POSTGRES_URL);
  if (database) url.pathname = `/${database}`;
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function pgUrl() {
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${PG_BENCH_DB}`;
  return url.toString();
}

async function freshPgDb() {
  await withPg(undefined, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${PG_BENCH_DB} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${PG_BENCH_DB}`);
  });
}

async function seedPg(rows) {
  const { v7 } = require('uuid');
  const json = JSON.stringify(PAYLOAD);
  await withPg(PG_BENCH_DB, async (client) => {
    const { rows: count } = await client.query('SELECT COUNT(*)::int AS n FROM ingested_data');
    for (let done = count[0].n; done < rows; done += 10000) {
      const n = Math.min(10000, rows - done);
      const ids = Array.from({ length: n }, () => v7());
      await client.query(
        `INSERT INTO ingested_data (id, partner_id, timestamp, payload)
         SELECT id, 'p' || (ord % 50), now(), $2::json FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, ord)`,
        [ids, json],
      );
    }
  });
}

/** `rows` more records of one partner in the bench's PostgreSQL database. */
async function seedPgPartner(rows, partnerId) {
  const { v7 } = require('uuid');
  const json = JSON.stringify(PAYLOAD);
  await withPg(PG_BENCH_DB, async (client) => {
    for (let done = 0; done < rows; done += 10000) {
      const ids = Array.from({ length: Math.min(10000, rows - done) }, () => v7());
      await client.query(
        `INSERT INTO ingested_data (id, partner_id, timestamp, payload)
         SELECT id, $2, now(), $3::json FROM unnest($1::uuid[]) AS t(id)`,
        [ids, partnerId, json],
      );
    }
  });
}

// Keeps `count` full exports streaming from `url` until SIGTERM, each read as fast as this
// process can and thrown away; then prints how many ended, how many were refused (503), how
// many failed, and the mean seconds of one.
const EXPORT_READERS = `
const http = require('node:http');
const [url, count] = process.argv.slice(1);
const stats = { completed: 0, refused: 0, failed: 0, seconds: 0 };
let stopping = false;
function next() {
  if (stopping) return;
  const started = Date.now();
  const again = (outcome) => { stats[outcome]++; setTimeout(next, outcome === 'completed' ? 0 : 50); };
  http.get(url, { agent: false }, (response) => {
    response.on('data', () => undefined);
    response.on('end', () => {
      if (response.statusCode !== 200) return again('refused');
      if (!response.complete) return again('failed');
      stats.seconds += (Date.now() - started) / 1000;
      again('completed');
    });
    response.on('error', () => again('failed'));
  }).on('error', () => again('failed'));
}
for (let i = 0; i < Number(count); i++) next();
process.on('SIGTERM', () => {
  stopping = true;
  process.stdout.write(JSON.stringify(stats) + '\\n', () => process.exit(0));
});
`;

function startExportReaders(url, count) {
  const child = spawn(process.execPath, ['-e', EXPORT_READERS, url, String(count)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (data) => (output += data));
  return {
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      const stats = JSON.parse(output);
      stats.seconds = stats.completed > 0 ? +(stats.seconds / stats.completed).toFixed(2) : null;
      return stats;
    },
  };
}

const INGEST_LOAD = {
  path: '/ingest',
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ partner_id: 'bench', payload: PAYLOAD }),
};

/**
 * POST /ingest on a server whose database holds EXPORT_ROWS records of one partner: idle,
 * then while EXPORTS full lists of that partner stream to a fast reader, started before the
 * warm-up and kept going (a new one as each ends) until the measurement is over.
 */
async function ingestWhileExporting(server) {
  const idle = await measure(server, 'POST /ingest (idle)', INGEST_LOAD);
  const readers = startExportReaders(`${server.url}/ingest/partner/${EXPORT_PARTNER}`, EXPORTS);
  let busy;
  try {
    busy = await measure(server, `POST /ingest while ${EXPORTS} exports stream`, INGEST_LOAD);
  } finally {
    busy = { ...busy, exports: await readers.stop() };
  }
  console.log(JSON.stringify({ server: server.name, exports: busy.exports }));
  return { server: server.name, idle, busy };
}

async function exportScenario() {
  const results = [];
  for (const [name, file] of [
    ['limit', path.join(WORK, 'limit-exports.db')],
    ['service', path.join(WORK, 'service-exports.sqlite')],
  ]) {
    freshDb(file);
    const server =
      name === 'limit'
        ? await startLimit(file)
        : await startService('service', `sqlite:${file}`, process.env.BENCH_LOG_LEVEL ?? 'info');
    try {
      seedRows(file, EXPORT_ROWS, () => EXPORT_PARTNER);
      results.push(await ingestWhileExporting(server));
    } finally {
      await stop(server);
    }
  }
  if (POSTGRES_URL) {
    await freshPgDb();
    const server = await startService('service-pg', pgUrl(), process.env.BENCH_LOG_LEVEL ?? 'info');
    try {
      await seedPgPartner(EXPORT_ROWS, EXPORT_PARTNER);
      results.push(await ingestWhileExporting(server));
    } finally {
      await stop(server);
    }
    await withPg(undefined, (client) => client.query(`DROP DATABASE IF EXISTS ${PG_BENCH_DB} WITH (FORCE)`));
  }
  return results;
}

async function listAll(server) {
  const before = rssOf(server.child.pid);
  const started = process.hrtime.bigint();
  const response = await fetch(`${server.url}/ingest/all`);
  const text = await response.text();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const after = rssOf(server.child.pid);
  const count = JSON.parse(text).length;
  const row = {
    server: server.name,
    route: `GET /ingest/all (${count} rows)`,
    seconds: +seconds.toFixed(2),
    rssBeforeMb: before.rssMb,
    peakRssMb: after.peakMb,
  };
  console.log(JSON.stringify(row));
  return row;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function startNatsServer() {
  const { connect } = require('nats');
  const store = path.join(WORK, 'nats');
  fs.rmSync(store, { recursive: true, force: true });
  const log = fs.openSync(path.join(WORK, 'nats-server.log'), 'w');
  const child = spawn(NATS_SERVER, ['-js', '-a', '127.0.0.1', '-p', String(NATS_PORT), '-sd', store], {
    stdio: ['ignore', log, log],
  });
  for (const deadline = Date.now() + 10000; ; await sleep(100)) {
    try {
      await (await connect({ servers: NATS_URL })).close();
      break;
    } catch (error) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`nats-server did not start: ${error}`);
    }
  }
  return {
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
    },
  };
}

async function streamMessages(nc, stream) {
  try {
    return (await (await nc.jetstreamManager()).streams.info(stream)).state.messages;
  } catch {
    return 0;
  }
}

/** Seconds from `since` until the stream holds `count` messages. */
async function waitForStream(nc, stream, count, since = Date.now(), timeoutMs = 600000) {
  while ((await streamMessages(nc, stream)) < count) {
    if (Date.now() - since > timeoutMs)
      throw new Error(`${stream}: fewer than ${count} messages after ${timeoutMs} ms`);
    await sleep(20);
  }
  return (Date.now() - since) / 1000;
}

function sqliteRows(file) {
  const Database = require('better-sqlite3');
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT COUNT(*) AS n FROM ingested_data').get().n;
  } finally {
    db.close();
  }
}

/**
 * Alongside a load: one POST /ingest of partner `probe` every 20 ms, and the time from its 201 to
 * its message on a subscription to the partner's subject (the server routes a JetStream publish to
 * subscribers as it stores it).
 */
function startLatencyProbe(server, nc) {
  const answered = new Map();
  const arrived = new Map();
  const subscription = nc.subscribe('ingestion.data-ingested.probe', {
    callback: (error, message) => {
      if (!error) arrived.set(message.headers?.get('Nats-Msg-Id'), performance.now());
    },
  });
  let running = true;
  const probing = (async () => {
    while (running) {
      const response = await fetch(`${server.url}/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ partner_id: 'probe', payload: PAYLOAD }),
      });
      const at = performance.now();
      if (response.status === 201) answered.set((await response.json()).id, at);
      await sleep(20);
    }
  })();
  return {
    async stop() {
      running = false;
      await probing;
      await sleep(1000);
      subscription.unsubscribe();
      const latencies = [...answered]
        .filter(([id]) => arrived.has(id))
        .map(([id, at]) => arrived.get(id) - at)
        .sort((a, b) => a - b);
      const at = (q) => +latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(1);
      return { probes: answered.size, delivered: latencies.length, p50: at(0.5), p99: at(0.99), max: at(1) };
    },
  };
}

/**
 * The service without and with NATS_URL on fresh databases, back to back: POST /ingest (with the
 * latency probe when NATS is on) and batches; then the relay catching up on a backlog.
 */
async function natsScenario() {
  const { connect } = require('nats');
  const broker = await startNatsServer();
  const nc = await connect({ servers: NATS_URL });
  const logLevel = process.env.BENCH_LOG_LEVEL ?? 'info';
  const batchLoad = {
    path: '/ingest/batch',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      records: Array.from({ length: BATCH_SIZE }, (_, i) => ({ partner_id: `p${i % 10}`, payload: PAYLOAD })),
    }),
    connections: BATCH_CONNECTIONS,
  };
  const variants = [
    ['service', {}],
    ['service-nats', { NATS_URL, NATS_STREAM: 'BENCH' }],
  ];
  if (BASELINE) variants.unshift(['baseline', {}, path.join(path.resolve(BASELINE), 'dist/main.js')]);
  const results = { variants: [] };
  try {
    for (const [name, env, main] of variants) {
      const file = freshDb(path.join(WORK, `${name}-delivery.sqlite`));
      const server = await startService(name, `sqlite:${file}`, logLevel, env, main);
      try {
        const probe = env.NATS_URL ? startLatencyProbe(server, nc) : undefined;
        const single = await measure(server, 'POST /ingest', INGEST_LOAD);
        const latency = probe ? await probe.stop() : undefined;
        const batch = await measure(server, 'POST /ingest/batch', batchLoad);
        const finished = Date.now();
        const delivered = env.NATS_URL ? await waitForStream(nc, 'BENCH', sqliteRows(file), finished) : undefined;
        const variant = { name, single, batch, latency, deliveredSecondsAfterLoad: delivered };
        if (latency) console.log(JSON.stringify({ server: name, latency, deliveredSecondsAfterLoad: delivered }));
        results.variants.push(variant);
      } finally {
        await stop(server);
      }
    }
    await (await nc.jetstreamManager()).streams.delete('BENCH');

    const file = freshDb(path.join(WORK, 'backlog.sqlite'));
    await stop(await startService('service', `sqlite:${file}`, 'warn'));
    seedRows(file, BACKLOG_ROWS);
    const started = Date.now();
    const server = await startService('service-nats', `sqlite:${file}`, 'warn', { NATS_URL, NATS_STREAM: 'BACKLOG' });
    try {
      const seconds = await waitForStream(nc, 'BACKLOG', BACKLOG_ROWS, started);
      results.backlog = { rows: BACKLOG_ROWS, seconds, perSecond: Math.round(BACKLOG_ROWS / seconds) };
      console.log(JSON.stringify({ server: 'service-nats', backlog: results.backlog }));
    } finally {
      await stop(server);
    }
  } finally {
    await nc.close();
    await broker.stop();
  }
  return results;
}

/** The same loads on an open service and on one that requires a key, in alternating rounds. */
async function authScenario() {
  const logLevel = process.env.BENCH_LOG_LEVEL ?? 'info';
  const openFile = freshDb(path.join(WORK, 'auth-open.sqlite'));
  const keyedFile = freshDb(path.join(WORK, 'auth-keyed.sqlite'));
  const output = execFileSync(process.execPath, ['dist/keys.js', 'create', '--partner', 'bench', '--name', 'bench'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: `sqlite:${keyedFile}`, LOG_LEVEL: 'warn' },
  });
  const { key } = JSON.parse(output.toString().trim().split('\n').pop());
  const limits = { RATE_LIMIT_PER_SECOND: '100000000', RATE_LIMIT_BURST: '100000000' };
  const open = await startService('auth-open', `sqlite:${openFile}`, logLevel, limits);
  const keyed = await startService('auth-keyed', `sqlite:${keyedFile}`, logLevel, limits);
  const variants = [
    { server: open, headers: {} },
    { server: keyed, headers: { authorization: `Bearer ${key}` } },
  ];
  const totals = new Map();
  const add = (server, route, row) => {
    const id = `${server.name} ${route}`;
    totals.set(id, [...(totals.get(id) ?? []), row.exactRps]);
  };
  try {
    for (const variant of variants) variant.id = await ingestOne(variant.server, variant.headers);
    for (let round = 0; round < AUTH_ROUNDS; round++) {
      const order = round % 2 === 0 ? variants : [...variants].reverse();
      for (const { server, headers } of order) {
        const row = await measure(server, 'POST /ingest', {
          ...INGEST_LOAD,
          headers: { ...INGEST_LOAD.headers, ...headers },
        });
        add(server, 'POST /ingest', row);
      }
      for (const { server, headers, id } of order) {
        add(server, 'GET /ingest/:id', await measure(server, 'GET /ingest/:id', { path: `/ingest/${id}`, headers }));
      }
    }
  } finally {
    await Promise.all([stop(open), stop(keyed)]);
  }
  return ['POST /ingest', 'GET /ingest/:id'].map((route) => {
    const openRps = mean(totals.get(`auth-open ${route}`));
    const keyedRps = mean(totals.get(`auth-keyed ${route}`));
    return { route, openRps: Math.round(openRps), keyedRps: Math.round(keyedRps), ratio: keyedRps / openRps };
  });
}

/** The stream clients' process (bench/stream-clients.js), driven over IPC: `call(cmd, args)` answers. */
function startStreamClients() {
  const { fork } = require('node:child_process');
  const child = fork(path.join(__dirname, 'stream-clients.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map();
  let seq = 0;
  child.on('message', ({ seq: answered, ...message }) => {
    waiting.get(answered)?.resolve(message);
    waiting.delete(answered);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  exited.then((code) => {
    for (const { reject } of waiting.values()) reject(new Error(`stream clients exited (${code})`));
  });
  return {
    pid: child.pid,
    call(cmd, args = {}) {
      return new Promise((resolve, reject) => {
        waiting.set(++seq, { resolve, reject });
        child.send({ ...args, cmd, seq });
      });
    },
    async stop() {
      if (child.connected) child.disconnect();
      await exited;
    },
  };
}

/**
 * The stream figures of GET /metrics (null where absent), and the V8 heap's in MB (in results.json
 * only: garbage not yet collected counts as used).
 */
async function streamMetrics(server) {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const value = (pattern) => {
    const match = pattern.exec(text);
    return match ? Number(match[1]) : null;
  };
  return {
    clients: value(/^stream_clients(?:\{[^}]*\})? (\S+)$/m),
    eventsSent: value(/^stream_events_sent_total(?:\{[^}]*\})? (\S+)$/m),
    droppedLag: value(/^stream_clients_dropped_total\{[^}]*reason="lag"[^}]*\} (\S+)$/m),
    heapUsedMb: Math.round(value(/^nodejs_heap_size_used_bytes (\S+)$/m) / 1048576),
    externalMb: Math.round(value(/^nodejs_external_memory_bytes (\S+)$/m) / 1048576),
  };
}

/**
 * POST /ingest at a fixed rate (open loop: each request leaves on schedule whether or not the
 * ones before it were answered), for `seconds`. Returns [id, ms] per 201, ms being the
 * process.hrtime (a clock every process of the machine shares) at which its response arrived.
 */
async function openLoopIngest(server, rate, seconds) {
  const http = require('node:http');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const body = JSON.stringify({ partner_id: 'bench', payload: PAYLOAD });
  const answered = [];
  const postLatencies = [];
  let sent = 0;
  let failed = 0;
  const post = () =>
    new Promise((resolve) => {
      const started = process.hrtime.bigint();
      const request = http.request(
        `${server.url}/ingest`,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
        (response) => {
          const at = Number(process.hrtime.bigint()) / 1e6;
          postLatencies.push(Number(process.hrtime.bigint() - started) / 1e6);
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk) => (text += chunk));
          response.on('end', () => {
            if (response.statusCode === 201) answered.push([JSON.parse(text).id, at]);
            else failed++;
            resolve();
          });
        },
      );
      request.on('error', () => {
        failed++;
        resolve();
      });
      request.end(body);
    });
  const started = performance.now();
  const interval = 1000 / rate;
  const inFlight = new Set();
  while (performance.now() - started < seconds * 1000) {
    const due = started + sent * interval;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    sent++;
    const request = post().then(() => inFlight.delete(request));
    inFlight.add(request);
  }
  const elapsed = (performance.now() - started) / 1000;
  await Promise.all(inFlight);
  agent.destroy();
  postLatencies.sort((a, b) => a - b);
  const at = (q) => +postLatencies[Math.min(postLatencies.length - 1, Math.floor(q * postLatencies.length))].toFixed(1);
  return {
    answered,
    sent,
    failed,
    rate: Math.round(sent / elapsed),
    postP50: at(0.5),
    postP99: at(0.99),
  };
}

/** `records` records of partner bench, in batches of BATCH_SIZE. */
async function ingestBatches(server, records) {
  const body = JSON.stringify({
    records: Array.from({ length: BATCH_SIZE }, () => ({ partner_id: 'bench', payload: PAYLOAD })),
  });
  for (let done = 0; done < records; done += BATCH_SIZE) {
    const response = await fetch(`${server.url}/ingest/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    await response.arrayBuffer();
    if (response.status !== 201) throw new Error(`POST /ingest/batch: ${response.status}`);
  }
}

/** The rows of an SQLite file once none has been added for 100 ms (a load's last requests may be in flight). */
async function settledRows(file) {
  for (let rows = sqliteRows(file); ;) {
    await sleep(100);
    const now = sqliteRows(file);
    if (now === rows) return rows;
    rows = now;
  }
}

/** RSS of `pid` every 250 ms until stopped: the highest seen. */
function sampleRss(pid) {
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, rssOf(pid).rssMb)), 250);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssOf(pid).rssMb);
    },
  };
}

const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;
const cpuPerRequestUs = (rows, name) =>
  Math.round(
    (1e6 * rows.reduce((sum, row) => sum + row.cpuSeconds[name], 0)) / rows.reduce((sum, row) => sum + row.requests, 0),
  );

/**
 * The live feed on fresh SQLite databases. 1: POST /ingest without and with STREAM_CLIENTS
 * clients reading every event, in alternating rounds; each round with clients ends with a marker
 * record, and counts how long after the load every client had it and how many events each got.
 * 2: the latency from 201 to the event at every one of those clients, at STREAM_RATE POST/s.
 * 3: on a service with STREAM_MAX_LAG lowered, POST /ingest without and with idle and slow clients.
 */
async function streamScenario() {
  const logLevel = process.env.BENCH_LOG_LEVEL ?? 'info';
  const clients = startStreamClients();
  const result = {};
  try {
    const file = freshDb(path.join(WORK, 'stream.sqlite'));
    const server = await startService('stream-service', `sqlite:${file}`, logLevel);
    const streamUrl = `${server.url}/ingest/stream`;
    const cpuOf = { service: server.child.pid, clients: clients.pid, bench: process.pid };
    const without = [];
    const withClients = [];
    try {
      for (let round = 0; round < STREAM_ROUNDS; round++) {
        for (const connected of round % 2 === 0 ? [false, true] : [true, false]) {
          if (!connected) {
            without.push(await measure(server, 'POST /ingest (no stream clients)', INGEST_LOAD, cpuOf));
            continue;
          }
          const rowsBefore = await settledRows(file);
          const connect = await clients.call('connect', { group: 'feed', url: streamUrl, count: STREAM_CLIENTS });
          const row = await measure(server, `POST /ingest with ${STREAM_CLIENTS} stream clients`, INGEST_LOAD, cpuOf);
          const atEnd = await clients.call('stats', { group: 'feed' });
          const behindAtEnd = sqliteRows(file) - rowsBefore - atEnd.minEvents;
          await settledRows(file);
          const marker = await ingestOne(server);
          const drained = await clients.call('waitLast', { group: 'feed', id: marker, timeoutMs: 30000 });
          const expected = sqliteRows(file) - rowsBefore;
          const stats = await clients.call('close', { group: 'feed' });
          row.stream = {
            connected: connect.outcomes.ok ?? 0,
            connectMs: connect.ms,
            behindAtEnd,
            expectedEvents: expected,
            minEvents: stats.minEvents,
            maxEvents: stats.maxEvents,
            drainedMs: drained.ms,
            behindAtTimeout: drained.behind,
            closedByServer: stats.closed,
            refused: stats.refused,
            connectErrors: stats.connectErrors,
            wrongType: stats.wrongType,
            badData: stats.badData,
            jsonChecked: stats.jsonParsed,
            megabytes: Math.round(stats.bytes / 1048576),
            eventsPerRead: +(stats.events / stats.chunks).toFixed(1),
          };
          console.log(JSON.stringify({ server: server.name, stream: row.stream }));
          withClients.push(row);
        }
      }
      if (STREAM_ROUNDS > 0)
        result.ingest = {
          clients: STREAM_CLIENTS,
          rounds: STREAM_ROUNDS,
          withoutRps: Math.round(mean(without.map((row) => row.exactRps))),
          withRps: Math.round(mean(withClients.map((row) => row.exactRps))),
          ratio: mean(withClients.map((row) => row.exactRps)) / mean(without.map((row) => row.exactRps)),
          withoutP99: Math.max(...without.map((row) => row.p99)),
          withP99: Math.max(...withClients.map((row) => row.p99)),
          cpuUsPerRequest: {
            without: cpuPerRequestUs(without, 'service'),
            with: cpuPerRequestUs(withClients, 'service'),
          },
          cpuShare: {
            // CPU seconds per second of load, of each process (2 cores: at most 2 in all)
            without: Object.fromEntries(
              Object.keys(cpuOf).map((name) => [
                name,
                +(mean(without.map((r) => r.cpuSeconds[name])) / DURATION).toFixed(2),
              ]),
            ),
            with: Object.fromEntries(
              Object.keys(cpuOf).map((name) => [
                name,
                +(mean(withClients.map((r) => r.cpuSeconds[name])) / DURATION).toFixed(2),
              ]),
            ),
          },
          runs: [...without, ...withClients],
        };

      // 2: latency under a modest open-loop load, at every client.
      await settledRows(file);
      const connect = await clients.call('connect', { group: 'feed', url: streamUrl, count: STREAM_CLIENTS });
      await clients.call('record', { on: true, group: 'feed' });
      const sender = await openLoopIngest(server, STREAM_RATE, STREAM_LATENCY_SECONDS);
      const marker = await ingestOne(server);
      const drained = await clients.call('waitLast', { group: 'feed', id: marker, timeoutMs: 30000 });
      const latency = await clients.call('latency', { sent: sender.answered });
      const stats = await clients.call('close', { group: 'feed' });
      const { answered, ...senderFigures } = sender;
      result.latency = {
        ...latency,
        connected: connect.outcomes.ok ?? 0,
        sender: { ...senderFigures, answered: answered.length },
        closedByServer: stats.closed,
        behindAtTimeout: drained.behind,
      };
      console.log(JSON.stringify({ server: server.name, latency: result.latency }));
    } finally {
      await stop(server);
    }

    // 3: idle and slow clients on a service that drops a client STREAM_MAX_LAG events behind.
    const slowFile = freshDb(path.join(WORK, 'stream-slow.sqlite'));
    const settings = {
      STREAM_MAX_LAG,
      STREAM_MAX_CLIENTS: String(STREAM_IDLE_CLIENTS + STREAM_SLOW_CLIENTS + 10),
    };
    const slow = await startService('stream-slow', `sqlite:${slowFile}`, logLevel, settings);
    const slowCpu = { service: slow.child.pid, clients: clients.pid, bench: process.pid };
    try {
      const rss = { atStart: rssOf(slow.child.pid).rssMb };
      const idle = await measure(slow, 'POST /ingest (no stream clients)', INGEST_LOAD, slowCpu);
      rss.beforeClients = rssOf(slow.child.pid).rssMb;
      const metricsBefore = await streamMetrics(slow);
      const idleConnect = await clients.call('connect', {
        group: 'idle',
        url: `${slow.url}/ingest/stream?partner_id=idle-`,
        urlOf: 'suffix',
        count: STREAM_IDLE_CLIENTS,
      });
      const slowConnect = await clients.call('connect', {
        group: 'slow',
        url: `${slow.url}/ingest/stream`,
        count: STREAM_SLOW_CLIENTS,
        paused: true,
      });
      rss.connected = rssOf(slow.child.pid).rssMb;
      const metricsConnected = await streamMetrics(slow);
      const sampler = sampleRss(slow.child.pid);
      await ingestBatches(slow, STREAM_PREFILL);
      rss.prefilled = rssOf(slow.child.pid).rssMb;
      const metricsPrefilled = await streamMetrics(slow);
      const busy = await measure(
        slow,
        `POST /ingest with ${STREAM_IDLE_CLIENTS} idle + ${STREAM_SLOW_CLIENTS} slow stream clients`,
        INGEST_LOAD,
        slowCpu,
      );
      rss.peakDuringLoad = sampler.stop();
      rss.afterLoad = rssOf(slow.child.pid).rssMb;
      const metricsAfterLoad = await streamMetrics(slow);
      await sleep(2000);
      rss.twoSecondsLater = rssOf(slow.child.pid).rssMb;
      const metricsLater = await streamMetrics(slow);
      // A dropped slow client reads what its socket still holds, then the end of the stream.
      const resumed = await clients.call('resume', { group: 'slow', waitMs: 1000 });
      const idleStats = await clients.call('close', { group: 'idle' });
      const slowStats = await clients.call('close', { group: 'slow' });
      await sleep(2000);
      rss.afterClose = rssOf(slow.child.pid).rssMb;
      const metricsAfterClose = await streamMetrics(slow);
      result.idleSlow = {
        idleClients: STREAM_IDLE_CLIENTS,
        slowClients: STREAM_SLOW_CLIENTS,
        prefill: STREAM_PREFILL,
        settings,
        withoutRps: Math.round(idle.exactRps),
        withRps: Math.round(busy.exactRps),
        ratio: busy.exactRps / idle.exactRps,
        withoutP99: idle.p99,
        withP99: busy.p99,
        cpuUsPerRequest: {
          without: cpuPerRequestUs([idle], 'service'),
          with: cpuPerRequestUs([busy], 'service'),
        },
        rssMb: rss,
        connected: { idle: idleConnect.outcomes, slow: slowConnect.outcomes, idleMs: idleConnect.ms },
        slowClosedAfterResume: resumed.closed,
        slowEventsRead: slowStats.events,
        idleEvents: idleStats.events,
        idleClosedByServer: idleStats.closed,
        idleHeartbeats: idleStats.heartbeats,
        metrics: {
          before: metricsBefore,
          connected: metricsConnected,
          prefilled: metricsPrefilled,
          afterLoad: metricsAfterLoad,
          twoSecondsLater: metricsLater,
          afterClose: metricsAfterClose,
        },
        droppedLag:
          metricsAfterClose.droppedLag === null ? null : metricsAfterClose.droppedLag - (metricsBefore.droppedLag ?? 0),
        runs: [idle, busy],
      };
      console.log(JSON.stringify({ server: slow.name, idleSlow: { ...result.idleSlow, runs: undefined } }));
    } finally {
      await stop(slow);
    }
  } finally {
    await clients.stop();
  }
  return result;
}

function reportStream({ ingest, latency, idleSlow }) {
  const errors = (rows) => rows.reduce((sum, row) => sum + row.errors, 0);
  console.log(
    `\nLive feed, GET /ingest/stream (SQLite, fresh databases; clients in a child process that parses every event)`,
  );
  if (ingest) {
    const runs = ingest.runs.filter((row) => row.stream);
    const all = (key) => runs.map((row) => row.stream[key]);
    const complete = runs.every(
      (row) => row.stream.minEvents === row.stream.expectedEvents && row.stream.maxEvents === row.stream.expectedEvents,
    );
    console.log(
      `POST /ingest (${ingest.rounds} alternating rounds) without clients ${String(ingest.withoutRps).padStart(6)} req/s p99 ${ingest.withoutP99} ms, ${ingest.cpuUsPerRequest.without} µs CPU/req | with ${ingest.clients} stream clients ${String(ingest.withRps).padStart(6)} req/s p99 ${ingest.withP99} ms, ${ingest.cpuUsPerRequest.with} µs CPU/req | ratio ${ingest.ratio.toFixed(2)} (target ≥ 0.8)` +
        (errors(ingest.runs) > 0 ? ` | errors ${errors(ingest.runs)}` : ''),
    );
    console.log(
      `  events per client ${complete ? 'all' : 'NOT all'} of the records ingested while connected (${all('expectedEvents').join(', ')}; min ${Math.min(...all('minEvents'))}); the slowest client ${all('behindAtEnd').join(', ')} events behind when the load ended, and had the marker ${all('drainedMs').join(', ')} ms after its 201; closed by the server ${all('closedByServer').join(', ')}; CPU s/s with clients: service ${ingest.cpuShare.with.service}, clients ${ingest.cpuShare.with.clients}, autocannon ${ingest.cpuShare.with.bench} (without: service ${ingest.cpuShare.without.service}, autocannon ${ingest.cpuShare.without.bench})`,
    );
  }
  if (latency) {
    console.log(
      `201 → event at a client (${latency.sender.rate} POST/s open loop, ${latency.clients} clients, each measured): p50 ${latency.p50} ms, p99 ${latency.p99} ms, max ${latency.max} ms (${latency.samples} deliveries, ${latency.missing} missing); the POSTs p50 ${latency.sender.postP50} ms, p99 ${latency.sender.postP99} ms, ${latency.sender.failed} failed`,
    );
  }
  if (idleSlow) {
    const { rssMb: rss } = idleSlow;
    console.log(
      `POST /ingest with ${idleSlow.idleClients} idle + ${idleSlow.slowClients} slow clients (STREAM_MAX_LAG=${idleSlow.settings.STREAM_MAX_LAG}, STREAM_MAX_CLIENTS=${idleSlow.settings.STREAM_MAX_CLIENTS}): without ${idleSlow.withoutRps} req/s p99 ${idleSlow.withoutP99} ms | with ${idleSlow.withRps} req/s p99 ${idleSlow.withP99} ms | ratio ${idleSlow.ratio.toFixed(2)} | ${idleSlow.cpuUsPerRequest.without} / ${idleSlow.cpuUsPerRequest.with} µs CPU/req` +
        (errors(idleSlow.runs) > 0 ? ` | errors ${errors(idleSlow.runs)}` : ''),
    );
    console.log(
      `  service RSS ${rss.atStart} MB at start, ${rss.beforeClients} MB after the load without clients, ${rss.connected} MB with the clients connected, ${rss.prefilled} MB after ${idleSlow.prefill} records in batches, peak ${rss.peakDuringLoad} MB during the load, ${rss.afterLoad} MB after it, ${rss.twoSecondsLater} MB 2 s later, ${rss.afterClose} MB after the clients closed`,
    );
    const { metrics } = idleSlow;
    console.log(
      `  slow clients dropped for lag ${idleSlow.droppedLag ?? '?'} of ${idleSlow.slowClients} (metric; ${metrics.prefilled.droppedLag ?? '?'} after the batches, ${metrics.afterLoad.droppedLag ?? '?'} after the load), ${idleSlow.slowClosedAfterResume} streams ended when read again; idle clients: ${idleSlow.idleEvents} events, closed by the server ${idleSlow.idleClosedByServer}`,
    );
  }
}

function reportNats({ variants, backlog }) {
  const by = (name) => variants.find((variant) => variant.name === name);
  const plain = by('service');
  const nats = by('service-nats');
  const baseline = by('baseline');
  const records = (variant, route) =>
    route === 'single' ? variant.single.exactRps : variant.batch.exactRps * BATCH_SIZE;
  console.log('\nDelivery to NATS JetStream (SQLite, fresh databases, back to back; records/s)');
  for (const route of ['single', 'batch']) {
    const label = route === 'single' ? 'POST /ingest' : `POST /ingest/batch (${BATCH_SIZE})`;
    let line = `${label.padEnd(26)} without NATS ${Math.round(records(plain, route))} | with NATS ${Math.round(records(nats, route))} | ratio ${(records(nats, route) / records(plain, route)).toFixed(2)}`;
    if (baseline)
      line += ` | baseline ${Math.round(records(baseline, route))}, without NATS / baseline ${(records(plain, route) / records(baseline, route)).toFixed(2)}`;
    console.log(line);
  }
  const { latency } = nats;
  console.log(
    `201 → message in JetStream under POST load: p50 ${latency.p50} ms, p99 ${latency.p99} ms, max ${latency.max} ms (${latency.delivered} of ${latency.probes} probes); backlog delivered ${nats.deliveredSecondsAfterLoad.toFixed(1)} s after the loads`,
  );
  console.log(
    `Relay catching up on ${backlog.rows} records: ${backlog.seconds.toFixed(1)} s from start = ${backlog.perSecond} messages/s`,
  );
}

/** The service against the limit server: POST, GET by id, batches, then full lists. */
async function limitScenario() {
  const limitDb = freshDb(path.join(WORK, 'limit.db'));
  const serviceDb = freshDb(path.join(WORK, 'service.sqlite'));
  const limit = await startLimit(limitDb);
  const service = await startService('service', `sqlite:${serviceDb}`, process.env.BENCH_LOG_LEVEL ?? 'info');
  const servers = [limit, service];
  if (POSTGRES_URL) {
    await freshPgDb();
    servers.push(await startService('service-pg', pgUrl(), process.env.BENCH_LOG_LEVEL ?? 'info'));
  }
  const services = servers.slice(1);
  const rows = [];
  try {
    const body = JSON.stringify({ partner_id: 'bench', payload: PAYLOAD });
    for (const server of servers) {
      rows.push(
        await measure(server, 'POST /ingest', {
          path: '/ingest',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        }),
      );
    }
    for (const server of servers) {
      const id = await ingestOne(server);
      rows.push(await measure(server, 'GET /ingest/:id', { path: `/ingest/${id}` }));
    }
    // Batches (the service only): records/s against the service's own single-record POST rate.
    const batch = JSON.stringify({
      records: Array.from({ length: BATCH_SIZE }, (_, i) => ({ partner_id: `p${i % 10}`, payload: PAYLOAD })),
    });
    for (const server of services) {
      rows.push(
        await measure(server, 'POST /ingest/batch', {
          path: '/ingest/batch',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: batch,
          connections: BATCH_CONNECTIONS,
        }),
      );
    }
  } finally {
    await Promise.all(servers.map(stop));
  }

  // Lists: the same number of rows in both files, then one full read each on a fresh start.
  const listRows = [];
  if (LIST_ROWS > 0) {
    for (const [file, name] of [
      [limitDb, 'limit'],
      [serviceDb, 'service'],
    ]) {
      const present = sqliteRows(file);
      if (present < LIST_ROWS) seedRows(file, LIST_ROWS - present);
      const server =
        name === 'limit' ? await startLimit(file) : await startService('service', `sqlite:${file}`, 'warn');
      try {
        listRows.push(await listAll(server));
      } finally {
        await stop(server);
      }
    }
    if (POSTGRES_URL) {
      await seedPg(LIST_ROWS);
      const server = await startService('service-pg', pgUrl(), 'warn');
      try {
        listRows.push(await listAll(server));
      } finally {
        await stop(server);
      }
      await withPg(undefined, (client) => client.query(`DROP DATABASE IF EXISTS ${PG_BENCH_DB} WITH (FORCE)`));
    }
  }
  return { rows, services, listRows };
}

async function main() {
  fs.mkdirSync(WORK, { recursive: true });
  const exporting = selected('exports', EXPORTS > 0 && EXPORT_ROWS > 0);
  if (selected('main') || exporting) prepareAnchor();
  const { rows, services, listRows } = selected('main')
    ? await limitScenario()
    : { rows: [], services: [], listRows: [] };
  const exportRows = exporting ? await exportScenario() : [];
  const delivery = selected('nats', NATS) ? await natsScenario() : undefined;
  const auth = selected('auth', AUTH) ? await authScenario() : undefined;
  const stream = selected('stream', STREAM) ? await streamScenario() : undefined;

  if (rows.length > 0) console.log('\nSame run, same machine; ratio = service / limit');
  for (const route of ['POST /ingest', 'GET /ingest/:id']) {
    const a = rows.find((r) => r.route === route && r.server === 'limit');
    for (const service of services) {
      const b = rows.find((r) => r.route === route && r.server === service.name);
      console.log(
        `${route.padEnd(18)} limit ${String(a.rps).padStart(6)} req/s p99 ${a.p99} ms | ${service.name} ${String(b.rps).padStart(6)} req/s p99 ${b.p99} ms | ratio ${(b.rps / a.rps).toFixed(2)}` +
          (a.errors + b.errors > 0 ? ` | errors limit ${a.errors} ${service.name} ${b.errors}` : ''),
      );
    }
  }
  for (const service of services) {
    const single = rows.find((r) => r.route === 'POST /ingest' && r.server === service.name);
    const batched = rows.find((r) => r.route === 'POST /ingest/batch' && r.server === service.name);
    console.log(
      `POST /ingest/batch ${service.name} (${BATCH_SIZE} records, ${BATCH_CONNECTIONS} connections): ${batched.exactRps.toFixed(1)} req/s = ${Math.round(batched.exactRps * BATCH_SIZE)} records/s, p99 ${batched.p99} ms | single POST ${Math.round(single.exactRps)} records/s | ${((batched.exactRps * BATCH_SIZE) / single.exactRps).toFixed(1)}x` +
        (batched.errors > 0 ? ` | errors ${batched.errors}` : ''),
    );
  }
  for (const row of listRows)
    console.log(
      `${row.route.padEnd(34)} ${row.server.padEnd(8)} ${row.seconds} s, RSS ${row.rssBeforeMb} MB before, peak ${row.peakRssMb} MB`,
    );
  if (exportRows.length > 0) {
    console.log(
      `\nPOST /ingest while ${EXPORTS} full exports of ${EXPORT_ROWS} rows stream (GET /ingest/partner/${EXPORT_PARTNER}, a fast reader); ratio = under exports / idle, same server, same run`,
    );
    for (const { server, idle, busy } of exportRows) {
      const { completed, refused, failed, seconds } = busy.exports;
      console.log(
        `${server.padEnd(10)} idle ${String(idle.rps).padStart(6)} req/s p99 ${String(idle.p99).padStart(3)} ms | under exports ${String(busy.rps).padStart(6)} req/s p99 ${String(busy.p99).padStart(4)} ms | ratio ${(busy.rps / idle.rps).toFixed(2)} | exports ended ${completed} (${seconds ?? '-'} s each), refused ${refused}, failed ${failed}` +
          (idle.errors + busy.errors > 0 ? ` | errors ${idle.errors} / ${busy.errors}` : ''),
      );
    }
  }
  if (delivery) reportNats(delivery);
  if (auth) {
    console.log(
      `\nAccess control (SQLite, fresh databases, ${AUTH_ROUNDS} alternating rounds); ratio = with a key / open`,
    );
    for (const { route, openRps, keyedRps, ratio } of auth) {
      console.log(
        `${route.padEnd(18)} open ${String(openRps).padStart(6)} req/s | with a key ${String(keyedRps).padStart(6)} req/s | ratio ${ratio.toFixed(2)}`,
      );
    }
  }
  if (stream) reportStream(stream);
  fs.writeFileSync(
    path.join(WORK, 'results.json'),
    JSON.stringify(
      {
        when: new Date().toISOString(),
        connections: CONNECTIONS,
        duration: DURATION,
        rows,
        listRows,
        exportRows,
        delivery,
        auth,
        stream,
      },
      null,
      2,
    ),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
