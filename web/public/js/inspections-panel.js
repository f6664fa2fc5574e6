// inspections-panel.js: inspection rounds in the console
// (docs/inspections.md) — coverage of the month by sub-district and kind
// (done / scheduled and the share), the missed-inspection queue with its
// filters, and on the map the assets not yet inspected in the month, shown
// while the panel is open.
import { getJSON, query } from './api.js';
import { t, num } from './i18n.js';
import { el, option, problemText } from './dom.js';
import { PlansSection } from './inspection-plans.js';

const KINDS = ['manhole', 'road_repair'];

export class InspectionsPanel {
  constructor(root, { map, proj, canEdit = false }) {
    Object.assign(this, { root, map, proj });
    const now = new Date();
    this.params = { period: now.toLocaleDateString('sv', { timeZone: 'Asia/Shanghai' }).slice(0, 7), kind: '', subdistrict: '' };
    this.layer = null;
    this.plansEl = el('section', { 'data-testid': 'insp-plans' });
    this.plans = new PlansSection(this.plansEl, { canEdit });
  }

  /** load draws the controls, the coverage, the missed queue and the layer. */
  async load() {
    const period = el('input', { type: 'month', value: this.params.period, 'data-testid': 'insp-period', 'aria-label': t('insp.coverage') });
    const kind = el('select', { 'data-testid': 'insp-kind', 'aria-label': t('insp.col.kind') },
      option('', t('due.all'), !this.params.kind), KINDS.map((k) => option(k, t(`insp.kind.${k}`), this.params.kind === k)));
    period.addEventListener('change', () => { this.params.period = period.value; this.load(); });
    kind.addEventListener('change', () => { this.params.kind = kind.value; this.load(); });
    this.status = el('p', { class: 'form-status', role: 'status', hidden: true });
    this.coverageEl = el('div', { 'data-testid': 'insp-coverage' });
    this.missedEl = el('div', { 'data-testid': 'insp-missed' });
    this.root.replaceChildren(el('h2', { text: t('insp.coverage') }), el('div', { class: 'btn-row' }, period, kind), this.status,
      this.coverageEl, el('h3', { text: t('insp.missed') }), this.missedEl, this.plansEl);
    this.plans.load();
    try {
      const [cov, missed, layer] = await Promise.all([
        getJSON(query('/api/v1/inspections/coverage', { period: this.params.period })),
        getJSON(query('/api/v1/inspections', { status: 'missed', kind: this.params.kind, limit: 200 })),
        getJSON(query('/api/v1/inspections/uninspected', { period: this.params.period, kind: this.params.kind, limit: 5000 })),
      ]);
      this.drawCoverage(cov);
      this.drawMissed(missed.inspections);
      this.drawLayer(layer);
    } catch (err) {
      this.status.textContent = problemText(err);
      this.status.hidden = false;
    }
  }

  drawCoverage(cov) {
    const rows = cov.coverage.filter((c) => !this.params.kind || c.kind === this.params.kind);
    const head = el('tr', {}, ['subdistrict', 'kind', 'done', 'share'].map((c) => el('th', { scope: 'col', text: t(`insp.col.${c}`) })));
    const line = (c, total) => el('tr', { 'data-testid': total ? 'insp-coverage-total' : 'insp-coverage-row', 'data-subdistrict': c.subdistrict || '', 'data-kind': c.kind },
      el('th', { scope: 'row', text: total ? '∑' : (c.subdistrict || t('insp.noSubdistrict')) }), el('td', { text: t(`insp.kind.${c.kind}`) }),
      el('td', { class: 'num', text: `${num(c.inspected)} / ${num(c.scheduled)}` }), el('td', { class: 'num', text: `${num(c.share * 100, 1)}%` }));
    const body = el('tbody', {}, rows.map((c) => line(c, false)), cov.totals.filter((c) => !this.params.kind || c.kind === this.params.kind).map((c) => line(c, true)));
    this.coverageEl.replaceChildren(el('table', { class: 'grid-table' }, el('thead', {}, head), body));
  }

  drawMissed(list) {
    if (!list.length) { this.missedEl.replaceChildren(el('p', { class: 'muted', text: t('insp.missedEmpty') })); return; }
    this.missedEl.replaceChildren(el('ul', { class: 'queue' }, list.map((x) => el('li', { class: 'queue-item', 'data-testid': 'insp-missed-item', 'data-id': String(x.id) },
      el('p', { class: 'item-title', text: `${x.asset_name} · ${x.asset_code}` }),
      el('p', { class: 'item-meta', text: [t(`insp.kind.${x.kind}`), x.subdistrict || t('insp.noSubdistrict'), t('insp.due', { date: x.due_on.slice(0, 10) }), x.inspector ? `${t('insp.inspector')} ${x.inspector}` : ''].filter(Boolean).join(' · ') })))));
  }

  drawLayer(fc) {
    if (!this.map || !window.L) return;
    this.layer?.remove();
    this.layer = L.geoJSON(fc, {
      coordsToLatLng: (c) => this.proj.toLatLng(c), pmIgnore: true,
      pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 4, color: '#c92a2a', weight: 1, fillColor: '#ff8787', fillOpacity: 0.8, pmIgnore: true }),
      onEachFeature: (f, layer) => layer.bindTooltip(`${t('insp.uninspected')}: ${f.properties.name} · ${f.properties.code}`),
    });
    if (this.shown) this.layer.addTo(this.map);
  }

  /** show puts what is not yet inspected on the map while the panel is open. */
  show(on) {
    this.shown = on;
    if (!this.layer) return;
    if (on) this.layer.addTo(this.map);
    else this.layer.remove();
  }
}
