// field-map.js: the map of the inspectors' page. It draws what the page
// lists (the assets around, or a search's matches) in their status colours
// with the road names from our own data, the inspector's position with the
// circle of its accuracy, and a straight line to the next job with its
// distance and direction. No basemap: the page works without signal, and
// the service's own roads and names are enough to find one's way.
import { t, name } from './i18n.js';
import { el } from './dom.js';
import { statusColor, pathStyle } from './symbols.js';
import { LabelLayer } from './labels.js';
import { Projection } from './projection.js';
import { distance } from './geo.js';

/* global L */

const DIRECTIONS = ['n', 'ne', 'e', 'se', 's', 'sw', 'w', 'nw'];

/** bearing is the compass direction from a to b ([lon, lat]), in degrees. */
export function bearing([lon1, lat1], [lon2, lat2]) {
  const r = Math.PI / 180;
  const y = Math.sin((lon2 - lon1) * r) * Math.cos(lat2 * r);
  const x = Math.cos(lat1 * r) * Math.sin(lat2 * r) - Math.sin(lat1 * r) * Math.cos(lat2 * r) * Math.cos((lon2 - lon1) * r);
  return (Math.atan2(y, x) / r + 360) % 360;
}

/** directionText says a bearing as one of eight compass points. */
export const directionText = (deg) => t(`field.dir.${DIRECTIONS[Math.round(deg / 45) % 8]}`);

export class FieldMap {
  /** onAsset(id) opens an asset tapped on the map. */
  constructor({ onAsset }) {
    this.el = el('div', { class: 'field-map map--plain', id: 'field-map', 'data-testid': 'field-map', role: 'region', 'aria-label': t('field.mapLabel') });
    this.onAsset = onAsset;
    this.proj = new Projection('wgs84');
  }

  /** attach puts the map in its place on the page (made on first use: Leaflet is a deferred script). */
  attach(parent) {
    parent.append(this.el);
    if (!this.map && window.L) {
      this.map = L.map(this.el, { zoomControl: true, attributionControl: false, minZoom: 9, maxZoom: 19, zoomSnap: 0.5 });
      this.map.setView([43.88, 125.27], 13);
      L.control.scale({ imperial: false }).addTo(this.map);
      // My position over everything else, the assets' points included.
      this.map.createPane('me').style.zIndex = '640';
      this.assets = L.featureGroup().addTo(this.map);
      this.me = L.featureGroup().addTo(this.map);
      this.route = L.featureGroup().addTo(this.map);
      this.labels = new LabelLayer(this.map, this.proj);
      this.el.classList.add('map--plain');
    }
    this.map?.invalidateSize();
  }

  /** show draws features (GeoJSON) and the position; fits the map to them. */
  show({ features = [], position = null, next = null, fit = true, radius = 300, search = false }) {
    if (!this.map) return;
    this.assets.clearLayers();
    this.me.clearLayers();
    this.route.clearLayers();
    for (const f of features) {
      const kind = f.properties.kind;
      const layer = L.geoJSON(f, {
        style: () => pathStyle(kind, f.properties),
        // Points over lines and areas: a cover on a road is tapped as the cover.
        pointToLayer: (_, ll) => L.circleMarker(ll, { pane: 'markerPane', radius: 7, color: '#fff', weight: 2, fillColor: statusColor(f.properties.status), fillOpacity: 1 }),
      });
      layer.on('click', () => this.onAsset(f.id));
      layer.bindTooltip(() => el('span', { text: `${name(f.properties)} · ${f.properties.code}` }));
      layer.addTo(this.assets);
      layer.eachLayer((l) => l.on('add', () => this.markAsset(l, f.id)));
      layer.eachLayer((l) => this.markAsset(l, f.id));
    }
    this.labels.setRoads(features.filter((f) => f.properties.kind === 'road_repair'));
    if (position) {
      const ll = L.latLng(position.lat, position.lon);
      L.circle(ll, { radius: Math.max(position.accuracy || 0, 1), color: '#1c7ed6', weight: 1, fillColor: '#4dabf7', fillOpacity: 0.15, interactive: false, className: 'accuracy' }).addTo(this.me);
      // Not interactive: a tap at my own position is meant for the asset under it.
      L.circleMarker(ll, { pane: 'me', radius: 8, color: '#fff', weight: 3, fillColor: '#1c7ed6', fillOpacity: 1, className: 'me', interactive: false }).addTo(this.me);
      this.el.dataset.accuracy = String(Math.round(position.accuracy || 0));
    }
    if (position && next?.place) {
      const from = L.latLng(position.lat, position.lon);
      const to = this.proj.toLatLng(next.place);
      L.polyline([from, to], { color: '#e8590c', weight: 4, dashArray: '8 8', interactive: false, className: 'route' }).addTo(this.route);
      L.circleMarker(to, { radius: 9, color: '#e8590c', weight: 3, fillColor: '#fff', fillOpacity: 1, className: 'next-job' })
        .bindTooltip(`${next.ref} · ${next.title}`).addTo(this.route);
      this.el.dataset.route = String(next.id);
    } else {
      delete this.el.dataset.route;
    }
    this.el.dataset.assets = String(features.length);
    if (fit) {
      // Around me (the circle searched, and the next job); else what is drawn.
      const b = L.latLngBounds([]);
      if (position && !search) {
        b.extend(L.latLng(position.lat, position.lon).toBounds(2 * (radius || 300)));
        if (next?.place) b.extend(this.proj.toLatLng(next.place));
      } else {
        for (const g of [this.assets, this.me]) if (g.getLayers().length) b.extend(g.getBounds());
      }
      if (b.isValid()) this.map.fitBounds(b, { padding: [24, 24], maxZoom: 18, animate: false });
    }
  }

  markAsset(l, id) {
    const e = l.getElement?.();
    if (!e) return;
    e.dataset.testid = 'field-map-asset';
    e.dataset.id = String(id);
  }

  /** distanceText is how far and which way p is from position: "东北 350 米". */
  static toward(position, p) {
    const here = [position.lon, position.lat];
    return { m: distance(here, p), dir: directionText(bearing(here, p)) };
  }
}
