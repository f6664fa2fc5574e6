// labels.js: names on the map from the service's own data, so that it reads
// alone when the basemap cannot be reached (plain mode): each road's name
// along its longest repaired section, the names of car parks and works
// sites. They are drawn in plain mode only (a basemap carries its own), the
// roads from zoom 13, the places from zoom 15.
import { name, isZh, onLangChange } from './i18n.js';
import { el } from './dom.js';

/* global L */

const ROAD_ZOOM = 13;
const PLACE_ZOOM = 15;

export class LabelLayer {
  /** map, proj: the map and its projection (the basemap's coordinates). */
  constructor(map, proj) {
    this.map = map;
    this.proj = proj;
    if (!map.getPane('labels')) {
      const pane = map.createPane('labels');
      pane.style.zIndex = '460';
      pane.style.pointerEvents = 'none';
    }
    this.roads = L.layerGroup();
    this.places = L.layerGroup();
    this.roadFeatures = [];
    this.placeFeatures = [];
    map.on('zoomend', () => this.sync());
    onLangChange(() => this.draw());
  }

  setProjection(proj) {
    this.proj = proj;
    this.draw();
  }

  /** setRoads takes the road sections (road_repair features, with road / road_en). */
  setRoads(features) {
    this.roadFeatures = features;
    this.draw();
  }

  /** setPlaces takes the named places to label (car parks, works sites). */
  setPlaces(features) {
    this.placeFeatures = features;
    this.draw();
  }

  draw() {
    this.roads.clearLayers();
    this.places.clearLayers();
    // A road's name once, on its longest section, turned along it.
    const longest = new Map();
    for (const f of this.roadFeatures) {
      const p = f.properties;
      const road = p.road || p.name;
      const line = lineOf(f.geometry);
      if (!road || line.length < 2) continue;
      const len = lengthOf(line);
      if (!longest.has(road) || longest.get(road).len < len) longest.set(road, { f, line, len });
    }
    for (const [road, { f, line }] of longest) {
      const text = isZh() ? road : f.properties.road_en || road;
      const [a, b] = middleSegment(line);
      const pa = this.map.options.crs.project(this.proj.toLatLng(a));
      const pb = this.map.options.crs.project(this.proj.toLatLng(b));
      let deg = (Math.atan2(-(pb.y - pa.y), pb.x - pa.x) * 180) / Math.PI;
      if (deg > 90) deg -= 180;
      if (deg < -90) deg += 180;
      const at = this.proj.toLatLng([(a[0] + b[0]) / 2, (a[1] + b[1]) / 2]);
      // The element itself, its angle set through the CSSOM: the CSP refuses
      // style attributes in markup.
      const span = el('span', { class: 'road-label-text', text });
      span.style.setProperty('--angle', `${deg.toFixed(1)}deg`);
      const icon = L.divIcon({ className: 'map-label road-label', html: span, iconSize: null });
      this.roads.addLayer(L.marker(at, { icon, interactive: false, keyboard: false, pane: 'labels' }));
    }
    for (const f of this.placeFeatures) {
      const c = centreOf(f.geometry);
      if (!c) continue;
      const icon = L.divIcon({ className: 'map-label place-label', html: el('span', { text: name(f.properties) }), iconSize: null });
      this.places.addLayer(L.marker(this.proj.toLatLng(c), { icon, interactive: false, keyboard: false, pane: 'labels' }));
    }
    this.sync();
  }

  /** sync shows each kind of label from its zoom on. */
  sync() {
    const z = this.map.getZoom();
    toggle(this.map, this.roads, z >= ROAD_ZOOM);
    toggle(this.map, this.places, z >= PLACE_ZOOM);
  }
}

function toggle(map, layer, on) {
  if (on && !map.hasLayer(layer)) layer.addTo(map);
  if (!on && map.hasLayer(layer)) layer.remove();
}

/** lineOf is a line's positions (the first part of a multi-line). */
function lineOf(g) {
  if (!g) return [];
  if (g.type === 'LineString') return g.coordinates;
  if (g.type === 'MultiLineString') return g.coordinates.reduce((a, b) => (b.length > a.length ? b : a), []);
  return [];
}

function lengthOf(line) {
  let n = 0;
  for (let i = 1; i < line.length; i++) n += Math.hypot(line[i][0] - line[i - 1][0], (line[i][1] - line[i - 1][1]) * 1.4);
  return n;
}

/** middleSegment is the segment of a line halfway along it. */
function middleSegment(line) {
  const half = lengthOf(line) / 2;
  let n = 0;
  for (let i = 1; i < line.length; i++) {
    n += Math.hypot(line[i][0] - line[i - 1][0], (line[i][1] - line[i - 1][1]) * 1.4);
    if (n >= half) return [line[i - 1], line[i]];
  }
  return [line[0], line[line.length - 1]];
}

/** centreOf is a point inside a polygon's box, or the point itself. */
function centreOf(g) {
  if (!g) return null;
  if (g.type === 'Point') return g.coordinates;
  const ring = g.type === 'Polygon' ? g.coordinates[0] : g.type === 'MultiPolygon' ? g.coordinates[0][0] : null;
  if (!ring) return null;
  let x = 0;
  let y = 0;
  for (const [a, b] of ring) { x += a; y += b; }
  return [x / ring.length, y / ring.length];
}
