// problem.js: a resident reports a problem from the public map — what
// (an Open311 service), where (picked on the map, the map's centre or the
// device's position with its accuracy), a description, one optional photo
// (resized here) and optional private contact details. Before sending it
// warns of open reports close by; after, it gives the case number and
// follows it (GET /api/v1/reports/{ref}).
import { api, upload, newKey, ApiError } from './api.js';
import { t, name, dateTime, onLangChange, isZh, lang } from './i18n.js';
import { el, field, option, showFieldErrors, clearFieldErrors, problemText, waitText, say } from './dom.js';
import { bboxAround, locate } from './geo.js';
import { Basemap } from './basemap.js';
import { strip } from './gallery.js';
import { subscribeBox, areaSubscription } from './subscribe.js';

/* global L */

/** loadGeoman loads Leaflet-Geoman (drawing) the first time an area is drawn. */
let geoman = null;
function loadGeoman() {
  geoman ||= new Promise((resolve, reject) => {
    document.head.append(el('link', { rel: 'stylesheet', href: '/vendor/leaflet-geoman/leaflet-geoman.css' }));
    const s = el('script', { src: '/vendor/leaflet-geoman/leaflet-geoman.min.js' });
    s.addEventListener('load', resolve);
    s.addEventListener('error', () => { geoman = null; reject(new Error('geoman')); });
    document.head.append(s);
  });
  return geoman;
}

export const SERVICE_CODES = ['manhole_missing', 'manhole_broken', 'manhole_sunken', 'pothole', 'road_surface',
  'drain_blocked', 'flooding', 'sewage_overflow', 'parking_damage'];
const OPEN = ['reported', 'filed', 'dispatched', 'in_progress', 'done'];
const NEARBY_M = 50;
// The kind of asset each problem is found on: the nearby warning lists open
// work of the same kind only.
const SERVICE_KIND = { manhole_missing: ['manhole'], manhole_broken: ['manhole'], manhole_sunken: ['manhole'],
  drain_blocked: ['manhole'], sewage_overflow: ['manhole', 'sewer_separation'], pothole: ['road_repair'], road_surface: ['road_repair'],
  flooding: ['sewer_separation', 'road_repair'], parking_damage: ['parking_lot', 'parking_space'] };
// The problem a report from an asset's details starts with, by the asset's kind.
const KIND_SERVICE = { manhole: 'manhole_broken', road_repair: 'pothole', sewer_separation: 'flooding',
  parking_lot: 'parking_damage', parking_space: 'parking_damage' };
const MINE_KEY = 'inframap.myReports';

export class ProblemPanel {
  /**
   * root: the panel; map, getProj: the map and its projection (the picked
   * point is drawn in the basemap's coordinates, kept in WGS84); meta: the
   * service's vocabulary (status names).
   */
  constructor(root, { map, getProj, meta, getState, zones = [] }) {
    this.zones = zones;
    this.root = root;
    this.map = map;
    this.getProj = getProj;
    this.meta = meta;
    this.getState = getState || (() => ({}));
    this.services = SERVICE_CODES.map((code) => ({ service_code: code }));
    this.loc = null;       // {lon, lat, accuracy, source}
    this.nearby = [];
    this.ackNearby = false;
    this.key = null;       // Idempotency-Key of the report being sent
    this.photo = null;     // {blob, url}
    this.marker = null;
    this.values = {};
    api.services().then((s) => { if (Array.isArray(s) && s.length) { this.services = s; this.render(); } }).catch(() => {});
    onLangChange(() => this.render());
    this.render();
  }

  serviceName(s) {
    const key = `service.${s.service_code}`;
    const tr = t(key);
    return tr !== key ? tr : s.service_name || s.service_code;
  }

  statusName(code) {
    const s = this.meta?.statuses.find((x) => x.code === code);
    return s ? name(s) : code;
  }

  /** render draws the panel, keeping what the person typed. */
  render() {
    this.saveValues();
    const v = this.values;
    const form = el('form', { class: 'problem-form', 'data-testid': 'problem-form', novalidate: true, 'aria-labelledby': 'problem-h' });
    const svc = el('select', { name: 'service_code', 'data-testid': 'problem-service', required: true },
      option('', t('problem.choose')), this.services.map((s) => option(s.service_code, this.serviceName(s), v.service_code === s.service_code)));
    svc.addEventListener('change', () => this.filterNearby());
    const locText = el('p', { class: 'loc-text', 'data-testid': 'problem-location', 'aria-live': 'polite' });
    this.locText = locText;
    const locate = el('button', { type: 'button', class: 'btn', 'data-testid': 'problem-locate', text: t('problem.useDevice') });
    locate.addEventListener('click', () => this.useDevice());
    const centre = el('button', { type: 'button', class: 'btn', 'data-testid': 'problem-centre', text: t('problem.useCentre') });
    centre.addEventListener('click', () => {
      const [lon, lat] = this.getProj().toLonLat(this.map.getCenter());
      this.setLocation({ lon, lat, accuracy: null, source: 'map' });
    });
    const locErr = el('p', { class: 'field-error', id: 'problem-loc-err', 'data-testid': 'error-lat', hidden: true });
    const locBox = el('fieldset', { class: 'loc', 'data-field': 'lat', 'aria-describedby': 'problem-loc-hint problem-loc-err' },
      el('legend', { text: t('problem.where') }),
      el('p', { class: 'hint', id: 'problem-loc-hint', text: t('problem.whereHint') }),
      locText, el('div', { class: 'btn-row' }, locate, centre), locErr);
    const nearby = el('div', { class: 'nearby', 'data-testid': 'problem-nearby', role: 'status', hidden: true });
    this.nearbyEl = nearby;
    const desc = el('textarea', { name: 'description', rows: '4', maxlength: '4000', 'data-testid': 'problem-description' });
    desc.value = v.description || '';
    const photo = el('input', { type: 'file', name: 'photo', accept: 'image/*', 'data-testid': 'problem-photo' });
    const preview = el('div', { class: 'preview', 'data-testid': 'problem-preview' });
    this.previewEl = preview;
    photo.addEventListener('change', () => this.takePhoto(photo.files[0]));
    const contact = el('details', { class: 'contact', 'data-testid': 'problem-contact', open: !!(v.name || v.phone || v.email) },
      el('summary', { text: t('problem.contact') }),
      el('p', { class: 'hint', text: t('problem.contactHint') }),
      field(t('problem.name'), el('input', { name: 'name', autocomplete: 'name', maxlength: '100', value: v.name || '', 'data-testid': 'problem-name' })),
      field(t('problem.phone'), el('input', { name: 'phone', type: 'tel', autocomplete: 'tel', maxlength: '40', value: v.phone || '', 'data-testid': 'problem-phone' })),
      field(t('problem.email'), el('input', { name: 'email', type: 'email', autocomplete: 'email', maxlength: '200', value: v.email || '', 'data-testid': 'problem-email' })));
    const progress = el('progress', { max: '1', value: '0', class: 'upload-progress', 'data-testid': 'problem-progress', hidden: true, 'aria-label': t('problem.sending') });
    this.progressEl = progress;
    const submit = el('button', { type: 'submit', class: 'btn primary', 'data-testid': 'problem-submit', text: t('problem.send') });
    this.submitBtn = submit;
    const status = el('div', { class: 'form-status', role: 'alert', 'data-testid': 'problem-status', hidden: true });
    this.statusEl = status;
    form.append(
      el('h2', { class: 'panel-h', id: 'problem-h', text: t('problem.heading') }),
      el('p', { class: 'hint', text: t('problem.intro') }),
      field(t('problem.what'), svc, { name: 'service_code' }),
      locBox, nearby,
      field(t('problem.description'), desc, { hint: t('problem.descriptionHint'), name: 'description' }),
      field(t('problem.photo'), photo, { hint: t('problem.photoHint'), name: 'photo' }), preview,
      contact, progress, status, submit);
    form.addEventListener('input', () => { this.key = null; });
    form.addEventListener('submit', (e) => { e.preventDefault(); this.send(); });
    this.form = form;

    const result = el('section', { class: 'problem-result', 'data-testid': 'problem-result', hidden: !this.sent, 'aria-labelledby': 'problem-done-h' });
    this.resultEl = result;
    const follow = this.followSection();
    // Updates for an area: a sub-district, or the map as it is on screen (in WGS84).
    const area = areaSubscription({
      zones: this.zones, services: this.services, serviceName: (s) => this.serviceName(s),
      draw: Object.assign(() => this.drawArea(), { cancel: () => this.cancelDrawing() }),
      view: () => {
        const b = this.map.getBounds();
        const [w, s] = this.getProj().toLonLat(b.getSouthWest());
        const [e, n] = this.getProj().toLonLat(b.getNorthEast());
        return [w, s, e, n].map((x) => Math.round(x * 1e6) / 1e6);
      },
    });
    this.root.replaceChildren(result, form, follow, area);
    if (this.sent) this.showSent(this.sent);
    this.showLocation();
    this.showNearby();
    this.showPhoto();
  }

  saveValues() {
    if (!this.form) return;
    for (const k of ['service_code', 'description', 'name', 'phone', 'email']) {
      const c = this.form.elements[k];
      if (c) this.values[k] = c.value;
    }
  }

  /** setLocation takes a picked point (WGS84) and looks for open reports close to it. */
  /**
   * preselect chooses the usual problem of an asset of kind (a manhole: a
   * broken cover) when the person reports from its details and has not
   * chosen one yet; they may change it.
   */
  preselect(kind) {
    const sel = this.root.querySelector('[data-testid="problem-service"]');
    const code = KIND_SERVICE[kind];
    if (!sel || sel.value || !code || !this.services.some((x) => x.service_code === code)) return;
    sel.value = code;
    sel.dispatchEvent(new Event('input', { bubbles: true }));
  }

  setLocation(loc) {
    this.loc = loc;
    this.key = null;
    this.ackNearby = false;
    const ll = this.getProj().toLatLng([loc.lon, loc.lat]);
    if (!this.marker) {
      this.marker = L.marker(ll, {
        draggable: true, keyboard: false,
        icon: L.divIcon({ className: 'pick-pin', iconSize: [22, 22], iconAnchor: [11, 22], html: '' }),
      }).addTo(this.map);
      this.marker.on('dragend', () => {
        const [lon, lat] = this.getProj().toLonLat(this.marker.getLatLng());
        this.setLocation({ lon, lat, accuracy: null, source: 'map' });
      });
    } else {
      this.marker.setLatLng(ll);
    }
    this.marker.getElement()?.setAttribute('data-testid', 'problem-pin');
    this.showLocation();
    this.checkNearby();
  }

  showLocation() {
    if (!this.locText) return;
    const l = this.loc;
    if (!l) {
      this.locText.textContent = t('problem.noLocation');
      return;
    }
    const pos = `${l.lat.toFixed(6)}, ${l.lon.toFixed(6)}`;
    this.locText.textContent = l.accuracy
      ? t('problem.locationDevice', { pos, acc: Math.round(l.accuracy) })
      : t('problem.locationMap', { pos });
    this.locText.dataset.lat = String(l.lat);
    this.locText.dataset.lon = String(l.lon);
  }

  async useDevice() {
    say(this.statusEl, t('problem.locating'));
    try {
      const p = await locate();
      this.setLocation({ ...p, source: 'device' });
      this.map.setView(this.getProj().toLatLng([p.lon, p.lat]), Math.max(this.map.getZoom(), 17));
      say(this.statusEl, '');
    } catch (err) {
      say(this.statusEl, t(err.code === 1 ? 'problem.locateDenied' : 'problem.locateFailed'), 'error');
    }
  }

  async checkNearby() {
    const l = this.loc;
    this.nearby = [];
    this.nearbyAll = [];
    this.showNearby();
    try {
      const page = await api.tasks({ bbox: bboxAround([l.lon, l.lat], NEARBY_M), status: OPEN.join(','), limit: 20 });
      if (l !== this.loc) return;
      this.nearbyAll = page.tasks;
    } catch {
      this.nearbyAll = []; // the warning is a courtesy: without it the report still goes
    }
    this.filterNearby();
  }

  /**
   * filterNearby keeps the open work of the same kind as the chosen problem
   * (a pothole report is not warned of a manhole's case); before a problem
   * is chosen, and for work without an asset, everything nearby counts.
   */
  filterNearby() {
    const code = this.root.querySelector('[data-testid="problem-service"]')?.value;
    const kinds = SERVICE_KIND[code];
    this.nearby = (this.nearbyAll || []).filter((task) => !kinds || !task.asset || kinds.includes(task.asset.kind));
    this.showNearby();
  }

  showNearby() {
    const box = this.nearbyEl;
    if (!box) return;
    box.hidden = !this.nearby.length;
    if (!this.nearby.length) { box.replaceChildren(); return; }
    const ul = el('ul', { class: 'nearby-list' });
    for (const task of this.nearby.slice(0, 5)) {
      ul.append(el('li', { 'data-testid': 'nearby-item' },
        el('strong', { text: task.title }), ` · ${this.statusName(task.status)} · ${task.ref}`,
        el('span', { class: 'muted', text: ` · ${dateTime(task.created_at)}` })));
    }
    const ack = el('button', { type: 'button', class: 'btn', 'data-testid': 'problem-send-anyway', text: t('problem.sendAnyway') });
    ack.addEventListener('click', () => { this.ackNearby = true; this.send(); });
    box.replaceChildren(el('p', { class: 'warn', text: t('problem.nearby', { n: this.nearby.length, m: NEARBY_M }) }), ul,
      el('p', { class: 'hint', text: t('problem.nearbyHint') }), ack);
  }

  async takePhoto(file) {
    if (this.photo) URL.revokeObjectURL(this.photo.url);
    this.photo = null;
    this.key = null;
    if (!file) { this.showPhoto(); return; }
    try {
      // Loaded when a photo is chosen: most visitors of the map never need it.
      const { resize } = await import('./photo.js');
      const { blob } = await resize(file);
      this.photo = { blob, url: URL.createObjectURL(blob) };
    } catch {
      say(this.statusEl, t('problem.photoUnreadable'), 'error');
    }
    this.showPhoto();
  }

  showPhoto() {
    if (!this.previewEl) return;
    if (!this.photo) { this.previewEl.replaceChildren(); return; }
    const rm = el('button', { type: 'button', class: 'btn link', 'data-testid': 'problem-photo-remove', text: t('problem.photoRemove') });
    rm.addEventListener('click', () => {
      this.form.elements.photo.value = '';
      this.takePhoto(null);
    });
    this.previewEl.replaceChildren(el('img', { src: this.photo.url, alt: t('problem.photoPreview'), class: 'thumb' }), rm);
  }

  async send() {
    clearFieldErrors(this.form);
    this.saveValues();
    const v = this.values;
    const errors = {};
    if (!v.service_code) errors.service_code = t('problem.needService');
    if (!this.loc) errors.lat = t('problem.needLocation');
    if (Object.keys(errors).length) {
      this.placeErrors(errors);
      return;
    }
    if (this.nearby.length && !this.ackNearby) {
      say(this.statusEl, t('problem.nearbyFirst'), 'error');
      this.nearbyEl.querySelector('button')?.focus();
      return;
    }
    const fd = new FormData();
    fd.append('service_code', v.service_code);
    fd.append('lat', this.loc.lat.toFixed(7));
    fd.append('lon', this.loc.lon.toFixed(7));
    fd.append('lang', lang() === 'en' ? 'en' : 'zh'); // the language of the case's e-mails
    if (this.loc.accuracy) fd.append('accuracy_m', String(Math.round(this.loc.accuracy * 10) / 10));
    for (const k of ['description', 'name', 'email', 'phone']) if (v[k] && v[k].trim()) fd.append(k, v[k].trim());
    if (this.photo) fd.append('photo', this.photo.blob, 'photo.jpg');
    this.key ||= newKey(); // the same key on a retry: the service keeps one report
    this.submitBtn.disabled = true;
    this.progressEl.hidden = !this.photo;
    this.progressEl.value = 0;
    say(this.statusEl, t('problem.sending'));
    try {
      const res = await upload('/api/v1/reports', fd, {
        headers: { 'Idempotency-Key': this.key },
        onProgress: (f) => { this.progressEl.value = f; },
      });
      this.remember(res.data);
      this.sent = res.data;
      this.reset();
      this.render();
      this.resultEl.querySelector('h2').focus();
    } catch (err) {
      this.failed(err);
    } finally {
      this.submitBtn.disabled = false;
      this.progressEl.hidden = true;
    }
  }

  placeErrors(errors) {
    const left = showFieldErrors(this.form, errors);
    if (left.lat || errors.lat) {
      const e = this.form.querySelector('#problem-loc-err');
      e.textContent = left.lat || errors.lat;
      e.hidden = false;
      delete left.lat;
      delete left.lon;
    }
    const rest = Object.values(left);
    say(this.statusEl, rest.length ? rest.join('; ') : t('problem.fixFields'), 'error');
  }

  failed(err) {
    if (!(err instanceof ApiError)) {
      say(this.statusEl, problemText(err), 'error');
      return;
    }
    if (err.status === 429) {
      // Kind words and a wait, not a code: the form keeps what was typed.
      say(this.statusEl, t('problem.tooMany', { wait: waitText(err.retryAfter) }), 'error');
      this.statusEl.dataset.code = '429';
      this.cooldown(err.retryAfter || 120);
      return;
    }
    if (err.status === 400 || err.status === 422) {
      const fe = err.fieldErrors();
      if (Object.keys(fe).length) {
        this.placeErrors(fe);
        return;
      }
    }
    say(this.statusEl, err.status === 0 ? t('problem.offline') : problemText(err), 'error');
  }

  /** cooldown keeps the send button off until the service will take another report. */
  cooldown(seconds) {
    const until = Date.now() + seconds * 1000;
    clearInterval(this.timer);
    const tick = () => {
      const left = Math.ceil((until - Date.now()) / 1000);
      if (left <= 0 || !this.submitBtn.isConnected) {
        clearInterval(this.timer);
        this.submitBtn.disabled = false;
        this.submitBtn.textContent = t('problem.send');
        return;
      }
      this.submitBtn.disabled = true;
      this.submitBtn.textContent = t('problem.sendIn', { wait: waitText(left) });
    };
    this.timer = setInterval(tick, 1000);
    setTimeout(tick, 0);
  }

  reset() {
    this.values = {};
    this.form = null;
    this.loc = null;
    this.nearby = [];
    this.nearbyAll = [];
    this.ackNearby = false;
    this.key = null;
    if (this.photo) URL.revokeObjectURL(this.photo.url);
    this.photo = null;
    this.marker?.remove();
    this.marker = null;
  }

  showSent(r) {
    const btn = el('button', { type: 'button', class: 'btn', 'data-testid': 'problem-follow', text: t('problem.followThis') });
    btn.addEventListener('click', () => this.follow(r.ref));
    const another = el('button', { type: 'button', class: 'btn link', text: t('problem.another') });
    another.addEventListener('click', () => { this.sent = null; this.render(); this.form.querySelector('select').focus(); });
    this.resultEl.hidden = false;
    this.resultEl.replaceChildren(
      el('h2', { class: 'panel-h', id: 'problem-done-h', tabindex: '-1', text: t('problem.thanks') }),
      el('p', {}, t('problem.refIs'), ' ', el('strong', { class: 'ref', 'data-testid': 'problem-ref', text: r.ref })),
      el('p', { class: 'hint', text: t('problem.refHint') }),
      r.duplicate_of ? el('p', { class: 'hint', 'data-testid': 'problem-duplicate', text: t('problem.duplicate', { ref: r.duplicate_of }) }) : null,
      el('div', { class: 'btn-row' }, btn, another));
  }

  remember(r) {
    try {
      const mine = JSON.parse(localStorage.getItem(MINE_KEY) || '[]').filter((x) => x.ref !== r.ref);
      // The key (given once, with the case number) lets this device say
      // after 结案 whether it is fixed.
      mine.unshift({ ref: r.ref, service_code: r.service_code, at: r.requested_at, key: r.key || '' });
      localStorage.setItem(MINE_KEY, JSON.stringify(mine.slice(0, 20)));
    } catch { /* not remembered: the person has the number on screen */ }
  }

  mine() {
    try { return JSON.parse(localStorage.getItem(MINE_KEY) || '[]'); } catch { return []; }
  }

  /**
   * drawArea lets the resident draw a polygon on the map (Leaflet-Geoman,
   * loaded the first time) and resolves its ring in WGS84, closed. While
   * drawing, a click on the map does not move the report's point.
   */
  async drawArea() {
    await loadGeoman();
    if (!this.map.pm) this.map.pm = new L.PM.Map(this.map);
    this.cancelDrawing();
    this.drawing = true;
    this.map.getContainer().dataset.drawing = 'Polygon';
    return new Promise((resolve, reject) => {
      this.drawReject = reject;
      this.map.pm.enableDraw('Polygon', { snappable: false, continueDrawing: false, allowSelfIntersection: false,
        pathOptions: { color: '#1d3557', weight: 2, dashArray: '6 4', fillOpacity: 0.08 } });
      this.map.once('pm:create', (e) => {
        this.drawing = false;
        delete this.map.getContainer().dataset.drawing;
        this.drawReject = null;
        this.areaLayer = e.layer;
        e.layer.pm?.disable?.();
        const ring = e.layer.getLatLngs()[0].map((ll) => this.getProj().toLonLat(ll).map((x) => Math.round(x * 1e6) / 1e6));
        ring.push(ring[0]);
        resolve(ring);
      });
    });
  }

  cancelDrawing() {
    if (this.map.pm?.globalDrawModeEnabled()) this.map.pm.disableDraw();
    this.areaLayer?.remove();
    this.areaLayer = null;
    this.drawing = false;
    delete this.map.getContainer().dataset.drawing;
    this.drawReject?.(new Error('cancelled'));
    this.drawReject = null;
  }

  followSection() {
    const sec = el('section', { class: 'follow', 'aria-labelledby': 'follow-h', 'data-testid': 'follow' },
      el('h2', { class: 'panel-h', id: 'follow-h', text: t('problem.followHeading') }));
    const f = el('form', { class: 'follow-form', novalidate: true });
    const input = el('input', { name: 'ref', 'data-testid': 'follow-ref', autocomplete: 'off', placeholder: 'LY-2024-000123', required: true });
    f.append(field(t('problem.refLabel'), input, { name: 'ref' }),
      el('button', { type: 'submit', class: 'btn', 'data-testid': 'follow-submit', text: t('problem.followGo') }));
    f.addEventListener('submit', (e) => { e.preventDefault(); this.follow(input.value.trim()); });
    this.followOut = el('div', { class: 'follow-out', 'data-testid': 'follow-result', 'aria-live': 'polite' });
    sec.append(f, this.followOut);
    const mine = this.mine();
    if (mine.length) {
      const ul = el('ul', { class: 'mine' });
      for (const m of mine) {
        const b = el('button', { type: 'button', class: 'btn link', 'data-testid': 'my-report', text: `${m.ref} · ${this.serviceName(m)}` });
        b.addEventListener('click', () => this.follow(m.ref));
        ul.append(el('li', {}, b));
      }
      sec.append(el('h3', { class: 'sub-h', text: t('problem.mine') }), ul);
    }
    return sec;
  }

  async follow(ref) {
    if (!ref) return;
    const input = this.root.querySelector('[data-testid="follow-ref"]');
    input.value = ref;
    this.followOut.replaceChildren(el('p', { class: 'muted', text: t('app.loading') }));
    let r;
    try {
      r = await api.report(ref);
    } catch (err) {
      this.followOut.replaceChildren(el('p', { class: 'error', role: 'alert',
        text: err.status === 404 ? t('problem.notFound', { ref }) : problemText(err) }));
      return;
    }
    const dl = el('dl', { class: 'attrs' });
    const row = (k, v, id) => { if (v) dl.append(el('div', {}, el('dt', { text: k }), el('dd', { text: v, 'data-testid': id || null }))); };
    row(t('problem.refLabel'), r.ref);
    row(t('problem.what'), this.serviceName(r));
    row(t('details.status'), this.statusName(r.status), 'follow-status');
    row(t('problem.notes'), r.status_notes, 'follow-notes');
    row(t('problem.requestedAt'), dateTime(r.requested_at));
    row(t('problem.updatedAt'), dateTime(r.updated_at));
    row(t('problem.description'), r.description);
    if (r.duplicate_of) row(t('problem.duplicateOf'), r.duplicate_of);
    const parts = [dl];
    // Moderation is said, with its reason: the reporter sees why their words or photos changed.
    if (r.moderated) parts.push(el('p', { class: 'hint warn', 'data-testid': 'follow-moderated', text: t('feedback.moderated', { reason: r.moderated.reason, at: dateTime(r.moderated.at) }) }));
    if (r.hidden_photos?.length) parts.push(el('p', { class: 'hint warn', 'data-testid': 'follow-hidden-photos', text: t('feedback.hiddenPhotos', { n: r.hidden_photos.length, reasons: r.hidden_photos.join(isZh() ? '；' : '; ') }) }));
    const photos = (r.photos || (r.photo ? [r.photo] : [])).filter((p) => p.visible !== false);
    if (photos.length) {
      parts.push(el('h3', { class: 'sub-h', text: t('problem.photos') }), el('div', { 'data-testid': 'follow-photos' }, strip(photos)));
    }
    const where = el('div', { class: 'follow-map', 'data-testid': 'follow-map', role: 'img', 'aria-label': t('problem.where') });
    const show = el('button', { type: 'button', class: 'btn', 'data-testid': 'follow-show', text: t('problem.showOnMap') });
    show.addEventListener('click', () => this.map.flyTo(this.getProj().toLatLng(r.location), Math.max(this.map.getZoom(), 17)));
    parts.push(el('h3', { class: 'sub-h', text: t('problem.where') }), where, show);
    // Be told when it moves: by e-mail or this browser's push.
    if (!['closed', 'rejected', 'cancelled'].includes(r.status)) {
      parts.push(el('h3', { class: 'sub-h', text: t('subscribe.followCase') }),
        subscribeBox(() => ({ ref: r.ref, what: r.ref }), { testid: 'follow-subscribe' }));
    }
    const key = this.mine().find((m) => m.ref === r.ref)?.key;
    if (r.status === 'closed' && key && !r.answered) parts.unshift(this.feedbackForm(r, key));
    else if (r.answered) parts.unshift(el('p', { class: 'form-status ok', 'data-testid': 'feedback-thanks', text: t('feedback.thanks') }));
    this.followOut.replaceChildren(...parts);
    this.followOut.querySelector('[data-testid="follow-status"]')?.setAttribute('data-status', r.status);
    this.miniMap(where, r);
    input.focus();
  }

  /**
   * feedbackForm asks the reporter, after 结案, whether it is fixed and how
   * satisfied they are; "not fixed" takes a note and a photo and sends the
   * case back to 核查.
   */
  feedbackForm(r, key) {
    const radios = (name, values, testid) => el('div', { class: 'choices', role: 'radiogroup' }, ...values.map((v) => el('label', { class: 'choice' },
      el('input', { type: 'radio', name, value: v, 'data-testid': `${testid}-${v}` }), el('span', { text: t(`feedback.${name}.${v}`) }))));
    const note = el('textarea', { name: 'note', id: 'fb-note', rows: '3', maxlength: '2000', 'data-testid': 'feedback-note' });
    const photo = el('input', { type: 'file', name: 'photo', id: 'fb-photo', accept: 'image/*', 'data-testid': 'feedback-photo' });
    const more = el('div', { class: 'feedback-more', hidden: true },
      el('div', { class: 'field' }, el('label', { for: 'fb-note', text: t('feedback.note') }), note),
      el('div', { class: 'field' }, el('label', { for: 'fb-photo', text: t('feedback.photo') }), photo));
    const status = el('p', { class: 'form-status', role: 'status', 'data-testid': 'feedback-status' });
    const submit = el('button', { type: 'submit', class: 'btn primary', 'data-testid': 'feedback-submit', text: t('feedback.send') });
    const form = el('form', { class: 'feedback', 'data-testid': 'feedback-form', novalidate: true },
      el('h3', { class: 'sub-h', text: t('feedback.heading') }),
      el('fieldset', {}, el('legend', { text: t('feedback.fixedQ') }), radios('fixed', ['true', 'false'], 'feedback-fixed')),
      more,
      el('fieldset', {}, el('legend', { text: t('feedback.satisfactionQ') }), radios('satisfaction', ['satisfied', 'basically_satisfied', 'dissatisfied'], 'feedback-sat')),
      submit, status);
    form.addEventListener('change', () => { more.hidden = form.elements.fixed.value !== 'false'; });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const fixed = form.elements.fixed.value;
      if (!fixed) { say(status, t('err.feedback_fixed_required'), 'error'); return; }
      const fd = new FormData();
      fd.append('key', key);
      fd.append('fixed', fixed);
      if (form.elements.satisfaction.value) fd.append('satisfaction', form.elements.satisfaction.value);
      if (fixed === 'false' && note.value.trim()) fd.append('note', note.value.trim());
      if (fixed === 'false' && photo.files[0]) {
        const { resize } = await import('./photo.js');
        const img = await resize(photo.files[0]).catch(() => null);
        if (img) fd.append('photo', img.blob, 'photo.jpg');
      }
      submit.disabled = true;
      say(status, t('app.loading'));
      try {
        await upload(`/api/v1/reports/${encodeURIComponent(r.ref)}/feedback`, fd, { headers: { 'Idempotency-Key': newKey() } });
        await this.follow(r.ref);
        // Answered: thanked (a case sent back is open again, with nothing to answer yet).
        this.followOut.querySelector('[data-testid="feedback-thanks"]')?.remove();
        this.followOut.prepend(el('p', { class: 'form-status ok', role: 'status', 'data-testid': 'feedback-thanks', 'data-fixed': fixed,
          text: t(fixed === 'false' ? 'feedback.sentBack' : 'feedback.thanks') }));
      } catch (err) {
        submit.disabled = false;
        say(status, problemText(err), 'error');
      }
    });
    return form;
  }

  /** miniMap draws where the report is, on the main map's basemap, with the asset it concerns. */
  miniMap(box, r) {
    this.mini?.remove();
    const proj = this.getProj();
    const at = proj.toLatLng(r.location);
    const mini = L.map(box, { crs: this.map.options.crs, zoomControl: true, attributionControl: false, scrollWheelZoom: false,
      dragging: !L.Browser.mobile, minZoom: 12, maxZoom: 19 }).setView(at, 17);
    this.mini = mini;
    new Basemap(mini, this.getState(), { onUnreachable: () => {}, onNeedsKey: () => {} });
    L.circleMarker(at, { radius: 9, color: '#fff', weight: 2, fillColor: '#d9480f', fillOpacity: 1 }).addTo(mini);
    box.dataset.lon = String(r.location[0]);
    box.dataset.lat = String(r.location[1]);
    if (r.asset_id) {
      api.asset(r.asset_id).then((a) => {
        if (this.mini !== mini) return;
        L.geoJSON(a.geometry, {
          coordsToLatLng: (c) => proj.toLatLng(c),
          style: { color: '#1864ab', weight: 3, fillOpacity: 0.1 },
          pointToLayer: (_, ll) => L.circleMarker(ll, { radius: 6, color: '#1864ab', weight: 2, fillOpacity: 0.3 }),
        }).addTo(mini);
      }).catch(() => {});
    }
  }
}
