// report-pins.js: the residents' open reports on the public map, once an
// engineer has filed them — a pin at the place the reporter gave, coloured
// by where the case stands, with what, when, a masked description, the
// photo once public and how many said 我也遇到. Nobody's contact is part of
// it (GET /api/v1/reports never carries it).
import { getJSON } from './api.js';
import { t, num, shortDateTime } from './i18n.js';
import { el } from './dom.js';
import { statusColor } from './symbols.js';

/* global L */

export class ReportPins {
  /** map, proj: the map and its projection; statusName(code); onFollow(ref): open the follow panel. */
  constructor(map, { proj, statusName, onFollow }) {
    Object.assign(this, { map, proj, statusName, onFollow });
    this.group = L.layerGroup();
    this.features = [];
    this.enabled = true;
    this.hiddenAsOf = false;
  }

  /** load fetches the open filed reports and draws them. */
  async load() {
    const fc = await getJSON('/api/v1/reports');
    this.features = fc.features;
    this.draw();
    return this.features.length;
  }

  setProjection(proj) {
    this.proj = proj;
    this.draw();
  }

  /** setEnabled shows or hides the pins (the legend's box); setAsOf hides them on a past date (they are today's). */
  setEnabled(on) {
    this.enabled = on;
    this.sync();
  }

  setAsOf(asOf) {
    this.hiddenAsOf = Boolean(asOf);
    this.sync();
  }

  sync() {
    const show = this.enabled && !this.hiddenAsOf;
    if (show && !this.map.hasLayer(this.group)) this.group.addTo(this.map);
    if (!show && this.map.hasLayer(this.group)) this.group.remove();
  }

  draw() {
    this.group.clearLayers();
    for (const f of this.features) {
      const p = f.properties;
      const m = L.marker(this.proj.toLatLng(f.geometry.coordinates), {
        icon: L.divIcon({ className: 'report-pin', iconSize: [22, 28], iconAnchor: [11, 27], popupAnchor: [0, -24],
          html: `<span class="pin-head"></span>${p.supports ? `<span class="pin-n">${num(p.supports)}</span>` : ''}` }),
        title: `${t(`service.${p.service_code}`)} · ${this.statusName(p.status)}`,
        keyboard: true,
      });
      m.on('add', () => {
        const e = m.getElement();
        e.setAttribute('data-testid', 'report-pin');
        e.setAttribute('data-ref', p.ref);
        e.setAttribute('data-status', p.status);
        e.style.setProperty('--c', statusColor(p.status));
      });
      m.bindPopup(() => this.popup(f), { maxWidth: 260 });
      this.group.addLayer(m);
    }
    this.sync();
  }

  popup(f) {
    const p = f.properties;
    const follow = el('button', { type: 'button', class: 'btn', 'data-testid': 'report-pin-follow', text: t('pins.follow') });
    follow.addEventListener('click', () => { this.map.closePopup(); this.onFollow(p.ref); });
    return el('div', { class: 'pin-popup', 'data-testid': 'report-pin-popup' },
      el('h3', { text: t(`service.${p.service_code}`) }),
      el('p', {}, el('span', { class: 'status-chip', text: this.statusName(p.status) }), ' · ', t('pins.reportedAt', { at: shortDateTime(p.requested_at) })),
      p.description ? el('p', { text: p.description }) : null,
      p.thumb ? el('img', { class: 'thumb', src: p.thumb, alt: t('pins.photo'), loading: 'lazy' }) : null,
      p.supports ? el('p', { class: 'muted', text: t('metoo.count', { n: num(p.supports) }) }) : null,
      el('p', { class: 'muted', text: t('pins.ref', { ref: p.ref }) }),
      follow);
  }
}
