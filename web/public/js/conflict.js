// conflict.js: when a write meets 412 (someone changed the task or asset
// since it was read), show what the other person changed — the current
// record against the one the page had — and a way to reload. Nobody's
// change is lost silently, and nobody has to guess what happened.
import { t, dateTime } from './i18n.js';
import { el } from './dom.js';
import { changesText } from './clock.js';

/**
 * conflictBox draws the notice. rows: [{label, mine, theirs}] of the fields
 * that differ; events: the other person's history entries as text; onReload
 * is called by its button.
 */
export function conflictBox({ what, fromVersion, toVersion, rows, events, onReload }) {
  const reload = el('button', { type: 'button', class: 'btn primary', 'data-testid': 'conflict-reload', text: t('conflict.reload') });
  reload.addEventListener('click', onReload);
  const table = el('table', { class: 'diff', 'data-testid': 'conflict-diff' },
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: t('conflict.field') }),
      el('th', { scope: 'col', text: t('conflict.yours') }), el('th', { scope: 'col', text: t('conflict.theirs') }))),
    el('tbody', {}, rows.map((r) => el('tr', { 'data-field': r.key },
      el('th', { scope: 'row', text: r.label }), el('td', { text: r.mine }), el('td', { class: 'theirs', text: r.theirs })))));
  const box = el('div', { class: 'conflict', role: 'alert', 'data-testid': 'conflict' },
    el('h3', { text: t('conflict.heading') }),
    el('p', { text: t('conflict.explain', { what, from: fromVersion, to: toVersion }) }),
    rows.length ? table : el('p', { class: 'muted', text: t('conflict.noFieldDiff') }),
    events.length ? el('ul', { class: 'conflict-events', 'data-testid': 'conflict-events' }, events.map((e) => el('li', { text: e }))) : null,
    el('p', { class: 'hint', text: t('conflict.hint') }),
    reload);
  return box;
}

/** diffRows compares two records on the given [key, label, format] fields. */
export function diffRows(mine, theirs, fields) {
  const rows = [];
  for (const [key, label, fmt = (v) => (v === null || v === undefined || v === '' ? '—' : String(v))] of fields) {
    const a = fmt(pick(mine, key), mine);
    const b = fmt(pick(theirs, key), theirs);
    if (a !== b) rows.push({ key, label, mine: a, theirs: b });
  }
  return rows;
}

function pick(o, path) {
  return path.split('.').reduce((x, k) => (x === null || x === undefined ? undefined : x[k]), o);
}

/** eventText is one history entry as a line: when, who, what, the changes in words, note. */
export function eventText(e, statusName, ctx = {}) {
  const step = e.to ? (e.from ? `${statusName(e.from)} → ${statusName(e.to)}` : `→ ${statusName(e.to)}`) : t('conflict.edited');
  const changes = changesText(e.changes, { statusName, ...ctx }).join(', ');
  return [dateTime(e.at), e.actor, step, changes, e.note].filter(Boolean).join(' · ');
}
