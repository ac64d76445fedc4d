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
const PORTS = { service: 5002, 'service-pg': 5004, 'auth-open': 5005, 'auth-keyed': 5006 };
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

async function measure(server, label, options) {
  await load({ ...options, url: server.url + options.path, duration: 2 }); // warm-up
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
  const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;
  return ['POST /ingest', 'GET /ingest/:id'].map((route) => {
    const openRps = mean(totals.get(`auth-open ${route}`));
    const keyedRps = mean(totals.get(`auth-keyed ${route}`));
    return { route, openRps: Math.round(openRps), keyedRps: Math.round(keyedRps), ratio: keyedRps / openRps };
  });
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

async function main() {
  prepareAnchor();
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

  const exportRows = EXPORTS > 0 && EXPORT_ROWS > 0 ? await exportScenario() : [];
  const delivery = NATS ? await natsScenario() : undefined;
  const auth = AUTH ? await authScenario() : undefined;

  console.log('\nSame run, same machine; ratio = service / limit');
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
