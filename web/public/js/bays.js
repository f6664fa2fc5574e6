// bays.js: the 944 parking bays, too small to see below street zoom. They
// are fetched by bounding box only at zoom 17 and closer, kept once loaded,
// and drawn in their lots' colours by type (outlined by status when a bay
// has a task of its own).
import { api } from './api.js';
import { vectorLayer } from './layers.js';

/* global L */

export const BAY_MIN_ZOOM = 17;

export class BayLayer {
  constructor(map, { proj, onSelect, asOf, onChange }) {
    this.map = map;
    this.proj = proj;
    this.onSelect = onSelect;
    this.asOf = asOf;
    this.onChange = onChange || (() => {});
    this.group = L.featureGroup().addTo(map);
    this.byId = new Map();
    this.enabled = true;
    this.pending = null;
    map.on('moveend', () => this.update());
    this.update(); // a link may open at street zoom
  }

  /** reset forgets what was loaded: a new as-of date or projection. */
  reset({ asOf = this.asOf, proj = this.proj } = {}) {
    this.asOf = asOf;
    this.proj = proj;
    this.byId.clear();
    this.group.clearLayers();
    this.update();
  }

  setEnabled(on) {
    this.enabled = on;
    this.update();
  }

  shown() {
    return this.group.getLayers().length;
  }

  async update() {
    if (this.pending) this.pending.abort();
    if (!this.enabled || this.map.getZoom() < BAY_MIN_ZOOM) {
      this.group.clearLayers();
      this.onChange(0);
      return;
    }
    const ctl = new AbortController();
    this.pending = ctl;
    const bbox = this.proj.bbox(this.map.getBounds().pad(0.2));
    try {
      await api.assets({ kind: 'parking_space', bbox, as_of: this.asOf }, {
        signal: ctl.signal,
        onPage: (feats) => {
          for (const f of feats) {
            if (this.byId.has(f.id)) continue;
            const layer = vectorLayer(f, this.proj, this.onSelect);
            this.byId.set(f.id, layer);
            this.group.addLayer(layer);
          }
        },
      });
      this.onChange(this.shown());
    } catch (err) {
      if (err.name !== 'AbortError') console.warn('parking bays:', err);
    } finally {
      if (this.pending === ctl) this.pending = null;
    }
  }
}
