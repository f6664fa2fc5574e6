// time-admin.js: the administrator's part of the time limits
// (docs/time-limits.md) — the limit of each step by case type, changed or
// restored to its default, and the working calendar of a year with the days
// an admin has set (a later year's holiday notice, a local day off).
import { getJSON, send, query } from './api.js';
import { t, name } from './i18n.js';
import { el, field, option, problemText, say } from './dom.js';
import { limitAmount, stepName } from './clock.js';

const UNITS = ['working_hours', 'working_days', 'natural_hours', 'due_date'];
const KINDS = ['working', 'holiday', 'weekend'];

/** TimeLimitsSection draws the limits table into its section. */
export class TimeLimitsSection {
  constructor() {
    this.status = el('p', { class: 'form-status', role: 'status', 'data-testid': 'limits-status', hidden: true });
    this.body = el('tbody');
    this.section = el('section', { class: 'admin-sec', 'aria-labelledby': 'limits-h', 'data-testid': 'limits-section' },
      el('h3', { id: 'limits-h', text: t('admin.limits.heading') }),
      el('p', { class: 'hint', 'data-testid': 'limits-hint' }), this.status,
      el('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-labelledby': 'limits-h' },
        el('table', { class: 'grid-table', 'data-testid': 'limits' },
          el('caption', { class: 'sr-only', text: t('admin.limits.heading') }),
          el('thead', {}, el('tr', {}, ['admin.limits.caseType', 'admin.limits.step', 'admin.limits.limit', 'admin.limits.default', 'admin.limits.actions']
            .map((k) => el('th', { scope: 'col', text: t(k) })))),
          this.body)));
  }

  async load() {
    try {
      const data = await getJSON('/api/v1/time-limits');
      this.section.querySelector('[data-testid="limits-hint"]').textContent =
        t('admin.limits.hint', { pct: Math.round(data.warn_share * 100) });
      this.body.replaceChildren(...data.limits.map((l) => this.row(l)));
    } catch (err) {
      say(this.status, problemText(err), 'error');
    }
    return this.section;
  }

  row(l) {
    const unit = el('select', { 'aria-label': t('admin.limits.unitOf', { type: name(l), step: stepName(l.step) }), 'data-testid': 'limit-unit' },
      UNITS.map((u) => option(u, t(`admin.limits.unit.${u}`), u === l.unit)));
    const n = el('input', { type: 'number', min: '0', step: 'any', value: l.unit === 'due_date' ? '' : String(l.n), class: 'num-input',
      'aria-label': t('admin.limits.amountOf', { type: name(l), step: stepName(l.step) }), 'data-testid': 'limit-n', disabled: l.unit === 'due_date' });
    unit.addEventListener('change', () => { n.disabled = unit.value === 'due_date'; if (n.disabled) n.value = ''; });
    const save = el('button', { type: 'button', class: 'btn', 'data-testid': 'limit-save', text: t('admin.limits.save') });
    const path = `/api/v1/time-limits/${encodeURIComponent(l.case_type)}/${l.step}`;
    save.addEventListener('click', async () => {
      const rule = { unit: unit.value, n: unit.value === 'due_date' ? 0 : Number(n.value) };
      try {
        await send('PUT', path, { json: rule });
        say(this.status, t('admin.limits.saved', { type: name(l), step: stepName(l.step), limit: limitAmount(rule.unit, rule.n) }), 'ok');
        this.load();
      } catch (err) {
        say(this.status, err.status === 400 ? t('admin.limits.bad') : problemText(err), 'error');
      }
    });
    const changed = !l.default || l.default.unit !== l.unit || l.default.n !== l.n;
    const reset = el('button', { type: 'button', class: 'btn link', 'data-testid': 'limit-reset', text: t('admin.limits.reset'), hidden: !changed || !l.default });
    reset.addEventListener('click', async () => {
      try {
        await send('DELETE', path);
        say(this.status, t('admin.limits.restored', { type: name(l), step: stepName(l.step) }), 'ok');
        this.load();
      } catch (err) {
        say(this.status, problemText(err), 'error');
      }
    });
    return el('tr', { 'data-case-type': l.case_type, 'data-step': l.step, class: changed ? 'changed' : '' },
      el('td', { text: name(l) }), el('td', { text: stepName(l.step) }),
      el('td', {}, el('span', { class: 'limit-edit' }, n, unit)),
      el('td', { text: l.default ? limitAmount(l.default.unit, l.default.n) : t('admin.limits.noDefault') }),
      el('td', {}, save, reset));
  }
}

/** CalendarSection draws a year's days off, make-up days and the admins' entries. */
export class CalendarSection {
  constructor() {
    this.year = new Date().getFullYear();
    this.status = el('p', { class: 'form-status', role: 'status', 'data-testid': 'calendar-status', hidden: true });
    this.summary = el('p', { class: 'hint', 'data-testid': 'calendar-summary' });
    this.body = el('tbody');
    this.yearSel = el('select', { 'data-testid': 'calendar-year' });
    for (let y = 2023; y <= this.year + 1; y++) this.yearSel.append(option(String(y), String(y), y === this.year));
    this.yearSel.addEventListener('change', () => { this.year = Number(this.yearSel.value); this.load(); });
    const date = el('input', { type: 'date', name: 'date', 'data-testid': 'calendar-date' });
    const kind = el('select', { name: 'kind', 'data-testid': 'calendar-kind' }, KINDS.map((k) => option(k, t(`admin.calendar.kind.${k}`), k === 'holiday')));
    const reason = el('input', { name: 'reason', maxlength: '200', autocomplete: 'off', 'data-testid': 'calendar-reason' });
    const form = el('form', { class: 'inline-form grid2', novalidate: true, 'data-testid': 'calendar-form' },
      field(t('admin.calendar.date'), date, { name: 'date' }), field(t('admin.calendar.kind'), kind, { name: 'kind' }),
      field(t('admin.calendar.reason'), reason, { name: 'reason', hint: t('admin.calendar.reasonHint') }),
      el('button', { type: 'submit', class: 'btn', 'data-testid': 'calendar-set', text: t('admin.calendar.set') }));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!date.value) {
        say(this.status, t('admin.calendar.needDate'), 'error');
        return;
      }
      try {
        const r = reason.value.trim();
        await send('PUT', `/api/v1/calendar/${date.value}`, { json: { kind: kind.value, reason: r, reason_en: r } });
        say(this.status, t('admin.calendar.saved', { date: date.value, kind: t(`admin.calendar.kind.${kind.value}`) }), 'ok');
        this.year = Number(date.value.slice(0, 4));
        if (![...this.yearSel.options].some((o) => o.value === String(this.year))) this.yearSel.append(option(String(this.year), String(this.year)));
        this.yearSel.value = String(this.year);
        this.load();
      } catch (err) {
        say(this.status, err.status === 400 ? t('admin.calendar.bad') : problemText(err), 'error');
      }
    });
    this.section = el('section', { class: 'admin-sec', 'aria-labelledby': 'calendar-h', 'data-testid': 'calendar-section' },
      el('h3', { id: 'calendar-h', text: t('admin.calendar.heading') }),
      field(t('admin.calendar.year'), this.yearSel, { name: 'year' }), this.summary, this.status,
      el('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-labelledby': 'calendar-h' },
        el('table', { class: 'grid-table', 'data-testid': 'calendar' },
          el('caption', { class: 'sr-only', text: t('admin.calendar.heading') }),
          el('thead', {}, el('tr', {}, ['admin.calendar.date', 'admin.calendar.kind', 'admin.calendar.reason', 'admin.limits.actions']
            .map((k) => el('th', { scope: 'col', text: t(k) })))),
          this.body)),
      form);
  }

  async load() {
    try {
      const cal = await getJSON(query('/api/v1/calendar', { year: this.year }));
      const hours = cal.hours.map((h) => `${h.from}–${h.to}`).join('、');
      let text = t('admin.calendar.summary', { year: cal.year, n: cal.working_days, hours });
      text += ' ' + (cal.notice ? t('admin.calendar.notice', { title: cal.notice.title, number: cal.notice.number }) : t('admin.calendar.noNotice'));
      this.summary.textContent = text;
      // The days worth listing: holidays, make-up working days and the
      // admins' entries (not every weekend).
      const days = cal.days.filter((d) => d.edited || d.kind === 'holiday' || (d.kind === 'working' && d.reason));
      this.body.replaceChildren(...days.map((d) => this.row(d)));
      if (!days.length) this.body.append(el('tr', {}, el('td', { colspan: '4', class: 'muted', text: t('admin.calendar.none') })));
    } catch (err) {
      say(this.status, problemText(err), 'error');
    }
    return this.section;
  }

  row(d) {
    const reason = name({ name: d.reason || d.holiday, name_en: d.reason_en || d.holiday_en });
    const undo = el('button', { type: 'button', class: 'btn link', 'data-testid': 'calendar-reset', text: t('admin.calendar.reset'), hidden: !d.edited });
    undo.addEventListener('click', async () => {
      try {
        await send('DELETE', `/api/v1/calendar/${d.date}`);
        say(this.status, t('admin.calendar.restored', { date: d.date }), 'ok');
        this.load();
      } catch (err) {
        say(this.status, problemText(err), 'error');
      }
    });
    return el('tr', { 'data-date': d.date, class: d.edited ? 'changed' : '' },
      el('td', { text: d.date }), el('td', { text: t(`admin.calendar.kind.${d.kind}`) }),
      el('td', {}, reason || '—', d.edited ? el('span', { class: 'muted', text: ` ${t('admin.calendar.edited')}` }) : null),
      el('td', {}, undo));
  }
}
