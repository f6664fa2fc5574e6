// tiled.js: a programme too numerous to load whole (a city's million
// manholes), drawn tile by tile from /api/v1/clusters. Each map tile of the
// view comes as its assets one by one when there are at most a thousand,
// else as the server's clusters (a point, a count and the count by status).
// Tiles are asked for one zoom below the map's, kept while they stay in
// view, and forgotten when the zoom changes; each answer is cached by the
// server, so panning back costs little.
import { getJSON } from './api.js';
import { t } from './i18n.js';

/* global L */

const MAX_TILES = 64;   // past this many tiles in view, ask at a lower zoom

/** tileRange gives the Web Mercator tiles at z that cover a WGS84 box. */
export function tileRange([west, south, east, north], z) {
  const n = 2 ** z;
  const x = (lon) => Math.min(n - 1, Math.max(0, Math.floor(((lon + 180) / 360) * n)));
  const y = (lat) => {
    const r = (Math.max(-85.0511, Math.min(85.0511, lat)) * Math.PI) / 180;
    return Math.min(n - 1, Math.max(0, Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n)));
  };
  return { z, x0: x(west), x1: x(east), y0: y(north), y1: y(south) };
}

/** clusterCount is how many members of a server cluster pass the status filter. */
export function clusterCount(props, statuses) {
  if (!statuses) return props.count;
  let n = 0;
  for (const [s, c] of Object.entries(props.by_status || {})) if (statuses.has(s)) n += c;
  return n;
}

export class TiledKind {
  /**
   * kind names the programme; draw(f) builds the Leaflet layer of one asset;
   * group is the layer the assets go in (a marker cluster group for
   * manholes), clusters the one the server's clusters go in.
   */
  constructor(map, kind, { proj, draw, group, clusters, onLoad, onError }) {
    this.map = map;
    this.kind = kind;
    this.proj = proj;
    this.draw = draw;
    this.group = group;
    this.clusters = clusters;
    this.onLoad = onLoad || (() => {});
    this.tiles = new Map();   // "z/x/y" -> {features, layers, clusterLayers, controller}
    this.keep = () => true;
    this.statuses = null;
    this.visible = true;
    this.z = null;
    this.onMove = () => this.update().catch(onError || ((err) => console.error(err)));
    map.on('moveend', this.onMove);
  }

  /** wanted lists the keys of the tiles the view needs now. */
  wanted() {
    const b = this.map.getBounds();
    const [w, s] = this.proj.toLonLat(b.getSouthWest());
    const [e, n] = this.proj.toLonLat(b.getNorthEast());
    // One zoom below the map's: each tile covers 512 screen pixels, so a view
    // needs a quarter of the requests and the server's 8 × 8 clusters fall
    // 64 pixels apart, clear of each other's icons.
    let z = Math.max(0, Math.min(20, Math.round(this.map.getZoom()) - 1));
    let r = tileRange([w, s, e, n], z);
    while (z > 0 && (r.x1 - r.x0 + 1) * (r.y1 - r.y0 + 1) > MAX_TILES) r = tileRange([w, s, e, n], --z);
    const keys = [];
    for (let x = r.x0; x <= r.x1; x++) for (let y = r.y0; y <= r.y1; y++) keys.push(`${z}/${x}/${y}`);
    return { z, keys };
  }

  /**
   * update asks for the tiles the view lacks and drops the ones it no longer
   * shows; the promise settles when every tile of the view is drawn.
   */
  update() {
    if (!this.visible) return Promise.resolve();
    const { z, keys } = this.wanted();
    const want = new Set(keys);
    for (const [key, tile] of this.tiles) {
      if (want.has(key) && z === this.z) continue;
      tile.controller?.abort();
      this.undraw(tile);
      this.tiles.delete(key);
    }
    this.z = z;
    const loads = [];
    for (const key of keys) {
      if (this.tiles.has(key)) { loads.push(this.tiles.get(key).loading); continue; }
      const tile = { key, features: [], items: [], clusterLayers: [], controller: new AbortController() };
      tile.loading = getJSON(`/api/v1/clusters/${this.kind}/${key}`, { signal: tile.controller.signal })
        .then((fc) => {
          tile.controller = null;
          if (this.tiles.get(key) !== tile) return;
          tile.features = fc.features;
          this.build(tile);
          this.drawTile(tile);
          this.onLoad();
        })
        .catch((err) => {
          if (err.name === 'AbortError') return;
          this.tiles.delete(key); // asked for again on the next move
          throw err;
        });
      this.tiles.set(key, tile);
      loads.push(tile.loading);
    }
    return Promise.all(loads).then(() => undefined);
  }

  build(tile) {
    tile.items = [];        // [feature, layer] of the assets given one by one
    tile.clusterLayers = [];
    for (const f of tile.features) {
      if (f.properties.cluster) tile.clusterLayers.push(this.clusterMarker(f));
      else tile.items.push([f, this.draw(f)]);
    }
  }

  clusterMarker(f) {
    const ll = this.proj.toLatLng(f.geometry.coordinates);
    const m = L.marker(ll, { keyboard: true });
    m.feature = f;
    m.on('click', () => this.map.setView(ll, Math.min(this.map.getZoom() + 2, 18)));
    return m;
  }

  /** styleCluster sizes a server cluster's icon for its members that pass the filters. */
  styleCluster(m) {
    const p = m.feature.properties;
    const n = clusterCount(p, this.statuses);
    const open = Object.entries(p.by_status || {}).some(([s, c]) => c > 0 && s !== 'closed' && s !== 'none'
      && (!this.statuses || this.statuses.has(s)));
    const size = n < 100 ? 36 : n < 1000 ? 44 : 52;
    m.setIcon(L.divIcon({
      className: 'mh-cluster server-cluster' + (open ? ' has-open' : ''),
      iconSize: L.point(size, size),
      html: `<span class="cluster-n" data-testid="cluster-count">${n.toLocaleString()}</span><span class="sr-only">${t('cluster.label')}</span>`,
    }));
    return n;
  }

  drawTile(tile) {
    if (!this.visible) return;
    const layers = [];
    for (const [f, layer] of tile.items) if (this.keep(f)) layers.push(layer);
    tile.shown = layers;
    if (this.group.addLayers) this.group.addLayers(layers);
    else for (const l of layers) this.group.addLayer(l);
    for (const m of tile.clusterLayers) {
      if (this.styleCluster(m) > 0) this.clusters.addLayer(m);
    }
  }

  undraw(tile) {
    if (tile.shown) {
      if (this.group.removeLayers) this.group.removeLayers(tile.shown);
      else for (const l of tile.shown) this.group.removeLayer(l);
    }
    for (const m of tile.clusterLayers) this.clusters.removeLayer(m);
    tile.shown = null;
  }

  /**
   * setFilter draws again what passes keep; statuses (a Set or null) counts
   * the clusters; key names the filters, so the same ones again cost nothing.
   */
  setFilter(keep, statuses, visible, key = '') {
    if (key && key === this.key && visible === this.visible) return;
    this.key = key;
    this.keep = keep;
    this.statuses = statuses;
    const was = this.visible;
    this.visible = visible;
    for (const tile of this.tiles.values()) this.undraw(tile);
    if (!visible) return;
    if (!was) { this.onMove(); return; }
    for (const tile of this.tiles.values()) if (!tile.controller) this.drawTile(tile);
  }

  /** rebuild builds every layer again (after a change of projection or language). */
  rebuild(proj) {
    if (proj) this.proj = proj;
    this.key = null;
    for (const tile of this.tiles.values()) {
      this.undraw(tile);
      this.build(tile);
      if (!tile.controller) this.drawTile(tile);
    }
  }

  /** features are the assets loaded one by one. */
  features() {
    const out = [];
    for (const tile of this.tiles.values()) for (const f of tile.features) if (!f.properties.cluster) out.push(f);
    return out;
  }
}
