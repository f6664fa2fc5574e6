// app-manage.js: the engineers' console (/manage). After sign-in: the
// queues (reports to triage, overdue, open work, done work awaiting
// verification), a task's panel with its next steps, progress edits and
// photos, the asset editor on the map, and for admins users, crews and the
// audit trail. The open task and asset are in the address (?task=, ?asset=).
import { getJSON, query, ApiError } from './api.js';
import { t, name, num, dateTime, onLangChange } from './i18n.js';
import { el, option, problemText } from './dom.js';
import { whoami, loginForm, logout, setupLanguage, can } from './session.js';
import { readState } from './state.js';
import { createMap } from './map.js';
import { LabelLayer } from './labels.js';
import { Projection } from './projection.js';
import { Basemap, PROVIDERS, providerName } from './basemap.js';
import { Notices } from './notice.js';
import { TaskPanel } from './task-panel.js';
import { AssetEditor } from './asset-editor.js';
import { AdminPanel } from './admin.js';
import { EvaluationPanel } from './evaluation.js';
import { InspectionsPanel } from './inspections-panel.js';
import { statusColor } from './symbols.js';
import { lightBadge, leftText, deadlineText } from './clock.js';
import { QueueMap, unassigned } from './queue-map.js';
import { StaffNotices } from './staff-notices.js';
import { WorkListPanel } from './worklist.js';

/* global L */

const $ = (sel) => document.querySelector(sel);
const app = { crews: [], queue: 'reported', sort: 'priority', kind: '', assignee: '' };
// The orders of the queue: the service sorts (order=), the page keeps it.
// Distance is from the map's centre: move the map, the order follows.
const SORTS = ['priority', 'time_left', 'newest', 'oldest', 'distance'];
const DEFAULT_SORT = 'priority';
const QUEUES = {
  reported: { status: 'reported' },
  overdue: { overdue: 'true' },
  open: { status: 'filed,dispatched,in_progress' },
  done: { status: 'done' },
};

function address() {
  const p = new URLSearchParams(location.search);
  return { task: p.get('task') || '', asset: p.get('asset') || '', tab: p.get('tab') || '', queue: p.get('queue') || '', sort: p.get('sort') || '',
    kind: p.get('kind') || '', assignee: p.get('assignee') || '' };
}

function setAddress(changes) {
  const p = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(changes)) {
    if (v) p.set(k, v); else p.delete(k);
  }
  const qs = p.toString();
  history.replaceState(null, '', location.pathname + (qs ? `?${qs}` : ''));
}

// ---- tabs -----------------------------------------------------------------

function setupTabs() {
  const tabs = [...document.querySelectorAll('[role=tab]')];
  const visible = () => tabs.filter((x) => !x.hidden);
  const select = (tab, focus) => {
    for (const x of tabs) {
      const on = x === tab;
      x.setAttribute('aria-selected', String(on));
      x.tabIndex = on ? 0 : -1;
      document.getElementById(x.getAttribute('aria-controls')).hidden = !on;
    }
    if (focus) tab.focus();
    setAddress({ tab: tab.dataset.tab === 'queue' ? '' : tab.dataset.tab });
    if (tab.dataset.tab === 'admin' && !app.adminLoaded) { app.adminLoaded = true; app.admin.load(); }
    if (tab.dataset.tab === 'eval' && !app.evalLoaded) { app.evalLoaded = true; app.evaluation.load(); }
    if (tab.dataset.tab === 'work' && !app.workLoaded) { app.workLoaded = true; app.work.load(); }
    app.evaluation?.show(tab.dataset.tab === 'eval');
    if (tab.dataset.tab === 'insp' && !app.inspLoaded) { app.inspLoaded = true; app.inspections.load(); }
    app.inspections?.show(tab.dataset.tab === 'insp');
  };
  for (const tab of tabs) {
    tab.addEventListener('click', () => select(tab, false));
    tab.addEventListener('keydown', (e) => {
      const v = visible();
      const i = v.indexOf(tab);
      const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: v.length - 1 }[e.key];
      if (to === undefined) return;
      e.preventDefault();
      select(v[(to + v.length) % v.length], true);
    });
  }
  app.selectTab = (n, focus) => select(tabs.find((x) => x.dataset.tab === n), focus);
}

// ---- queue ----------------------------------------------------------------

function renderQueueShell() {
  const root = $('#panel-queue');
  const group = el('div', { class: 'segmented', role: 'group', 'aria-label': t('console.queues') });
  for (const q of Object.keys(QUEUES)) {
    const b = el('button', { type: 'button', class: 'seg', 'data-queue': q, 'data-testid': `queue-${q}`, 'aria-pressed': String(q === app.queue), text: t(`console.queue.${q}`) });
    b.addEventListener('click', () => { app.queue = q; rememberFilters(); renderQueueShell(); loadQueue(); });
    group.append(b);
  }
  const refresh = el('button', { type: 'button', class: 'btn', 'data-testid': 'queue-refresh', text: t('console.refresh') });
  refresh.addEventListener('click', () => loadQueue());
  const sort = el('select', { id: 'q-sort', 'data-testid': 'queue-sort' }, SORTS.map((o) => option(o, t(`clock.sort.${o}`), o === app.sort)));
  sort.addEventListener('change', () => { app.sort = sort.value; rememberFilters(); loadQueue(); });
  const kind = el('select', { id: 'q-kind', 'data-testid': 'queue-kind' }, option('', t('console.allKinds'), !app.kind),
    app.meta.kinds.map((k) => option(k.code, name(k), k.code === app.kind)));
  kind.addEventListener('change', () => { app.kind = kind.value; rememberFilters(); loadQueue(); });
  const crews = [...new Set(app.crews.map((c) => c.name))];
  if (app.assignee && !crews.includes(app.assignee)) crews.push(app.assignee);
  const assignee = el('select', { id: 'q-assignee', 'data-testid': 'queue-assignee' }, option('', t('queue.anyAssignee'), !app.assignee),
    crews.map((c) => option(c, c, c === app.assignee)));
  assignee.addEventListener('change', () => { app.assignee = assignee.value; rememberFilters(); loadQueue(); });
  app.lightsSummary = el('p', { class: 'lights-summary', 'data-testid': 'queue-lights', 'aria-live': 'polite' });
  app.queueCount = el('p', { class: 'shown', role: 'status', 'data-testid': 'queue-count' });
  app.queueList = el('ul', { class: 'queue', id: 'queue-list', tabindex: '-1', 'data-testid': 'queue-list', 'aria-label': t(`console.queue.${app.queue}`) });
  root.replaceChildren(el('h2', { class: 'panel-h', text: t('console.queueHeading') }), group, app.lightsSummary,
    el('div', { class: 'queue-tools' },
      el('div', { class: 'field' }, el('label', { for: 'q-sort', text: t('clock.sort') }), sort),
      el('div', { class: 'field' }, el('label', { for: 'q-kind', text: t('details.kind') }), kind),
      el('div', { class: 'field' }, el('label', { for: 'q-assignee', text: t('queue.assignee') }), assignee),
      refresh),
    savedFiltersBox(), app.queueCount, app.queueList);
  if (app.lights) showLights(app.lights);
}

// ---- saved filters ----------------------------------------------------------
// Each person keeps their own named views of the queue (queue, order, kind,
// unit) in this browser, under their account.

const filtersKey = () => `inframap.queueFilters.${app.me.user.id}`;

function savedFilters() {
  try {
    const v = JSON.parse(localStorage.getItem(filtersKey()) || '[]');
    return Array.isArray(v) ? v.filter((f) => f && typeof f.name === 'string') : [];
  } catch { return []; }
}

function storeFilters(list) {
  try { localStorage.setItem(filtersKey(), JSON.stringify(list)); } catch { /* private mode: kept for this visit only */ }
}

const currentFilter = () => ({ queue: app.queue, sort: app.sort, kind: app.kind, assignee: app.assignee });

function savedFiltersBox() {
  const list = savedFilters();
  const box = el('details', { class: 'saved-filters', 'data-testid': 'saved-filters' });
  if (app.savedOpen) box.open = true;
  box.addEventListener('toggle', () => { app.savedOpen = box.open; });
  const chips = el('ul', { class: 'filter-chips', 'data-testid': 'saved-filter-list' });
  for (const f of list) {
    const use = el('button', { type: 'button', class: 'filter-chip', 'data-testid': 'saved-filter', 'data-name': f.name, text: f.name });
    use.addEventListener('click', () => {
      app.queue = QUEUES[f.queue] ? f.queue : 'reported';
      app.sort = SORTS.includes(f.sort) ? f.sort : DEFAULT_SORT;
      app.kind = f.kind || '';
      app.assignee = f.assignee || '';
      rememberFilters();
      renderQueueShell();
      loadQueue();
    });
    const del = el('button', { type: 'button', class: 'filter-chip-x', 'data-testid': 'saved-filter-delete', 'aria-label': t('queue.deleteFilter', { name: f.name }), text: '×' });
    del.addEventListener('click', () => {
      storeFilters(savedFilters().filter((x) => x.name !== f.name));
      renderQueueShell();
    });
    chips.append(el('li', {}, use, del));
  }
  if (!list.length) chips.append(el('li', { class: 'muted', text: t('queue.noSavedFilters') }));
  const input = el('input', { id: 'q-filter-name', 'data-testid': 'saved-filter-name', maxlength: '30', autocomplete: 'off', required: true });
  const form = el('form', { class: 'inline-form', 'data-testid': 'saved-filter-form' },
    el('div', { class: 'field' }, el('label', { for: 'q-filter-name', text: t('queue.filterName') }), input),
    el('button', { type: 'submit', class: 'btn', text: t('queue.saveFilter') }));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const n = input.value.trim();
    if (!n) return;
    storeFilters([...savedFilters().filter((x) => x.name !== n), { name: n, ...currentFilter() }]);
    app.savedOpen = true;
    app.filterSaved = n;
    renderQueueShell();
    $('[data-testid="saved-filter-name"]')?.focus();
  });
  const said = el('p', { class: 'form-status', role: 'status', 'data-testid': 'saved-filter-status', text: app.filterSaved ? t('queue.filterSaved', { name: app.filterSaved }) : '' });
  app.filterSaved = '';
  box.append(el('summary', { text: t('queue.savedFilters', { n: list.length }) }), chips, form, said);
  return box;
}

/** rememberFilters keeps the queue's view in the address (defaults left out). */
function rememberFilters() {
  setAddress({ queue: app.queue === 'reported' ? '' : app.queue, sort: app.sort === DEFAULT_SORT ? '' : app.sort, kind: app.kind, assignee: app.assignee });
}

/** loadLights counts the open cases by light (GET /api/v1/stats), for the line over the queue. */
async function loadLights() {
  try {
    const st = await getJSON('/api/v1/stats');
    app.lights = st.tasks.lights;
    showLights(app.lights);
  } catch { /* the queue is still useful without the counts */ }
}

function showLights(l) {
  const n = (k) => num(l[k] || 0);
  app.lightsSummary.textContent = t('clock.lights', { red: n('red'), yellow: n('yellow'), green: n('green'), paused: n('paused') });
  app.lightsSummary.dataset.red = String(l.red || 0);
  const b = document.querySelector('[data-testid="queue-overdue"]');
  if (b) b.textContent = `${t('console.queue.overdue')} ${num(l.red || 0)}`;
}

/** clockOf is the light and time left of a queue item, with its deadline for tests and sorting. */
function clockOf(k) {
  const light = k.clock ? k.clock.light : 'none';
  const left = el('span', { class: 'left-text' + (light === 'red' ? ' late' : ''), 'data-testid': 'queue-left', text: leftText(k.clock) });
  const box = el('span', { class: 'item-clock' }, lightBadge(light, { testid: 'queue-light' }), left);
  if (k.clock?.deadline) left.title = `${t('clock.deadline')} ${deadlineText(k.clock.deadline)}`;
  return box;
}

async function loadQueue() {
  const q = app.queue;
  loadLights();
  app.queueCount.textContent = t('app.loading');
  const params = { ...QUEUES[q], order: app.sort, kind: app.kind, assignee: app.assignee, limit: 200 };
  if (app.sort === 'distance') params.near = app.queueMap.centre(app.proj).map((v) => v.toFixed(6)).join(',');
  const seq = (app.queueSeq = (app.queueSeq || 0) + 1);
  let page;
  try {
    page = await getJSON(query('/api/v1/tasks', params));
  } catch (err) {
    app.queueCount.textContent = problemText(err);
    return;
  }
  if (q !== app.queue || seq !== app.queueSeq) return;
  const tasks = page.tasks;
  const more = (page.links || []).some((l) => l.rel === 'next');
  app.queueCount.textContent = t(more ? 'console.countMore' : 'console.count', { n: tasks.length });
  app.queueCount.dataset.count = String(tasks.length);
  app.queueTasks = tasks;
  app.queueMap.set(tasks, t(`console.queue.${q}`));
  // Redrawn under the person's focus: keep it on the same task, or the first.
  const focused = app.queueList.contains(document.activeElement) ? document.activeElement.dataset.id || '' : null;
  const open = app.task?.task?.id;
  app.queueList.replaceChildren(...tasks.map((k) => {
    const dot = el('span', { class: 'dot', 'aria-hidden': 'true' });
    dot.style.background = statusColor(k.status);
    const flags = [];
    if (k.priority === 'urgent' || k.priority === 'high') flags.push(el('span', { class: `flag pr-${k.priority}`, 'data-testid': 'queue-priority', text: t(`priority.${k.priority}`) }));
    if (unassigned(k)) flags.push(el('span', { class: 'flag unassigned', 'data-testid': 'queue-unassigned', text: t('queue.unassigned') }));
    if (!k.place) flags.push(el('span', { class: 'flag unplaced', title: t('queue.unplacedHint'), text: t('queue.unplaced') }));
    const b = el('button', { type: 'button', class: 'item', 'data-testid': 'queue-item', 'data-id': String(k.id), 'data-ref': k.ref,
      'data-priority': k.priority, 'data-light': k.clock ? k.clock.light : 'none', 'data-deadline': k.clock?.deadline || '' },
      dot, el('span', { class: 'item-name', text: k.title }), clockOf(k), ...flags,
      el('span', { class: 'item-meta', text: [k.ref, statusName(k.status), t(`priority.${k.priority}`),
        k.assignee, k.clock?.deadline && `${t('clock.deadline')} ${deadlineText(k.clock.deadline)}`,
        !k.clock?.deadline && k.due_date && `${t('details.dueDate')} ${k.due_date}`, t(`source.${k.source}`), dateTime(k.created_at)].filter(Boolean).join(' · ') }));
    if (k.overdue) b.classList.add('overdue');
    if (k.id === open) b.setAttribute('aria-current', 'true');
    b.addEventListener('click', () => openTask(k.id, b));
    b.addEventListener('mouseenter', () => app.queueMap.hover(k.id, true));
    b.addEventListener('mouseleave', () => app.queueMap.hover(k.id, false));
    return el('li', {}, b);
  }));
  if (!tasks.length) app.queueList.append(el('li', { class: 'muted', text: t('console.empty') }));
  if (focused !== null) (app.queueList.querySelector(`[data-id="${focused}"]`) || app.queueList.querySelector('button') || app.queueList).focus();
  if (!app.queueFitted && tasks.some((k) => k.place) && !address().task) { app.queueFitted = true; app.queueMap.fit(); }
  app.queueList.dataset.loaded = String(seq);
}

/** markRow marks the queue row of the open task (and none other). */
function markRow(id, { scroll = false } = {}) {
  for (const b of app.queueList.querySelectorAll('[aria-current]')) b.removeAttribute('aria-current');
  const row = app.queueList.querySelector(`[data-id="${id}"]`);
  if (!row) return;
  row.setAttribute('aria-current', 'true');
  if (scroll) row.scrollIntoView({ block: 'nearest' });
}

function statusName(code) {
  const s = app.meta.statuses.find((x) => x.code === code);
  return s ? name(s) : code;
}

// ---- task -----------------------------------------------------------------

function openTask(id, from, { fromMap = false } = {}) {
  setAddress({ task: String(id) });
  app.queueMap.select(Number(id));
  markRow(Number(id), { scroll: fromMap });
  const row = app.queueList.querySelector(`[data-id="${id}"]`);
  app.task.open(id, { returnFocus: from || row || document.activeElement });
}

/** showOnMap highlights where the task is: its asset's shape or its reported point. */
async function showOnMap(task) {
  app.highlight?.remove();
  let g = task.location;
  if (task.asset_id) {
    try { g = (await getJSON(`/api/v1/assets/${task.asset_id}`)).geometry; } catch { /* the point, if any */ }
  }
  if (!g || !app.task.task || app.task.task.id !== task.id) return;
  const layer = L.GeoJSON.geometryToLayer({ type: 'Feature', geometry: g, properties: {} }, {
    coordsToLatLng: (c) => app.proj.toLatLng(c),
    pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 9, color: '#e8590c', weight: 3, fillOpacity: 0.3 }),
    color: '#e8590c', weight: 5, fillOpacity: 0.15,
  });
  if (layer.setStyle && !(layer instanceof L.CircleMarker) && g.type !== 'Point') layer.setStyle({ color: '#e8590c', weight: 5, fillOpacity: 0.15 });
  app.highlight = layer.addTo(app.map);
  const b = layer.getBounds ? layer.getBounds() : L.latLngBounds([layer.getLatLng()]);
  // Keep it clear of the task panel over the right of the map.
  const panel = $('#task-panel').hidden ? 0 : $('#task-panel').offsetWidth;
  app.map.fitBounds(b, { maxZoom: 18, paddingTopLeft: [60, 60], paddingBottomRight: [panel + 60, 60], animate: false });
  showContext();
}

/** showContext draws the assets around what is shown, coloured by status, for orientation. */
async function showContext() {
  let page;
  try {
    page = await getJSON(query('/api/v1/assets', { bbox: app.proj.bbox(app.map.getBounds()), kind: 'road_repair,sewer_separation,parking_lot,manhole,capital_project', limit: 300 }));
  } catch { return; }
  app.context?.remove();
  app.context = L.geoJSON(page, {
    coordsToLatLng: (c) => app.proj.toLatLng(c), pmIgnore: true,
    style: (f) => ({ color: statusColor(f.properties.status), weight: 2, opacity: 0.7, fillOpacity: 0.1 }),
    pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 4, color: statusColor(f.properties.status), weight: 1, fillOpacity: 0.6, pmIgnore: true }),
    onEachFeature: (f, layer) => layer.bindTooltip(el('span', { text: `${name(f.properties)} · ${f.properties.code}` })),
  }).addTo(app.map);
  app.highlight?.bringToFront?.();
}

// ---- assets ---------------------------------------------------------------

function renderAssetsPanel() {
  const root = $('#panel-assets');
  const q = el('input', { type: 'search', id: 'a-q', 'data-testid': 'asset-search', autocomplete: 'off', placeholder: t('filters.searchPlaceholder') });
  const kind = el('select', { id: 'a-kind', 'data-testid': 'asset-kind' }, option('', t('console.allKinds')),
    app.meta.kinds.map((k) => option(k.code, name(k))));
  const search = el('form', { class: 'inline-form', 'data-testid': 'asset-search-form', role: 'search' },
    el('div', { class: 'field' }, el('label', { for: 'a-q', text: t('filters.search') }), q),
    el('div', { class: 'field' }, el('label', { for: 'a-kind', text: t('details.kind') }), kind),
    el('button', { type: 'submit', class: 'btn', text: t('console.find') }));
  const results = el('ul', { class: 'queue', 'data-testid': 'asset-results' });
  const status = el('p', { class: 'muted', role: 'status' });
  search.addEventListener('submit', async (e) => {
    e.preventDefault();
    status.textContent = t('app.loading');
    try {
      const page = await getJSON(query('/api/v1/assets', { q: q.value.trim(), kind: kind.value, limit: 50 }));
      status.textContent = t('console.found', { n: page.features.length });
      results.replaceChildren(...page.features.map((f) => {
        const b = el('button', { type: 'button', class: 'item', 'data-testid': 'asset-result', 'data-id': String(f.id) },
          el('span', { class: 'item-name', text: name(f.properties) }),
          el('span', { class: 'item-meta', text: `${f.properties.code} · ${name(app.meta.kinds.find((k) => k.code === f.properties.kind))}` }));
        b.addEventListener('click', () => editAsset(f.id, b));
        return el('li', {}, b);
      }));
    } catch (err) {
      status.textContent = problemText(err);
    }
  });
  const newKind = el('select', { id: 'a-new-kind', 'data-testid': 'new-asset-kind' },
    app.meta.kinds.map((k) => option(k.code, name(k))));
  const newBtn = el('button', { type: 'button', class: 'btn', 'data-testid': 'new-asset', text: t('console.newAsset') });
  newBtn.addEventListener('click', () => { setAddress({ asset: '' }); app.editor.create(newKind.value, { returnFocus: newBtn }); });
  const editorRoot = el('section', { class: 'asset-editor', 'data-testid': 'asset-editor', 'aria-labelledby': 'asset-h', hidden: true });
  root.replaceChildren(
    el('h2', { class: 'panel-h', text: t('console.assetsHeading') }),
    search, status, results,
    el('div', { class: 'inline-form' }, el('div', { class: 'field' }, el('label', { for: 'a-new-kind', text: t('console.newAssetKind') }), newKind), newBtn),
    editorRoot);
  return editorRoot;
}

function editAsset(id, from) {
  app.selectTab('assets', false);
  setAddress({ asset: String(id) });
  app.editor.edit(id, { returnFocus: from || document.activeElement });
}

// ---- start ----------------------------------------------------------------

function newBasemap(state) {
  return new Basemap(app.map, state, {
    onUnreachable: () => app.notices.say('basemap.unreachable'),
    onNeedsKey: () => app.notices.say('basemap.needsKey'),
  });
}

async function start(me) {
  app.me = me;
  $('#login').hidden = true;
  $('#console').hidden = false;
  const who = $('[data-testid="whoami"]');
  who.hidden = false;
  who.textContent = t('console.signedInAs', { name: me.user.name || me.user.email, role: t(`role.${me.user.role}`) });
  $('[data-testid="logout"]').hidden = false;
  $('[data-testid="tab-admin"]').hidden = !can(me, 'admin');
  app.staffNotices = new StaffNotices($('[data-testid="notices-button"]'), { onTask: (id) => { app.selectTab('queue', false); openTask(id); } });
  app.staffNotices.load();
  // An e-mailed notice links to the settings: /manage?notices=settings.
  if (new URLSearchParams(location.search).get('notices') === 'settings') app.staffNotices.openSettings();
  // What comes back to this person shows within a minute without a reload.
  setInterval(() => app.staffNotices.load(), 60_000);

  const state = readState();
  app.notices = new Notices($('#notices'));
  if (!can(me, 'edit_task')) app.notices.say('console.readOnly');
  app.proj = new Projection(PROVIDERS[providerName(state)].crs);
  app.map = createMap($('#map'), { lat: null, lon: null, z: null }, app.proj);
  app.basemap = newBasemap(state);
  app.queueMap = new QueueMap(app.map, {
    proj: app.proj,
    onSelect: (id) => openTask(id, app.queueList.querySelector(`[data-id="${id}"]`), { fromMap: true }),
  });
  // Nearest first is nearest the map's centre: moving the map sorts again.
  let moved;
  app.map.on('moveend', () => {
    if (app.sort !== 'distance') return;
    clearTimeout(moved);
    moved = setTimeout(() => loadQueue(), 400);
  });
  app.map.pm.setLang(document.documentElement.lang === 'en' ? 'en' : 'zh');
  getJSON('/api/v1/areas').then((areas) => {
    const district = areas.features.filter((f) => f.properties.kind !== 'subdistrict');
    L.geoJSON({ type: 'FeatureCollection', features: district }, {
      coordsToLatLng: (c) => app.proj.toLatLng(c), interactive: false, pmIgnore: true,
      style: { color: '#212529', weight: 2, fill: false, dashArray: '6 4' },
    }).addTo(app.map);
  }).catch(() => {});
  // Without a basemap the map still reads: the district's roads in grey with
  // their names, and the names of car parks and works sites.
  app.labels = new LabelLayer(app.map, app.proj);
  Promise.all(['road_repair', 'parking_lot', 'capital_project'].map((kind) => getJSON(`/api/v1/assets?kind=${kind}&limit=1000`)))
    .then(([roads, lots, works]) => {
      L.geoJSON(roads, {
        coordsToLatLng: (c) => app.proj.toLatLng(c), interactive: false, pmIgnore: true,
        style: { className: 'base-road', color: '#adb5bd', weight: 6 },
      }).addTo(app.map);
      app.labels.setRoads(roads.features);
      app.labels.setPlaces([...lots.features, ...works.features]);
      $('#map').dataset.labels = 'ready';
    }).catch(() => {});

  app.meta.canEdit = can(me, 'edit_task');
  if (can(me, 'list_crews')) {
    try { app.crews = (await getJSON('/api/v1/crews')).crews; } catch { app.crews = []; }
  }
  app.task = new TaskPanel($('#task-panel'), {
    meta: app.meta, crews: () => app.crews, me,
    onChanged: () => loadQueue(),
    onAsset: (id) => editAsset(id, $('[data-testid="task-edit-asset"]')),
    onClose: () => { setAddress({ task: '' }); app.highlight?.remove(); app.queueMap.select(null); markRow(null); },
    onShow: (task) => showOnMap(task),
    focusAfterClose: (id) => app.queueList.querySelector(`[data-id="${id}"]`) || app.queueList.querySelector('button') || app.queueList,
  });
  setupTabs();
  renderQueueShell();
  const editorRoot = renderAssetsPanel();
  app.editor = new AssetEditor(editorRoot, {
    map: app.map, getProj: () => app.proj, meta: app.meta,
    onClose: () => setAddress({ asset: '' }),
  });
  app.admin = new AdminPanel($('#panel-admin'), { me, onCrews: (c) => { app.crews = c; } });
  app.evaluation = new EvaluationPanel($('#panel-eval'), { map: app.map, proj: app.proj });
  app.inspections = new InspectionsPanel($('#panel-insp'), { map: app.map, proj: app.proj,
    canEdit: ['engineer', 'admin'].includes(me.user.role) });
  app.work = new WorkListPanel($('#panel-work'), { map: app.map, proj: app.proj, meta: app.meta });
  $('.skip').addEventListener('click', (e) => {
    e.preventDefault();
    app.selectTab('queue', false);
    (app.queueList.querySelector('button') || app.queueList).focus();
  });
  onLangChange(() => {
    who.textContent = t('console.signedInAs', { name: me.user.name || me.user.email, role: t(`role.${me.user.role}`) });
    app.map.pm.setLang(document.documentElement.lang === 'en' ? 'en' : 'zh');
    renderQueueShell();
    loadQueue();
    if (app.task.task) app.task.render();
    if (app.adminLoaded) app.admin.render();
    if (app.evalLoaded) app.evaluation.load();
    if (app.inspLoaded) app.inspections.load();
    if (app.workLoaded) app.work.load();
    app.staffNotices.render();
  });

  const a = address();
  if (SORTS.includes(a.sort)) app.sort = a.sort;
  if (QUEUES[a.queue]) app.queue = a.queue;
  if (app.meta.kinds.some((k) => k.code === a.kind)) app.kind = a.kind;
  app.assignee = a.assignee;
  if (a.queue || a.sort || a.kind || a.assignee) renderQueueShell();
  await loadQueue();
  if (a.tab && a.tab !== 'queue' && !(a.tab === 'admin' && !can(me, 'admin'))) app.selectTab(a.tab, false);
  if (a.task) openTask(a.task);
  if (a.asset) editAsset(a.asset);
  document.body.dataset.ready = 'true';
}

function showLogin() {
  $('#console').hidden = true;
  $('#login').hidden = false;
  $('[data-testid="whoami"]').hidden = true;
  $('[data-testid="logout"]').hidden = true;
  loginForm($('#login'), { heading: t('console.loginHeading'), onSignedIn: (me) => start(me).catch(showError) });
  document.body.dataset.ready = 'login';
}

function showError(err) {
  console.error(err);
  const box = el('div', { class: 'notice error', role: 'alert', 'data-testid': 'load-error' },
    el('p', { text: err instanceof ApiError ? problemText(err) : t('app.loadFailed', { detail: err.message }) }));
  document.body.append(box);
}

async function main() {
  setupLanguage('console.title', () => {
    if (!$('#login').hidden) showLogin();
  });
  $('[data-testid="logout"]').addEventListener('click', async () => {
    await logout();
    location.replace('/manage');
  });
  const [me, meta] = await Promise.all([whoami(), getJSON('/api/v1/meta')]);
  app.meta = meta;
  if (me) await start(me); else showLogin();
}

main().catch(showError);
