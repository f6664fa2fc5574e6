// inspection-plans.js: inspection plans (巡查计划) in the console's 巡查 tab
// (docs/inspections.md) — each plan in words (what it inspects, how often,
// from when, active or paused), a form to create one (errors beside their
// field) and pausing / resuming (PATCH with If-Match).
import { getJSON, send, ApiError } from './api.js';
import { t, name, isZh } from './i18n.js';
import { el, field, option, showFieldErrors, clearFieldErrors, problemText, say } from './dom.js';

const KINDS = ['manhole', 'road_repair'];
const FREQUENCIES = ['days', 'weekly', 'monthly'];
const ROAD_CLASSES = ['expressway', 'arterial', 'local'];

/** frequencyText says how often: 每14天 / 每周 / 每月. */
export function frequencyText(p) {
  return p.frequency === 'days' ? t('plans.everyDays', { n: p.every_days }) : t(`plans.freq.${p.frequency}`);
}

/** dateText says a calendar day in words: 2026年1月5日 / 5 Jan 2026. */
export function dateText(d) {
  if (!d) return '';
  const at = new Date(`${d.slice(0, 10)}T00:00:00Z`);
  return at.toLocaleDateString(isZh() ? 'zh-CN' : 'en-GB', { year: 'numeric', month: isZh() ? 'long' : 'short', day: 'numeric', timeZone: 'UTC' });
}

export class PlansSection {
  /** canEdit: the signed-in person may create and pause plans (engineers and admins). */
  constructor(root, { canEdit = false } = {}) {
    this.root = root;
    this.canEdit = canEdit;
    this.meta = null;
    this.zones = [];
  }

  async load() {
    this.status = el('p', { class: 'form-status', role: 'status', hidden: true });
    this.listEl = el('div', { 'data-testid': 'plans-list' });
    this.formEl = el('div');
    this.root.replaceChildren(el('h3', { text: t('plans.heading') }), this.status, this.listEl, this.formEl);
    try {
      const [plans, meta, areas] = await Promise.all([getJSON('/api/v1/inspection-plans'),
        this.meta ? this.meta : getJSON('/api/v1/meta'), this.zones.length ? null : getJSON('/api/v1/areas')]);
      this.meta = meta;
      if (areas) this.zones = areas.features.filter((f) => f.properties.kind === 'subdistrict').map((f) => f.properties);
      this.drawList(plans.plans);
      if (this.canEdit) this.drawForm();
    } catch (err) {
      say(this.status, problemText(err), 'error');
    }
  }

  categoryName(code) {
    const c = (this.meta?.cover_categories || []).find((x) => x.code === code);
    return c ? name(c) : t('plans.unknown');
  }

  zoneName(n) {
    const z = this.zones.find((x) => x.name === n);
    return z ? name(z) : n;
  }

  /** assetsText says which assets a plan picks, from its filter. */
  assetsText(p) {
    const f = p.filter || {};
    const parts = [];
    if (f.road_classes?.length) parts.push(t('plans.onClasses', { list: f.road_classes.map((c) => t(`cond.class.${c}`)).join(t('plans.sep')) }));
    if (f.cover_categories?.length) parts.push(f.cover_categories.map((c) => this.categoryName(c)).join(t('plans.sep')));
    if (f.subdistricts?.length) parts.push(t('plans.inZones', { list: f.subdistricts.map((z) => this.zoneName(z)).join(t('plans.sep')) }));
    if (f.roads?.length) parts.push(t('plans.onRoads', { list: f.roads.join(t('plans.sep')) }));
    if (f.not_roads?.length) parts.push(t('plans.notRoads', { list: f.not_roads.join(t('plans.sep')) }));
    if (f.load_classes?.length) parts.push(t('plans.loadClasses', { list: f.load_classes.join(t('plans.sep')) }));
    if (p.area) parts.push(t('plans.inArea'));
    const kind = t(`plans.all.${p.kind}`);
    return parts.length ? `${kind}${t('plans.colon')}${parts.join(t('plans.semi'))}` : kind;
  }

  drawList(plans) {
    if (!plans.length) { this.listEl.replaceChildren(el('p', { class: 'muted', text: t('plans.empty') })); return; }
    this.listEl.replaceChildren(el('ul', { class: 'queue' }, plans.map((p) => {
      const toggle = el('button', { type: 'button', class: 'btn', 'data-testid': 'plan-toggle', text: t(p.active ? 'plans.pause' : 'plans.resume') });
      toggle.addEventListener('click', () => this.setActive(p, !p.active, toggle));
      return el('li', { class: 'queue-item', 'data-testid': 'plan-item', 'data-id': String(p.id), 'data-active': String(p.active) },
        el('p', { class: 'item-title', text: p.name }),
        el('p', { class: 'item-meta', 'data-testid': 'plan-words', text: [t(`plan_kind.${p.kind}`), this.assetsText(p), frequencyText(p),
          t('plans.from', { date: dateText(p.starts_on) }), t(p.active ? 'plans.active' : 'plans.paused')].join(' · ') }),
        this.canEdit ? toggle : null);
    })));
  }

  async setActive(p, active, button) {
    button.disabled = true;
    try {
      await send('PATCH', `/api/v1/inspection-plans/${p.id}`, { json: { active }, headers: { 'If-Match': `"${p.version}"` } });
      await this.load();
      say(this.status, t(active ? 'plans.resumed' : 'plans.pausedNow', { name: p.name }), 'ok');
    } catch (err) {
      button.disabled = false;
      say(this.status, err instanceof ApiError && err.status === 412 ? t('plans.stale') : problemText(err), 'error');
      if (err instanceof ApiError && err.status === 412) await this.load();
    }
  }

  drawForm() {
    const nameIn = el('input', { name: 'name', maxlength: '200', required: true, 'data-testid': 'plan-name' });
    const kind = el('select', { name: 'kind', 'data-testid': 'plan-kind' }, KINDS.map((k) => option(k, t(`plan_kind.${k}`), k === 'manhole')));
    const freq = el('select', { name: 'frequency', 'data-testid': 'plan-frequency' }, FREQUENCIES.map((f) => option(f, t(`plans.freqOption.${f}`), f === 'monthly')));
    const every = el('input', { name: 'every_days', type: 'number', inputmode: 'numeric', step: '1', 'data-testid': 'plan-every-days' });
    const starts = el('input', { name: 'starts_on', type: 'date', 'data-testid': 'plan-starts-on',
      value: new Date().toLocaleDateString('sv', { timeZone: 'Asia/Shanghai' }) });
    const everyField = field(t('plans.everyDaysLabel'), every, { name: 'every_days' });
    const showEvery = () => { everyField.hidden = freq.value !== 'days'; };
    freq.addEventListener('change', showEvery);
    showEvery();
    const boxes = (group, items) => el('fieldset', { class: 'field', 'data-field': `filter.${group}` },
      el('legend', { text: t(`plans.filter.${group}`) }),
      items.map(([code, label]) => el('label', { class: 'check' },
        el('input', { type: 'checkbox', name: group, value: code, 'data-testid': `plan-${group}-${code}` }), ` ${label}`)),
      el('p', { class: 'field-error', hidden: true }));
    const classes = boxes('road_classes', ROAD_CLASSES.map((c) => [c, t(`cond.class.${c}`)]));
    const cats = boxes('cover_categories', (this.meta?.cover_categories || []).map((c) => [c.code, name(c)]));
    const zones = boxes('subdistricts', this.zones.map((z) => [z.name, name(z)]));
    const formStatus = el('p', { class: 'form-status', role: 'status', hidden: true, 'data-testid': 'plan-form-status' });
    const submit = el('button', { type: 'submit', class: 'btn primary', 'data-testid': 'plan-create', text: t('plans.create') });
    const form = el('form', { 'data-testid': 'plan-form', novalidate: true },
      el('h4', { text: t('plans.new') }),
      field(t('plans.name'), nameIn, { name: 'name' }), field(t('plans.kind'), kind, { name: 'kind' }),
      field(t('plans.frequency'), freq, { name: 'frequency' }), everyField,
      field(t('plans.startsOn'), starts, { name: 'starts_on' }),
      el('p', { class: 'hint', text: t('plans.filterHint') }), classes, cats, zones, formStatus, submit);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      say(formStatus, '');
      const checked = (group) => [...form.querySelectorAll(`input[name="${group}"]:checked`)].map((x) => x.value);
      const filter = {};
      for (const g of ['road_classes', 'cover_categories', 'subdistricts']) {
        const v = checked(g);
        if (v.length) filter[g] = v;
      }
      const body = { name: nameIn.value.trim(), kind: kind.value, frequency: freq.value, starts_on: starts.value, filter };
      if (freq.value === 'days') body.every_days = every.value === '' ? 0 : Number(every.value);
      submit.disabled = true;
      try {
        const res = await send('POST', '/api/v1/inspection-plans', { json: body });
        await this.load();
        say(this.status, t('plans.created', { name: res.data.name }), 'ok');
      } catch (err) {
        const fe = err instanceof ApiError ? err.fieldErrors() : {};
        const left = Object.keys(fe).length ? showFieldErrors(form, fe) : {};
        const rest = Object.values(left);
        say(formStatus, Object.keys(fe).length && !rest.length ? t('task.fixFields') : (rest.join('; ') || problemText(err)), 'error');
      } finally {
        submit.disabled = false;
      }
    });
    this.formEl.replaceChildren(form);
  }
}
