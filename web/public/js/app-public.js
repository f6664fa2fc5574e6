// app-public.js: the public map page (/). Wires the shared modules together:
// state in the address, the map with its basemap and layers, the panels
// (filters and legend, report card, list) and the details of one feature.
import { api, getList } from './api.js';
import { t, name, lang, setLang, onLangChange, applyI18n } from './i18n.js';
import { readState, writeState } from './state.js';
import { createMap, viewOf } from './map.js';
import { Projection } from './projection.js';
import { Basemap, PROVIDERS, providerName } from './basemap.js';
import { ProgrammeLayers, createPanes } from './layers.js';
import { BayLayer } from './bays.js';
import { PROGRAMME_KINDS, setColourMode } from './symbols.js';
import { FilterPanel, matcher } from './filters.js';
import { DetailsPanel } from './details.js';
import { ListView } from './list.js';
import { ReportCard } from './report.js';
import { Notices } from './notice.js';
import { ProblemPanel } from './problem.js';
import { ReportPins } from './report-pins.js';
import { LabelLayer } from './labels.js';
import { centreOf } from './geo.js';

/* global L */

const $ = (sel) => document.querySelector(sel);
// A programme with more assets than this (a city's manholes) is drawn tile
// by tile from the server's clusters instead of loaded whole; ?tiled=N
// lowers the bar (the tests draw the district's 1,300 manholes that way). The
// server keeps the low-zoom cluster tiles of such programmes rendered
// (httpapi.MapTiledOver is the same figure).
const state = readState();
const TILED_OVER = Number(state.tiled) || 2000;
const app = {};
const nextFrame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));

function statusName(code) {
  const s = app.meta?.statuses.find((x) => x.code === code);
  return s ? name(s) : t('filters.noStatus');
}

function saveState() {
  writeState(state);
}

// Tabs: one panel at a time; arrow keys move between the tabs.
function setupTabs() {
  const tabs = [...document.querySelectorAll('[role=tab]')];
  const select = (tab, focus) => {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute('aria-controls')).hidden = !on;
    }
    if (focus) tab.focus();
    state.tab = tab.dataset.tab === 'layers' ? '' : tab.dataset.tab;
    saveState();
    if (tab.dataset.tab === 'list') app.list?.show();
    if (tab.dataset.tab === 'report') app.report?.drawChart();
    $('#map').classList.toggle('picking', tab.dataset.tab === 'problem');
  };
  for (const tab of tabs) {
    tab.addEventListener('click', () => select(tab, false));
    tab.addEventListener('keydown', (e) => {
      const i = tabs.indexOf(tab);
      const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
      if (to === undefined) return;
      e.preventDefault();
      select(tabs[(to + tabs.length) % tabs.length], true);
    });
  }
  app.selectTab = (name, focus) => select(tabs.find((x) => x.dataset.tab === name), focus);
  const initial = tabs.find((x) => x.dataset.tab === state.tab);
  if (initial) select(initial, false);
}

function setupLanguage() {
  const buttons = document.querySelectorAll('[data-lang]');
  const mark = () => buttons.forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.lang === lang())));
  buttons.forEach((b) => b.addEventListener('click', () => setLang(b.dataset.lang)));
  mark();
  onLangChange(() => {
    mark();
    document.title = `${t('app.title')} · inframap`;
    app.filters?.render();
    app.report?.render();
    app.list?.render();
    app.details?.rerender();
    app.layers?.rebuild();
    refilter();
    showAsOf();
  });
  applyI18n(document);
  document.title = `${t('app.title')} · inframap`;
}

function showAsOf() {
  const b = $('[data-testid="as-of-banner"]');
  b.hidden = !state.asOf;
  b.querySelector('.asof-text').textContent = state.asOf ? t('map.asOf', { date: state.asOf }) : '';
}

/** shownFeatures lists the loaded features that pass the filters, for the list. */
function shownFeatures(keep, kinds) {
  return app.layers.all().filter((f) => kinds.has(f.properties.kind) && keep(f));
}

const OPEN = ['reported', 'filed', 'dispatched', 'in_progress', 'done'];

/**
 * loadDue finds the assets with open work on time or late (anonymous
 * callers list tasks with overdue=true|false), asked for only when the
 * filter is first used, so the first draw does not wait for it.
 */
function loadDue(due) {
  app.due ||= {};
  app.due[due] ||= getList('/api/v1/tasks', 'tasks', { status: OPEN.join(','), overdue: String(due === 'late') }).then((tasks) => {
    const ids = new Set();
    const byKind = {};
    for (const k of tasks) {
      if (!k.asset_id || ids.has(k.asset_id)) continue;
      ids.add(k.asset_id);
      if (k.asset) byKind[k.asset.kind] = (byKind[k.asset.kind] || 0) + 1;
    }
    return { ids, byKind };
  }).catch((err) => { delete app.due[due]; throw err; });
  return app.due[due];
}

/** dueNow is what loadDue found for the chosen filter, once it has come. */
const dueNow = () => (state.due && app.dueLoaded ? app.dueLoaded[state.due] : null);

/** refilter applies the filters to the map, the legend counts and the list. */
function refilter() {
  if (!app.layers || !app.filters) return;
  const map = $('#map');
  if (state.due && !dueNow()) {
    // Asked for once; the map changes when the answer comes.
    const due = state.due;
    map.dataset.due = 'loading';
    loadDue(due).then((d) => {
      app.dueLoaded = { ...app.dueLoaded, [due]: d };
      if (state.due === due) refilter();
    }).catch(showError);
    return;
  }
  map.dataset.due = state.due || 'all';
  const dueIds = dueNow()?.ids || null;
  const keep = matcher(state, { dueIds });
  const kinds = app.filters.kindsShown();
  const key = JSON.stringify([state.kinds, state.statuses, state.subdistrict, state.from, state.to, state.q, state.due]);
  // A programme drawn tile by tile gets its assets filtered one by one; the
  // server's clusters cannot say which members are late, so they are left
  // out while the filter is on, and the legend counts the open work instead.
  const clusterStatuses = state.due ? new Set() : state.statuses ? new Set(state.statuses) : null;
  const counts = app.layers.filter(keep, kinds, clusterStatuses, key);
  if (state.due) for (const kind of kinds) if (app.layers.isTiled(kind)) counts[kind] = dueNow().byKind[kind] || 0;
  // Status counts ignore the status filter, so the legend says what each box would add.
  const keepAnyStatus = matcher(state, { ignoreStatus: true, dueIds });
  const statusCounts = {};
  for (const kind of kinds) {
    if (!app.layers.isTiled(kind) || state.due) continue;
    // A programme drawn tile by tile is counted by the stats, whatever is in view.
    for (const [s, n] of Object.entries(app.layers.tiledStats[kind]?.by_status || {})) {
      statusCounts[s] = (statusCounts[s] || 0) + n;
    }
  }
  for (const f of app.layers.all()) {
    if (!kinds.has(f.properties.kind) || app.layers.isTiled(f.properties.kind)) continue;
    if (keepAnyStatus(f)) {
      const s = f.properties.status || 'none';
      statusCounts[s] = (statusCounts[s] || 0) + 1;
    }
  }
  app.filters.setCounts(counts, statusCounts);
  const shown = shownFeatures(keep, kinds);
  app.list.setFeatures(shown);
  zoomToSearch(shown);
  saveState();
}

/** zoomToSearch moves the map to what a new search found (迎宾路: the road's sections). */
function zoomToSearch(shown) {
  const q = state.q || '';
  if (q === app.lastQ) return;
  app.lastQ = q;
  if (!q || !shown.length || shown.length > 500) return;
  const b = L.latLngBounds([]);
  for (const f of shown) b.extend(L.geoJSON(f, { coordsToLatLng: (c) => app.proj.toLatLng(c) }).getBounds());
  if (b.isValid()) app.map.fitBounds(b, { maxZoom: 17, padding: [24, 24] });
  $('#map').dataset.searched = q;
}

/** relist shows in the list what the tiles in view brought, a moment after they stop coming. */
function relist() {
  clearTimeout(app.relistTimer);
  app.relistTimer = setTimeout(() => app.list.setFeatures(shownFeatures(matcher(state, { dueIds: dueNow()?.ids }), app.filters.kindsShown())), 250);
}

/**
 * fetchAssets asks for every programme feature at the chosen date, a request
 * per programme. A programme too numerous to load whole (the OGC
 * collection's numberMatched tells, a cached count asked for first) comes
 * back as [kind, null] and is drawn tile by tile; its legend counts come
 * with the stats.
 */
function fetchAssets(asOf) {
  return Promise.all(PROGRAMME_KINDS.map(async (kind) => {
    if (app.layers?.isTiled(kind) || (await api.count(kind)) > TILED_OVER) return [kind, null];
    return [kind, await api.assets({ kind, as_of: asOf })];
  }));
}

/** loadAssets draws the programme features at the chosen date (fetched already when given). */
async function loadAssets(fetching) {
  const asOf = state.asOf;
  const map = $('#map');
  map.dataset.loading = 'true';
  const results = await (fetching || fetchAssets(asOf));
  if (asOf !== state.asOf) return false;
  performance.mark('inframap:data-loaded');
  for (const [kind, fs] of results) {
    if (fs) app.layers.setFeatures(kind, fs);
    else app.layers.setTiled(kind);
  }
  if (app.report.stats) app.layers.setTiledStats(app.report.stats); // when the stats came first
  performance.mark('inframap:layers-built');
  const tilesDrawn = app.layers.updateTiled(); // asked for first: they come while the rest is drawn
  refilter();
  await tilesDrawn;
  map.dataset.tiled = PROGRAMME_KINDS.filter((k) => app.layers.isTiled(k)).join(' ');
  performance.mark('inframap:filtered');
  if (app.report.stats) app.report.render(); // it names the capital project from its feature
  if (state.id) app.layers.select(app.layers.find(state.id), { pan: false });
  // Names on the map from our own data (drawn in plain mode, without a basemap).
  app.labels.setRoads(app.layers.features.road_repair || []);
  app.labels.setPlaces([...(app.layers.features.parking_lot || []), ...(app.layers.features.capital_project || [])]);
  map.dataset.loading = 'false';
  map.dataset.asOf = asOf || 'now';
  return true;
}

async function loadStats(fetching) {
  const asOf = state.asOf;
  const st = await (fetching || api.stats(asOf));
  if (asOf !== state.asOf) return;
  app.report.setStats(st);
  // Programmes drawn tile by tile are counted in the legend from the stats.
  if (app.layers.setTiledStats(st)) refilter();
}

async function setAsOf(d) {
  state.asOf = d;
  saveState();
  showAsOf();
  app.report.render();
  app.bays.reset({ asOf: d });
  app.pins.setAsOf(d);
  await Promise.all([loadAssets(), loadStats()]).catch(showError);
  app.details.rerender();
}

function openDetails(id, returnFocus) {
  state.id = String(id);
  saveState();
  const f = app.layers.find(id);
  if (f) app.layers.select(f);
  app.details.open(id, { returnFocus });
}

function setBasemap(provider) {
  state.basemap = provider === 'osm' ? '' : provider;
  saveState();
  const center = viewOf(app.map, app.proj);
  app.basemap.remove();
  app.basemap = newBasemap();
  const crs = PROVIDERS[providerName(state)].crs;
  if (crs !== app.proj.crs) {
    app.proj = new Projection(crs);
    app.map.setView(app.proj.toLatLng([center.lon, center.lat]), center.z, { animate: false });
    app.layers.rebuild(app.proj);
    app.bays.reset({ proj: app.proj });
    app.pins.setProjection(app.proj);
    app.labels.setProjection(app.proj);
    refilter();
    if (state.id) app.layers.select(app.layers.find(state.id), { pan: false });
  }
}

function newBasemap() {
  return new Basemap(app.map, state, {
    onUnreachable: () => app.notices.say('basemap.unreachable'),
    onNeedsKey: () => app.notices.say('basemap.needsKey'),
  });
}

function showError(err) {
  console.error(err);
  const box = document.createElement('div');
  box.className = 'notice error';
  box.setAttribute('role', 'alert');
  box.setAttribute('data-testid', 'load-error');
  const p = document.createElement('p');
  p.textContent = t('app.loadFailed', { detail: err.message }) + (err.requestId ? ` (${t('app.requestId', { id: err.requestId })})` : '');
  const retry = document.createElement('button');
  retry.type = 'button';
  retry.className = 'btn';
  retry.textContent = t('app.retry');
  retry.addEventListener('click', () => location.reload());
  box.append(p, retry);
  $('#notices').append(box);
}

async function main() {
  // Ask for everything at once; the map is set up while the answers come.
  const early = {
    meta: api.meta(), areas: api.areas(), assets: fetchAssets(state.asOf), stats: api.stats(state.asOf),
  };
  for (const p of Object.values(early)) p.catch(() => {}); // reported where awaited
  setupLanguage();
  app.notices = new Notices($('#notices'));
  app.proj = new Projection(PROVIDERS[providerName(state)].crs);
  app.map = createMap($('#map'), state, app.proj);
  createPanes(app.map);
  app.basemap = newBasemap();
  app.map.on('moveend', () => {
    Object.assign(state, viewOf(app.map, app.proj));
    saveState();
  });
  const onSelect = (f) => openDetails(f.id, $('#map'));
  app.layers = new ProgrammeLayers(app.map, { proj: app.proj, onSelect, statusName, onTiles: relist, onError: showError });
  app.labels = new LabelLayer(app.map, app.proj);
  // A search given in the address keeps the address's view; a new one moves the map.
  app.lastQ = state.q || '';

  const [meta, areas] = await Promise.all([early.meta, early.areas]);
  app.meta = meta;
  app.layers.setAreas(areas);
  const zones = areas.features.filter((f) => f.properties.kind === 'subdistrict').map((f) => f.properties)
    .sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'));

  app.filters = new FilterPanel($('#panel-layers'), {
    meta, zones, state,
    onChange: refilter,
    onColours: (m) => {
      setColourMode(m);
      app.layers.rebuild();
      app.filters.render();
      refilter();
    },
    onContext: (key, on) => {
      const layer = { boundary: app.layers.areas, zones: app.layers.zones }[key];
      if (layer) (on ? layer.addTo(app.map) : layer.remove());
      if (key === 'bays') app.bays.setEnabled(on);
      if (key === 'reports') app.pins.setEnabled(on);
    },
    onBasemap: setBasemap,
  });
  app.list = new ListView($('#panel-list'), { meta, onOpen: (f, btn) => openDetails(f.id, btn) });
  app.problem = new ProblemPanel($('#panel-problem'), { map: app.map, getProj: () => app.proj, meta, getState: () => state, zones });
  app.pins = new ReportPins(app.map, {
    proj: app.proj, statusName,
    onFollow: (ref) => { app.selectTab('problem', false); app.problem.follow(ref); },
  });
  app.pins.setAsOf(state.asOf);
  // While the report form is open, a click on the map says where the problem is.
  app.map.on('click', (e) => {
    if (state.tab === 'problem' && !app.problem.drawing) {
      const [lon, lat] = app.proj.toLonLat(e.latlng);
      app.problem.setLocation({ lon, lat, accuracy: null, source: 'map' });
    }
  });
  app.details = new DetailsPanel($('#details'), {
    meta, areas: zones,
    onReport: (a) => {
      const [lon, lat] = a.geometry.type === 'Point' ? a.geometry.coordinates : centreOf(a.geometry);
      app.details.close();
      app.selectTab('problem', false);
      app.problem.setLocation({ lon, lat, accuracy: null, source: 'map' });
      app.problem.preselect(a.properties.kind);
      $('#panel-problem select').focus();
    },
    getAsOf: () => state.asOf,
    onOpen: () => {},
    onClose: () => { state.id = ''; saveState(); app.layers.select(null); },
  });
  app.report = new ReportCard($('#panel-report'), {
    meta, state, onAsOf: setAsOf,
    projectName: () => { const p = app.layers.features.capital_project?.[0]; return p ? name(p.properties) : ''; },
  });
  app.report.render();
  app.bays = new BayLayer(app.map, {
    proj: app.proj, onSelect, asOf: state.asOf,
    onChange: (n) => app.filters.setBays(n),
  });
  setupTabs();
  showAsOf();
  $('[data-testid="as-of-banner"] button').addEventListener('click', () => setAsOf(''));
  $('.skip').addEventListener('click', (e) => {
    e.preventDefault();
    app.selectTab('list', false);
    app.list.focusActive();
  });

  const statsShown = loadStats(early.stats); // the report card need not hold up the map
  await loadAssets(early.assets);
  await nextFrame();
  performance.mark('inframap:layers-drawn');
  // Residents' open reports come after the programmes; the map never waits for them.
  app.pins.load().then((n) => app.filters.setReports(n)).catch((err) => console.warn('reports', err));
  await statsShown;
  document.body.dataset.ready = 'true';
  if (state.id) app.details.open(state.id, { returnFocus: $('#map') });
  if (state.follow) { app.selectTab('problem', false); app.problem.follow(state.follow); }
}

main().catch(showError);
