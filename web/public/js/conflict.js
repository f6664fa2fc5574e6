// conflict.js: when a write meets 412 (someone changed the task or asset
// since it was read), keep both changes. The other person's change stays;
// yours is laid on top where it touches other fields, and where both touched
// the same field the person chooses, field by field, before anything is
// saved. Nothing is lost silently, and nobody has to retype their edit.
import { t, dateTime, actorName } from './i18n.js';
import { el, problemText } from './dom.js';
import { changesText } from './clock.js';

const blank = (v) => v === null || v === undefined || v === '';
const same = (a, b) => (blank(a) && blank(b)) || JSON.stringify(a) === JSON.stringify(b);
const show = (v) => (blank(v) ? '—' : String(v));

/**
 * mergeRows compares, for each field a write can change, what the page had
 * (base), what is stored now (theirs) and what this person meant to write
 * (mine: values by field key, only the fields they changed). fields:
 * [{key, label, fmt?}], key a dotted path into the records. Each row says
 * whose change it carries: 'theirs' (only they changed it, or both to the
 * same value), 'mine' (only you did), 'both' (different values: ask).
 */
export function mergeRows(base, theirs, mine, fields) {
  const rows = [];
  for (const { key, label, fmt = show } of fields) {
    const b = pick(base, key);
    const th = pick(theirs, key);
    const mineChanged = Object.hasOwn(mine, key) && !same(mine[key], b);
    const theirsChanged = !same(th, b);
    let side = null;
    if (mineChanged && theirsChanged) side = same(mine[key], th) ? 'theirs' : 'both';
    else if (mineChanged) side = 'mine';
    else if (theirsChanged) side = 'theirs';
    if (!side) continue;
    rows.push({ key, label, side, value: mineChanged ? mine[key] : undefined,
      base: fmt(b, base), theirs: fmt(th, theirs), mine: mineChanged ? fmt(mine[key], { ...base, ...mine }) : '' });
  }
  return rows;
}

/**
 * conflictBox draws the notice. rows come from mergeRows; events: the other person's history entries as text.
 * onMerge(values), when given, saves the merged result: values by field key,
 * mine where only I changed a field or where I chose mine. onReload drops my
 * edit and shows the latest version. retry, when given, is {label, run} for a
 * step (not a field edit) to send again on the latest version.
 */
export function conflictBox({ what, fromVersion, toVersion, rows, events, onMerge, onReload, retry }) {
  const reload = el('button', { type: 'button', class: 'btn' + (onMerge || retry ? '' : ' primary'), 'data-testid': 'conflict-reload',
    text: t(onMerge ? 'conflict.discard' : 'conflict.reload') });
  reload.addEventListener('click', onReload);
  const withMine = rows.some((r) => r.side === 'mine' || r.side === 'both');
  const status = el('p', { class: 'form-status', role: 'alert', 'data-testid': 'conflict-status', hidden: true });
  const fail = (e) => { status.hidden = false; status.textContent = problemText(e); };
  const head = [t('conflict.field'), t('conflict.yours'), t('conflict.theirs')];
  if (withMine) head.push(t('conflict.mine'), t('conflict.result'));
  const body = rows.map((r) => {
    const tr = el('tr', { 'data-field': r.key, 'data-side': r.side || 'theirs' },
      el('th', { scope: 'row', text: r.label }));
    tr.append(el('td', { text: r.base }));
    tr.append(el('td', { class: 'theirs', text: r.theirs }));
    if (withMine) tr.append(el('td', { class: 'mine', text: r.mine || '—' }), resultCell(r));
    return tr;
  });
  const table = el('table', { class: 'diff', 'data-testid': 'conflict-diff' },
    el('thead', {}, el('tr', {}, head.map((h) => el('th', { scope: 'col', text: h })))), el('tbody', {}, body));
  const actions = el('div', { class: 'btn-row' });
  let first = reload;
  if (onMerge && withMine) {
    const merge = el('button', { type: 'button', class: 'btn primary', 'data-testid': 'conflict-merge', text: t('conflict.merge') });
    merge.addEventListener('click', async () => {
      const values = {};
      const open = [];
      for (const r of rows) {
        if (r.side === 'mine') values[r.key] = r.value;
        if (r.side !== 'both') continue;
        const chosen = table.querySelector(`input[name="pick-${CSS.escape(r.key)}"]:checked`);
        if (!chosen) open.push(r);
        else if (chosen.value === 'mine') values[r.key] = r.value;
      }
      if (open.length) {
        status.hidden = false;
        status.textContent = t('conflict.choose', { fields: open.map((r) => r.label).join('、') });
        table.querySelector(`input[name="pick-${CSS.escape(open[0].key)}"]`).focus();
        return;
      }
      merge.disabled = true;
      try { await onMerge(values); } catch (e) { fail(e); } finally { if (merge.isConnected) merge.disabled = false; }
    });
    actions.append(merge);
    first = merge;
  } else if (retry) {
    const again = el('button', { type: 'button', class: 'btn primary', 'data-testid': 'conflict-retry', text: retry.label });
    again.addEventListener('click', async () => {
      again.disabled = true;
      try { await retry.run(); } catch (e) { fail(e); } finally { if (again.isConnected) again.disabled = false; }
    });
    actions.append(again);
    first = again;
  }
  actions.append(reload);
  const box = el('div', { class: 'conflict', role: 'alert', 'data-testid': 'conflict' },
    el('h3', { text: t('conflict.heading') }),
    el('p', { text: t(withMine ? 'conflict.explainKeep' : 'conflict.explain', { what, from: fromVersion, to: toVersion }) }),
    rows.length ? table : el('p', { class: 'muted', text: t('conflict.noFieldDiff') }),
    events.length ? el('ul', { class: 'conflict-events', 'data-testid': 'conflict-events' }, events.map((e) => el('li', { text: e }))) : null,
    el('p', { class: 'hint', text: t(withMine ? 'conflict.hintKeep' : 'conflict.hint') }),
    status, actions);
  box.focusFirst = () => first.focus();
  return box;
}

/** resultCell says what saving keeps: theirs, mine, or a choice between them. */
function resultCell(r) {
  if (r.side === 'theirs') return el('td', { text: t('conflict.keepTheirs') });
  if (r.side === 'mine') return el('td', { text: t('conflict.keepMine') });
  const choice = (value, label) => el('label', { class: 'pick' },
    el('input', { type: 'radio', name: `pick-${r.key}`, value, 'data-testid': `pick-${value}` }), ' ', label);
  return el('td', { class: 'choose' }, el('fieldset', {},
    el('legend', { class: 'sr-only', text: t('conflict.chooseOne', { field: r.label }) }),
    choice('mine', t('conflict.useMine')), choice('theirs', t('conflict.useTheirs'))));
}

function pick(o, path) {
  return path.split('.').reduce((x, k) => (x === null || x === undefined ? undefined : x[k]), o);
}

/** eventText is one history entry as a line: when, who, what, the changes in words, note. */
export function eventText(e, statusName, ctx = {}) {
  const step = e.to ? (e.from ? `${statusName(e.from)} → ${statusName(e.to)}` : `→ ${statusName(e.to)}`) : t('conflict.edited');
  const changes = changesText(e.changes, { statusName, ...ctx }).join(', ');
  return [dateTime(e.at), actorName(e.actor), step, changes, e.note].filter(Boolean).join(' · ');
}
