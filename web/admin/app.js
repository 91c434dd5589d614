// @ts-check
// The sdkgate admin dashboard: plain JavaScript served as-is (no build, no framework: one table,
// a few cards and sparklines do not need one), type-checked through JSDoc (web/tsconfig.json).
//
// Data: GET /admin/events (Server-Sent Events, src/gateway/admin-ui.ts): `hello` {config,
// history} once, then `snapshot` {at, sessions, overview, sample} every second. Every field of a
// session's info gets a column and every numeric field of a sample a chart, so fields the server
// adds later appear without changing this file. Actions POST to the JSON admin API with the
// x-sdkgate-admin header (the CSRF check for cookie sessions). Server text goes through
// textContent only.

/** @typedef {{ [key: string]: unknown, userID: string, platformID: number, state: string }} SessionRow */
/** @typedef {{ at: number, [series: string]: number | null }} Sample */
/** @typedef {{ isolation: string, maxSessions: number, liveSessions: number, memoryBudgetMb: number, sessionCostMb: number, warmPool: { size: number, available: number } | null }} Overview */
/** @typedef {{ at: number, sessions: SessionRow[], overview: Overview | null, sample: Sample }} Snapshot */
/** @typedef {{ faultInjection: boolean, faultKinds: string[], isolation: string, sampleIntervalMs: number, historySize: number }} Config */

const CSRF = { 'x-sdkgate-admin': '1' };
const MAX_CELL = 36;
const STATES = ['ready', 'starting', 'crashed', 'backoff', 'restarting', 'quarantined', 'draining', 'stopped'];
/** Columns in this order first; any other field of a session's info follows. */
const KNOWN = ['userID', 'platformID', 'state', 'restarts', 'lastExit', 'heapUsed', 'queueDepth', 'inFlight', 'connections', 'threadId', 'startedAt', 'idleSince', 'sessionId'];
/** @type {Record<string, string>} */
const LABELS = { platformID: 'platform', lastExit: 'last exit', heapUsed: 'heap used / limit', queueDepth: 'queue', inFlight: 'in flight', connections: 'tabs', threadId: 'thread', startedAt: 'up', idleSince: 'idle' };
/** Fields shown inside another column. */
const FOLDED = new Set(['heapLimit']);
/** @type {Record<string, string>} */
const SERIES_LABELS = { callsPerS: 'calls/s', errorsPerS: 'errors/s', restartsPerS: 'restarts/s', rssMb: 'memory RSS, MB', sessionHeapMb: 'session heaps, MB' };

/** @template {HTMLElement} T @param {string} id @returns {T} */
const $ = (id) => /** @type {T} */ (document.getElementById(id));

/** @type {Config | null} */
let config = null;
/** @type {Sample[]} */
let history = [];
/** @type {EventSource | null} */
let source = null;
/** @type {string[]} */
let columns = [];

/** @param {'login' | 'live'} state */
function setState(state) {
  document.body.dataset.state = state;
  $('login').hidden = state !== 'login';
  $('dash').hidden = state !== 'live';
  $('logout').hidden = state !== 'live';
}

/** @param {string} tag @param {string} [cls] @param {string} [text] */
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

const mb = (/** @type {number} */ b) => (b / 1048576).toFixed(1);

/** @param {number} ms */
function ago(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}

// ---- connection ----

async function start() {
  const res = await fetch('/admin/whoami', { credentials: 'same-origin' });
  if (!res.ok) return showLogin(`The admin API answered HTTP ${res.status}.`);
  if (!(await res.json()).authenticated) return showLogin('');
  connect();
}

/** @param {string} error */
function showLogin(error) {
  source?.close();
  source = null;
  setState('login');
  $('login-error').textContent = error;
  $('live').textContent = 'logged out';
  $('live').classList.remove('on');
}

function connect() {
  source?.close();
  const es = new EventSource('/admin/events');
  source = es;
  es.addEventListener('hello', (ev) => {
    const hello = JSON.parse(/** @type {MessageEvent<string>} */ (ev).data);
    config = hello.config;
    history = hello.history;
    setupFaults();
    setState('live');
  });
  es.addEventListener('snapshot', (ev) => {
    /** @type {Snapshot} */
    const snap = JSON.parse(/** @type {MessageEvent<string>} */ (ev).data);
    if (history.at(-1)?.at !== snap.sample.at) history.push(snap.sample);
    if (config && history.length > config.historySize) history.splice(0, history.length - config.historySize);
    $('live').textContent = `live · ${new Date(snap.at).toLocaleTimeString()}`;
    $('live').classList.add('on');
    render(snap);
  });
  es.addEventListener('error', () => {
    $('live').textContent = 'reconnecting…';
    $('live').classList.remove('on');
    // A refused stream (expired session) is not retried by EventSource: find out why.
    if (es.readyState === EventSource.CLOSED && source === es) setTimeout(() => void start(), 1000);
  });
}

// ---- rendering ----

/** @param {Snapshot} snap */
function render(snap) {
  renderCards(snap);
  renderCharts();
  renderTable(snap.sessions, snap.at);
}

/** @param {Snapshot} snap */
function renderCards(snap) {
  /** @type {Record<string, number>} */
  const byState = {};
  let tabs = 0;
  for (const s of snap.sessions) {
    byState[s.state] = (byState[s.state] ?? 0) + 1;
    tabs += typeof s.connections === 'number' ? s.connections : 0;
  }
  const states = [...STATES, ...Object.keys(byState).filter((k) => !STATES.includes(k))].filter((k) => byState[k]);
  const o = snap.overview;
  /** @type {Array<[string, string, string, string]>} id, label, value, sub */
  const cards = [
    ['sessions', 'sessions', String(snap.sessions.length), states.map((k) => `${byState[k]} ${k}`).join(' · ') || 'none'],
    ['tabs', 'tabs', String(tabs), 'open connections'],
    ['capacity', 'capacity', o ? `${o.liveSessions} / ${o.maxSessions}` : 'n/a', o ? `${o.memoryBudgetMb} MB budget, ${o.sessionCostMb} MB each` : ''],
    ['warm-pool', 'warm pool', o?.warmPool ? `${o.warmPool.available} / ${o.warmPool.size}` : 'off', 'spare workers ready'],
    ['isolation', 'isolation', o?.isolation ?? config?.isolation ?? '?', config?.faultInjection ? 'fault injection on' : ''],
  ];
  $('cards').replaceChildren(...cards.map(([id, label, value, sub]) => {
    const c = el('div', 'card');
    c.dataset.card = id;
    c.append(el('div', 'label', label), el('div', 'value', value), el('div', 'sub', sub));
    return c;
  }));
}

function renderCharts() {
  /** @type {string[]} */
  const keys = [];
  for (const s of history) for (const k of Object.keys(s)) if (k !== 'at' && !keys.includes(k)) keys.push(k);
  $('charts').replaceChildren(...keys.map((k) => {
    const values = history.map((s) => s[k]);
    const known = /** @type {number[]} */ (values.filter((v) => typeof v === 'number'));
    const max = Math.max(1, ...known);
    const w = 190;
    const h = 44;
    // At least a minute wide, growing to the whole history, newest at the right edge.
    const n = Math.min(Math.max(60, values.length - 1), Math.max(60, (config?.historySize ?? 60) - 1));
    const x0 = w - ((values.length - 1) / n) * w;
    const points = values
      .map((v, i) => (typeof v === 'number' ? `${(x0 + (i / n) * w).toFixed(1)},${(h - 2 - (v / max) * (h - 4)).toFixed(1)}` : null))
      .filter(Boolean)
      .join(' ');
    const fig = el('div', 'chart');
    fig.dataset.series = k;
    const title = el('div', 'title');
    const last = values.at(-1);
    title.append(el('span', '', SERIES_LABELS[k] ?? k), el('b', '', typeof last === 'number' ? (last >= 100 ? last.toFixed(0) : last.toFixed(1)) : '–'));
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
    svg.setAttribute('preserveAspectRatio', 'none');
    const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
    line.setAttribute('points', points);
    svg.append(line);
    fig.append(title, svg);
    return fig;
  }));
}

/** @param {SessionRow[]} sessions */
function columnsOf(sessions) {
  /** @type {string[]} */
  const extra = [];
  for (const s of sessions) for (const k of Object.keys(s)) if (!KNOWN.includes(k) && !FOLDED.has(k) && !extra.includes(k)) extra.push(k);
  return [...KNOWN, ...extra.sort()];
}

/** @param {SessionRow} s @param {string} key @param {number} now @returns {[string, boolean]} text, numeric */
function cell(s, key, now) {
  const v = s[key];
  switch (key) {
    case 'lastExit': {
      const e = /** @type {{ reason: string, detail: string, at: number } | null} */ (v);
      return [e ? `${e.reason}${e.detail ? ` (${e.detail})` : ''}, ${ago(now - e.at)} ago` : '–', false];
    }
    case 'heapUsed':
      return [typeof v === 'number' ? `${mb(v)} / ${typeof s.heapLimit === 'number' ? mb(s.heapLimit) : '?'} MB` : '–', true];
    case 'startedAt':
      return [typeof v === 'number' ? ago(now - v) : '–', true];
    case 'idleSince':
      return [typeof v === 'number' ? ago(now - v) : '–', true];
  }
  if (v === null || v === undefined) return ['–', false];
  if (typeof v === 'object') return [JSON.stringify(v), false];
  return [String(v), typeof v === 'number'];
}

/** @param {SessionRow[]} sessions @param {number} now */
function renderTable(sessions, now) {
  const cols = columnsOf(sessions);
  const table = /** @type {HTMLTableElement} */ ($('sessions'));
  if (cols.join() !== columns.join()) {
    columns = cols;
    table.tHead?.rows[0]?.replaceChildren(...cols.map((c) => el('th', '', LABELS[c] ?? c)), el('th', '', 'actions'));
    table.tBodies[0]?.replaceChildren();
  }
  const body = /** @type {HTMLTableSectionElement} */ (table.tBodies[0]);
  const seen = new Set();
  for (const s of sessions) {
    const key = `${s.userID}/${s.platformID}`;
    seen.add(key);
    let tr = /** @type {HTMLTableRowElement | null} */ (body.querySelector(`tr[data-key="${CSS.escape(key)}"]`));
    if (!tr) {
      tr = /** @type {HTMLTableRowElement} */ (el('tr'));
      tr.dataset.key = key;
      tr.dataset.user = s.userID;
      for (let i = 0; i < cols.length; i++) tr.append(el('td'));
      tr.append(actions(s));
      body.append(tr);
    }
    tr.dataset.state = s.state;
    cols.forEach((c, i) => {
      const td = /** @type {HTMLTableCellElement} */ (tr.cells[i]);
      const [text, numeric] = cell(s, c, now);
      td.className = numeric ? 'num' : '';
      td.dataset.col = c;
      if (c === 'state') {
        td.replaceChildren(el('span', `state ${s.state}`, s.state));
      } else if (c === 'heapUsed' && typeof s.heapUsed === 'number' && typeof s.heapLimit === 'number' && s.heapLimit > 0) {
        const bar = el('span', 'bar');
        const fill = el('i');
        fill.style.width = `${Math.min(100, (100 * s.heapUsed) / s.heapLimit).toFixed(0)}%`;
        bar.append(fill);
        td.replaceChildren(text, bar);
      } else {
        // Long values (exit details, new object fields) are cut here and whole in the tooltip.
        td.textContent = text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text;
        td.title = text.length > MAX_CELL ? text : '';
      }
    });
    const unq = /** @type {HTMLButtonElement | null} */ (tr.querySelector('button[data-action="unquarantine"]'));
    if (unq) unq.disabled = s.state !== 'quarantined';
  }
  for (const tr of [...body.rows]) if (!seen.has(tr.dataset.key)) tr.remove();
  $('empty').hidden = sessions.length > 0;
}

/** @param {SessionRow} s */
function actions(s) {
  const td = el('td');
  const make = (/** @type {string} */ action, /** @type {string} */ label) => {
    const b = /** @type {HTMLButtonElement} */ (el('button', '', label));
    b.type = 'button';
    b.dataset.action = action;
    b.addEventListener('click', () => void act(s.userID, s.platformID, action));
    return b;
  };
  td.append(make('restart', 'Restart'), make('unquarantine', 'Unquarantine'));
  if (config?.faultInjection) td.append(make('fault', 'Inject fault'));
  return td;
}

function setupFaults() {
  const kinds = config?.faultInjection ? config.faultKinds : [];
  $('fault-tools').hidden = kinds.length === 0;
  const select = /** @type {HTMLSelectElement} */ ($('fault-kind'));
  select.replaceChildren(...kinds.map((k) => {
    const o = /** @type {HTMLOptionElement} */ (el('option', '', k));
    o.value = k;
    return o;
  }));
  columns = []; // rebuild rows: the action buttons depend on the config
}

/** @param {string} userID @param {number} platformID @param {string} action */
async function act(userID, platformID, action) {
  const kind = /** @type {HTMLSelectElement} */ ($('fault-kind')).value;
  const path = `/admin/sessions/${encodeURIComponent(userID)}/${platformID}/${action}`;
  const init = action === 'fault'
    ? { method: 'POST', headers: { ...CSRF, 'content-type': 'application/json' }, body: JSON.stringify({ kind }) }
    : { method: 'POST', headers: CSRF };
  const what = `${action === 'fault' ? `fault ${kind}` : action} ${userID}/${platformID}`;
  const res = await fetch(path, { ...init, credentials: 'same-origin' });
  if (res.status === 401) return showLogin('The session expired: log in again.');
  const body = await res.json().catch(() => ({}));
  $('action-result').textContent = res.ok ? `${what}: done` : `${what}: ${body.errMsg ?? `HTTP ${res.status}`}`;
}

// ---- wiring ----

$('login-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const input = /** @type {HTMLInputElement} */ ($('admin-token'));
  const token = input.value;
  input.value = '';
  $('login-error').textContent = '';
  void fetch('/admin/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }), credentials: 'same-origin' })
    .then(async (res) => {
      if (res.ok) return connect();
      const body = await res.json().catch(() => ({}));
      $('login-error').textContent = res.status === 401 ? 'Wrong token.' : (body.errMsg ?? `HTTP ${res.status}`);
    });
});
$('logout').addEventListener('click', () => {
  void fetch('/admin/logout', { method: 'POST', credentials: 'same-origin' }).finally(() => showLogin(''));
});

void start();

export {}; // a module (loaded with type="module"), not a script with globals
