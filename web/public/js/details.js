// details.js: the panel of one feature: its attributes with translated
// labels and code names, its status, its tasks with their dated history
// (Beijing time) and a place for the public before/after photos.
import { api, send, newKey } from './api.js';
import { t, has, name, num, wan, yuan, dateTime, day, isZh, workTypeName } from './i18n.js';
import { statusColor } from './symbols.js';
import { el, problemText } from './dom.js';
import { lightBadge, deadlineText } from './clock.js';
import { pair, strip } from './gallery.js';
import { conditionSection } from './condition.js';

// Attributes shown per kind, in this order; anything else the service adds
// appears after them with its key as label.
const ORDER = {
  road_repair: ['road', 'section', 'area_m2', 'length_m', 'width_m', 'work_type', 'distresses', 'pci_before', 'pci_after'],
  sewer_separation: ['site_type', 'road', 'area_m2', 'households', 'pipe_length_m', 'length_m', 'corridor', 'placeholder'],
  parking_lot: ['address', 'road', 'spaces', 'space_types', 'accessible_spaces', 'chargers', 'tariff', 'opening_hours'],
  parking_space: ['lot', 'number', 'space_type'],
  manhole: ['cover_category', 'defect_type', 'defect_grade', 'load_class', 'road'],
  capital_project: ['area_m2', 'investment_yuan', 'purpose', 'completed', 'handed_over'],
};
const SKIP = new Set(['kind', 'code', 'name', 'name_en', 'subdistrict', 'status', 'status_at', 'version', 'updated_at',
  'created_at', 'parent_id', 'tasks', 'space_type_name', 'pci', 'condition_grade', 'condition_score', 'road_class',
  'owner_unit', 'anti_fall_net', 'last_inspected_on']);

const ME_TOO_KEY = 'inframap.metoo';
const DEVICE_KEY = 'inframap.device';

/** deviceId is this browser's random id for 我也遇到, kept in localStorage (the service stores only its hash). */
function deviceId() {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id) {
    id = `d-${newKey()}`;
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

export class DetailsPanel {
  constructor(root, { meta, areas, onClose, onOpen, getAsOf, onReport }) {
    this.onReport = onReport;
    this.root = root;
    this.meta = meta;
    this.areas = areas;
    this.onClose = onClose;
    this.onOpen = onOpen;
    this.getAsOf = getAsOf;
    this.current = null;
    this.returnFocus = null;
    root.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') { e.preventDefault(); this.close(); }
    });
  }

  vocab(table, code) {
    const e = (this.meta[table] || []).find((x) => String(x.code) === String(code));
    return e ? name(e) : String(code);
  }

  statusName(code) {
    if (!code) return t('filters.noStatus');
    return this.vocab('statuses', code);
  }

  /** value formats one attribute for people. */
  value(key, v, p) {
    if (v === null || v === undefined || v === '') return null;
    const code = (prefix) => (has(`${prefix}.${v}`) ? t(`${prefix}.${v}`) : String(v));
    switch (key) {
      case 'area_m2': return t('unit.m2', { n: isZh() ? wan(v) : num(v) });
      case 'length_m': case 'width_m': case 'pipe_length_m': return t('unit.m', { n: num(v, 1) });
      case 'households': return t('unit.households', { n: num(v) });
      case 'investment_yuan': return `${yuan(v)} (${t('unit.yuan', { n: num(v) })})`;
      case 'work_type': return workTypeName(v);
      case 'site_type': return code('site_type');
      case 'distresses': return v.map((d) => this.vocab('road_distresses', d)).join(isZh() ? '、' : ', ');
      case 'cover_category': return `${this.vocab('cover_categories', v)} (${v})`;
      case 'defect_type': return this.vocab('manhole_defects', v);
      case 'defect_grade': return `${v} · ${this.vocab('defect_grades', v)}`;
      case 'load_class': return `${v} · ${this.vocab('load_classes', v)}`;
      case 'space_type': return this.vocab('space_types', v);
      case 'space_types': return Object.entries(v).map(([k, n]) => `${this.vocab('space_types', k)} ${num(n)}`).join(isZh() ? '、' : ', ');
      case 'road': return isZh() ? v : p.road_en || v;
      case 'tariff': return isZh() ? v : p.tariff_en || v;
      case 'purpose': return isZh() ? v : p.purpose_en || v;
      case 'placeholder': return v ? t('details.placeholder') : null;
      default:
        // An instant (completed_at and the like) in Beijing time, never ISO.
        if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(v)) return dateTime(v);
        if (typeof v === 'boolean') return v ? t('details.yes') : t('details.no');
        if (typeof v === 'number') return num(v, 2);
        if (typeof v === 'object') return JSON.stringify(v);
        return String(v);
    }
  }

  /** open shows the feature with this id; f is its list feature, shown while the details load. */
  async open(id, { returnFocus } = {}) {
    this.returnFocus = returnFocus || document.activeElement;
    this.current = String(id);
    this.root.hidden = false;
    this.root.replaceChildren(this.header(null), el('p', { class: 'muted', text: t('details.loading') }));
    this.root.querySelector('h2').focus();
    let a;
    try {
      a = await api.asset(id);
    } catch (err) {
      if (this.current !== String(id)) return;
      this.root.replaceChildren(this.header(null), el('p', { class: 'error', role: 'alert', text: t('app.loadFailed', { detail: err.message }) }));
      return;
    }
    if (this.current !== String(id)) return;
    this.asset = a;
    this.render();
    this.root.querySelector('h2').focus();
    this.onOpen(a);
  }

  /** rerender redraws the open panel (language change). */
  rerender() {
    if (!this.root.hidden && this.asset && this.current === String(this.asset.id)) this.render();
  }

  header(a) {
    const close = el('button', { type: 'button', class: 'icon-btn', 'data-testid': 'details-close', 'aria-label': t('details.close'), title: t('details.close'), text: '×' });
    close.addEventListener('click', () => this.close());
    const h = el('h2', { id: 'details-title', tabindex: '-1', 'data-testid': 'details-title', text: a ? name(a.properties) : t('app.loading') });
    return el('header', { class: 'details-head' }, h, close);
  }

  render() {
    const a = this.asset;
    const p = a.properties;
    const kind = this.meta.kinds.find((k) => k.code === p.kind);
    const zone = this.areas.find((z) => z.name === p.subdistrict);
    const root = this.root;
    const chip = el('span', { class: 'status', 'data-testid': 'details-status' });
    const dot = el('span', { class: 'dot', 'aria-hidden': 'true' });
    dot.style.background = statusColor(p.status);
    chip.append(dot, this.statusName(p.status));

    const dl = el('dl', { class: 'attrs', 'data-testid': 'details-attributes' });
    const row = (label, value, key) => {
      if (value === null || value === undefined) return;
      dl.append(el('div', { 'data-attr': key || null }, el('dt', { text: label }), el('dd', { text: value })));
    };
    row(t('details.kind'), name(kind), 'kind');
    row(t('details.code'), p.code, 'code');
    row(t('details.status'), this.statusName(p.status), 'status');
    if (p.status_at) row(t('details.statusAt'), dateTime(p.status_at), 'status_at');
    row(t('details.subdistrict'), zone ? name(zone) : p.subdistrict, 'subdistrict');
    const keys = [...(ORDER[p.kind] || [])];
    for (const k of Object.keys(p)) if (!keys.includes(k) && !SKIP.has(k) && !k.endsWith('_en')) keys.push(k);
    for (const k of keys) {
      if (!(k in p)) continue;
      row(has(`attr.${k}`) ? t(`attr.${k}`) : k, this.value(k, p[k], p), k);
    }

    const parts = [this.header(a), chip, dl];
    if (p.parent_id) {
      const b = el('button', { type: 'button', class: 'btn link', text: t('details.openParent') });
      b.addEventListener('click', () => this.open(p.parent_id, { returnFocus: this.returnFocus }));
      parts.push(b);
    }
    if (this.onReport) {
      const b = el('button', { type: 'button', class: 'btn', 'data-testid': 'details-report', text: t('problem.reportHere') });
      b.addEventListener('click', () => this.onReport(a));
      parts.push(b);
    }
    const cond = el('div', { class: 'cond-slot' });
    parts.push(cond, this.photos(), this.history(p.tasks || []));
    root.replaceChildren(...parts);
    this.loadPhotos(a.id);
    // The condition and its history, for what has been graded.
    if (p.condition_grade) {
      conditionSection(a.id).then((sec) => { if (this.asset === a) cond.replaceChildren(sec); });
    }
  }

  /** photos is the place of the public photos: the before/after pair first, every photo below. */
  photos() {
    const sec = el('section', { class: 'photos', 'data-testid': 'details-photos', 'aria-labelledby': 'photos-h' },
      el('h3', { id: 'photos-h', text: t('details.photos') }), pair(this.photoList || []));
    if (this.photoList?.length) sec.append(strip(this.photoList));
    return sec;
  }

  async loadPhotos(id) {
    if (this.photoFor !== String(id)) {
      this.photoList = [];
      this.photoFor = String(id);
      try {
        this.photoList = (await api.assetPhotos(id)).photos.filter((p) => p.visible);
      } catch {
        this.photoList = []; // photos are extra: the details stand without them
      }
    }
    if (this.current !== String(id)) return;
    const old = this.root.querySelector('[data-testid="details-photos"]');
    if (old) old.replaceWith(this.photos());
  }

  history(tasks) {
    const sec = el('section', { class: 'history', 'data-testid': 'details-history', 'aria-labelledby': 'history-h' },
      el('h3', { id: 'history-h', text: t('details.history') }),
      el('p', { class: 'muted', text: t('details.timesNote') }));
    if (!tasks.length) {
      sec.append(el('p', { text: t('details.noTasks') }));
      return sec;
    }
    const asOf = this.getAsOf();
    // Most recent task first: the one that gives the asset its status.
    const sorted = [...tasks].sort((x, y) => (y.created_at < x.created_at ? -1 : 1));
    for (const task of sorted) {
      const dl = el('dl', { class: 'task-meta' });
      const add = (label, v) => { if (v) dl.append(el('div', {}, el('dt', { text: label }), el('dd', { text: v }))); };
      add(t('details.programme'), has(`programme.${task.programme}`) ? t(`programme.${task.programme}`) : task.programme);
      add(t('details.workType'), workTypeName(task.work_type));
      add(t('details.status'), this.statusName(task.status));
      add(t('details.assignee'), task.assignee);
      add(t('details.dueDate'), task.due_date);
      // Open work on the clock: residents see on time or late (not who is to blame), today's view only.
      if (task.clock && task.clock.light !== 'none' && !asOf) {
        const late = task.overdue;
        dl.append(el('div', {}, el('dt', { text: t('due.heading') }), el('dd', {},
          lightBadge(late ? 'red' : 'green', { testid: 'details-due', label: t(late ? 'due.late' : 'due.on_time') }),
          task.clock.deadline ? ` ${t('clock.deadline')} ${deadlineText(task.clock.deadline)}` : '')));
      }
      if (task.quantity && (task.quantity.planned !== null || task.quantity.done !== null)) {
        const u = (n) => (n === null || n === undefined ? '–' : t(`unit.${task.quantity.unit}`) !== `unit.${task.quantity.unit}` ? t(`unit.${task.quantity.unit}`, { n: num(n) }) : num(n));
        add(t('details.quantity'), t('details.quantityDone', { done: u(task.quantity.done), planned: u(task.quantity.planned) }));
      }
      const ol = el('ol', { class: 'events' });
      for (const e of task.history) {
        const later = asOf && day(e.at) > asOf;
        const step = e.from ? t('details.event', { from: this.statusName(e.from), to: this.statusName(e.to) })
          : t('details.eventNew', { to: this.statusName(e.to) });
        const li = el('li', { class: later ? 'later' : null, 'data-testid': 'history-event' },
          el('time', { datetime: e.at, text: dateTime(e.at) }),
          el('span', { class: 'step', text: step }),
          e.note ? el('span', { class: 'note', text: e.note }) : null,
          later ? el('span', { class: 'muted', text: t('details.afterAsOf') }) : null);
        ol.append(li);
      }
      const open = ['reported', 'filed', 'dispatched', 'in_progress', 'done'].includes(task.status);
      sec.append(el('article', { class: 'task', 'data-testid': 'details-task' },
        el('h4', { text: `${task.title} · ${t('details.task', { ref: task.ref })}` }), dl,
        open && !asOf ? this.meToo(task) : null, ol));
    }
    return sec;
  }

  /** meToo is the 我也遇到 button of an open case: counted once per device, the count beside it. */
  meToo(task) {
    const done = new Set(JSON.parse(localStorage.getItem(ME_TOO_KEY) || '[]'));
    const count = el('span', { class: 'me-too-count', 'data-testid': 'me-too-count', text: t('metoo.count', { n: task.supports || 0 }) });
    const status = el('span', { class: 'form-status', role: 'status', 'data-testid': 'me-too-status' });
    const b = el('button', { type: 'button', class: 'btn', 'data-testid': 'me-too', text: t(done.has(task.id) ? 'metoo.done' : 'metoo.button'),
      disabled: done.has(task.id), 'aria-describedby': `me-too-${task.id}` });
    count.id = `me-too-${task.id}`;
    b.addEventListener('click', async () => {
      b.disabled = true;
      try {
        const res = await send('POST', `/api/v1/tasks/${task.id}/support`, { json: { device: deviceId() } });
        task.supports = res.data.supports;
        count.textContent = t('metoo.count', { n: res.data.supports });
        done.add(task.id);
        localStorage.setItem(ME_TOO_KEY, JSON.stringify([...done].slice(-500)));
        b.textContent = t('metoo.done');
        status.textContent = t(res.data.counted ? 'metoo.thanks' : 'metoo.already');
      } catch (err) {
        b.disabled = false;
        status.textContent = err.status === 409 ? t('metoo.closed') : problemText(err);
      }
    });
    return el('p', { class: 'me-too' }, b, ' ', count, ' ', status);
  }

  close() {
    if (this.root.hidden) return;
    this.root.hidden = true;
    this.current = null;
    this.photoFor = null;
    this.asset = null;
    this.onClose();
    const back = this.returnFocus;
    this.returnFocus = null;
    if (back && document.contains(back)) back.focus();
  }
}
