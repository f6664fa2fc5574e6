// report.js: the report card of the published programme: the headline
// figures in the district's own form (51.12万 m², 9,248.78万元), progress per
// programme, completions by month as a chart (uPlot, loaded when first
// shown) with the same numbers as a table, and the "as of" date that replays
// both the figures and the map.
import { t, name, num, wan, yuan, has, isZh, today } from './i18n.js';
import { statusColor, PROGRAMME_KINDS, swatch, NO_CASE } from './symbols.js';
import { el } from './dom.js';

let uplotReady = null;
/** loadUPlot adds the chart library on first use: most visits never open the report. */
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

function monthsBetween(first, last) {
  const out = [];
  let [y, m] = first.split('-').map(Number);
  const [ly, lm] = last.split('-').map(Number);
  while (y < ly || (y === ly && m <= lm)) {
    out.push(`${y}-${String(m).padStart(2, '0')}`);
    m++;
    if (m > 12) { m = 1; y++; }
  }
  return out;
}

export class ReportCard {
  constructor(root, { meta, state, onAsOf, projectName }) {
    this.root = root;
    this.meta = meta;
    this.state = state;
    this.onAsOf = onAsOf;
    this.projectName = projectName;
    this.stats = null;
    this.chartKind = 'road_repair';
  }

  setStats(stats) {
    this.stats = stats;
    this.render();
  }

  unitName(unit, n) {
    return has(`unit.${unit}`) ? t(`unit.${unit}`, { n }) : `${n} ${unit}`;
  }

  /** amount writes a programme quantity in its unit, m² the published way. */
  amount(p, q) {
    return this.unitName(p.unit, p.unit === 'm2' ? wan(q) : num(q));
  }

  headline(p) {
    const corridor = (n) => (has(`road.${n}`) ? t(`road.${n}`) : n);
    switch (p.kind) {
      case 'road_repair': return t('report.roads', { n: num(p.count), area: wan(p.quantity) });
      case 'sewer_separation': return t('report.sewer', { n: num(p.sites ?? p.quantity), corridors: (p.corridor_names || []).map(corridor).join(isZh() ? '、' : ', ') });
      case 'parking_lot': return t('report.parking', { n: num(p.count), spaces: num(p.quantity) });
      case 'manhole': return t('report.manholes', { n: num(p.count) });
      case 'capital_project': return t('report.project', { investment: yuan(p.investment_yuan || 0), area: wan(p.quantity) });
      default: return this.unitName(p.unit, num(p.quantity));
    }
  }

  render() {
    const root = this.root;
    const st = this.stats;
    const asOfIn = el('input', { type: 'date', id: 'r-asof', 'data-testid': 'as-of', min: '2023-01-01', max: today(), value: this.state.asOf });
    asOfIn.addEventListener('change', () => this.onAsOf(asOfIn.value));
    const todayBtn = el('button', { type: 'button', class: 'btn', 'data-testid': 'as-of-today', text: t('report.today'), disabled: !this.state.asOf });
    todayBtn.addEventListener('click', () => this.onAsOf(''));
    const head = [
      el('h2', { class: 'panel-h', id: 'report-h', text: t('report.heading') }),
      el('div', { class: 'field inline' }, el('label', { for: 'r-asof', text: t('report.asOf') }), asOfIn, todayBtn),
      el('p', { class: 'as-of-label', 'data-testid': 'report-as-of', text: this.state.asOf ? t('report.asOfDate', { date: this.state.asOf }) : t('report.asOfNow') }),
    ];
    if (!st) {
      root.replaceChildren(...head, el('p', { class: 'muted', text: t('app.loading') }));
      return;
    }
    const progs = PROGRAMME_KINDS.map((k) => st.programmes.find((p) => p.kind === k)).filter(Boolean);

    const cards = el('ul', { class: 'cards', 'data-testid': 'headline', 'aria-label': t('report.headline') });
    for (const p of progs) {
      const title = p.kind === 'capital_project' ? (this.projectName() || name(p)) : name(p);
      const bar = el('progress', { max: '100', value: String(p.percent_complete), 'aria-label': `${title}: ${t('report.percent', { p: num(p.percent_complete, 1) })}` });
      cards.append(el('li', { class: 'card', 'data-testid': `card-${p.kind}` },
        el('h3', {}, swatch(p.kind, statusColor('closed')), el('span', { text: title })),
        el('p', { class: 'figure', 'data-testid': `figure-${p.kind}`, text: this.headline(p) }),
        bar,
        el('p', { class: 'progress-text', 'data-testid': `progress-${p.kind}` },
          t('report.percent', { p: num(p.percent_complete, 1) }), ' · ',
          t('report.completed', { done: this.amount(p, p.completed_quantity), total: this.amount(p, p.quantity) })),
        this.laterOpen(p),
        this.byStatus(p.by_status)));
    }

    const tasks = el('p', { class: 'muted', 'data-testid': 'open-tasks', text: t('report.openTasks', { open: num(st.tasks.open), overdue: num(st.tasks.overdue) }) });

    // Chart of completions by month, with a programme chooser.
    const sel = el('select', { id: 'r-chart-kind', 'data-testid': 'chart-programme' });
    for (const p of progs) sel.append(el('option', { value: p.kind, text: name(p), selected: p.kind === this.chartKind }));
    sel.addEventListener('change', () => { this.chartKind = sel.value; this.drawChart(); });
    this.chartEl = el('div', { class: 'chart', 'data-testid': 'chart', role: 'img' });
    this.tableEl = el('div', { class: 'chart-table' });
    const chart = el('section', { class: 'chart-box', 'aria-labelledby': 'chart-h' },
      el('h3', { id: 'chart-h', text: t('report.chart') }),
      el('div', { class: 'field inline' }, el('label', { for: 'r-chart-kind', text: t('report.chartProgramme') }), sel),
      this.chartEl,
      el('details', {}, el('summary', { text: t('report.chartTable') }), this.tableEl));

    root.replaceChildren(...head,
      el('h3', { class: 'sub-h', text: t('report.headline') }), cards, tasks, chart);
    this.drawChart();
  }

  byStatus(bs) {
    const ul = el('ul', { class: 'by-status', 'aria-label': t('report.byStatus') });
    for (const s of this.meta.statuses) {
      if (!bs[s.code]) continue;
      const dot = el('span', { class: 'dot', 'aria-hidden': 'true' });
      dot.style.background = statusColor(s.code);
      ul.append(el('li', {}, dot, `${name(s)} ${num(bs[s.code])}`));
    }
    if (bs.none) {
      const dot = el('span', { class: 'dot', 'aria-hidden': 'true' });
      dot.style.background = NO_CASE.color;
      ul.append(el('li', { 'data-testid': 'by-status-none' }, dot, `${t('filters.noCase')} ${num(bs.none)}`));
    }
    return ul;
  }

  /**
   * laterOpen explains a programme counted complete while some of its assets
   * show open work: the programme's work was finished; what is open is
   * routine work opened on those assets later, which the percentage does not
   * count.
   */
  laterOpen(p) {
    const bs = p.by_status || {};
    const open = Object.entries(bs).filter(([s]) => !['closed', 'rejected', 'cancelled', 'none'].includes(s)).reduce((n, [, v]) => n + v, 0);
    const doneNotClosed = p.completed - (bs.closed || 0);
    if (!open || doneNotClosed <= 0) return null;
    return el('p', { class: 'hint', 'data-testid': `later-open-${p.kind}`,
      text: t('report.laterOpen', { n: num(Math.min(open, doneNotClosed)), p: num(p.percent_complete, 1) }) });
  }

  series() {
    const p = this.stats.programmes.find((x) => x.kind === this.chartKind);
    const bm = p.by_month || [];
    if (!bm.length) return { p, months: [], qty: [], cum: [] };
    const last = this.state.asOf ? this.state.asOf.slice(0, 7) : bm[bm.length - 1].month;
    const months = monthsBetween(bm[0].month, last < bm[bm.length - 1].month ? bm[bm.length - 1].month : last);
    const byM = new Map(bm.map((m) => [m.month, m]));
    let run = 0;
    const qty = [], cum = [];
    for (const m of months) {
      const q = byM.get(m)?.quantity || 0;
      run += q;
      qty.push(q);
      cum.push(p.quantity ? Math.round((run / p.quantity) * 1000) / 10 : 0);
    }
    return { p, months, qty, cum };
  }

  async drawChart() {
    if (!this.stats || !this.chartEl) return;
    const { p, months, qty, cum } = this.series();
    const unit = this.unitName(p.unit, '').trim();
    this.chartEl.setAttribute('aria-label', `${t('report.chart')}: ${name(p)}`);
    // The table says the same as the chart, for screen readers and print.
    const table = el('table', { 'data-testid': 'chart-table' },
      el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: t('report.month') }),
        el('th', { scope: 'col', text: `${t('report.chartCompleted')} (${unit})` }),
        el('th', { scope: 'col', text: t('report.chartCumulative') }))));
    const tb = el('tbody');
    months.forEach((m, i) => tb.append(el('tr', {}, el('th', { scope: 'row', text: m }), el('td', { text: num(qty[i]) }), el('td', { text: num(cum[i], 1) }))));
    table.append(tb);
    this.tableEl.replaceChildren(table);

    // The chart library loads when the report is first looked at, not before.
    if (this.root.hidden) return;
    let uPlot;
    try {
      uPlot = await loadUPlot();
    } catch {
      return; // the table above still has every figure
    }
    if (!this.chartEl.isConnected) return;
    this.plot?.destroy();
    const width = Math.max(260, this.chartEl.clientWidth || 320);
    const color = statusColor('closed');
    const opts = {
      width, height: 200,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false }, pct: { range: [0, 100] } },
      axes: [
        { values: (u, splits) => splits.map((i) => months[Math.round(i)] || ''), space: 60, stroke: '#343a40' },
        { label: unit, stroke: '#343a40', size: 56, values: (u, v) => v.map((x) => num(x)) },
        { scale: 'pct', side: 1, label: '%', stroke: '#343a40', grid: { show: false } },
      ],
      series: [
        { label: t('report.month'), value: (u, i) => (i === null ? '' : months[Math.round(i)] || '') },
        { label: t('report.chartCompleted'), stroke: color, fill: color + '99', paths: uPlot.paths.bars({ size: [0.7, 40] }), points: { show: false }, value: (u, v) => (v === null ? '' : num(v)) },
        { label: t('report.chartCumulative'), scale: 'pct', stroke: '#1864ab', width: 2, points: { show: false }, value: (u, v) => (v === null ? '' : `${num(v, 1)}%`) },
      ],
    };
    this.chartEl.replaceChildren();
    this.plot = new uPlot(opts, [months.map((_, i) => i), qty, cum], this.chartEl);
    this.ro?.disconnect();
    this.ro = new ResizeObserver(() => {
      const w = this.chartEl.clientWidth;
      if (w && this.plot && Math.abs(w - this.plot.width) > 4) this.plot.setSize({ width: w, height: 200 });
    });
    this.ro.observe(this.chartEl);
  }
}
