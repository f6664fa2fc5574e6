// worklist.js: the console's ranked work list (docs/condition.md) — graded
// assets worst first, as GET /api/v1/worklist ranks them, each opening the
// asset on the map with its condition and history; and the switch of the
// map's colours between the cases' status and the condition style.
import { getJSON, query } from './api.js';
import { t, name, num } from './i18n.js';
import { el, option, problemText } from './dom.js';
import { ConditionLayer, GRADES, conditionSection, gradeColor, gradeName, legend } from './condition.js';

/* global L */

const PAGE = 25;

export class WorkListPanel {
  constructor(root, { map, proj, meta }) {
    this.root = root;
    this.map = map;
    this.proj = proj;
    this.meta = meta;
    this.items = [];
    this.next = null;
    this.grade = '';
    this.style = 'status';
    this.layer = new ConditionLayer(map, { proj, onSelect: (id) => this.open(id) });
  }

  /** load fetches the first page and draws the panel. */
  async load() {
    this.items = [];
    this.next = null;
    this.render();
    await this.more();
  }

  async more() {
    this.status.textContent = t('app.loading');
    let page;
    try {
      page = await getJSON(query('/api/v1/worklist', { grade: this.grade, limit: PAGE, cursor: this.next || '' }));
    } catch (err) {
      this.status.textContent = problemText(err);
      return;
    }
    this.items.push(...page.items);
    this.next = page.next_cursor;
    this.status.textContent = this.items.length ? '' : t('work.empty');
    this.list.append(...page.items.map((w) => this.row(w)));
    this.moreBtn.hidden = !this.next;
    this.root.dataset.loaded = 'true';
  }

  row(w) {
    const chip = el('span', { class: 'cond-chip', 'data-grade': w.condition_grade, text: gradeName(w.condition_grade) });
    chip.style.background = gradeColor(w.condition_grade);
    const kind = this.meta.kinds.find((k) => k.code === w.kind);
    const meta = [w.code, kind ? name(kind) : w.kind];
    if (w.road_class) meta.push(t(`cond.class.${w.road_class}`));
    if (w.pci !== null) meta.push(`PCI ${num(w.pci, 1)}`);
    if (w.open_tasks) meta.push(t('work.open', { n: w.open_tasks }));
    const b = el('button', { type: 'button', class: 'item', 'data-testid': 'work-item', 'data-id': String(w.asset_id), 'data-rank': String(w.rank) },
      el('span', { class: 'item-name' }, el('span', { class: 'work-rank', text: `${w.rank}. ` }), name(w), ' ', chip),
      el('span', { class: 'item-meta', text: `${meta.join(' · ')} · ${t('work.score', { score: num(w.score, 1) })}` }));
    b.addEventListener('click', () => this.open(w.asset_id, b));
    return el('li', {}, b);
  }

  render() {
    const grade = el('select', { id: 'w-grade', 'data-testid': 'work-grade' }, option('', t('work.allGrades')),
      GRADES.map((g) => option(g, gradeName(g))));
    grade.value = this.grade;
    grade.addEventListener('change', () => { this.grade = grade.value; this.load(); });
    const styles = el('fieldset', { class: 'map-style', 'data-testid': 'map-style' }, el('legend', { text: t('cond.style') }),
      ['status', 'condition'].map((s) => {
        const input = el('input', { type: 'radio', name: 'map-style', value: s, id: `style-${s}`, 'data-testid': `style-${s}` });
        input.checked = this.style === s;
        input.addEventListener('change', () => this.setStyle(s));
        return el('label', { for: `style-${s}` }, input, ` ${t(`cond.style.${s}`)}`);
      }));
    this.legendBox = el('div', { hidden: this.style !== 'condition' }, legend());
    this.list = el('ol', { class: 'queue', 'data-testid': 'work-list', 'aria-label': t('work.heading') });
    this.status = el('p', { class: 'muted', role: 'status' });
    this.moreBtn = el('button', { type: 'button', class: 'btn', 'data-testid': 'work-more', text: t('work.more'), hidden: true });
    this.moreBtn.addEventListener('click', () => this.more());
    this.detail = el('div', { 'data-testid': 'work-detail' });
    this.root.replaceChildren(
      el('h2', { class: 'panel-h', text: t('work.heading') }),
      el('p', { class: 'hint', text: t('work.hint') }),
      styles, this.legendBox,
      el('div', { class: 'inline-form' }, el('div', { class: 'field' }, el('label', { for: 'w-grade', text: t('cond.grade') }), grade)),
      this.status, this.list, this.moreBtn, this.detail);
  }

  /** setStyle colours the map by status (the cases) or by condition. */
  async setStyle(s) {
    this.style = s;
    this.legendBox.hidden = s !== 'condition';
    await this.layer.show(s === 'condition');
  }

  /** open shows an asset on the map and its condition with its history below the list. */
  async open(id, from) {
    for (const b of this.list.querySelectorAll('[data-testid="work-item"]')) b.setAttribute('aria-current', String(b.dataset.id === String(id)));
    let a;
    try {
      a = await getJSON(`/api/v1/assets/${encodeURIComponent(id)}`);
    } catch (err) {
      this.detail.replaceChildren(el('p', { class: 'error', role: 'alert', text: problemText(err) }));
      return;
    }
    this.highlight?.remove();
    this.highlight = L.geoJSON(a, {
      coordsToLatLng: (c) => this.proj.toLatLng(c), pmIgnore: true, interactive: false,
      style: { color: '#ffd43b', weight: 10, opacity: 0.7, className: 'work-selected' },
      pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 12, color: '#f08c00', weight: 4, fill: false, pmIgnore: true }),
    }).addTo(this.map);
    const b = this.highlight.getBounds();
    if (b.isValid()) this.map.fitBounds(b, { maxZoom: 17, padding: [60, 60], animate: false });
    const sec = await conditionSection(id);
    this.detail.replaceChildren(el('h3', { 'data-testid': 'work-detail-title', text: name(a.properties) }), sec);
    (from || this.detail).focus?.();
  }
}
