// app-field.js: the inspectors' page (/field), phone first. The nearest
// assets to where the inspector stands; a defect reported with photos;
// before/during/after photos added to a task from the camera, resized here
// with their EXIF position and time kept as fields; done work verified on
// site (pass → 结案, fail → back to 处置). Every write goes through the
// outbox (IndexedDB), so nothing is lost without signal; a service worker
// keeps the page itself available offline.
import { getJSON, send, query, ApiError } from './api.js';
import { t, name, dateTime, actorName } from './i18n.js';
import { el, field, option, say, problemText, showFieldErrors, clearFieldErrors } from './dom.js';
import { whoami, loginForm, logout, setupLanguage } from './session.js';
import { bboxAround, locate, nearestDistance, distance } from './geo.js';
import { readExif, resize } from './photo.js';
import { Outbox } from './outbox.js';
import { pair, strip } from './gallery.js';
import { statusColor } from './symbols.js';
import { lightBadge, leftText, limitText, deadlineText } from './clock.js';
import { FieldMap } from './field-map.js';
import { pushSupported, pushFor } from './subscribe.js';
import { renderRound, renderInspect } from './field-round.js';

const $ = (sel) => document.querySelector(sel);
const app = { view: 'nearby', position: null, assets: [], pendingUrls: new Map(), radius: 300 };
const NEAR_M = 300;
// How far "nearby" widens, step by step, when nothing is close.
const WIDER_M = [300, 1000, 3000, 10000];
const NEAR_KINDS = 'road_repair,sewer_separation,parking_lot,manhole,capital_project';
const VIEWS = ['nearby', 'round', 'inspect', 'verify', 'asset', 'task', 'report', 'outbox'];

const statusName = (code) => {
  const s = app.meta?.statuses.find((x) => x.code === code);
  return s ? name(s) : code;
};
const kindName = (code) => {
  const k = app.meta?.kinds.find((x) => x.code === code);
  return k ? name(k) : code;
};
const metres = (m) => (m < 1000 ? t('unit.m', { n: Math.round(m) }) : t('field.km', { n: (m / 1000).toFixed(1) }));

function chip(status) {
  const dot = el('span', { class: 'dot', 'aria-hidden': 'true' });
  dot.style.background = statusColor(status);
  return el('span', { class: 'chip', 'data-status': status || 'none' }, dot, status ? statusName(status) : t('filters.noStatus'));
}

function back(to = 'nearby') {
  const b = el('button', { type: 'button', class: 'btn link back', 'data-testid': 'back', text: t('field.back') });
  b.addEventListener('click', () => go(to));
  return b;
}

// ---- navigation -------------------------------------------------------------

function go(view, params = {}) {
  app.view = view;
  for (const v of VIEWS) $(`#view-${v}`).hidden = v !== view;
  for (const b of document.querySelectorAll('.field-nav [data-view]')) b.setAttribute('aria-current', String(b.dataset.view === view));
  const p = new URLSearchParams();
  if (view !== 'nearby') p.set('view', view);
  for (const [k, v] of Object.entries(params)) if (v) p.set(k, v);
  history.replaceState(null, '', location.pathname + (p.toString() ? `?${p}` : ''));
  const show = { nearby: renderNearby, verify: renderVerify, asset: () => renderAsset(params.asset), task: () => renderTask(params.task),
    report: () => renderReport(params), outbox: renderOutbox,
    round: () => renderRound($('#view-round'), app, (id) => go('inspect', { inspection: String(id) })),
    inspect: () => renderInspect($('#view-inspect'), app, params.inspection, () => go('round')) }[view];
  return show();
}

function focusHeading(view) {
  const h = $(`#view-${view} h2`);
  if (h) { h.tabIndex = -1; h.focus(); }
}

// ---- nearby ---------------------------------------------------------------

function renderNearby() {
  const root = $('#view-nearby');
  const loc = el('button', { type: 'button', class: 'btn primary big', 'data-testid': 'field-locate', text: t('field.locate') });
  loc.addEventListener('click', () => { app.radius = NEAR_M; app.search = null; findNearby(); });
  const status = el('p', { class: 'form-status', role: 'status', 'data-testid': 'field-position' });
  app.posStatus = status;
  const report = el('button', { type: 'button', class: 'btn', 'data-testid': 'report-here', text: t('field.reportHere') });
  report.addEventListener('click', () => go('report', {}));
  const q = el('input', { type: 'search', id: 'field-q', 'data-testid': 'field-search', autocomplete: 'off', enterkeyhint: 'search', placeholder: t('field.searchPlaceholder'), value: app.search?.q || '' });
  const search = el('form', { class: 'inline-form', role: 'search', 'data-testid': 'field-search-form' },
    el('div', { class: 'field' }, el('label', { for: 'field-q', text: t('field.search') }), q),
    el('button', { type: 'submit', class: 'btn', text: t('console.find') }));
  search.addEventListener('submit', (e) => { e.preventDefault(); searchAssets(q.value.trim()); });
  const list = el('ul', { class: 'queue', 'data-testid': 'nearby-list', 'aria-labelledby': 'nearby-h' });
  app.nearbyList = list;
  app.nextBox = el('div', { class: 'next-job', 'data-testid': 'next-job', hidden: true });
  app.listHead = el('p', { class: 'hint', 'data-testid': 'nearby-hint', text: t('field.nearbyHint', { m: NEAR_M }) });
  const mapSlot = el('div', { class: 'field-map-slot' });
  root.replaceChildren(el('h2', { id: 'nearby-h', text: t('field.nearbyHeading') }),
    el('div', { class: 'btn-row' }, loc, report), status, search, mapSlot, app.nextBox, app.listHead, list);
  app.fieldMap ||= new FieldMap({ onAsset: (id) => go('asset', { asset: String(id) }) });
  app.fieldMap.attach(mapSlot);
  showPosition();
  showNearby();
}

function showPosition() {
  if (!app.posStatus) return;
  const p = app.position;
  say(app.posStatus, p ? t('field.position', { pos: `${p.lat.toFixed(6)}, ${p.lon.toFixed(6)}`, acc: Math.round(p.accuracy) }) : '');
}

async function findNearby() {
  say(app.posStatus, t('problem.locating'));
  try {
    app.position = await locate();
  } catch (err) {
    say(app.posStatus, t(err.code === 1 ? 'field.locateDenied' : 'field.locateFailed'), 'error');
    return;
  }
  showPosition();
  await loadAround();
}

/**
 * loadAround lists the assets within app.radius of the inspector; when none
 * is that close it widens, step by step, to find the nearest anyway, and
 * says so. The next job (the nearest done work to verify) comes with it.
 */
async function loadAround() {
  const here = [app.position.lon, app.position.lat];
  app.widened = false;
  try {
    for (;;) {
      const page = await getJSON(query('/api/v1/assets', { bbox: bboxAround(here, app.radius), kind: NEAR_KINDS, limit: 500 }));
      const near = page.features.map((f) => ({ f, d: nearestDistance(f.geometry, here) })).filter((x) => x.d <= app.radius * 1.5);
      near.sort((a, b) => a.d - b.d);
      app.assets = near.slice(0, 40);
      const wider = WIDER_M.find((m) => m > app.radius);
      if (app.assets.length || !wider) break;
      app.radius = wider;
      app.widened = true;
    }
  } catch (err) {
    say(app.posStatus, problemText(err), 'error');
    return;
  }
  loadNextJob();
  showNearby();
}

/** loadNextJob finds the done work nearest the inspector, to verify next. */
async function loadNextJob() {
  const here = [app.position.lon, app.position.lat];
  try {
    const page = await getJSON(query('/api/v1/tasks', { status: 'done', order: 'distance', near: here.map((v) => v.toFixed(6)).join(','), limit: 1 }));
    app.next = page.tasks.find((k) => k.place) || null;
  } catch { app.next = null; }
  showNearby({ fit: false });
}

async function searchAssets(q) {
  if (!q) { app.search = null; showNearby(); return; }
  say(app.posStatus, t('app.loading'));
  try {
    const page = await getJSON(query('/api/v1/assets', { q, kind: NEAR_KINDS, limit: 30 }));
    const here = app.position && [app.position.lon, app.position.lat];
    app.search = { q, hits: page.features.map((f) => ({ f, d: here ? nearestDistance(f.geometry, here) : null })) };
    if (here) app.search.hits.sort((a, b) => a.d - b.d);
    say(app.posStatus, t('console.found', { n: page.features.length }));
  } catch (err) {
    say(app.posStatus, problemText(err), 'error');
    return;
  }
  showNearby();
}

function assetItem({ f, d }) {
  const p = f.properties;
  const b = el('button', { type: 'button', class: 'item', 'data-testid': 'nearby-asset', 'data-id': String(f.id) },
    el('span', { class: 'item-name', text: name(p) }),
    d === null ? el('span') : el('span', { class: 'dist', 'data-testid': 'nearby-distance', text: metres(d) }),
    el('span', { class: 'item-meta' }, `${kindName(p.kind)} · ${p.code} · `, chip(p.status)));
  b.addEventListener('click', () => go('asset', { asset: String(f.id) }));
  return el('li', {}, b);
}

function showNearby({ fit = true } = {}) {
  const list = app.nearbyList;
  if (!list) return;
  showNextJob();
  if (app.search) {
    app.listHead.textContent = t('field.searchHits', { q: app.search.q, n: app.search.hits.length });
    list.replaceChildren(...app.search.hits.map(assetItem));
    if (!app.search.hits.length) list.append(el('li', { class: 'muted', text: t('field.noHits') }));
    app.fieldMap.show({ features: app.search.hits.map((x) => x.f), position: app.position, next: null, fit, search: true });
    return;
  }
  app.listHead.textContent = t('field.nearbyHint', { m: NEAR_M });
  if (!app.position) { list.replaceChildren(); app.fieldMap.show({ fit: false }); return; }
  const items = [];
  if (app.widened && app.assets.length) {
    items.push(el('li', { class: 'hint warn', 'data-testid': 'nearest-anyway', text: t('field.nearestAnyway', { m: metresText(NEAR_M), d: metres(app.assets[0].d) }) }));
  } else if (!app.assets.length) {
    items.push(el('li', { class: 'muted', text: t('field.noneNear', { m: metresText(app.radius) }) }));
  }
  items.push(...app.assets.map(assetItem));
  const wider = WIDER_M.find((m) => m > app.radius);
  if (wider) {
    const b = el('button', { type: 'button', class: 'btn', 'data-testid': 'widen', text: t('field.widen', { m: metresText(wider) }) });
    b.addEventListener('click', () => { app.radius = wider; loadAround(); });
    items.push(el('li', { class: 'widen' }, b));
  }
  list.replaceChildren(...items);
  list.dataset.radius = String(app.radius);
  app.fieldMap.show({ features: app.assets.map((x) => x.f), position: app.position, next: app.next, fit, radius: app.widened ? app.assets[0]?.d || app.radius : app.radius });
}

const metresText = (m) => (m < 1000 ? t('field.radiusM', { n: m }) : t('field.km', { n: m / 1000 }));

/** showNextJob says where the next verification is: what, how far, which way. */
function showNextJob() {
  const box = app.nextBox;
  if (!box) return;
  const k = app.next;
  if (!k || !app.position || app.search) { box.hidden = true; return; }
  const { m, dir } = FieldMap.toward(app.position, k.place);
  const open = el('button', { type: 'button', class: 'btn', 'data-testid': 'next-job-open', text: t('field.nextJobOpen') });
  open.addEventListener('click', () => go('task', { task: String(k.id) }));
  box.replaceChildren(el('p', { class: 'next-h', text: t('field.nextJob') }),
    el('p', { 'data-testid': 'next-job-text', text: t('field.nextJobWhere', { title: k.title, ref: k.ref, d: metres(m), dir }) }), open);
  box.dataset.id = String(k.id);
  box.hidden = false;
}

// ---- verify -----------------------------------------------------------------

async function renderVerify() {
  const root = $('#view-verify');
  const list = el('ul', { class: 'queue', 'data-testid': 'verify-list' });
  root.replaceChildren(el('h2', { id: 'verify-h', text: t('field.verifyHeading') }), el('p', { class: 'hint', text: t('field.verifyHint') }), list);
  list.append(el('li', { class: 'muted', text: t('app.loading') }));
  try {
    const page = await getJSON(query('/api/v1/tasks', { status: 'done', limit: 200 }));
    const here = app.position && [app.position.lon, app.position.lat];
    const tasks = page.tasks;
    list.replaceChildren(...tasks.map((k) => taskItem(k, here)));
    if (!tasks.length) list.append(el('li', { class: 'muted', text: t('console.empty') }));
  } catch (err) {
    list.replaceChildren(el('li', { class: 'error', text: problemText(err) }));
  }
}

function taskItem(k, here) {
  const d = here && k.location ? distance(here, k.location.coordinates) : null;
  const b = el('button', { type: 'button', class: 'item', 'data-testid': 'task-item', 'data-id': String(k.id) },
    el('span', { class: 'item-name', text: k.title }),
    d !== null ? el('span', { class: 'dist', text: metres(d) }) : null,
    el('span', { class: 'item-meta' }, `${k.ref} · `, chip(k.status), k.assignee ? ` · ${k.assignee}` : '', ' ',
      lightBadge(k.clock ? k.clock.light : 'none', { testid: 'task-light' }),
      k.clock && k.clock.light !== 'none' && k.clock.light !== 'paused' ? ` ${leftText(k.clock)}` : ''));
  b.dataset.light = k.clock ? k.clock.light : 'none';
  b.addEventListener('click', () => go('task', { task: String(k.id) }));
  return el('li', {}, b);
}

// ---- asset ----------------------------------------------------------------

async function renderAsset(id) {
  const root = $('#view-asset');
  root.replaceChildren(back(), el('h2', { id: 'asset-h', text: t('app.loading') }));
  let a, tasks;
  try {
    [a, tasks] = await Promise.all([getJSON(`/api/v1/assets/${id}`), getJSON(query('/api/v1/tasks', { asset: id, limit: 100 }))]);
  } catch (err) {
    root.append(el('p', { class: 'error', role: 'alert', text: problemText(err) }));
    return;
  }
  const p = a.properties;
  const report = el('button', { type: 'button', class: 'btn primary', 'data-testid': 'report-defect', text: t('field.reportDefect') });
  report.addEventListener('click', () => go('report', { asset: String(a.id) }));
  const list = el('ul', { class: 'queue', 'data-testid': 'asset-tasks' });
  const sorted = tasks.tasks.sort((x, y) => (y.created_at < x.created_at ? -1 : 1));
  list.append(...sorted.map((k) => taskItem(k)));
  if (!sorted.length) list.append(el('li', { class: 'muted', text: t('details.noTasks') }));
  root.replaceChildren(back(),
    el('h2', { id: 'asset-h', 'data-testid': 'asset-title', text: name(p) }),
    el('p', { class: 'item-meta' }, `${kindName(p.kind)} · ${p.code} · `, chip(p.status)),
    report, el('h3', { text: t('field.tasksHere') }), list);
  focusHeading('asset');
}

// ---- task -----------------------------------------------------------------

async function renderTask(id) {
  const root = $('#view-task');
  app.taskId = String(id);
  root.replaceChildren(back('verify'), el('h2', { id: 'task-h', text: t('app.loading') }));
  let res, photos = [];
  try {
    res = await send('GET', `/api/v1/tasks/${id}`);
  } catch (err) {
    root.append(el('p', { class: 'error', role: 'alert', text: err.offline ? t('field.taskOffline') : problemText(err) }));
    return;
  }
  try { photos = (await getJSON(`/api/v1/tasks/${id}/photos`)).photos; } catch { /* shown without */ }
  if (app.taskId !== String(id)) return;
  app.task = res.data;
  app.photos = photos;
  app.photoMsg = null;
  await drawTask();
  focusHeading('task');
}

async function drawTask() {
  const k = app.task;
  const root = $('#view-task');
  const pending = (await app.outbox.all()).filter((r) => String(r.taskId) === String(k.id));
  const dl = el('dl', { class: 'attrs' });
  const row = (label, v, id) => { if (v) dl.append(el('div', {}, el('dt', { text: label }), el('dd', { text: String(v), 'data-testid': id || null }))); };
  row(t('task.ref'), k.ref, 'task-ref');
  row(t('details.status'), statusName(k.status), 'task-status');
  row(t('details.assignee'), k.assignee);
  row(t('details.dueDate'), k.due_date);
  if (k.clock) {
    row(t('clock.heading'), `${limitText(k.clock)} · ${leftText(k.clock)}`, 'task-clock');
    if (k.clock.deadline) row(t('clock.deadline'), deadlineText(k.clock.deadline), 'task-deadline');
  }
  if (k.description) row(t('task.description'), k.description);

  // Photos: the service's, then those still waiting to be sent.
  const phot = el('section', { class: 'photos', 'data-testid': 'task-photos', 'aria-labelledby': 'fp-h' },
    el('h3', { id: 'fp-h', text: t('details.photos') }), pair(app.photos));
  if (app.photos.length) phot.append(strip(app.photos));
  const waiting = pending.filter((r) => r.kind === 'photo');
  if (waiting.length) {
    const ul = el('ul', { class: 'strip pending', 'data-testid': 'pending-photos' });
    for (const r of waiting) {
      ul.append(el('li', { 'data-id': String(r.id) }, el('img', { src: pendingUrl(r), alt: t('field.pendingPhoto', { stage: t(`stage.${r.fields.stage}`) }), class: 'thumb', width: '160', height: '120' }),
        el('progress', { max: '1', value: String(app.outbox.progress.get(r.id) || 0), 'data-testid': 'pending-progress',
          'aria-label': t('outbox.progress', { what: describe(r) }) }),
        el('span', { class: 'cap', text: `${t(`stage.${r.fields.stage}`)} · ${t(`outbox.state.${r.state}`)}` })));
    }
    phot.append(ul);
  }

  // Adding photos from the camera.
  const stage = el('select', { name: 'stage', 'data-testid': 'photo-stage' },
    ['before', 'during', 'after'].map((s) => option(s, t(`stage.${s}`), s === defaultStage(k))));
  const input = el('input', { type: 'file', accept: 'image/*', capture: 'environment', multiple: true, name: 'photo', 'data-testid': 'photo-input' });
  const pstatus = el('p', { class: 'form-status', role: 'status', 'data-testid': 'photo-status', hidden: true });
  if (app.photoMsg) say(pstatus, app.photoMsg.text, app.photoMsg.kind);
  input.addEventListener('change', async () => {
    const files = [...input.files];
    input.value = '';
    for (const f of files) await queuePhoto(f, stage.value, pstatus);
  });
  const add = el('section', { class: 'add-photo', 'aria-labelledby': 'ap-h' }, el('h3', { id: 'ap-h', text: t('field.addPhoto') }),
    field(t('field.stage'), stage, { name: 'stage' }),
    field(t('field.takePhoto'), input, { name: 'photo', hint: t('field.photoHint') }), pstatus);

  root.replaceChildren(back('verify'), el('h2', { id: 'task-h', 'data-testid': 'task-title', text: k.title }), dl, phot, add,
    verifySection(k, pending), historyList(k));
}

function defaultStage(k) {
  if (k.status === 'done' || k.status === 'closed') return 'after';
  if (k.status === 'in_progress') return 'during';
  return 'before';
}

function pendingUrl(r) {
  if (!app.pendingUrls.has(r.id)) app.pendingUrls.set(r.id, URL.createObjectURL(r.blob));
  return app.pendingUrls.get(r.id);
}

/** queuePhoto reads the EXIF, resizes, finds a position and puts the photo in the outbox. */
async function queuePhoto(file, stage, status) {
  say(status, t('field.preparing'));
  let exif, img;
  try {
    exif = await readExif(file);
    img = await resize(file);
  } catch {
    say(status, t('problem.photoUnreadable'), 'error');
    return;
  }
  const fields = { stage };
  if (exif.lat !== null) {
    // Read from the photo before resizing dropped its EXIF: say so.
    fields.lat = exif.lat;
    fields.lon = exif.lon;
    fields.location_source = 'exif';
  } else {
    try {
      const p = await locate({ timeout: 5000, maximumAge: 60000 });
      app.position = p;
      fields.lat = p.lat.toFixed(7);
      fields.lon = p.lon.toFixed(7);
      fields.accuracy_m = Math.round(p.accuracy * 10) / 10;
    } catch { /* sent without a position: the service keeps the photo anyway */ }
  }
  if (exif.capturedAt) fields.captured_at = exif.capturedAt;
  await app.outbox.add({ kind: 'photo', taskId: app.task.id, taskRef: app.task.ref, taskTitle: app.task.title, fields, blob: img.blob, width: img.width, height: img.height });
  // Said after the redraw too: the view is drawn again with the photo waiting in it.
  app.photoMsg = { text: navigator.onLine ? t('field.photoQueued') : t('field.photoQueuedOffline'), kind: 'ok' };
  say(status, app.photoMsg.text, 'ok');
  await drawTask();
}

function verifySection(k, pending) {
  const sec = el('section', { class: 'verify', 'data-testid': 'verify', 'aria-labelledby': 'vf-h' }, el('h3', { id: 'vf-h', text: t('field.verify') }));
  const queued = pending.filter((r) => r.kind === 'transition');
  if (queued.length) {
    for (const r of queued) sec.append(el('p', { class: 'form-status', 'data-testid': 'pending-transition', text: t('field.transitionQueued', { to: statusName(r.to), state: t(`outbox.state.${r.state}`) }) }));
    return sec;
  }
  const allowed = k.allowed_transitions || [];
  if (k.status !== 'done' || !allowed.length) {
    sec.append(el('p', { class: 'muted', text: k.status === 'done' ? t('task.noSteps') : t('field.notDone') }));
    return sec;
  }
  const hasAfter = app.photos.some((p) => p.stage === 'after' && p.visible) || pending.some((r) => r.kind === 'photo' && r.fields.stage === 'after');
  const note = el('textarea', { name: 'note', rows: '3', maxlength: '4000', 'data-testid': 'verify-note' });
  const status = el('p', { class: 'form-status', role: 'alert', 'data-testid': 'verify-status', hidden: true });
  const pass = el('button', { type: 'button', class: 'btn primary', 'data-testid': 'verify-pass', text: t('field.pass'), disabled: !hasAfter || !allowed.includes('closed') });
  const fail = el('button', { type: 'button', class: 'btn', 'data-testid': 'verify-fail', text: t('field.fail'), disabled: !allowed.includes('in_progress') });
  const form = el('form', { novalidate: true }, field(t('task.note'), note, { name: 'note', hint: t('field.noteHint') }));
  const queue = async (to) => {
    clearFieldErrors(form);
    if (to === 'in_progress' && !note.value.trim()) {
      showFieldErrors(form, { note: t('field.failNeedsNote') });
      return;
    }
    await app.outbox.add({ kind: 'transition', taskId: k.id, taskRef: k.ref, taskTitle: k.title, to, note: note.value.trim(), version: k.version });
    say(status, t('field.transitionQueued', { to: statusName(to), state: t('outbox.state.pending') }), 'ok');
    await drawTask();
    $('[data-testid="pending-transition"]')?.focus();
  };
  pass.addEventListener('click', () => queue('closed'));
  fail.addEventListener('click', () => queue('in_progress'));
  if (!hasAfter) sec.append(el('p', { class: 'hint warn', 'data-testid': 'needs-after', text: t('field.needsAfter') }));
  sec.append(form, status, el('div', { class: 'btn-row' }, pass, fail));
  return sec;
}

function historyList(k) {
  const ol = el('ol', { class: 'events' });
  for (const e of k.history) {
    ol.append(el('li', {}, el('time', { datetime: e.at, text: dateTime(e.at) }),
      el('span', { class: 'step', text: e.from ? `${statusName(e.from)} → ${statusName(e.to)}` : e.to ? `→ ${statusName(e.to)}` : t('conflict.edited') }),
      e.note ? el('span', { class: 'note', text: e.note }) : null));
  }
  return el('section', { class: 'history', 'aria-labelledby': 'fh-h' }, el('h3', { id: 'fh-h', text: t('details.history') }), ol);
}

// ---- report a defect --------------------------------------------------------

async function renderReport({ asset }) {
  const root = $('#view-report');
  let a = null;
  if (asset) {
    try { a = await getJSON(`/api/v1/assets/${asset}`); } catch { a = null; }
  }
  const title = el('input', { name: 'title', maxlength: '200', 'data-testid': 'defect-title', required: true });
  const desc = el('textarea', { name: 'description', rows: '3', maxlength: '4000', 'data-testid': 'defect-description' });
  const pr = el('select', { name: 'priority', 'data-testid': 'defect-priority' }, ['low', 'normal', 'high', 'urgent'].map((p) => option(p, t(`priority.${p}`), p === 'normal')));
  const photo = el('input', { type: 'file', accept: 'image/*', capture: 'environment', name: 'photo', 'data-testid': 'defect-photo' });
  const where = el('p', { class: 'form-status', 'data-testid': 'defect-where', role: 'status' });
  const status = el('p', { class: 'form-status', role: 'alert', 'data-testid': 'defect-status', hidden: true });
  const submit = el('button', { type: 'submit', class: 'btn primary big', 'data-testid': 'defect-submit', text: t('field.sendDefect') });
  const form = el('form', { novalidate: true, 'data-testid': 'defect-form' },
    field(t('field.defectTitle'), title, { name: 'title' }), field(t('task.description'), desc, { name: 'description' }),
    field(t('task.priority'), pr, { name: 'priority' }),
    field(t('field.defectPhoto'), photo, { name: 'photo', hint: t('field.photoHint') }), where, status, submit);
  if (a) where.textContent = t('field.defectOn', { name: name(a.properties), code: a.properties.code });
  else where.textContent = app.position ? t('field.defectAt', { pos: `${app.position.lat.toFixed(6)}, ${app.position.lon.toFixed(6)}`, acc: Math.round(app.position.accuracy) }) : t('field.defectNeedsPosition');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    if (!title.value.trim()) { showFieldErrors(form, { title: t('field.needTitle') }); return; }
    const body = { title: title.value.trim(), description: desc.value.trim(), priority: pr.value };
    if (a) body.asset_id = a.id;
    else {
      try {
        app.position = await locate({ timeout: 8000, maximumAge: 60000 });
      } catch {
        if (!app.position) { say(status, t('field.locateFailed'), 'error'); return; }
      }
      body.location = { type: 'Point', coordinates: [Number(app.position.lon.toFixed(7)), Number(app.position.lat.toFixed(7))] };
    }
    submit.disabled = true;
    // The photo is read and resized before the report is queued: the report
    // may be sent at once, and its photo must be in the outbox by the time
    // the report's answer says which task it belongs to.
    let before = null;
    if (photo.files[0]) {
      const f = photo.files[0];
      const exif = await readExif(f).catch(() => ({ lat: null }));
      const img = await resize(f).catch(() => null);
      if (img) {
        const fields = { stage: 'before' };
        if (exif.lat !== null) Object.assign(fields, { lat: exif.lat, lon: exif.lon, location_source: 'exif' });
        else if (app.position) Object.assign(fields, { lat: app.position.lat.toFixed(7), lon: app.position.lon.toFixed(7), accuracy_m: Math.round(app.position.accuracy) });
        if (exif.capturedAt) fields.captured_at = exif.capturedAt;
        before = { fields, blob: img.blob, width: img.width, height: img.height };
      }
    }
    const rec = await app.outbox.add({ kind: 'task', body, taskTitle: body.title });
    if (before) await app.outbox.add({ kind: 'photo', after: rec.id, taskTitle: body.title, ...before });
    submit.disabled = false;
    go('outbox');
  });
  root.replaceChildren(back(a ? 'asset' : 'nearby'), el('h2', { id: 'report-h', text: t('field.reportHeading') }), form);
  if (a) root.querySelector('.back').onclick = () => go('asset', { asset: String(a.id) });
  focusHeading('report');
}

// ---- outbox ---------------------------------------------------------------

async function renderOutbox() {
  const root = $('#view-outbox');
  const items = (await app.outbox.all()).sort((x, y) => x.id - y.id);
  const list = el('ul', { class: 'outbox', 'data-testid': 'outbox' });
  for (const r of items) list.append(outboxItem(r));
  const sync = el('button', { type: 'button', class: 'btn', 'data-testid': 'outbox-sync', text: t('outbox.syncNow') });
  sync.addEventListener('click', () => app.outbox.sync());
  root.replaceChildren(el('h2', { id: 'outbox-h', text: t('outbox.heading') }),
    el('p', { class: 'hint', text: t('outbox.hint') }),
    items.length ? list : el('p', { class: 'muted', 'data-testid': 'outbox-empty', text: t('outbox.empty') }),
    items.length ? sync : null);
}

function describe(r) {
  if (r.kind === 'photo') return t('outbox.photo', { stage: t(`stage.${r.fields.stage}`), task: r.taskRef || r.taskTitle || '' });
  if (r.kind === 'transition') return t('outbox.transition', { to: statusName(r.to), task: r.taskRef });
  if (r.kind === 'inspection') return `${t('insp.outbox')} · ${r.assetName} · ${r.assetCode}`;
  return t('outbox.task', { title: r.taskTitle });
}

function outboxItem(r) {
  const li = el('li', { 'data-testid': 'outbox-item', 'data-id': String(r.id), 'data-kind': r.kind, 'data-state': r.state });
  const bar = el('progress', { max: '1', value: String(app.outbox.progress.get(r.id) || 0), 'data-testid': 'outbox-progress', 'aria-label': t('outbox.progress', { what: describe(r) }) });
  li.append(el('p', { class: 'item-name', text: describe(r) }),
    el('p', { class: 'item-meta', 'data-testid': 'outbox-state', text: `${t(`outbox.state.${r.state}`)} · ${dateTime(r.createdAt)}${r.attempts ? ` · ${t('outbox.attempts', { n: r.attempts })}` : ''}` }));
  if (r.kind === 'photo') li.append(bar);
  if (r.state === 'conflict') {
    const c = r.current;
    li.append(el('div', { class: 'conflict', role: 'alert', 'data-testid': 'outbox-conflict' },
      el('p', { text: t('outbox.conflict', { task: r.taskRef, version: r.version }) }),
      c ? el('p', { text: t('outbox.conflictNow', { status: statusName(c.status), version: c.version }) }) : null,
      c && c.last ? el('p', { class: 'muted', text: `${dateTime(c.last.at)} · ${actorName(c.last.actor)} · → ${statusName(c.last.to)}${c.last.note ? ` · ${c.last.note}` : ''}` }) : null));
    if (c) {
      const again = el('button', { type: 'button', class: 'btn', 'data-testid': 'outbox-resend', text: t('outbox.resend', { version: c.version }) });
      again.addEventListener('click', () => app.outbox.retry(r.id, { version: c.version }));
      li.append(again);
    }
    const open = el('button', { type: 'button', class: 'btn link', text: t('outbox.openTask') });
    open.addEventListener('click', () => go('task', { task: String(r.taskId) }));
    li.append(open);
  }
  if (r.state === 'failed') {
    li.append(el('p', { class: 'error', role: 'alert', 'data-testid': 'outbox-error', text: r.error?.code === 'unprocessable' && r.kind === 'transition' ? t('task.needAfterPhoto') : (r.error?.detail || '') }));
    const again = el('button', { type: 'button', class: 'btn', 'data-testid': 'outbox-retry', text: t('outbox.retry') });
    again.addEventListener('click', () => app.outbox.retry(r.id));
    li.append(again);
  }
  if (r.state !== 'pending' || !navigator.onLine) {
    const drop = el('button', { type: 'button', class: 'btn link', 'data-testid': 'outbox-discard', text: t('outbox.discard') });
    drop.addEventListener('click', () => app.outbox.remove(r.id));
    li.append(drop);
  }
  return li;
}

async function showPending() {
  const items = await app.outbox.all();
  const b = $('[data-testid="pending-count"]');
  const n = items.length;
  const problems = items.filter((r) => r.state !== 'pending').length;
  b.hidden = n === 0;
  b.textContent = problems ? t('outbox.badgeProblems', { n, k: problems }) : t('outbox.badge', { n });
  b.dataset.count = String(n);
  b.classList.toggle('warn', problems > 0);
}

function showNet() {
  const n = $('[data-testid="net-status"]');
  n.textContent = navigator.onLine ? t('field.online') : t('field.offline');
  n.dataset.online = String(navigator.onLine);
}

// ---- start ----------------------------------------------------------------

async function start(me) {
  app.me = me;
  $('#login').hidden = true;
  $('#app').hidden = false;
  $('[data-testid="whoami"]').textContent = t('console.signedInAs', { name: me.user.name || me.user.email, role: t(`role.${me.user.role}`) });
  app.outbox = new Outbox({ me });
  app.outbox.addEventListener('change', () => {
    showPending();
    if (app.view === 'outbox') renderOutbox();
  });
  app.outbox.addEventListener('progress', (e) => {
    // The same upload's bar in the outbox and under the task's photos.
    for (const bar of document.querySelectorAll(`[data-testid="outbox-item"][data-id="${e.detail.id}"] progress, [data-testid="pending-photos"] [data-id="${e.detail.id}"] progress`)) bar.value = e.detail.f;
  });
  app.outbox.addEventListener('sent', async (e) => {
    const { rec } = e.detail;
    if (app.pendingUrls.has(rec.id)) { URL.revokeObjectURL(app.pendingUrls.get(rec.id)); app.pendingUrls.delete(rec.id); }
    if (app.view === 'task' && String(rec.taskId) === String(app.task?.id)) await renderTask(app.task.id);
    if (rec.kind === 'inspection') {
      app.roundMsg = { text: t('insp.sent', { n: Object.keys(e.detail.data.cases || {}).length }), kind: 'ok' };
      if (app.view === 'round') await go('round');
    }
  });
  app.outbox.addEventListener('refused', () => { if (app.view === 'task' && app.task) drawTask(); });
  for (const b of document.querySelectorAll('.field-nav [data-view]')) b.onclick = () => go(b.dataset.view);
  $('[data-testid="pending-count"]').onclick = () => go('outbox');
  showPending();
  showDevicePush();
  const p = new URLSearchParams(location.search);
  const view = VIEWS.includes(p.get('view')) ? p.get('view') : 'nearby';
  await go(view, { task: p.get('task'), asset: p.get('asset'), inspection: p.get('inspection') });
  app.outbox.sync();
  document.body.dataset.ready = 'true';
}

// ---- notices on this phone ------------------------------------------------

const DEVICE_KEY = 'inframap.devicePush';

/**
 * showDevicePush offers to bring the person's notices (dispatched to my
 * unit, due soon, overdue…) to this phone by push, through the page's own
 * worker; on, it says so and offers to turn it off. Not offered where the
 * browser has no push; e-mail-less staff still see every notice in the
 * console and on this page's task list.
 */
function showDevicePush() {
  const box = $('[data-testid="device-push"]');
  if (!pushSupported() || !app.me) { box.hidden = true; return; }
  let saved = null;
  try { saved = JSON.parse(localStorage.getItem(DEVICE_KEY) || 'null'); } catch { /* none */ }
  const mine = saved && saved.user === app.me.user.id ? saved : null;
  const status = el('span', { class: 'hint', role: 'status', 'aria-live': 'polite', 'data-testid': 'device-push-status' });
  const button = el('button', { type: 'button', class: 'btn link', 'data-testid': 'device-push-toggle',
    text: t(mine ? 'field.pushOff' : 'field.pushOn') });
  if (mine) status.textContent = t('field.pushIsOn');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const reg = await navigator.serviceWorker.ready;
      if (mine) {
        await send('DELETE', `/api/v1/subscriptions/${encodeURIComponent(mine.token)}`).catch(() => {});
        await (await reg.pushManager.getSubscription())?.unsubscribe();
        localStorage.removeItem(DEVICE_KEY);
      } else {
        const push = await pushFor(reg);
        const res = await send('POST', '/api/v1/notices/push', { json: { push, lang: document.documentElement.lang === 'en' ? 'en' : 'zh' } });
        localStorage.setItem(DEVICE_KEY, JSON.stringify({ user: app.me.user.id, token: res.data.token }));
      }
      showDevicePush();
    } catch (err) {
      button.disabled = false;
      status.textContent = err && err.name === 'NotAllowedError' ? t('subscribe.pushDenied') : err instanceof ApiError ? problemText(err) : t('field.pushFailed');
    }
  });
  box.replaceChildren(button, ' ', status);
  box.hidden = false;
}

function showLogin() {
  $('#app').hidden = true;
  $('#login').hidden = false;
  loginForm($('#login'), { heading: t('field.loginHeading'), onSignedIn: (me) => start(me).catch(showError) });
  document.body.dataset.ready = 'login';
}

function showError(err) {
  console.error(err);
  document.body.append(el('div', { class: 'notice error', role: 'alert', 'data-testid': 'load-error',
    text: err instanceof ApiError ? problemText(err) : t('app.loadFailed', { detail: err.message }) }));
}

async function main() {
  if ('serviceWorker' in navigator) {
    // The page's shell for when there is no signal; scoped to /field only.
    navigator.serviceWorker.register('/sw.js', { scope: '/field' }).catch((err) => console.warn('service worker', err));
  }
  setupLanguage('field.title', () => {
    showNet();
    if (!$('#login').hidden) { showLogin(); return; }
    if (app.me) {
      $('[data-testid="whoami"]').textContent = t('console.signedInAs', { name: app.me.user.name || app.me.user.email, role: t(`role.${app.me.user.role}`) });
      showPending();
      showDevicePush();
      const p = new URLSearchParams(location.search);
      go(app.view, { task: p.get('task'), asset: p.get('asset') });
    }
  });
  showNet();
  addEventListener('online', showNet);
  addEventListener('offline', showNet);
  $('[data-testid="logout"]').addEventListener('click', async () => {
    const n = app.outbox ? (await app.outbox.all()).length : 0;
    if (n) {
      go('outbox');
      say($('#view-outbox .hint'), t('field.logoutPending', { n }), 'error');
      return;
    }
    await logout();
    localStorage.removeItem('inframap.field.me');
    if (window.caches) await caches.delete('inframap-api').catch(() => {});
    location.replace('/field');
  });
  // Without signal the page still opens: who was signed in and the
  // vocabulary are kept from the last time (the service worker keeps the rest).
  const [me, meta] = await Promise.all([remembered('inframap.field.me', whoami), remembered('inframap.field.meta', () => getJSON('/api/v1/meta'))]);
  app.meta = meta;
  if (me) await start(me); else showLogin();
}

/** remembered answers from fetch() and keeps its answer; offline, the kept one. */
async function remembered(key, fetch) {
  try {
    const v = await fetch();
    try { if (v) localStorage.setItem(key, JSON.stringify(v)); else localStorage.removeItem(key); } catch { /* not kept */ }
    return v;
  } catch (err) {
    if (!(err instanceof ApiError && err.offline)) throw err;
    const kept = localStorage.getItem(key);
    if (!kept) throw err;
    return JSON.parse(kept);
  }
}

main().catch(showError);
