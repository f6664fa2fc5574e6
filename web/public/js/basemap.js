// basemap.js: the background map. OpenStreetMap (WGS84) by default,
// Tianditu with a key (WMTS vec_w + cva_w, CGCS2000 ≈ WGS84), or Amap
// (GCJ-02: the data layers are shifted to sit on it, see projection.js).
// When no tile arrives the map turns to a plain background and says so once.

/* global L */

export const PROVIDERS = {
  osm: {
    crs: 'wgs84',
    origin: 'https://tile.openstreetmap.org',
    layers: [{ path: '/{z}/{x}/{y}.png' }],
    maxZoom: 19,
    attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
  },
  tianditu: {
    crs: 'wgs84',
    needsKey: true,
    origin: 'https://t{s}.tianditu.gov.cn',
    subdomains: '01234567',
    layers: ['vec', 'cva'].map((l) => ({
      path: `/${l}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=${l}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={tk}`,
    })),
    maxZoom: 18,
    attribution: '&copy; <a href="https://www.tianditu.gov.cn/">天地图</a>',
  },
  amap: {
    crs: 'gcj02',
    origin: 'https://webrd0{s}.is.autonavi.com',
    subdomains: '1234',
    layers: [{ path: '/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}' }],
    maxZoom: 18,
    attribution: '&copy; <a href="https://www.amap.com/">高德地图</a>',
  },
  none: { crs: 'wgs84', layers: [], maxZoom: 19, attribution: '' },
};

export const DEFAULT_PROVIDER = 'osm';

/** providerName resolves the configured basemap to a known provider. */
export function providerName(s) {
  return PROVIDERS[s.basemap] ? s.basemap : DEFAULT_PROVIDER;
}

/**
 * Basemap puts the chosen provider's tiles on the map and watches them:
 * onUnreachable is called (once per Basemap) when tiles fail and none has
 * loaded, or when none has arrived after waitMs.
 */
export class Basemap {
  constructor(map, s, { onUnreachable, onNeedsKey, waitMs = 8000 }) {
    this.map = map;
    this.name = providerName(s);
    const p = PROVIDERS[this.name];
    this.crs = p.crs;
    this.layers = [];
    this.loaded = false;
    this.failed = false;
    const plain = () => map.getContainer().classList.add('map--plain');
    if (p.layers.length === 0) {
      plain();
      return;
    }
    if (p.needsKey && !s.tk) {
      plain();
      onNeedsKey();
      return;
    }
    const origin = s.tileOrigin || p.origin;
    const fail = () => {
      if (this.loaded || this.failed) return;
      this.failed = true;
      plain();
      onUnreachable();
    };
    for (const l of p.layers) {
      // A full template (tiles=) replaces a single-layer provider's URL; an
      // origin (tile_origin=) keeps the provider's paths on another host.
      const url = s.tiles && p.layers.length === 1 ? s.tiles : origin + l.path;
      const layer = L.tileLayer(url, {
        subdomains: p.subdomains || 'abc',
        maxZoom: p.maxZoom,
        tk: s.tk,
        attribution: p.attribution,
        crossOrigin: false,
      });
      layer.on('tileload', () => {
        this.loaded = true;
        map.getContainer().classList.remove('map--plain');
      });
      layer.on('tileerror', fail);
      layer.addTo(map);
      this.layers.push(layer);
    }
    this.timer = setTimeout(fail, waitMs);
  }

  remove() {
    clearTimeout(this.timer);
    for (const l of this.layers) l.remove();
    this.map.getContainer().classList.remove('map--plain');
  }
}
