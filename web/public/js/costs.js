// costs.js: what the work costs (docs/costs.md). In a task's panel, its
// estimated and actual cost lines — labour as hours × a rate, materials and
// equipment as a quantity × a unit price or a lump sum — entered in 元 and
// sent as integer fen, with the totals the service computed; in the report
// card, the roll-up per programme, sub-district or unit against the budgets,
// with a bar of spent against budget, and the same figures as CSV and .xlsx.
//
// Money never passes through a float here either: 元 typed by a person are
// read as text into whole fen, fen are written as 元 by integer arithmetic,
// and a line's amount is worked out with BigInt as the service does.
import { getJSON, send, query, ApiError } from './api.js';
import { t, name, num, dateTime } from './i18n.js';
import { el, field, option, showFieldErrors, clearFieldErrors, problemText, say } from './dom.js';

const KINDS = ['estimate', 'actual'];
const CATEGORIES = ['labour', 'materials', 'equipment'];

/** yuanText writes whole fen as 元: 123456 → "1,234.56 元" / "¥1,234.56". */
export function yuanText(fen) {
  if (fen === null || fen === undefined) return '—';
  const neg = fen < 0;
  const f = BigInt(Math.abs(fen));
  const whole = (f / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const cents = (f % 100n).toString().padStart(2, '0');
  return t('costs.yuan', { v: `${neg ? '-' : ''}${whole}.${cents}` });
}

/** decimalScaled reads "12.5" with at most places decimals as a BigInt scaled by 10^scale; null when it is not such a number. */
export function decimalScaled(s, places, scale) {
  const m = /^\s*(\d+)(?:\.(\d*))?\s*$/.exec(String(s));
  if (!m || (m[2] || '').length > places) return null;
  return BigInt(m[1]) * 10n ** BigInt(scale) + BigInt((m[2] || '').padEnd(scale, '0') || '0');
}

/** fenOf reads 元 typed by a person ("60.01") as whole fen (6001); null when not 元 with at most 2 decimals. */
export const fenOf = (s) => {
  const v = decimalScaled(s, 2, 2);
  return v === null || v > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(v);
};

/** yuanInput writes fen back into a field as 元 without separators: 6001 → "60.01". */
const yuanInput = (fen) => (fen === null || fen === undefined ? '' : `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`);

/** amountOf is quantity (thousandths) × price, half up to the fen, as the service rounds it. */
const amountOf = (milli, fen) => Number((milli * BigInt(fen) + 500n) / 1000n);

/** shareText writes a share of a budget (0.1234) as a percentage. */
const shareText = (s) => (s === null || s === undefined ? '—' : `${num(Number(s) * 100, 2)}%`);

/**
 * CostsSection is a task's costs in its panel: the lines and totals, and
 * for engineers a form that replaces them (If-Match with the task's
 * version; the panel reloads the task after a save, or shows the conflict).
 */
export class CostsSection {
  constructor(panel) {
    this.panel = panel;
    this.root = el('section', { class: 'costs', 'data-testid': 'task-costs', 'aria-labelledby': 'tcost-h' },
      el('h3', { id: 'tcost-h', text: t('costs.heading') }), el('p', { class: 'muted', text: t('app.loading') }));
    this.load();
  }

  async load() {
    const id = this.panel.task.id;
    try {
      this.data = await getJSON(`/api/v1/tasks/${id}/costs`);
    } catch (err) {
      this.root.replaceChildren(this.root.firstChild, el('p', { class: 'error', role: 'alert', text: problemText(err) }));
      return;
    }
    if (this.panel.task?.id !== id) return;
    this.render();
  }

  totals() {
    const tt = this.data.totals;
    const dl = el('dl', { class: 'attrs costs-totals', 'data-testid': 'costs-totals' });
    for (const k of KINDS) {
      const s = tt[k];
      const parts = CATEGORIES.filter((c) => s[`${c}_fen`]).map((c) => `${t(`costs.cat.${c}`)} ${yuanText(s[`${c}_fen`])}`);
      dl.append(el('div', {}, el('dt', { text: t(`costs.kind.${k}`) }),
        el('dd', {}, el('strong', { 'data-testid': `costs-total-${k}`, text: yuanText(s.total_fen) }),
          parts.length ? el('small', { class: 'muted', text: ` (${parts.join(' · ')})` }) : null)));
    }
    return dl;
  }

  lineText(l) {
    const what = l.category === 'labour'
      ? t('costs.labourLine', { h: l.hours, rate: yuanText(l.rate_fen) })
      : l.quantity !== undefined ? t('costs.pricedLine', { q: l.quantity, unit: l.unit || '', price: yuanText(l.unit_price_fen) })
        : t('costs.lumpLine');
    return `${t(`costs.kind.${l.kind}`)} · ${t(`costs.cat.${l.category}`)}${l.description ? ` · ${l.description}` : ''} · ${what} = ${yuanText(l.amount_fen)}`;
  }

  render() {
    const list = el('ul', { class: 'plain costs-lines', 'data-testid': 'costs-lines' },
      this.data.lines.map((l) => el('li', { 'data-testid': 'costs-line', text: this.lineText(l) })));
    const parts = [this.root.firstChild, this.totals()];
    if (this.data.lines.length) parts.push(list);
    else parts.push(el('p', { class: 'muted', 'data-testid': 'costs-none', text: t('costs.none') }));
    if (this.panel.meta.canEdit) parts.push(this.form());
    this.root.replaceChildren(...parts);
  }

  /** row is one editable line: kind, category, description, quantity (hours), unit, price (元), or a lump sum (元). */
  row(i, l = {}) {
    const kind = el('select', { name: `lines[${i}].kind`, 'data-testid': 'cost-kind' }, KINDS.map((k) => option(k, t(`costs.kind.${k}`), k === (l.kind || 'estimate'))));
    const cat = el('select', { name: `lines[${i}].category`, 'data-testid': 'cost-category' }, CATEGORIES.map((c) => option(c, t(`costs.cat.${c}`), c === (l.category || 'labour'))));
    const desc = el('input', { type: 'text', name: `lines[${i}].description`, maxlength: '200', value: l.description || '', 'data-testid': 'cost-description' });
    const qty = el('input', { type: 'text', inputmode: 'decimal', name: `lines[${i}].quantity`, value: l.hours ?? l.quantity ?? '', 'data-testid': 'cost-quantity' });
    const unit = el('input', { type: 'text', name: `lines[${i}].unit`, maxlength: '20', value: l.unit && l.category !== 'labour' ? l.unit : '', 'data-testid': 'cost-unit' });
    const price = el('input', { type: 'text', inputmode: 'decimal', name: `lines[${i}].price`, value: yuanInput(l.rate_fen ?? l.unit_price_fen), 'data-testid': 'cost-price' });
    const lump = el('input', { type: 'text', inputmode: 'decimal', name: `lines[${i}].amount_fen`, value: l.quantity === undefined && l.hours === undefined ? yuanInput(l.amount_fen) : '', 'data-testid': 'cost-lump' });
    const amount = el('output', { class: 'num', 'data-testid': 'cost-amount' });
    const remove = el('button', { type: 'button', class: 'btn small', 'data-testid': 'cost-remove', text: t('costs.remove') });
    // The service names the fen of a line by their own names; the fields here take 元.
    const fields = [
      field(t('costs.kind'), kind, { name: `lines[${i}].kind` }),
      field(t('costs.category'), cat, { name: `lines[${i}].category` }),
      field(t('costs.description'), desc, { name: `lines[${i}].description` }),
      field(t('costs.quantity'), qty, { name: `lines[${i}].quantity` }),
      field(t('costs.unit'), unit, { name: `lines[${i}].unit` }),
      field(t('costs.price'), price, { name: `lines[${i}].price` }),
      field(t('costs.lump'), lump, { name: `lines[${i}].amount_fen` }),
    ];
    const tr = el('fieldset', { class: 'cost-row', 'data-testid': 'cost-row' }, el('legend', { text: t('costs.line', { n: i + 1 }) }),
      el('div', { class: 'grid2' }, fields), el('p', {}, t('costs.amount'), ' ', amount), remove);
    const labour = () => {
      const on = cat.value === 'labour';
      fields[3].querySelector('label').textContent = on ? t('costs.hours') : t('costs.quantity');
      fields[5].querySelector('label').textContent = on ? t('costs.rate') : t('costs.price');
      fields[4].hidden = on;
      fields[6].hidden = on;
    };
    const update = () => {
      const v = this.lineOf(tr);
      amount.textContent = v && v.amount !== null ? yuanText(v.amount) : '—';
    };
    cat.addEventListener('change', () => { labour(); update(); });
    for (const c of [qty, price, lump]) c.addEventListener('input', update);
    remove.addEventListener('click', () => { tr.remove(); this.renumber(); });
    labour();
    update();
    return tr;
  }

  /** lineOf reads a row as the body's line (fen as integers) and its amount; line is null when incomplete. */
  lineOf(tr) {
    const v = (tid) => tr.querySelector(`[data-testid="${tid}"]`).value.trim();
    const line = { kind: v('cost-kind'), category: v('cost-category') };
    if (v('cost-description')) line.description = v('cost-description');
    const q = v('cost-quantity'), p = v('cost-price'), lump = v('cost-lump');
    const isLabour = line.category === 'labour';
    if (isLabour || q !== '' || p !== '') {
      const milli = decimalScaled(q, isLabour ? 2 : 3, 3);
      const fen = fenOf(p);
      // What cannot be read is sent as typed: the service says what is wrong, beside the field.
      // A quantity is a JSON number (exact to its 2 or 3 decimals); one with more decimals goes as typed for the service to refuse.
      const qn = /^\d+(\.\d+)?$/.test(q) ? Number(q) : q;
      if (isLabour) { line.hours = qn; line.rate_fen = fen === null ? p : fen; } else {
        line.quantity = qn;
        line.unit_price_fen = fen === null ? p : fen;
        if (v('cost-unit')) line.unit = v('cost-unit');
      }
      return { line, amount: milli !== null && fen !== null ? amountOf(milli, fen) : null };
    }
    const fen = fenOf(lump);
    line.amount_fen = fen === null ? lump : fen;
    return { line, amount: fen };
  }

  renumber() {
    [...this.rowsEl.children].forEach((tr, i) => {
      tr.querySelector('legend').textContent = t('costs.line', { n: i + 1 });
      for (const c of tr.querySelectorAll('[name]')) c.name = c.name.replace(/^lines\[\d+\]/, `lines[${i}]`);
      for (const w of tr.querySelectorAll('[data-field]')) w.dataset.field = w.dataset.field.replace(/^lines\[\d+\]/, `lines[${i}]`);
    });
  }

  form() {
    const form = el('form', { class: 'task-form', 'data-testid': 'costs-form', novalidate: true, 'aria-labelledby': 'tcost-e' },
      el('h4', { id: 'tcost-e', text: t('costs.edit') }), el('p', { class: 'hint', text: t('costs.hint') }));
    this.rowsEl = el('div', { class: 'cost-rows' }, this.data.lines.map((l, i) => this.row(i, l)));
    const add = el('button', { type: 'button', class: 'btn', 'data-testid': 'cost-add', text: t('costs.add') });
    add.addEventListener('click', () => {
      const tr = this.row(this.rowsEl.children.length);
      this.rowsEl.append(tr);
      tr.querySelector('select').focus();
    });
    const status = el('p', { class: 'form-status', role: 'alert', 'data-testid': 'costs-status', hidden: true });
    const submit = el('button', { type: 'submit', class: 'btn primary', 'data-testid': 'costs-save', text: t('costs.save') });
    form.append(this.rowsEl, add, status, submit);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      say(status, '');
      const lines = [...this.rowsEl.children].map((tr) => this.lineOf(tr).line);
      submit.disabled = true;
      const p = this.panel;
      try {
        await send('PUT', `/api/v1/tasks/${p.task.id}/costs`, { json: { lines }, headers: { 'If-Match': p.etag } });
        const res = await send('GET', `/api/v1/tasks/${p.task.id}`);
        p.applied(res, t('costs.saved'));
      } catch (err) {
        if (err instanceof ApiError && err.status === 412) { await p.conflict(err, {}); return; }
        const fe = err instanceof ApiError ? err.fieldErrors() : {};
        // A line's price is named by the service as rate_fen or unit_price_fen; here it is one field.
        for (const k of Object.keys(fe)) {
          const m = /^(lines\[\d+\])\.(rate_fen|unit_price_fen|hours)$/.exec(k);
          if (m) { fe[`${m[1]}.${m[2] === 'hours' ? 'quantity' : 'price'}`] = fe[k]; delete fe[k]; }
        }
        const left = Object.keys(fe).length ? showFieldErrors(form, fe) : {};
        const rest = Object.values(left);
        say(status, Object.keys(fe).length && !rest.length ? t('task.fixFields') : (rest.join('; ') || problemText(err)), 'error');
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  }
}

const GROUPINGS = ['programme', 'subdistrict', 'unit'];

/**
 * CostsReport is the roll-up in the report card: per programme (and the
 * projects within them) against the budget with a bar of spent against
 * budget, or per sub-district or unit; as of a day; CSV and .xlsx.
 */
export class CostsReport {
  constructor(root) {
    this.root = root;
    this.params = { by: 'programme', as_of: '' };
  }

  load() {
    const p = this.params;
    const by = el('select', { id: 'costs-by', 'data-testid': 'costs-by' }, GROUPINGS.map((g) => option(g, t(`costs.by.${g}`), g === p.by)));
    const asOf = el('input', { type: 'date', id: 'costs-as-of', value: p.as_of, 'data-testid': 'costs-as-of' });
    const form = el('form', { class: 'inline-form eval-form', 'data-testid': 'costs-report-form', 'aria-labelledby': 'costs-rep-h' },
      el('label', { for: 'costs-by', text: t('costs.groupBy') }), by,
      el('label', { for: 'costs-as-of', text: t('costs.asOf') }), asOf,
      el('button', { type: 'submit', class: 'btn primary', 'data-testid': 'costs-apply', text: t('costs.apply') }));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      Object.assign(this.params, { by: by.value, as_of: asOf.value });
      this.refresh();
    });
    this.status = el('p', { class: 'form-status', role: 'status', 'data-testid': 'costs-report-status' });
    this.summary = el('p', { class: 'muted', 'data-testid': 'costs-report-summary' });
    this.downloads = el('p', { class: 'eval-downloads' });
    this.tableEl = el('div', { class: 'eval-table-wrap' });
    this.root.replaceChildren(el('h3', { id: 'costs-rep-h', text: t('costs.reportHeading') }), form, this.status, this.summary, this.downloads, this.tableEl);
    this.refresh();
  }

  url(extra = {}) { return query('/api/v1/costs', { ...this.params, ...extra }); }

  async refresh() {
    say(this.status, t('app.loading'));
    let rep;
    try {
      rep = await getJSON(this.url());
    } catch (err) {
      say(this.status, problemText(err), 'error');
      return;
    }
    say(this.status, '');
    this.summary.textContent = t('costs.reportSummary', { asOf: dateTime(rep.as_of), by: t(`costs.by.${rep.by}`) });
    this.downloads.replaceChildren(
      el('a', { href: this.url({ format: 'csv' }), download: '', 'data-testid': 'costs-csv', text: t('costs.csv') }), ' · ',
      el('a', { href: this.url({ format: 'xlsx' }), download: '', 'data-testid': 'costs-xlsx', text: t('costs.xlsx') }));
    // The bar of spent against budget sits under the group's name, so that a narrow panel shows it without scrolling.
    const head = el('tr', {}, ['group', 'budget', 'estimated', 'actual', 'remaining', 'tasks'].map((c) =>
      el('th', { scope: 'col', text: c === 'group' ? t(`costs.by.${rep.by}`) : t(`costs.col.${c}`) })));
    const label = (r) => (r.key === '' && rep.by === 'unit' ? t('costs.unassigned') : r.key === '' ? t('costs.outside') : name(r));
    const line = (r, total) => el('tr', { 'data-testid': total ? 'costs-total-row' : 'costs-row', 'data-key': r.key, class: total ? 'total' : '' },
      el('th', { scope: 'row', class: 'cost-group' }, total ? t('costs.total') : label(r),
        r.scope === 'project' ? el('small', { class: 'muted', text: ` ${t('costs.project')}` }) : null, this.bar(r)),
      el('td', { class: 'num', 'data-testid': 'costs-budget', text: yuanText(r.budget_fen) }),
      el('td', { class: 'num', 'data-testid': 'costs-estimated', text: yuanText(r.estimated_fen) }),
      el('td', { class: 'num', 'data-testid': 'costs-actual', text: yuanText(r.actual_fen) }),
      el('td', { class: 'num', 'data-testid': 'costs-remaining', text: yuanText(r.remaining_fen) }),
      el('td', { class: 'num', text: num(r.tasks) }));
    const table = el('table', { class: 'grid-table eval-table costs-table', 'data-testid': 'costs-table' },
      el('caption', { class: 'sr-only', text: t('costs.reportHeading') }), el('thead', {}, head),
      el('tbody', {}, rep.rows.map((r) => line(r, false))), el('tfoot', {}, line(rep.total, true)));
    this.tableEl.replaceChildren(table);
    if (rep.by === 'programme') this.tableEl.append(el('p', { class: 'hint', text: t('costs.projectNote') }));
  }

  /** bar draws spent against budget: a filled share (red past the budget) and the figure. */
  bar(r) {
    if (r.share_spent === null || r.share_spent === undefined) return null;
    const share = Number(r.share_spent);
    const fill = el('span', { class: `cost-bar-fill${share > 1 ? ' over' : ''}` });
    fill.style.width = `${Math.min(100, share * 100)}%`;
    return el('span', { class: 'cost-bar-wrap', title: t('costs.col.spent') },
      el('span', { class: 'cost-bar', role: 'img', 'data-testid': 'costs-bar',
        'aria-label': t('costs.barLabel', { spent: yuanText(r.actual_fen), budget: yuanText(r.budget_fen), share: shareText(r.share_spent) }) }, fill),
      el('span', { class: 'num', 'data-testid': 'costs-share', text: shareText(r.share_spent) }));
  }
}
