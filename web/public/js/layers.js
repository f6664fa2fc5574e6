// layers.js: one Leaflet layer per programme, coloured by status, plus the
// district boundary, the approximate sub-district zones and the plain-mode
// road network. Features are built once per data load; filters then only
// choose which of them are on the map.
import { PROGRAMME_KINDS, pathStyle, featureColor } from './symbols.js';
import { name, t } from './i18n.js';
import { TiledKind } from './tiled.js';
import { el } from './dom.js';

/* global L */

const CANVAS_OVER = 500; // shapes of one programme past which they are drawn on a canvas

const PANES = { areas: 350, baseRoads: 360, polygons: 400, bays: 410, lines: 420, selection: 450, labels: 460 };

export function createPanes(map) {
  for (const [p, z] of Object.entries(PANES)) {
    if (!map.getPane(p)) map.createPane(p).style.zIndex = String(z);
  }
  // Zone labels should never catch clicks meant for the features.
  map.getPane('areas').classList.add('pane-passive');
  map.getPane('labels').classList.add('pane-passive');
}

function paneOf(kind, props) {
  if (kind === 'road_repair' || (kind === 'sewer_separation' && props.corridor)) return 'lines';
  if (kind === 'parking_space') return 'bays';
  return 'polygons';
}

/** tag marks a drawn feature so that tests and styles can find it. */
function tag(el, f) {
  if (!el) return;
  el.setAttribute('data-testid', 'feature');
  el.setAttribute('data-id', String(f.id));
  el.setAttribute('data-kind', f.properties.kind);
  el.setAttribute('data-status', f.properties.status || 'none');
  el.setAttribute('data-grade', f.properties.condition_grade || 'none');
}

/**
 * vectorLayer builds the Leaflet path of one feature; renderers, when given,
 * maps each pane to a canvas renderer (for programmes drawn tile by tile,
 * whose thousands of paths SVG would draw slowly).
 */
export function vectorLayer(f, proj, onSelect, renderers) {
  const p = f.properties;
  const pane = paneOf(p.kind, p);
  const layer = L.GeoJSON.geometryToLayer(f, {
    coordsToLatLng: (c) => proj.toLatLng(c),
    pane,
    renderer: renderers ? renderers[pane] : undefined,
    className: `feat k-${p.kind}`,
    ...pathStyle(p.kind, p),
  });
  layer.feature = f;
  layer.on('add', () => tag(layer.getElement(), f));
  // Leaflet puts a string tooltip in as HTML: names go in as text.
  layer.bindTooltip(() => el('span', { text: name(p) }), { sticky: true, direction: 'top', className: 'feat-tip' });
  layer.on('click', () => onSelect(f));
  return layer;
}

function manholeMarker(f, proj, onSelect, statusName) {
  const p = f.properties;
  const m = L.marker(proj.toLatLng(f.geometry.coordinates), {
    icon: L.divIcon({ className: `mh s-${p.status || 'none'}`, iconSize: [14, 14], html: '' }),
    title: `${name(p)} · ${statusName(p.status)}`,
    keyboard: true,
    riseOnHover: true,
  });
  m.feature = f;
  m.on('add', () => {
    const el = m.getElement();
    tag(el, f);
    el.style.setProperty('--c', featureColor(p));
  });
  m.on('click', () => onSelect(f));
  return m;
}

const DONE = new Set(['closed', 'rejected', 'cancelled']);

function clusterIcon(cluster) {
  const n = cluster.getChildCount();
  // Coloured by what its members are (on the "as of" date too): open work
  // first, then done; grey when none of them had a case yet.
  const members = cluster.getAllChildMarkers().map((m) => m.feature.properties.status);
  const open = members.some((s) => s && !DONE.has(s));
  const none = members.every((s) => !s);
  const size = n < 10 ? 30 : n < 100 ? 36 : 44;
  return L.divIcon({
    className: 'mh-cluster' + (open ? ' has-open' : none ? ' no-case' : ''),
    iconSize: L.point(size, size),
    html: `<span class="cluster-n" data-testid="cluster-count">${n}</span><span class="sr-only">${t('cluster.label')}</span>`,
  });
}

export class ProgrammeLayers {
  constructor(map, { proj, onSelect, statusName, onTiles, onError }) {
    this.map = map;
    this.onTiles = onTiles || (() => {});
    this.onError = onError;
    this.tiled = {};      // kind -> TiledKind, for programmes drawn tile by tile
    this.tiledStats = {}; // kind -> the programme's figures from /api/v1/stats
    this.serverClusters = L.featureGroup().addTo(map);
    this.proj = proj;
    this.onSelect = onSelect;
    this.statusName = statusName;
    this.features = {};   // kind -> GeoJSON features (as loaded)
    this.built = {};      // kind -> Leaflet layers, parallel to features
    this.groups = {};
    for (const kind of PROGRAMME_KINDS) {
      this.groups[kind] = kind === 'manhole'
        ? L.markerClusterGroup({
          showCoverageOnHover: false,
          maxClusterRadius: 48,
          spiderfyOnMaxZoom: true,
          disableClusteringAtZoom: 18,
          iconCreateFunction: clusterIcon,
        })
        : L.featureGroup();
    }
    this.areas = L.featureGroup();
    this.zones = L.featureGroup();
    this.baseRoads = L.featureGroup();
    this.selection = L.featureGroup().addTo(map);
    this.visibleKinds = new Set(PROGRAMME_KINDS);
  }

  setAreas(fc) {
    this.areaData = fc;
    this.areas.clearLayers();
    this.zones.clearLayers();
    for (const f of fc.features) {
      const district = f.properties.kind === 'district';
      const layer = L.GeoJSON.geometryToLayer(f, {
        coordsToLatLng: (c) => this.proj.toLatLng(c),
        pane: 'areas',
        interactive: false,
        className: district ? 'area-district' : 'area-zone',
        color: district ? '#212529' : '#6c757d',
        weight: district ? 3 : 1,
        dashArray: district ? null : '4 4',
        fill: district,
        fillColor: '#ffffff',
        fillOpacity: district ? 0.08 : 0,
      });
      if (district) {
        layer.on('add', () => layer.getElement()?.setAttribute('data-testid', 'district-boundary'));
        this.areas.addLayer(layer);
      } else {
        layer.bindTooltip(() => el('span', { text: name(f.properties) }), {
          permanent: true, direction: 'center', className: 'zone-label', interactive: false,
        });
        this.zones.addLayer(layer);
      }
    }
    this.areas.addTo(this.map);
    this.zones.addTo(this.map);
  }

  /** setFeatures replaces a programme's features and builds their layers. */
  setFeatures(kind, features) {
    this.features[kind] = features;
    // Past a few hundred shapes a canvas draws far faster than SVG (a city's
    // thousand parking lots); the district's programmes stay SVG elements.
    const renderers = features.length > CANVAS_OVER ? this.canvasRenderers() : undefined;
    this.built[kind] = features.map((f) => (kind === 'manhole'
      ? manholeMarker(f, this.proj, this.onSelect, this.statusName)
      : vectorLayer(f, this.proj, this.onSelect, renderers)));
    if (kind === 'road_repair') {
      // The road network of plain mode (no basemap): every repaired section in
      // grey, under everything, whatever the filters.
      this.baseRoads.clearLayers();
      for (const f of features) {
        this.baseRoads.addLayer(L.GeoJSON.geometryToLayer(f, {
          coordsToLatLng: (c) => this.proj.toLatLng(c),
          pane: 'baseRoads', interactive: false, className: 'base-road', color: '#adb5bd', weight: 7,
        }));
      }
      this.baseRoads.addTo(this.map);
    }
  }

  /**
   * setTiled draws a programme tile by tile from the server's clusters
   * instead of loading it whole; setTiledStats gives the counts the legend
   * shows for it.
   */
  setTiled(kind) {
    if (this.tiled[kind]) return;
    delete this.features[kind];
    delete this.built[kind];
    this.groups[kind].clearLayers();
    this.tiled[kind] = new TiledKind(this.map, kind, {
      proj: this.proj,
      draw: (f) => (kind === 'manhole'
        ? manholeMarker(f, this.proj, this.onSelect, this.statusName)
        : vectorLayer(f, this.proj, this.onSelect, this.canvasRenderers())),
      group: this.groups[kind],
      clusters: this.serverClusters,
      onLoad: () => this.onTiles(kind),
      onError: this.onError,
    });
  }

  /** setTiledStats notes the figures of the tiled programmes from /api/v1/stats; false when there are none. */
  setTiledStats(stats) {
    const kinds = Object.keys(this.tiled);
    for (const k of kinds) this.tiledStats[k] = stats.programmes.find((p) => p.kind === k);
    return kinds.length > 0;
  }

  /** canvasRenderers gives a canvas renderer per pane, made once. */
  canvasRenderers() {
    this.canvas ||= Object.fromEntries(['polygons', 'bays', 'lines'].map((p) => [p, L.canvas({ pane: p, tolerance: 4 })]));
    return this.canvas;
  }

  isTiled(kind) {
    return Boolean(this.tiled[kind]);
  }

  /** updateTiled asks for the tiles of the view; it settles when they are drawn. */
  updateTiled() {
    return Promise.all(Object.values(this.tiled).map((k) => k.update()));
  }

  /** rebuild draws everything again, after a change of projection or language. */
  rebuild(proj) {
    if (proj) this.proj = proj;
    if (this.areaData) this.setAreas(this.areaData);
    for (const kind of Object.keys(this.features)) this.setFeatures(kind, this.features[kind]);
    for (const k of Object.values(this.tiled)) k.rebuild(this.proj);
  }

  /**
   * filter puts on the map the features of the visible programmes that pass
   * keep, and returns the number shown per programme.
   */
  filter(keep, visibleKinds, statuses = null, key = '') {
    this.visibleKinds = visibleKinds;
    const counts = {};
    for (const kind of PROGRAMME_KINDS) {
      const group = this.groups[kind];
      if (this.tiled[kind]) {
        // Drawn tile by tile: the count is the programme's, by status, from the stats.
        this.tiled[kind].setFilter(keep, statuses, visibleKinds.has(kind), key);
        counts[kind] = visibleKinds.has(kind) ? this.tiledCount(kind, statuses) : 0;
        if (!this.map.hasLayer(group)) group.addTo(this.map);
        continue;
      }
      const feats = this.features[kind] || [];
      const layers = this.built[kind] || [];
      const show = [];
      if (visibleKinds.has(kind)) {
        for (let i = 0; i < feats.length; i++) if (keep(feats[i])) show.push(layers[i]);
      }
      counts[kind] = show.length;
      group.clearLayers();
      if (kind === 'manhole') group.addLayers(show);
      else for (const l of show) group.addLayer(l);
      if (!this.map.hasLayer(group)) group.addTo(this.map);
    }
    return counts;
  }

  /** tiledCount is how many of a tiled programme's assets have one of statuses (all when null). */
  tiledCount(kind, statuses) {
    let n = 0;
    for (const [s, c] of Object.entries(this.tiledStats[kind]?.by_status || {})) {
      if (!statuses || statuses.has(s)) n += c;
    }
    return n;
  }

  /** select outlines one feature and brings it into view. */
  select(f, { pan = true } = {}) {
    this.selection.clearLayers();
    if (!f) return;
    const hl = L.geoJSON(f, {
      coordsToLatLng: (c) => this.proj.toLatLng(c),
      pane: 'selection',
      interactive: false,
      style: { className: 'selected', color: '#ffd43b', weight: 9, opacity: 0.75, fill: false },
      pointToLayer: (pt, ll) => L.circleMarker(ll, { pane: 'selection', radius: 13, className: 'selected', color: '#f08c00', weight: 4, fill: false }),
    });
    this.selection.addLayer(hl);
    if (!pan) return;
    const b = hl.getBounds();
    if (!b.isValid()) return;
    if (!this.map.getBounds().contains(b)) {
      if (f.geometry.type === 'Point') this.map.setView(b.getCenter(), Math.max(this.map.getZoom(), 17));
      else this.map.fitBounds(b, { maxZoom: 17, padding: [40, 40] });
    }
  }

  /** find looks a loaded feature up by id. */
  find(id) {
    for (const feats of Object.values(this.features)) {
      const f = feats.find((x) => String(x.id) === String(id));
      if (f) return f;
    }
    for (const k of Object.values(this.tiled)) {
      const f = k.features().find((x) => String(x.id) === String(id));
      if (f) return f;
    }
    return null;
  }

  /** all gives the features loaded: every one of a whole programme, those of the tiles in view of a tiled one. */
  all() {
    return PROGRAMME_KINDS.flatMap((k) => (this.tiled[k] ? this.tiled[k].features() : this.features[k] || []));
  }
}
