// asset-editor.js: drawing a new asset or editing one in the console:
// code, names, the kind's attributes, and the geometry — drawn or dragged on
// the map with Leaflet-Geoman, or typed as GeoJSON for those who use the
// keyboard. The service checks the geometry (type for the kind, valid, inside
// the district, vertices); its errors appear beside the field they name.
import { send, getJSON, ApiError } from './api.js';
import { t, name } from './i18n.js';
import { el, field, option, showFieldErrors, clearFieldErrors, problemText, say } from './dom.js';
import { conflictBox, mergeRows } from './conflict.js';

/* global L */

// The attributes offered per kind: [key, type, vocabulary table in meta].
const ATTRS = {
  road_repair: [['road', 'text'], ['area_m2', 'number'], ['length_m', 'number'], ['width_m', 'number']],
  sewer_separation: [['road', 'text'], ['households', 'integer'], ['pipe_length_m', 'number']],
  parking_lot: [['address', 'text'], ['spaces', 'integer'], ['opening_hours', 'text']],
  parking_space: [['number', 'text'], ['space_type', 'table', 'space_types']],
  manhole: [['cover_category', 'table', 'cover_categories'], ['defect_type', 'table', 'manhole_defects'],
    ['defect_grade', 'table', 'defect_grades'], ['load_class', 'table', 'load_classes'], ['road', 'text']],
  capital_project: [['investment_yuan', 'number'], ['area_m2', 'number']],
};
const DRAW = { Point: 'Marker', MultiPoint: 'Marker', LineString: 'Line', MultiLineString: 'Line', Polygon: 'Polygon', MultiPolygon: 'Polygon' };

export class AssetEditor {
  constructor(root, { map, getProj, meta, onSaved, onClose }) {
    Object.assign(this, { root, map, getProj, meta, onSaved, onClose });
    this.layer = null;
    root.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !e.target.closest('dialog')) { e.preventDefault(); this.close(); }
    });
    map.on('pm:create', (e) => this.created(e));
  }

  kindOf(code) { return this.meta.kinds.find((k) => k.code === code); }

  /** edit loads asset id with its version (ETag) and shows the form. */
  async edit(id, { returnFocus } = {}) {
    if (returnFocus) this.returnFocus = returnFocus;
    this.root.hidden = false;
    let res;
    try {
      res = await send('GET', `/api/v1/assets/${id}`);
    } catch (err) {
      this.root.replaceChildren(el('p', { class: 'error', role: 'alert', text: problemText(err) }));
      return;
    }
    this.asset = res.data;
    this.etag = res.etag;
    this.geometry = this.asset.geometry;
    this.isNew = false;
    this.render();
    this.drawLayer(this.geometry);
    this.root.querySelector('h2').focus();
  }

  /** create starts a new asset of a kind: the form and the map's draw mode. */
  create(kind, { returnFocus } = {}) {
    if (returnFocus) this.returnFocus = returnFocus;
    this.root.hidden = false;
    this.asset = { id: null, geometry: null, properties: { kind, code: '', name: '', name_en: '' } };
    this.etag = null;
    this.geometry = null;
    this.isNew = true;
    this.clearLayer();
    this.render();
    this.root.querySelector('h2').focus();
  }

  render() {
    const a = this.asset;
    const p = a.properties;
    const kind = this.kindOf(p.kind);
    const close = el('button', { type: 'button', class: 'icon-btn', 'data-testid': 'asset-close', 'aria-label': t('asset.close'), title: t('asset.close'), text: '×' });
    close.addEventListener('click', () => this.close());
    const title = this.isNew ? t('asset.newTitle', { kind: name(kind) }) : `${name(p)} · ${p.code}`;
    const form = el('form', { class: 'asset-form', 'data-testid': 'asset-form', novalidate: true, 'aria-labelledby': 'asset-h' });
    const code = el('input', { name: 'code', value: p.code, maxlength: '64', autocomplete: 'off', 'data-testid': 'asset-code', required: true });
    const nm = el('input', { name: 'name', value: p.name, maxlength: '200', 'data-testid': 'asset-name', required: true });
    const nmEn = el('input', { name: 'name_en', value: p.name_en || '', maxlength: '200', 'data-testid': 'asset-name-en', lang: 'en' });
    const attrs = el('fieldset', { class: 'grid2' }, el('legend', { text: t('asset.attributes') }));
    for (const [key, type, table] of ATTRS[p.kind] || []) {
      let c;
      const label = t(`attr.${key}`) !== `attr.${key}` ? t(`attr.${key}`) : key;
      if (type === 'table') {
        c = el('select', { name: key, 'data-testid': `asset-attr-${key}` }, option('', '—'),
          (this.meta[table] || []).map((x) => option(String(x.code), `${x.code} · ${name(x)}`, String(x.code) === String(p[key] ?? ''))));
      } else {
        c = el('input', { name: key, value: p[key] ?? '', 'data-testid': `asset-attr-${key}`,
          ...(type === 'text' ? {} : { type: 'number', step: type === 'integer' ? '1' : 'any', min: '0', inputmode: 'decimal' }) });
      }
      c.dataset.type = type;
      attrs.append(field(label, c, { name: key }));
    }
    const geomText = el('textarea', { name: 'geometry', rows: '4', spellcheck: 'false', class: 'mono', 'data-testid': 'asset-geometry' });
    geomText.value = this.geometry ? JSON.stringify(this.geometry) : '';
    geomText.addEventListener('change', () => {
      try {
        const g = JSON.parse(geomText.value);
        this.geometry = g;
        this.drawLayer(g);
      } catch {
        showFieldErrors(form, { geometry: t('asset.badJson') });
      }
    });
    this.geomText = geomText;
    const types = (kind?.geometry_types || []).join(', ');
    const drawBtn = el('button', { type: 'button', class: 'btn', 'data-testid': 'asset-draw', text: this.isNew ? t('asset.draw') : t('asset.editShape') });
    drawBtn.addEventListener('click', () => this.startDrawing());
    const stopBtn = el('button', { type: 'button', class: 'btn', 'data-testid': 'asset-stop', text: t('asset.stopEditing') });
    stopBtn.addEventListener('click', () => this.stopEditing());
    const geomField = field(t('asset.geometry'), geomText, { name: 'geometry', hint: t('asset.geometryHint', { types }) });
    const status = el('p', { class: 'form-status', role: 'alert', 'data-testid': 'asset-status', hidden: true });
    const submit = el('button', { type: 'submit', class: 'btn primary', 'data-testid': 'asset-save', text: this.isNew ? t('asset.create') : t('asset.save') });
    form.append(
      el('div', { class: 'conflict-slot' }),
      field(t('details.code'), code, { name: 'code', hint: p.kind === 'manhole' ? t('asset.manholeCode') : null }),
      field(t('asset.name'), nm, { name: 'name' }),
      field(t('asset.nameEn'), nmEn, { name: 'name_en' }),
      attrs,
      el('div', { class: 'btn-row' }, drawBtn, stopBtn),
      geomField, status, submit);
    form.addEventListener('submit', (e) => { e.preventDefault(); this.save(form, status, submit); });
    this.form = form;
    this.root.replaceChildren(
      el('header', { class: 'details-head' }, el('h2', { id: 'asset-h', tabindex: '-1', 'data-testid': 'asset-title', text: title }), close),
      el('p', { class: 'muted', text: `${name(kind)}${a.id ? ` · #${a.id} · ${t('task.version')} ${p.version}` : ''}` }),
      this.registerBox(a), form);
  }

  /** registerBox shows a cover's file (一井一档案): owner unit, load class, net, last inspection, grade. */
  registerBox(a) {
    const box = el('dl', { class: 'register', 'data-testid': 'cover-register', hidden: true });
    if (!a.id || a.properties.kind !== 'manhole') return box;
    getJSON(`/api/v1/assets/${a.id}/register`).then((r) => {
      const rows = [
        ['reg.unit', document.documentElement.lang === 'en' && r.unit_en ? r.unit_en : r.unit],
        ['reg.loadClass', r.load_class || t('reg.unknown')],
        ['reg.net', r.anti_fall_net === null ? t('reg.unknown') : t(r.anti_fall_net ? 'reg.netYes' : 'reg.netNo')],
        ['reg.lastInspected', r.last_inspected_on ? r.last_inspected_on.slice(0, 10) : t('reg.unknown')],
        ['reg.grade', r.condition_grade ? t('reg.gradeN', { n: r.condition_grade }) : t('reg.unknown')],
      ];
      box.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', { text: t(k) }), el('dd', { 'data-testid': `register-${k.slice(4)}`, text: v })]));
      box.hidden = false;
    }).catch(() => {});
    return box;
  }

  // ---- the map side --------------------------------------------------

  toLatLng(c) { return this.getProj().toLatLng(c); }

  /** toGeometry converts a Leaflet layer's GeoJSON (drawn in basemap coordinates) back to WGS84. */
  toGeometry(layer) {
    const g = layer.toGeoJSON(15).geometry;
    const conv = (c) => (typeof c[0] === 'number'
      ? this.getProj().toLonLat(L.latLng(c[1], c[0])).map((v) => Number(v.toFixed(7)))
      : c.map(conv));
    return { type: g.type, coordinates: conv(g.coordinates) };
  }

  clearLayer() {
    if (this.map.pm.globalDrawModeEnabled()) this.map.pm.disableDraw();
    this.layer?.pm?.disable();
    this.layer?.remove();
    this.layer = null;
  }

  drawLayer(g) {
    this.clearLayer();
    if (!g) return;
    const layer = g.type === 'Point'
      ? L.marker(this.toLatLng(g.coordinates), { icon: L.divIcon({ className: 'edit-pin', iconSize: [18, 18], html: '' }), keyboard: false })
      : L.GeoJSON.geometryToLayer({ type: 'Feature', geometry: g, properties: {} }, {
        coordsToLatLng: (c) => this.toLatLng(c), color: '#e8590c', weight: 4, fillOpacity: 0.2,
      });
    layer.addTo(this.map);
    layer.getElement?.()?.setAttribute('data-testid', 'asset-shape');
    this.watch(layer);
    this.layer = layer;
    const b = layer.getBounds ? layer.getBounds() : L.latLngBounds([layer.getLatLng()]);
    if (b.isValid()) this.map.fitBounds(b, { maxZoom: 18, padding: [40, 40], animate: false });
  }

  watch(layer) {
    const update = () => {
      this.geometry = this.toGeometry(layer);
      if (this.geomText) this.geomText.value = JSON.stringify(this.geometry);
    };
    layer.on('pm:edit pm:dragend pm:markerdragend pm:vertexadded pm:vertexremoved pm:update', update);
    layer.on('dragend', update);
  }

  startDrawing() {
    if (this.isNew && !this.layer) {
      const kind = this.kindOf(this.asset.properties.kind);
      const shape = DRAW[kind.geometry_types[0]] || 'Marker';
      const opts = { snappable: false, continueDrawing: false };
      if (shape === 'Marker') opts.markerStyle = { icon: L.divIcon({ className: 'edit-pin', iconSize: [18, 18], html: '' }) };
      this.map.pm.enableDraw(shape, opts);
      say(this.form.querySelector('[data-testid="asset-status"]'), t(`asset.drawHint.${shape}`));
      this.map.getContainer().dataset.drawing = shape;
      return;
    }
    if (!this.layer) return;
    if (this.layer instanceof L.Marker) this.layer.pm.enable({ draggable: true });
    else this.layer.pm.enable({ allowSelfIntersection: false, snappable: false });
    this.map.getContainer().dataset.editing = 'true';
    say(this.form.querySelector('[data-testid="asset-status"]'), t('asset.editHint'));
  }

  stopEditing() {
    if (this.map.pm.globalDrawModeEnabled()) this.map.pm.disableDraw();
    this.layer?.pm?.disable();
    delete this.map.getContainer().dataset.drawing;
    delete this.map.getContainer().dataset.editing;
    if (this.layer) {
      this.geometry = this.toGeometry(this.layer);
      this.geomText.value = JSON.stringify(this.geometry);
    }
  }

  created(e) {
    if (!this.isNew || this.root.hidden) { e.layer.remove(); return; }
    this.clearLayer();
    this.layer = e.layer;
    this.layer.getElement?.()?.setAttribute('data-testid', 'asset-shape');
    this.watch(this.layer);
    this.geometry = this.toGeometry(this.layer);
    this.geomText.value = JSON.stringify(this.geometry);
    delete this.map.getContainer().dataset.drawing;
    say(this.form.querySelector('[data-testid="asset-status"]'), t('asset.drawn'));
  }

  // ---- saving ----------------------------------------------------------

  readProps() {
    const f = this.form.elements;
    const props = { code: f.code.value.trim(), name: f.name.value.trim(), name_en: f.name_en.value.trim() };
    for (const [key, type] of ATTRS[this.asset.properties.kind] || []) {
      const v = f[key].value.trim();
      if (v === '') props[key] = null;
      else if (type === 'number' || type === 'integer') props[key] = Number(v);
      else if (type === 'table' && /^\d+$/.test(v) && key === 'defect_grade') props[key] = Number(v);
      else props[key] = v;
    }
    return props;
  }

  async save(form, status, submit) {
    clearFieldErrors(form);
    say(status, '');
    if (this.layer && this.map.pm.globalEditModeEnabled?.()) this.stopEditing();
    if (this.layer) this.geometry = this.toGeometry(this.layer);
    const props = this.readProps();
    let req;
    let body = null;
    if (this.isNew) {
      if (!this.geometry) {
        showFieldErrors(form, { geometry: t('asset.needGeometry') });
        return;
      }
      const properties = { kind: this.asset.properties.kind };
      for (const [k, v] of Object.entries(props)) if (v !== null && v !== '') properties[k] = v;
      req = send('POST', '/api/v1/assets', { json: { type: 'Feature', geometry: this.geometry, properties } });
    } else {
      // Only what changed: a null removes an attribute.
      const old = this.asset.properties;
      const properties = {};
      for (const [k, v] of Object.entries(props)) {
        const was = old[k] === undefined ? null : old[k];
        if (k === 'name_en' && v === '' && !was) continue;
        if (String(v ?? '') !== String(was ?? '')) properties[k] = v;
      }
      body = { type: 'Feature', properties };
      if (JSON.stringify(this.geometry) !== JSON.stringify(this.asset.geometry)) body.geometry = this.geometry;
      if (!body.geometry && !Object.keys(properties).length) {
        say(status, t('task.nothingChanged'), 'error');
        return;
      }
      req = send('PATCH', `/api/v1/assets/${this.asset.id}`, { json: body, headers: { 'If-Match': this.etag } });
    }
    submit.disabled = true;
    try {
      const res = await req;
      this.asset = res.data;
      this.etag = res.etag;
      this.geometry = this.asset.geometry;
      const created = this.isNew;
      this.isNew = false;
      this.render();
      this.drawLayer(this.geometry);
      const ok = el('p', { class: 'form-status ok', role: 'status', 'data-testid': 'asset-saved',
        text: created ? t('asset.created', { id: this.asset.id }) : t('asset.saved') });
      this.form.querySelector('.conflict-slot').replaceWith(ok);
      this.root.querySelector('h2').focus();
      this.onSaved?.(this.asset);
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) {
        await this.conflict(err, body);
        return;
      }
      const fe = err instanceof ApiError ? err.fieldErrors() : {};
      const left = Object.keys(fe).length ? showFieldErrors(form, fe) : {};
      const rest = Object.values(left);
      say(status, Object.keys(fe).length && !rest.length ? t('task.fixFields') : (rest.join('; ') || problemText(err)), 'error');
    } finally {
      submit.disabled = false;
    }
  }

  /**
   * conflict shows what the other person changed beside this page's edit
   * (body: the PATCH that met 412) and saves mine on top of theirs, asking
   * field by field where both changed the same one.
   */
  async conflict(err, body) {
    const base = this.asset;
    let now = null;
    let nowEtag = null;
    try {
      const res = await send('GET', `/api/v1/assets/${base.id}`);
      now = res.data;
      nowEtag = res.etag;
    } catch { /* shown without the diff */ }
    const fields = [{ key: 'properties.code', label: t('details.code') }, { key: 'properties.name', label: t('asset.name') },
      { key: 'properties.name_en', label: t('asset.nameEn') }];
    for (const [key] of ATTRS[base.properties.kind] || []) fields.push({ key: `properties.${key}`, label: t(`attr.${key}`) });
    const shape = (g) => (g ? t('asset.shapeOf', { type: g.type, n: JSON.stringify(g.coordinates).split('],[').length }) : '—');
    fields.push({ key: 'geometry', label: t('asset.geometry'), fmt: shape });
    const mine = {};
    for (const [k, v] of Object.entries(body?.properties || {})) mine[`properties.${k}`] = v;
    if (body?.geometry) mine.geometry = body.geometry;
    const rows = now ? mergeRows(base, now, mine, fields) : [];
    // Two shapes with as many vertices read alike: say which is which.
    for (const r of rows) {
      if (r.key === 'geometry' && r.base === r.theirs) { r.base = t('asset.shapeBefore'); r.theirs = t('asset.shapeMoved'); }
    }
    const onMerge = now && body ? async (values) => {
      const properties = {};
      let geometry = null;
      for (const [k, v] of Object.entries(values)) {
        if (k === 'geometry') geometry = v;
        else if (JSON.stringify(v ?? null) !== JSON.stringify(now.properties[k.slice('properties.'.length)] ?? null)) properties[k.slice('properties.'.length)] = v;
      }
      this.asset = now;
      this.etag = nowEtag;
      const merged = { type: 'Feature', properties };
      if (geometry && JSON.stringify(geometry) !== JSON.stringify(now.geometry)) merged.geometry = geometry;
      if (!merged.geometry && !Object.keys(properties).length) { this.edit(now.id); return; }
      try {
        const res = await send('PATCH', `/api/v1/assets/${now.id}`, { json: merged, headers: { 'If-Match': nowEtag } });
        this.asset = res.data;
        this.etag = res.etag;
        this.geometry = this.asset.geometry;
        this.render();
        this.drawLayer(this.geometry);
        this.form.querySelector('.conflict-slot').replaceWith(el('p', { class: 'form-status ok', role: 'status', 'data-testid': 'asset-saved', text: t('conflict.merged') }));
        this.root.querySelector('h2').focus();
        this.onSaved?.(this.asset);
      } catch (e) {
        if (e instanceof ApiError && e.status === 412) { await this.conflict(e, merged); return; }
        throw e;
      }
    } : null;
    const box = conflictBox({
      what: t('conflict.asset', { code: base.properties.code }), fromVersion: base.properties.version,
      toVersion: now ? now.properties.version : err.problem?.current_version, rows, events: [], onMerge,
      onReload: () => this.edit(base.id),
    });
    const slot = this.root.querySelector('.conflict-slot, [data-testid="conflict"], [data-testid="asset-saved"]');
    slot.replaceWith(box);
    box.focusFirst();
  }

  close() {
    if (this.root.hidden) return;
    this.stopEditing();
    this.clearLayer();
    this.root.hidden = true;
    this.onClose?.();
    const back = this.returnFocus;
    this.returnFocus = null;
    if (back && document.contains(back)) back.focus();
  }
}
