// evaluation.js: the evaluation (考核评价) in the console — the rates of the
// case flow per unit, inspector, sub-district, case type or month as a
// ranked table (each rate with its numerator and denominator), a chart per
// rate over the months of the window (uPlot, loaded when first shown), the
// sub-districts coloured on the map by the lights of their running clocks,
// and the same figures as CSV and .xlsx.
import { getJSON, query } from './api.js';
import { t, name, num, dateTime } from './i18n.js';
import { el, option, problemText } from './dom.js';
import { CostsReport } from './costs.js';

const GROUPINGS = ['unit', 'inspector', 'subdistrict', 'service', 'month'];
const COUNTS = ['reported', 'extensions', 'suspensions', 'handbacks', 'extended', 'not_fixed', 'satisfied', 'basically_satisfied', 'dissatisfied'];
const LIGHT_COLORS = { red: '#c92a2a', yellow: '#f08c00', green: '#2b8a3e', paused: '#5f3dc4', none: '#868e96' };

let uplotReady = null;
function loadUPlot() {
  uplotReady ||= new Promise((resolve, reject) => {
    const css = document.createElement('link');
    css.rel = 'stylesheet';
    css.href = '/vendor/uplot/uPlot.min.css';
    document.head.append(css);
    const s = document.createElement('script');
    s.src = '/vendor/uplot/uPlot.iife.min.js';
    s.onload = () => resolve(window.uPlot);
    s.onerror = () => reject(new Error('uPlot did not load'));
    document.head.append(s);
  });
  return uplotReady;
}

/** pct writes a rate as a percentage, "—" when it has no denominator. */
const pct = (r) => (r === null || r === undefined ? '—' : `${num(r * 100, 1)}%`);

/** monthLabel writes "2025-10" as 2025年10月 / Oct 2025. */
function monthLabel(key) {
  const [y, m] = key.split('-').map(Number);
  return t('eval.monthLabel', { y, m, mon: new Date(Date.UTC(y, m - 1, 1)).toLocaleString('en', { month: 'short', timeZone: 'UTC' }) });
}

export class EvaluationPanel {
  constructor(root, { map, proj }) {
    Object.assign(this, { root, map, proj });
    this.params = { by: 'unit', from: '', to: '', as_of: '' };
    this.plots = [];
    this.layer = null;
  }

  /** load draws the controls and reads the evaluation, the months and the lights. */
  load() {
    this.render();
    this.refresh();
  }

  render() {
    const p = this.params;
    const by = el('select', { id: 'eval-by', 'data-testid': 'eval-by' }, GROUPINGS.map((g) => option(g, t(`eval.by.${g}`), g === p.by)));
    const date = (id, v) => el('input', { type: 'date', id, value: v, 'data-testid': id });
    const from = date('eval-from', p.from), to = date('eval-to', p.to), asOf = date('eval-as-of', p.as_of);
    const form = el('form', { class: 'inline-form eval-form', 'data-testid': 'eval-form', 'aria-labelledby': 'eval-h' },
      el('label', { for: 'eval-by', text: t('eval.groupBy') }), by,
      el('label', { for: 'eval-from', text: t('eval.from') }), from,
      el('label', { for: 'eval-to', text: t('eval.to') }), to,
      el('label', { for: 'eval-as-of', text: t('eval.asOf') }), asOf,
      el('button', { type: 'submit', class: 'btn primary', 'data-testid': 'eval-apply', text: t('eval.apply') }));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      Object.assign(this.params, { by: by.value, from: from.value, to: to.value, as_of: asOf.value });
      this.refresh();
    });
    this.status = el('p', { class: 'form-status', role: 'status', 'data-testid': 'eval-status' });
    this.summary = el('p', { class: 'muted', 'data-testid': 'eval-summary' });
    this.downloads = el('p', { class: 'eval-downloads' });
    this.tableEl = el('div', { class: 'eval-table-wrap', 'data-testid': 'eval-table-wrap' });
    this.chartsEl = el('div', { class: 'eval-charts', 'data-testid': 'eval-charts' });
    this.lightsEl = el('div', { 'data-testid': 'eval-lights' });
    // The costs against the budgets (costs.js), below the rates.
    this.costsEl = el('section', { class: 'eval-costs', 'data-testid': 'eval-costs' });
    this.root.replaceChildren(
      el('h3', { id: 'eval-h', text: t('eval.heading') }), form, this.status, this.summary, this.downloads, this.tableEl,
      el('h4', { text: t('eval.charts') }), this.chartsEl,
      el('h4', { text: t('eval.lights') }), el('p', { class: 'muted', text: t('eval.lightsNote') }), this.lightsEl, this.costsEl);
    new CostsReport(this.costsEl).load();
  }

  /** url is the evaluation's address with the chosen parameters. */
  url(extra = {}) {
    return query('/api/v1/evaluation', { ...this.params, ...extra });
  }

  async refresh() {
    this.status.textContent = t('app.loading');
    try {
      const [rep, months] = await Promise.all([
        getJSON(this.url()),
        getJSON(this.url({ by: 'month' })),
      ]);
      this.status.textContent = '';
      this.showReport(rep);
      this.showCharts(months);
    } catch (err) {
      this.status.textContent = problemText(err);
      this.status.setAttribute('role', 'alert');
      return;
    }
    this.showLights();
  }

  showReport(rep) {
    const to = new Date(`${rep.to}T00:00:00+08:00`);
    to.setUTCDate(to.getUTCDate() - 1);
    const last = dateTime(to.toISOString()).slice(0, 10);
    this.summary.textContent = t('eval.summary', { from: rep.from, to: last, asOf: dateTime(rep.as_of), by: t(`eval.by.${rep.by}`) });
    this.downloads.replaceChildren(
      el('a', { href: this.url({ format: 'csv' }), download: '', 'data-testid': 'eval-csv', text: t('eval.csv') }),
      ' · ',
      el('a', { href: this.url({ format: 'xlsx' }), download: '', 'data-testid': 'eval-xlsx', text: t('eval.xlsx') }));
    const counts = COUNTS.filter((c) => c in rep.total.counts && (rep.rows.length === 0 || c in rep.rows[0].counts));
    const head = el('tr', {},
      el('th', { scope: 'col', text: t('eval.rank') }),
      el('th', { scope: 'col', text: t(`eval.by.${rep.by}`) }),
      el('th', { scope: 'col', text: t('eval.score') }),
      rep.rates.map((r) => el('th', { scope: 'col', title: t('eval.weight', { w: num(r.weight, 1) }), text: name(r) })),
      counts.map((c) => el('th', { scope: 'col', text: t(`eval.count.${c}`) })));
    const cell = (x) => el('td', { class: 'num', title: x && x.den ? `${x.num} / ${x.den}` : '' },
      el('span', { text: pct(x?.rate) }), x && x.den ? el('small', { class: 'muted', text: ` (${num(x.num)}/${num(x.den)})` }) : null);
    const label = (row) => (rep.by === 'month' && row.key ? monthLabel(row.key) : name(row));
    const line = (row, total) => el('tr', { 'data-testid': total ? 'eval-total' : 'eval-row', 'data-key': row.key, class: total ? 'total' : '' },
      total ? el('td', { text: '' }) : el('td', { class: 'num', text: num(row.rank) }),
      el('th', { scope: 'row', text: total ? t('eval.total') : label(row) }),
      el('td', { class: 'num', text: row.score === null ? '—' : num(row.score, 1) }),
      rep.rates.map((r) => cell(row.rates[r.code])),
      counts.map((c) => el('td', { class: 'num', text: c in row.counts ? num(row.counts[c]) : '—' })));
    const body = el('tbody', {}, rep.rows.map((r) => line(r, false)));
    const table = el('table', { class: 'grid-table eval-table', 'data-testid': 'eval-table' },
      el('caption', { class: 'sr-only', text: t('eval.heading') }), el('thead', {}, head), body,
      el('tfoot', {}, line(rep.total, true)));
    if (rep.rows.length) this.tableEl.replaceChildren(table);
    else this.tableEl.replaceChildren(el('p', { class: 'muted', 'data-testid': 'eval-empty', text: t('eval.empty') }), table);
  }

  /** showCharts draws one chart per rate over the months of the window. */
  async showCharts(rep) {
    for (const p of this.plots) p.destroy();
    this.plots = [];
    const months = rep.rows.map((r) => r.key);
    this.chartsEl.replaceChildren();
    if (!months.length) {
      this.chartsEl.append(el('p', { class: 'muted', text: t('eval.empty') }));
      return;
    }
    let uPlot;
    try {
      uPlot = await loadUPlot();
    } catch {
      this.chartsEl.append(el('p', { class: 'muted', text: t('eval.noChart') }));
      return;
    }
    const labels = months.map(monthLabel);
    for (const r of rep.rates) {
      const values = rep.rows.map((row) => (row.rates[r.code]?.rate ?? null) === null ? null : row.rates[r.code].rate * 100);
      const box = el('figure', { class: 'eval-chart', 'data-testid': `eval-chart-${r.code}`, role: 'img',
        'aria-label': `${name(r)}: ${labels.map((m, i) => `${m} ${values[i] === null ? '—' : `${num(values[i], 1)}%`}`).join(', ')}` },
      el('figcaption', { text: name(r) }));
      this.chartsEl.append(box);
      const width = Math.max(240, this.chartsEl.clientWidth - 8 || 300);
      const plot = new uPlot({
        width, height: 140, legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false }, y: { range: [0, 100] } },
        axes: [
          { values: (u, splits) => splits.map((i) => labels[Math.round(i)] || ''), space: 70, stroke: '#343a40' },
          { values: (u, v) => v.map((x) => `${num(x)}%`), size: 48, stroke: '#343a40' },
        ],
        series: [{}, { label: name(r), stroke: '#1864ab', width: 2, spanGaps: true, points: { show: true, size: 5 } }],
      }, [months.map((_, i) => i), values], box);
      this.plots.push(plot);
    }
  }

  /** showLights colours the sub-districts on the map by their running clocks and lists the counts. */
  async showLights() {
    let lights, areas;
    try {
      [lights, areas] = await Promise.all([getJSON('/api/v1/evaluation/lights'), getJSON('/api/v1/areas')]);
    } catch (err) {
      this.lightsEl.replaceChildren(el('p', { class: 'error', role: 'alert', text: problemText(err) }));
      return;
    }
    const byKey = new Map(lights.rows.map((r) => [r.key, r]));
    const lightName = (code) => name(lights.lights.find((l) => l.code === code));
    const worst = (row) => (row ? ['red', 'yellow', 'green', 'paused'].find((l) => row.counts[l] > 0) || 'none' : 'none');
    const head = el('tr', {}, el('th', { scope: 'col', text: t('eval.by.subdistrict') }),
      lights.lights.map((l) => el('th', { scope: 'col' }, el('span', { class: `eval-swatch light-${l.code}`, 'aria-hidden': 'true' }), ' ', name(l))));
    const body = el('tbody', {}, lights.rows.map((r) => el('tr', { 'data-testid': 'eval-light-row', 'data-key': r.key },
      el('th', { scope: 'row', text: name(r) }), lights.lights.map((l) => el('td', { class: 'num', text: num(r.counts[l.code]) })))));
    this.lightsEl.replaceChildren(el('p', { class: 'muted', text: t('eval.lightsAsOf', { at: dateTime(lights.as_of) }) }),
      el('table', { class: 'grid-table', 'data-testid': 'eval-lights-table' }, el('thead', {}, head), body));
    if (!this.map || !window.L) return;
    this.layer?.remove();
    const subs = areas.features.filter((f) => f.properties.kind === 'subdistrict');
    this.layer = L.geoJSON({ type: 'FeatureCollection', features: subs }, {
      coordsToLatLng: (c) => this.proj.toLatLng(c), pmIgnore: true,
      style: (f) => {
        const color = LIGHT_COLORS[worst(byKey.get(f.properties.name))];
        return { color, weight: 2, fillColor: color, fillOpacity: 0.3 };
      },
      onEachFeature: (f, layer) => {
        const r = byKey.get(f.properties.name);
        const lines = lights.lights.map((l) => `${lightName(l.code)} ${num(r ? r.counts[l.code] : 0)}`).join(' · ');
        layer.bindTooltip(`${name(f.properties)}: ${lines}`, { sticky: true });
      },
    });
    if (this.shown) this.layer.addTo(this.map);
  }

  /** show puts the sub-districts on the map while the panel is open. */
  show(on) {
    this.shown = on;
    if (!this.layer) return;
    if (on) this.layer.addTo(this.map);
    else this.layer.remove();
  }
}

