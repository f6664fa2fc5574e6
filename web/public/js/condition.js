// condition.js: the condition of assets (docs/condition.md) on the pages —
// the grade colours of the map style "by condition" and its legend, the
// condition section of a details panel with its history chart (a small
// inline SVG), and the console's layer of graded assets coloured by grade.
import { getJSON, query } from './api.js';
import { t, num, day, dateTime } from './i18n.js';
import { el } from './dom.js';

/* global L */

// Grade colours, A green to D red; dark enough to read on the basemap.
export const GRADE_COLORS = { A: '#2b8a3e', B: '#74b816', C: '#f08c00', D: '#c92a2a' };
export const UNGRADED = '#868e96';
export const GRADES = ['A', 'B', 'C', 'D'];

export const gradeColor = (g) => GRADE_COLORS[g] || UNGRADED;

/** gradeName is "A 优" / "A good"; "not graded" when there is none. */
export const gradeName = (g) => (g ? t(`cond.grade.${g}`) : t('cond.ungraded'));

/** legend lists the grade colours; each swatch carries its grade and colour for tests. */
export function legend() {
  return el('ul', { class: 'cond-legend', 'data-testid': 'condition-legend', 'aria-label': t('cond.legend') },
    [...GRADES, ''].map((g) => {
      const sw = el('span', { class: 'cond-swatch', 'aria-hidden': 'true', 'data-color': gradeColor(g) });
      sw.style.background = gradeColor(g);
      return el('li', { 'data-grade': g || 'none' }, sw, el('span', { text: gradeName(g) }));
    }));
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, ...kids) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  e.append(...kids);
  return e;
}

// A grade without a PCI (a cover) is drawn at the middle of its band.
const GRADE_LEVEL = { A: 90, B: 72, C: 62, D: 40 };

/**
 * historyChart draws a condition history (oldest first) as a line of PCI
 * (0–100) over time, each grading a dot in its grade's colour with its date,
 * PCI and grade as its title.
 */
export function historyChart(history) {
  const W = 280, H = 120, L0 = 30, R0 = 8, T0 = 8, B0 = 20;
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', class: 'cond-chart', 'data-testid': 'condition-chart' });
  chart.append(svg('title', {}, t('cond.chart')));
  const times = history.map((h) => Date.parse(h.at));
  const t0 = Math.min(...times), t1 = Math.max(...times);
  const x = (ms) => (t1 === t0 ? (L0 + W - R0) / 2 : L0 + ((ms - t0) / (t1 - t0)) * (W - L0 - R0));
  const y = (v) => T0 + (1 - v / 100) * (H - T0 - B0);
  for (const v of [0, 50, 100]) {
    chart.append(svg('line', { x1: L0, x2: W - R0, y1: y(v), y2: y(v), stroke: '#dee2e6', 'stroke-width': 1 }));
    chart.append(svg('text', { x: L0 - 4, y: y(v) + 4, 'text-anchor': 'end', 'font-size': 10, fill: '#495057' }, String(v)));
  }
  const level = (h) => (h.pci ?? GRADE_LEVEL[h.grade] ?? 0);
  if (history.length > 1) {
    chart.append(svg('polyline', { points: history.map((h, i) => `${x(times[i]).toFixed(1)},${y(level(h)).toFixed(1)}`).join(' '),
      fill: 'none', stroke: '#495057', 'stroke-width': 1.5 }));
  }
  history.forEach((h, i) => {
    const label = h.pci === null || h.pci === undefined
      ? t('cond.pointGrade', { date: day(h.at), grade: gradeName(h.grade) })
      : t('cond.point', { date: day(h.at), pci: num(h.pci, 1), grade: gradeName(h.grade) });
    chart.append(svg('circle', { cx: x(times[i]).toFixed(1), cy: y(level(h)).toFixed(1), r: 4, fill: gradeColor(h.grade),
      stroke: '#fff', 'stroke-width': 1, 'data-testid': 'condition-point', 'data-grade': h.grade }, svg('title', {}, label)));
  });
  if (history.length) {
    chart.append(svg('text', { x: L0, y: H - 5, 'font-size': 10, fill: '#495057' }, day(history[0].at)));
    if (history.length > 1) chart.append(svg('text', { x: W - R0, y: H - 5, 'text-anchor': 'end', 'font-size': 10, fill: '#495057' }, day(history[history.length - 1].at)));
  }
  return chart;
}

/** conditionView shows a condition (GET /assets/{id}/condition): PCI, grade, when, and the history. */
export function conditionView(c) {
  const chip = el('span', { class: 'cond-chip', 'data-testid': 'condition-grade', 'data-grade': c.condition_grade || 'none', text: gradeName(c.condition_grade) });
  chip.style.background = gradeColor(c.condition_grade);
  const dl = el('dl', { class: 'attrs' });
  if (c.pci !== null && c.pci !== undefined) dl.append(el('div', {}, el('dt', { text: t('cond.pci') }), el('dd', { 'data-testid': 'condition-pci', text: num(c.pci, 1) })));
  dl.append(el('div', {}, el('dt', { text: t('cond.grade') }), el('dd', {}, chip)));
  if (c.road_class) dl.append(el('div', {}, el('dt', { text: t('attr.road_class') }), el('dd', { text: t(`cond.class.${c.road_class}`) })));
  if (c.condition_at) dl.append(el('div', {}, el('dt', { text: t('cond.at') }), el('dd', { text: dateTime(c.condition_at) })));
  const sec = el('section', { class: 'cond', 'data-testid': 'condition-details', 'aria-labelledby': 'cond-h' },
    el('h3', { id: 'cond-h', text: t('cond.heading') }));
  if (!c.condition_grade && !c.history.length) {
    sec.append(el('p', { class: 'muted', text: t('cond.none') }));
    return sec;
  }
  sec.append(dl);
  if (c.history.length) sec.append(el('h4', { text: t('cond.history') }), historyChart(c.history));
  return sec;
}

/** conditionSection loads an asset's condition into a section (empty when it cannot be read). */
export async function conditionSection(id) {
  try {
    return conditionView(await getJSON(`/api/v1/assets/${encodeURIComponent(id)}/condition`));
  } catch {
    return el('section', { hidden: true });
  }
}

/**
 * ConditionLayer draws the graded road sections and covers in view coloured
 * by grade (the map style "by condition"); each drawn shape carries its id
 * and grade for tests.
 */
export class ConditionLayer {
  constructor(map, { proj, onSelect }) {
    this.map = map;
    this.proj = proj;
    this.onSelect = onSelect;
    this.group = L.featureGroup();
    this.on = false;
    this.seq = 0;
    map.on('moveend', () => { if (this.on) this.load(); });
  }

  async show(on) {
    this.on = on;
    if (!on) { this.group.remove(); delete this.map.getContainer().dataset.conditionStyle; return; }
    this.group.addTo(this.map);
    await this.load();
  }

  async load() {
    const seq = ++this.seq;
    let page;
    try {
      page = await getJSON(query('/api/v1/assets', { bbox: this.proj.bbox(this.map.getBounds()), kind: 'road_repair,manhole', limit: 1000 }));
    } catch { return; }
    if (seq !== this.seq || !this.on) return;
    const feats = page.features.filter((f) => f.properties.condition_grade);
    this.group.clearLayers();
    L.geoJSON({ type: 'FeatureCollection', features: feats }, {
      coordsToLatLng: (c) => this.proj.toLatLng(c), pmIgnore: true,
      style: (f) => ({ color: gradeColor(f.properties.condition_grade), weight: 6, opacity: 0.95, className: 'cond-feature' }),
      pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 6, color: gradeColor(f.properties.condition_grade), fillOpacity: 0.9, weight: 2, className: 'cond-feature', pmIgnore: true }),
      onEachFeature: (f, layer) => {
        layer.on('add', () => {
          const e = layer.getElement?.();
          if (!e) return;
          e.setAttribute('data-testid', 'condition-feature');
          e.setAttribute('data-id', String(f.id));
          e.setAttribute('data-grade', f.properties.condition_grade);
        });
        layer.on('click', () => this.onSelect(f.id));
      },
    }).eachLayer((l) => this.group.addLayer(l));
    this.map.getContainer().dataset.conditionStyle = 'ready';
  }
}
