// filters.js: the layers-and-filters panel, which is also the legend:
// programme toggles with their symbols and counts, statuses with their
// colours and counts, sub-district, completion dates, search, reference
// layers and the basemap. It edits the shared state and calls onChange.
import { t, name, num, day } from './i18n.js';
import { PROGRAMME_KINDS, statusColor, swatch, NO_CASE, getColourMode } from './symbols.js';
import { legend as conditionLegend } from './condition.js';
import { PROVIDERS, providerName } from './basemap.js';
import { el } from './dom.js';

/**
 * matcher is the filter of the map and the list. The completion range keeps
 * closed features whose status date (Asia/Shanghai) falls inside it.
 */
export function matcher(s, { ignoreStatus = false, dueIds = null } = {}) {
  const statuses = !ignoreStatus && s.statuses ? new Set(s.statuses) : null;
  const q = s.q.trim().toLowerCase();
  // On time / late: the assets with open work of that kind (dueIds, loaded
  // by the page); nothing until they are known.
  const due = s.due ? dueIds || new Set() : null;
  return (f) => {
    const p = f.properties;
    if (due && !due.has(f.id)) return false;
    if (statuses && !statuses.has(p.status || 'none')) return false;
    if (s.subdistrict && p.subdistrict !== s.subdistrict) return false;
    if (q && !(p.name.toLowerCase().includes(q) || (p.name_en || '').toLowerCase().includes(q) ||
      p.code.toLowerCase().includes(q))) return false;
    if (s.from || s.to) {
      // The day the asset's case of the published programme closed (结案).
      if (!p.completed_at) return false;
      const d = day(p.completed_at);
      if (s.from && d < s.from) return false;
      if (s.to && d > s.to) return false;
    }
    return true;
  };
}

export { el };

export class FilterPanel {
  constructor(root, { meta, zones, state, onChange, onContext, onBasemap, onColours }) {
    this.onColours = onColours;
    this.root = root;
    this.meta = meta;
    this.zones = zones;
    this.state = state;
    this.onChange = onChange;
    this.onContext = onContext;
    this.onBasemap = onBasemap;
    this.context = { boundary: true, zones: true, bays: true, reports: true };
    this.counts = {};
    this.statusCounts = {};
    this.render();
  }

  kindsShown() {
    return new Set(this.state.kinds ? this.state.kinds : PROGRAMME_KINDS);
  }

  statusesShown() {
    return new Set(this.state.statuses ? this.state.statuses : this.meta.statuses.map((s) => s.code));
  }

  render() {
    const s = this.state;
    const root = this.root;
    root.replaceChildren();
    const changed = () => this.onChange();

    // Search
    const search = el('input', {
      type: 'search', id: 'f-q', 'data-testid': 'search', value: s.q,
      placeholder: t('filters.searchPlaceholder'), autocomplete: 'off', enterkeyhint: 'search',
    });
    let timer;
    search.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => { s.q = search.value; changed(); }, 200);
    });
    root.append(el('div', { class: 'field' }, el('label', { for: 'f-q', text: t('filters.search') }), search));

    const shown = el('p', { class: 'shown', 'data-testid': 'shown-total', role: 'status', 'aria-live': 'polite' });
    this.shownEl = shown;
    root.append(shown, el('p', { class: 'hint', text: t('filters.legendHint') }));

    // Programmes (the legend of shapes)
    const kinds = this.kindsShown();
    const progBox = el('fieldset', { class: 'legend', 'data-testid': 'legend' }, el('legend', { text: t('filters.programmes') }));
    for (const kind of PROGRAMME_KINDS) {
      const k = this.meta.kinds.find((x) => x.code === kind);
      const id = `f-kind-${kind}`;
      const box = el('input', { type: 'checkbox', id, 'data-testid': `toggle-${kind}`, checked: kinds.has(kind) });
      box.addEventListener('change', () => {
        const set = this.kindsShown();
        if (box.checked) set.add(kind); else set.delete(kind);
        s.kinds = set.size === PROGRAMME_KINDS.length ? null : PROGRAMME_KINDS.filter((x) => set.has(x));
        changed();
      });
      const count = el('span', { class: 'count', 'data-testid': `count-${kind}` });
      const label = el('label', { for: id }, swatch(kind, '#495057'), el('span', { class: 'lbl', text: name(k) }), count);
      const row = el('div', { class: 'row', 'data-testid': `legend-${kind}` }, box, label);
      progBox.append(row);
      if (kind === 'sewer_separation') {
        progBox.append(el('div', { class: 'row sub' }, el('span', { class: 'lbl' }, swatch(kind, '#495057', 'corridor'), t('filters.corridor'))));
      }
    }
    root.append(progBox);

    // Statuses (the legend of colours)
    const sts = this.statusesShown();
    const stBox = el('fieldset', { class: 'legend', 'data-testid': 'status-legend' }, el('legend', { text: t('filters.statuses') }));
    for (const st of this.meta.statuses) {
      const id = `f-st-${st.code}`;
      const box = el('input', { type: 'checkbox', id, 'data-testid': `status-${st.code}`, checked: sts.has(st.code) });
      box.addEventListener('change', () => {
        const set = this.statusesShown();
        if (box.checked) set.add(st.code); else set.delete(st.code);
        s.statuses = set.size === this.meta.statuses.length ? null : this.meta.statuses.map((x) => x.code).filter((c) => set.has(c));
        changed();
      });
      const count = el('span', { class: 'count', 'data-testid': `status-count-${st.code}` });
      stBox.append(el('div', { class: 'row' }, box,
        el('label', { for: id }, swatch('status', statusColor(st.code)), el('span', { class: 'lbl', text: name(st) }), count)));
    }
    // On an "as of" date some assets had no case yet: drawn grey, said here.
    stBox.append(el('div', { class: 'row no-case', 'data-testid': 'status-none-row', hidden: true },
      el('span', { class: 'lbl' }, swatch('status', NO_CASE.color), el('span', { text: t('filters.noCase') }),
        el('span', { class: 'count', 'data-testid': 'status-count-none' }))));
    root.append(stBox);

    // The map's colours: by status or by condition (颜色按路况), with its legend.
    if (this.onColours) {
      const mode = getColourMode();
      const colBox = el('fieldset', { class: 'map-style', 'data-testid': 'map-style' }, el('legend', { text: t('cond.style') }));
      for (const m of ['status', 'condition']) {
        const r = el('input', { type: 'radio', name: 'colours', id: `f-col-${m}`, value: m, 'data-testid': `style-${m}`, checked: mode === m });
        r.addEventListener('change', () => this.onColours(m));
        colBox.append(el('label', { for: `f-col-${m}` }, r, ` ${t(`cond.style.${m}`)}`));
      }
      if (mode === 'condition') colBox.append(conditionLegend());
      root.append(colBox);
    }

    // Open work by its time limit (按期 / 超期)
    const dueBox = el('fieldset', { class: 'due-filter', 'data-testid': 'due-filter' }, el('legend', { text: t('due.heading') }));
    const dueRow = el('div', { class: 'seg-row' });
    for (const v of ['', 'on_time', 'late']) {
      const id = `f-due-${v || 'all'}`;
      const r = el('input', { type: 'radio', name: 'due', id, value: v, 'data-testid': `due-${v || 'all'}`, checked: (s.due || '') === v });
      r.addEventListener('change', () => { if (r.checked) { s.due = v; changed(); } });
      dueRow.append(el('label', { for: id }, r, el('span', { text: t(v ? `due.${v}` : 'due.all') })));
    }
    dueBox.append(dueRow, el('p', { class: 'hint', text: t('due.hint') }));
    root.append(dueBox);

    // Sub-district
    const sel = el('select', { id: 'f-sd', 'data-testid': 'subdistrict' },
      el('option', { value: '', text: t('filters.allSubdistricts') }));
    for (const z of this.zones) sel.append(el('option', { value: z.name, text: name(z), selected: z.name === s.subdistrict }));
    sel.addEventListener('change', () => { s.subdistrict = sel.value; changed(); });
    root.append(el('div', { class: 'field' }, el('label', { for: 'f-sd', text: t('filters.subdistrict') }), sel));

    // Completion dates
    const from = el('input', { type: 'date', id: 'f-from', 'data-testid': 'completed-from', value: s.from, min: '2023-01-01' });
    const to = el('input', { type: 'date', id: 'f-to', 'data-testid': 'completed-to', value: s.to, min: '2023-01-01' });
    from.addEventListener('change', () => { s.from = from.value; changed(); });
    to.addEventListener('change', () => { s.to = to.value; changed(); });
    root.append(el('fieldset', { class: 'dates' }, el('legend', { text: t('filters.completed') }),
      el('label', { for: 'f-from', text: t('filters.from') }), from,
      el('label', { for: 'f-to', text: t('filters.to') }), to));

    const reset = el('button', { type: 'button', class: 'btn', 'data-testid': 'reset-filters', text: t('filters.reset') });
    reset.addEventListener('click', () => {
      Object.assign(s, { kinds: null, statuses: null, subdistrict: '', from: '', to: '', q: '', due: '' });
      this.render();
      changed();
      this.root.querySelector('#f-q').focus();
    });
    root.append(reset);

    // Reference layers
    const ctx = el('fieldset', { class: 'legend' }, el('legend', { text: t('filters.context') }));
    for (const [key, label] of [['boundary', 'filters.boundary'], ['zones', 'filters.zones'], ['bays', 'filters.bays'], ['reports', 'filters.reports']]) {
      const id = `f-ctx-${key}`;
      const box = el('input', { type: 'checkbox', id, 'data-testid': `context-${key}`, checked: this.context[key] });
      box.addEventListener('change', () => { this.context[key] = box.checked; this.onContext(key, box.checked); });
      const sym = key === 'bays' ? swatch('parking_space', '#5c677d')
        : key === 'reports' ? el('span', { class: 'pin-swatch', 'aria-hidden': 'true' })
          : swatch(key === 'boundary' ? 'capital_project' : 'parking_lot', key === 'boundary' ? '#212529' : '#6c757d');
      const extra = key === 'bays' ? el('span', { class: 'count', 'data-testid': 'count-parking_space' })
        : key === 'reports' ? el('span', { class: 'count', 'data-testid': 'count-reports' }) : null;
      ctx.append(el('div', { class: 'row' }, box, el('label', { for: id }, sym, el('span', { class: 'lbl', text: t(label) }), extra)));
    }
    root.append(ctx);

    // Basemap
    const bm = el('select', { id: 'f-basemap', 'data-testid': 'basemap' });
    for (const p of Object.keys(PROVIDERS)) bm.append(el('option', { value: p, text: t(`basemap.${p}`), selected: p === providerName(s) }));
    bm.addEventListener('change', () => this.onBasemap(bm.value));
    root.append(el('div', { class: 'field' }, el('label', { for: 'f-basemap', text: t('basemap.label') }), bm));

    this.showCounts();
  }

  /** setCounts shows what is on the map: per programme and per status. */
  setCounts(counts, statusCounts, bays) {
    this.counts = counts;
    this.statusCounts = statusCounts;
    if (bays !== undefined) this.bays = bays;
    this.showCounts();
  }

  /** setReports shows how many residents' open reports are on the map. */
  setReports(n) {
    this.reports = n;
    this.showCounts();
  }

  setBays(n) {
    this.bays = n;
    this.showCounts();
  }

  showCounts() {
    const q = (sel) => this.root.querySelector(sel);
    let total = 0;
    for (const kind of PROGRAMME_KINDS) {
      const n = this.counts[kind] ?? 0;
      total += n;
      const c = q(`[data-testid="count-${kind}"]`);
      if (c) c.textContent = num(n);
    }
    for (const st of this.meta.statuses) {
      const c = q(`[data-testid="status-count-${st.code}"]`);
      if (c) c.textContent = num(this.statusCounts[st.code] ?? 0);
    }
    const none = this.statusCounts.none ?? 0;
    const noneRow = q('[data-testid="status-none-row"]');
    if (noneRow) {
      noneRow.hidden = !none;
      q('[data-testid="status-count-none"]').textContent = num(none);
    }
    const b = q('[data-testid="count-parking_space"]');
    if (b) b.textContent = this.bays ? num(this.bays) : '';
    const r = q('[data-testid="count-reports"]');
    if (r) r.textContent = this.reports === undefined ? '' : num(this.reports);
    if (this.shownEl) {
      this.shownEl.textContent = t('filters.showing', { n: num(total) });
      this.shownEl.dataset.count = String(total);
    }
  }
}
