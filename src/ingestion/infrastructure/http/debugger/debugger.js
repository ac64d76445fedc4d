'use strict';
/* global document, window, location, history, EventSource, requestAnimationFrame */

(() => {
  /** Rows kept on the page (and records held while paused): the page never grows without bound. */
  const MAX_ROWS = 500;
  const PARTNER_ID = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,63}$/;
  /** The data of an event ends with the payload exactly as stored: `…,"payload":<stored text>}`. */
  const PAYLOAD_MEMBER = ',"payload":';
  const MAX_RETRY_DELAY_MS = 15_000;
  const RESUME_FIELDS = ['after', 'Last-Event-ID'];

  const encoder = new TextEncoder();
  const timeFormat = new Intl.DateTimeFormat(undefined, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    fractionalSecondDigits: 3,
    hourCycle: 'h23',
  });

  const $ = (id) => document.getElementById(id);
  const ui = {
    status: $('status'),
    received: $('received'),
    shown: $('shown'),
    keyPanel: $('key-panel'),
    keyForm: $('key-form'),
    key: $('key'),
    keyMessage: $('key-message'),
    filterForm: $('filter-form'),
    partner: $('partner'),
    partnerError: $('partner-error'),
    pause: $('pause'),
    clear: $('clear'),
    forgetKey: $('forget-key'),
    message: $('message'),
    rows: $('rows'),
    empty: $('empty'),
    detailHint: $('detail-hint'),
    detailBody: $('detail-body'),
    detailId: $('detail-id'),
    detailPartner: $('detail-partner'),
    detailTimestamp: $('detail-timestamp'),
    detailSize: $('detail-size'),
    detailMessage: $('detail-message'),
    payload: $('payload'),
  };

  const state = {
    /** The API key, in this tab's memory only: never in a URL, never in storage. */
    key: null,
    partner: '',
    source: null,
    /** The last record of the current subscription: where a new connection resumes. */
    lastId: null,
    connection: 'connecting',
    paused: false,
    /** Records received and not yet drawn: held while paused, or until the next frame. */
    pending: [],
    newWhilePaused: 0,
    received: 0,
    retries: 0,
    retryTimer: 0,
    frame: 0,
    /** Bumped by every (re)connection, so that the answer of an earlier one is ignored. */
    generation: 0,
    selection: 0,
  };

  class KeyError extends Error {}

  class HttpError extends Error {
    constructor(status, detail, fields, retryAfter) {
      super(detail);
      this.status = status;
      this.fields = fields;
      this.retryAfter = retryAfter;
    }
  }

  const apiUrl = (path) => new URL(path, document.baseURI);
  const authorization = () => (state.key === null ? {} : { authorization: `Bearer ${state.key}` });

  function streamUrl(token, cursor) {
    const url = apiUrl('ingest/stream');
    url.searchParams.set('include', 'payload');
    if (state.partner !== '') url.searchParams.set('partner_id', state.partner);
    if (cursor !== null) url.searchParams.set('after', cursor);
    if (token !== null) url.searchParams.set('access_token', token);
    return url;
  }

  async function httpError(response) {
    let detail = `${response.status} ${response.statusText}`.trim();
    let fields = [];
    try {
      const problem = await response.json();
      if (typeof problem.detail === 'string') detail = `${response.status}: ${problem.detail}`;
      if (Array.isArray(problem.errors)) fields = problem.errors.map((error) => error.field);
    } catch {
      // Not problem+json: the status says enough.
    }
    const retryAfter = response.headers.get('retry-after');
    return new HttpError(response.status, detail, fields, retryAfter === null ? NaN : Number(retryAfter) * 1000);
  }

  /** A token for the stream URL, or null while access control is off. */
  async function streamToken() {
    const response = await fetch(apiUrl('ingest/stream/token'), {
      method: 'POST',
      headers: authorization(),
      cache: 'no-store',
    });
    if (response.status === 401) {
      throw new KeyError(
        state.key === null
          ? 'Access control is on: enter an API key.'
          : 'The key was refused: it is wrong, or it was revoked. Enter another one.',
      );
    }
    if (!response.ok) throw await httpError(response);
    const { token } = await response.json();
    return typeof token === 'string' ? token : null;
  }

  /** EventSource says only that it failed: the same request by fetch says why. */
  async function probe(url) {
    const controller = new AbortController();
    try {
      const response = await fetch(url, { signal: controller.signal, cache: 'no-store' });
      if (!response.ok) throw await httpError(response);
    } finally {
      controller.abort();
    }
  }

  async function connect(cursor, afterFailure) {
    const generation = ++state.generation;
    window.clearTimeout(state.retryTimer);
    closeSource();
    setConnection(afterFailure ? 'reconnecting' : 'connecting');
    try {
      const token = await streamToken();
      if (generation !== state.generation) return;
      const url = streamUrl(token, cursor);
      if (afterFailure) {
        await probe(url);
        if (generation !== state.generation) return;
      }
      open(url);
    } catch (error) {
      if (generation === state.generation) failed(error, cursor);
    }
  }

  function open(url) {
    const source = new EventSource(url);
    state.source = source;
    source.addEventListener('open', () => {
      state.retries = 0;
      showMessage('');
      setConnection('connected');
    });
    source.addEventListener('data-ingested', receive);
    source.addEventListener('error', () => {
      if (source !== state.source) return;
      // CONNECTING: the browser resumes by itself (Last-Event-ID). CLOSED: the server refused the reconnection,
      // e.g. the token had expired; a new token, and the cursor, so that nothing is missed. At once the first
      // time, later when it keeps failing without ever opening.
      if (source.readyState !== EventSource.CLOSED) setConnection('reconnecting');
      else if (state.retries === 0) {
        state.retries = 1;
        void connect(state.lastId, true);
      } else reconnectLater(nextRetryDelay());
    });
  }

  function closeSource() {
    state.source?.close();
    state.source = null;
  }

  function failed(error, cursor) {
    if (error instanceof KeyError) {
      state.key = null;
      showMessage('');
      ui.forgetKey.hidden = true;
      ui.keyPanel.hidden = false;
      ui.keyMessage.textContent = error.message;
      ui.key.focus();
      setConnection('closed');
      return;
    }
    if (error instanceof HttpError && error.status < 500 && error.status !== 429) {
      if (cursor !== null && error.status === 400 && error.fields.some((field) => RESUME_FIELDS.includes(field))) {
        // The server no longer knows the last record seen (another database?): go on from now.
        state.lastId = null;
        void connect(null, true);
        return;
      }
      showMessage(error.message);
      setConnection('closed');
      return;
    }
    const delay = Number.isFinite(error.retryAfter) ? error.retryAfter : nextRetryDelay();
    const reason = (error.message || 'The service does not answer').replace(/[.\s]*$/, '.');
    showMessage(`${reason} Trying again in ${Math.ceil(delay / 1000)} s.`);
    reconnectLater(delay);
  }

  function nextRetryDelay() {
    state.retries += 1;
    return Math.min(500 * 2 ** state.retries, MAX_RETRY_DELAY_MS);
  }

  function reconnectLater(delay) {
    closeSource();
    setConnection('reconnecting');
    state.retryTimer = window.setTimeout(() => void connect(state.lastId, true), delay);
  }

  function receive(event) {
    const record = parseRecord(event.data);
    state.lastId = event.lastEventId || record.id;
    state.received += 1;
    if (state.paused) state.newWhilePaused += 1;
    state.pending.push(record);
    if (state.pending.length > MAX_ROWS) state.pending.shift();
    scheduleDraw();
    updateCounts();
  }

  /** Reads the summary members only; the size is the byte length of the stored payload text. */
  function parseRecord(data) {
    const at = data.indexOf(PAYLOAD_MEMBER);
    const record = JSON.parse(at === -1 ? data : `${data.slice(0, at)}}`);
    const size = at === -1 ? null : encoder.encode(data.slice(at + PAYLOAD_MEMBER.length, -1)).length;
    return { id: record.id, partnerId: record.partner_id, timestamp: record.timestamp, size };
  }

  function scheduleDraw() {
    if (!state.paused && state.frame === 0) state.frame = requestAnimationFrame(draw);
  }

  function draw() {
    state.frame = 0;
    if (state.paused || state.pending.length === 0) return;
    const fragment = document.createDocumentFragment();
    for (let index = state.pending.length - 1; index >= 0; index--) fragment.append(rowFor(state.pending[index]));
    state.pending = [];
    ui.rows.prepend(fragment);
    while (ui.rows.rows.length > MAX_ROWS) ui.rows.lastElementChild.remove();
    updateCounts();
  }

  function rowFor(record) {
    const row = document.createElement('tr');
    row.className = 'arrived';
    row.dataset.id = record.id;
    row.tabIndex = -1;
    row.setAttribute('aria-selected', 'false');
    const time = document.createElement('time');
    time.dateTime = record.timestamp;
    time.title = record.timestamp;
    time.textContent = timeFormat.format(new Date(record.timestamp));
    row.append(
      cell(time, 'col-time'),
      cell(record.partnerId, 'col-partner'),
      cell(record.id, 'col-id'),
      cell(formatBytes(record.size), 'col-size'),
    );
    return row;
  }

  function cell(content, className) {
    const td = document.createElement('td');
    td.className = className;
    td.append(content);
    return td;
  }

  const formatBytes = (bytes) => (bytes === null ? '–' : `${bytes.toLocaleString('en-US')} B`);

  function updateCounts() {
    ui.received.textContent = state.received.toLocaleString('en-US');
    ui.shown.textContent = ui.rows.rows.length.toLocaleString('en-US');
    ui.empty.hidden = ui.rows.rows.length > 0;
    ui.pause.textContent = state.paused ? `Resume (${state.newWhilePaused.toLocaleString('en-US')} new)` : 'Pause';
  }

  const STATUS_TEXT = {
    connecting: 'Connecting',
    connected: 'Connected',
    reconnecting: 'Reconnecting',
    paused: 'Paused',
    closed: 'Closed',
  };

  function setConnection(connection) {
    state.connection = connection;
    const shown = connection === 'connected' && state.paused ? 'paused' : connection;
    ui.status.dataset.state = shown;
    ui.status.textContent = STATUS_TEXT[shown];
  }

  function showMessage(text) {
    ui.message.textContent = text;
    ui.message.hidden = text === '';
  }

  function togglePause() {
    state.paused = !state.paused;
    state.newWhilePaused = 0;
    ui.pause.setAttribute('aria-pressed', String(state.paused));
    setConnection(state.connection);
    updateCounts();
    scheduleDraw();
  }

  function clear() {
    state.pending = [];
    state.received = 0;
    state.newWhilePaused = 0;
    ui.rows.replaceChildren();
    showDetail(null);
    updateCounts();
  }

  /** Takes the partner filter as typed; false when it is not a partner id. */
  function takeFilter() {
    const partner = ui.partner.value.trim();
    if (partner !== '' && !PARTNER_ID.test(partner)) {
      ui.partnerError.textContent = '1–64 of A-Z a-z 0-9 . _ ~ -, starting with a letter or a digit';
      ui.partnerError.hidden = false;
      ui.partner.setAttribute('aria-invalid', 'true');
      ui.partner.focus();
      return false;
    }
    ui.partnerError.hidden = true;
    ui.partner.removeAttribute('aria-invalid');
    ui.partner.value = partner;
    if (partner === state.partner) return true;
    state.partner = partner;
    // The cursor belongs to the old filter: resuming another filter from it could replay a long history.
    state.lastId = null;
    if (partner !== '') {
      state.pending = state.pending.filter((record) => record.partnerId === partner);
      for (const row of [...ui.rows.rows]) if (row.cells[1].textContent !== partner) row.remove();
    }
    const url = new URL(location.href);
    if (partner === '') url.searchParams.delete('partner_id');
    else url.searchParams.set('partner_id', partner);
    history.replaceState(null, '', url);
    updateCounts();
    return true;
  }

  function applyFilter(event) {
    event.preventDefault();
    if (takeFilter()) void connect(state.lastId, false);
  }

  function useKey(event) {
    event.preventDefault();
    const key = ui.key.value.trim();
    if (key === '' || !takeFilter()) return;
    ui.key.value = '';
    state.key = key;
    ui.keyPanel.hidden = true;
    ui.forgetKey.hidden = false;
    void connect(state.lastId, false);
  }

  function forgetKey() {
    state.key = null;
    state.generation += 1;
    window.clearTimeout(state.retryTimer);
    closeSource();
    showMessage('');
    ui.forgetKey.hidden = true;
    ui.keyPanel.hidden = false;
    ui.keyMessage.textContent = 'Key forgotten. Enter an API key to go on.';
    setConnection('closed');
  }

  function onRowsClick(event) {
    const row = event.target.closest('tr');
    if (row) void select(row);
  }

  function onRowsKey(event) {
    const row = event.target.closest('tr');
    if (!row) return;
    const next =
      event.key === 'ArrowDown' ? row.nextElementSibling : event.key === 'ArrowUp' ? row.previousElementSibling : null;
    if (next) {
      event.preventDefault();
      void select(next);
    } else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      void select(row);
    }
  }

  async function select(row) {
    const id = row.dataset.id;
    for (const selected of ui.rows.querySelectorAll('tr[aria-selected="true"]')) {
      selected.setAttribute('aria-selected', 'false');
      selected.tabIndex = -1;
    }
    row.setAttribute('aria-selected', 'true');
    row.tabIndex = 0;
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: 'nearest' });

    const selection = ++state.selection;
    showDetail({ id, partnerId: row.cells[1].textContent, timestamp: row.querySelector('time').dateTime });
    ui.detailSize.textContent = row.cells[3].textContent;
    ui.payload.textContent = 'Loading…';
    try {
      const response = await fetch(apiUrl(`ingest/${encodeURIComponent(id)}`), {
        headers: { accept: 'application/json', ...authorization() },
        cache: 'no-store',
      });
      if (!response.ok) throw await httpError(response);
      const text = await response.text();
      if (selection !== state.selection) return;
      const payload = payloadText(text);
      ui.detailSize.textContent = formatBytes(encoder.encode(payload).length);
      ui.payload.textContent = indentJson(payload);
    } catch (error) {
      if (selection !== state.selection) return;
      ui.payload.textContent = '';
      ui.detailMessage.textContent = `The record could not be read: ${error.message}`;
      ui.detailMessage.hidden = false;
    }
  }

  function showDetail(record) {
    ui.detailHint.hidden = record !== null;
    ui.detailBody.hidden = record === null;
    ui.detailMessage.hidden = true;
    if (record === null) {
      state.selection += 1;
      return;
    }
    ui.detailId.textContent = record.id;
    ui.detailPartner.textContent = record.partnerId;
    ui.detailTimestamp.textContent = record.timestamp;
  }

  function payloadText(recordText) {
    const at = recordText.indexOf(PAYLOAD_MEMBER);
    return at === -1
      ? JSON.stringify(JSON.parse(recordText).payload)
      : recordText.slice(at + PAYLOAD_MEMBER.length, -1);
  }

  /**
   * Indents the stored JSON text as JSON.stringify(value, null, 2) would, without parsing it: large integers and the
   * partner's own number and escape forms are shown as they were stored.
   */
  function indentJson(text) {
    let out = '';
    let depth = 0;
    const newline = () => `\n${'  '.repeat(depth)}`;
    for (let index = 0; index < text.length; index++) {
      const char = text[index];
      if (char === '"') {
        let end = index + 1;
        while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
        out += text.slice(index, end + 1);
        index = end;
      } else if (char === '{' || char === '[') {
        let next = index + 1;
        while (' \t\n\r'.includes(text[next])) next += 1;
        if (text[next] === (char === '{' ? '}' : ']')) {
          out += char + text[next];
          index = next;
        } else {
          depth += 1;
          out += char + newline();
        }
      } else if (char === '}' || char === ']') {
        depth -= 1;
        out += newline() + char;
      } else if (char === ',') {
        out += `,${newline()}`;
      } else if (char === ':') {
        out += ': ';
      } else if (!' \t\n\r'.includes(char)) {
        out += char;
      }
    }
    return out;
  }

  ui.filterForm.addEventListener('submit', applyFilter);
  ui.keyForm.addEventListener('submit', useKey);
  ui.pause.addEventListener('click', togglePause);
  ui.clear.addEventListener('click', clear);
  ui.forgetKey.addEventListener('click', forgetKey);
  ui.rows.addEventListener('click', onRowsClick);
  ui.rows.addEventListener('keydown', onRowsKey);
  window.addEventListener('pagehide', () => {
    state.generation += 1;
    window.clearTimeout(state.retryTimer);
    closeSource();
  });
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) void connect(state.lastId, false);
  });

  const initial = new URLSearchParams(location.search).get('partner_id') ?? '';
  if (PARTNER_ID.test(initial)) state.partner = initial;
  ui.partner.value = state.partner;
  updateCounts();
  void connect(null, false);
})();
