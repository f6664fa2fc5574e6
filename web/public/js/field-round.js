// field-round.js: today's inspection round on /field (docs/inspections.md).
// The round is the inspector's inspections still due whose period contains
// today, read from GET /api/v1/inspections/round (kept by the service
// worker for when there is no signal) and ordered here as a walk from the
// device's position: greedy nearest neighbour — from where the inspector
// stands, each next the nearest not yet visited. A checklist is recorded
// per kind (a cover's seven items, a road section's CJJ 36 distresses),
// with a photo of each failed item; it goes to the outbox as one record
// (its Idempotency-Key made once) and its photos follow to the defect case
// each failed item opened.
import { getJSON } from './api.js';
import { t, name, dateTime } from './i18n.js';
import { el, field, option, say } from './dom.js';
import { locate } from './geo.js';
import { readExif, resize } from './photo.js';

export const COVER_ITEMS = ['missing_cover', 'broken_cover', 'broken_frame', 'cover_frame_gap', 'height_difference', 'rocking_noise', 'missing_anti_fall_net'];
const SEVERITIES = ['light', 'moderate', 'heavy'];

/** walk orders points ({lon, lat}) from start, each next the nearest left. */
export function walk(start, pts) {
  const left = pts.map((p, i) => i);
  const k = Math.cos((start.lat * Math.PI) / 180);
  const out = [];
  let at = start;
  while (left.length) {
    let best = 0;
    let bestD = Infinity;
    left.forEach((i, j) => {
      const dx = (pts[i].lon - at.lon) * k;
      const dy = pts[i].lat - at.lat;
      const d = dx * dx + dy * dy;
      if (d < bestD) { best = j; bestD = d; }
    });
    const i = left.splice(best, 1)[0];
    out.push({ i, m: Math.hypot((pts[i].lon - at.lon) * k * 111320, (pts[i].lat - at.lat) * 110540) });
    at = pts[i];
  }
  return out;
}

const metres = (m) => (m < 1000 ? t('unit.m', { n: Math.round(m) }) : t('field.km', { n: (m / 1000).toFixed(1) }));

/** renderRound draws today's round into root; open(id) opens one inspection. */
export async function renderRound(root, app, open) {
  const status = el('p', { class: 'form-status', role: 'status', 'data-testid': 'round-status', hidden: true });
  const list = el('ol', { class: 'queue', 'data-testid': 'round-list', 'aria-labelledby': 'round-h' });
  const count = el('p', { class: 'hint', 'data-testid': 'round-count' });
  root.replaceChildren(el('h2', { id: 'round-h', text: t('insp.heading') }), status, count, list);
  if (app.roundMsg) { say(status, app.roundMsg.text, app.roundMsg.kind); app.roundMsg = null; }
  let round;
  try {
    round = await getJSON('/api/v1/inspections/round');
  } catch (err) {
    if (!app.round) { say(status, err.message, 'error'); return; }
    round = app.round;
  }
  app.round = round;
  if (!app.position) {
    try { app.position = await locate({ timeout: 4000, maximumAge: 120000 }); } catch { /* listed by id */ }
  }
  const queued = new Set((await app.outbox.all()).filter((r) => r.kind === 'inspection').map((r) => r.inspectionId));
  const items = round.inspections.filter((x) => !queued.has(x.id));
  const order = app.position ? walk(app.position, items) : items.map((x, i) => ({ i, m: null }));
  count.textContent = items.length ? t('insp.count', { n: items.length }) : t('insp.empty');
  for (const { i, m } of order) {
    const x = items[i];
    const b = el('button', { type: 'button', class: 'btn', 'data-testid': 'round-open', text: t('insp.open') });
    b.addEventListener('click', () => open(x.id));
    list.append(el('li', { class: 'queue-item', 'data-testid': 'round-item', 'data-id': String(x.id), 'data-code': x.asset_code },
      el('p', { class: 'item-title', text: `${x.asset_name} · ${x.asset_code}` }),
      el('p', { class: 'item-meta', text: [t(`insp.kind.${x.kind}`), t('insp.due', { date: x.due_on.slice(0, 10) }), m === null ? '' : t('insp.next', { d: metres(m) })].filter(Boolean).join(' · ') }),
      b));
  }
}

function photoInput(testid) {
  return el('input', { type: 'file', accept: 'image/*', capture: 'environment', 'data-testid': testid });
}

/** readPhoto resizes a photo and keeps its EXIF position and time as fields. */
async function readPhoto(file, app) {
  const exif = await readExif(file).catch(() => ({ lat: null }));
  const img = await resize(file).catch(() => null);
  if (!img) return null;
  const fields = { stage: 'before' };
  if (exif.lat !== null) Object.assign(fields, { lat: exif.lat, lon: exif.lon, location_source: 'exif' });
  else if (app.position) Object.assign(fields, { lat: app.position.lat.toFixed(7), lon: app.position.lon.toFixed(7), accuracy_m: Math.round(app.position.accuracy) });
  if (exif.capturedAt) fields.captured_at = exif.capturedAt;
  return { fields, blob: img.blob, width: img.width, height: img.height };
}

/** renderInspect draws the checklist of inspection id; done() goes back to the round. */
export function renderInspect(root, app, id, done) {
  const x = app.round?.inspections.find((i) => String(i.id) === String(id));
  const backBtn = el('button', { type: 'button', class: 'btn link back', 'data-testid': 'back', text: t('field.back') });
  backBtn.addEventListener('click', done);
  if (!x) { root.replaceChildren(backBtn, el('p', { class: 'muted', text: t('insp.empty') })); return; }
  const status = el('p', { class: 'form-status', role: 'alert', 'data-testid': 'inspect-status', hidden: true });
  const note = el('textarea', { rows: '2', maxlength: '2000', 'data-testid': 'inspect-note' });
  const photos = new Map(); // item → file input
  const body = el('div', { class: 'checklist' });
  const distresses = [];
  if (x.kind === 'manhole') {
    for (const item of COVER_ITEMS) {
      const ok = el('input', { type: 'radio', name: `c-${item}`, value: 'ok', checked: true, 'data-testid': `check-${item}-ok` });
      const fail = el('input', { type: 'radio', name: `c-${item}`, value: 'fail', 'data-testid': `check-${item}-fail` });
      const ph = photoInput(`photo-${item}`);
      const phField = field(t('insp.photo'), ph, { name: `photo-${item}` });
      phField.hidden = true;
      for (const r of [ok, fail]) r.addEventListener('change', () => { phField.hidden = !fail.checked; });
      photos.set(item, ph);
      body.append(el('fieldset', { class: 'check', 'data-testid': `check-${item}` },
        el('legend', { text: t(`insp.item.${item}`) }),
        el('label', {}, ok, ` ${t('insp.ok')}`), ' ', el('label', {}, fail, ` ${t('insp.fail')}`), phField));
    }
  } else {
    const rows = el('div', { 'data-testid': 'distress-rows' });
    const add = el('button', { type: 'button', class: 'btn', 'data-testid': 'distress-add', text: t('insp.distress.add') });
    add.addEventListener('click', () => {
      const type = el('select', { 'data-testid': 'distress-type' }, (app.meta?.road_distresses || []).map((d) => option(d.code, name(d))));
      const extent = el('input', { type: 'number', min: '0', step: '0.1', 'data-testid': 'distress-extent' });
      const sev = el('select', { 'data-testid': 'distress-severity' }, SEVERITIES.map((s) => option(s, t(`insp.severity.${s}`))));
      const ph = photoInput('distress-photo');
      const row = el('fieldset', { class: 'check', 'data-testid': 'distress-row' }, field(t('insp.col.kind'), type), field(t('insp.extent'), extent), field(t('insp.severity'), sev), field(t('insp.photo'), ph));
      const rm = el('button', { type: 'button', class: 'btn link', text: t('insp.remove') });
      const d = { type, extent, sev, ph, row };
      rm.addEventListener('click', () => { row.remove(); distresses.splice(distresses.indexOf(d), 1); });
      row.append(rm);
      distresses.push(d);
      rows.append(row);
    });
    body.append(el('p', { class: 'hint', text: t('insp.distress.none') }), rows, add);
  }
  const save = el('button', { type: 'submit', class: 'btn primary big', 'data-testid': 'inspect-save', text: t('insp.save') });
  const form = el('form', { novalidate: true, 'data-testid': 'inspect-form' }, body, field(t('insp.note'), note, { name: 'note' }), status, save);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    save.disabled = true;
    try { app.position = await locate({ timeout: 4000, maximumAge: 60000 }); } catch { /* the last known one */ }
    const result = { note: note.value.trim() };
    if (app.position) {
      result.position = [Number(app.position.lon.toFixed(7)), Number(app.position.lat.toFixed(7))];
      result.accuracy_m = Math.round(app.position.accuracy * 10) / 10;
    }
    const withPhotos = [];
    if (x.kind === 'manhole') {
      result.checks = {};
      for (const item of COVER_ITEMS) {
        const v = form.querySelector(`input[name="c-${item}"]:checked`).value;
        result.checks[item] = v;
        if (v === 'fail' && photos.get(item).files[0]) withPhotos.push({ item, file: photos.get(item).files[0] });
      }
    } else {
      result.distresses = distresses.map((d) => ({ type: d.type.value, extent: Number(d.extent.value), severity: d.sev.value }));
      for (const d of distresses) if (d.ph.files[0]) withPhotos.push({ item: d.type.value, file: d.ph.files[0] });
    }
    // Photos are read and resized before anything is queued: the record
    // may be sent at once, and its photos must be waiting for its answer.
    const ready = [];
    for (const p of withPhotos) {
      const ph = await readPhoto(p.file, app);
      if (ph) ready.push({ item: p.item, ...ph });
    }
    const rec = await app.outbox.add({ kind: 'inspection', inspectionId: x.id, assetName: x.asset_name, assetCode: x.asset_code, body: result }, { sync: false });
    const itemName = (item) => (x.kind === 'manhole' ? t(`insp.item.${item}`) : name((app.meta?.road_distresses || []).find((d) => d.code === item)) || item);
    for (const p of ready) await app.outbox.add({ kind: 'photo', after: rec.id, taskTitle: `${x.asset_name} · ${itemName(p.item)}`, ...p }, { sync: false });
    app.outbox.sync();
    app.roundMsg = { text: t('insp.queued'), kind: 'ok' };
    done();
  });
  root.replaceChildren(backBtn, el('h2', { id: 'inspect-h', text: `${x.asset_name} · ${x.asset_code}` }),
    el('p', { class: 'item-meta', text: `${x.plan_name} · ${t('insp.due', { date: x.due_on.slice(0, 10) })}${x.done_at ? ` · ${dateTime(x.done_at)}` : ''}` }), form);
}
