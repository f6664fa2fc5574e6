// clock.js: a case's time limit in words and colours (docs/time-limits.md) —
// the light of its running step with a text label (colour is never the only
// sign), the time left counted as the limit counts it (working days and
// hours, or clock hours for emergencies), the limit, the deadline for
// people, and the clock's changes in a task's history. Shared by the
// console, the field page and the public map.
import { t, has, num, plural, shortDateTime } from './i18n.js';
import { el } from './dom.js';

export const LIGHTS = ['red', 'yellow', 'green', 'paused', 'none'];
const WORKDAY = 8 * 3600; // a working day has 8 working hours (docs/calendar.md)

/** lightOf is the light of a task's running step; none when no step is timed. */
export const lightOf = (task) => (task && task.clock ? task.clock.light : 'none');

/** lightName is the light's label: 正常/临期/超时/挂账/不计时. */
export const lightName = (light) => t(`light.${LIGHTS.includes(light) ? light : 'none'}`);

/** lightBadge is a coloured dot with the light's name beside it. */
export function lightBadge(light, { testid = 'light', label } = {}) {
  const l = LIGHTS.includes(light) ? light : 'none';
  return el('span', { class: `light l-${l}`, 'data-testid': testid, 'data-light': l },
    el('span', { class: 'light-dot', 'aria-hidden': 'true' }), el('span', { class: 'light-text', text: label || lightName(l) }));
}

/**
 * amount says a length of time as the limit's unit counts it: working days
 * and hours for working_days and due_date, working hours for
 * working_hours, clock hours for natural_hours.
 */
export function amount(seconds, unit) {
  const s = Math.max(0, Math.abs(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (unit === 'natural_hours') {
    if (s >= 48 * 3600) return plural('dur.daysHours', Math.floor(s / 86400), { h: Math.floor((s % 86400) / 3600) });
    if (h >= 1) return plural('dur.hours', h);
    return plural('dur.minutes', Math.max(1, m));
  }
  if ((unit === 'working_days' || unit === 'due_date') && s >= WORKDAY) {
    const d = Math.floor(s / WORKDAY);
    const rest = Math.floor((s % WORKDAY) / 3600);
    return rest ? plural('dur.wdaysHours', d, { h: rest }) : plural('dur.wdays', d);
  }
  if (h >= 1) return m && h < 10 ? plural('dur.whoursMinutes', h, { m }) : plural('dur.whours', h);
  return plural('dur.wminutes', Math.max(1, m));
}

/** leftText: "剩余 3 个工作小时" / "超时 2 个工作日" / "挂账中" / "不计时". */
export function leftText(clock) {
  if (!clock || clock.light === 'none' || clock.left_seconds === null || clock.left_seconds === undefined) return t('clock.untimed');
  if (clock.light === 'paused') return t('clock.pausedShort');
  const left = clock.left_seconds;
  if (clock.light === 'red' || left < 0) {
    return left <= -60 ? t('clock.late', { d: amount(left, clock.limit.unit) }) : t('clock.lateNow');
  }
  return t('clock.left', { d: amount(left, clock.limit.unit) });
}

/** limitAmount is a limit in words: "3 个工作日", "2 个工作小时", "6 小时", "按计划完成日期". */
export function limitAmount(unit, n) {
  switch (unit) {
    case 'working_days': return plural('dur.wdays', n);
    case 'working_hours': return plural('dur.whours', n);
    case 'natural_hours': return plural('dur.hours', n);
    case 'due_date': return t('dur.dueDate');
    default: return t('clock.untimed');
  }
}

/** extensionAmount: an extension of n in the limit's unit (working days for a due-date step). */
export const extensionAmount = (unit, n) => limitAmount(unit === 'due_date' ? 'working_days' : unit, n);

/** stepName is the name of a timed step: 立案, 派遣, 处置, 核查. */
export const stepName = (step) => (has(`clockstep.${step}`) ? t(`clockstep.${step}`) : t('clock.step'));

/** limitText: "处置时限 3 个工作日" (with the extensions granted). */
export function limitText(clock) {
  const limit = limitAmount(clock.limit.unit, clock.limit.n);
  const vars = { step: stepName(clock.step), limit };
  if (clock.extended > 0) return t('clock.limitExtended', { ...vars, ext: extensionAmount(clock.limit.unit, clock.extended) });
  return t('clock.limit', vars);
}

/** deadlineText is the deadline for people, "12月8日 17:30", or "—". */
export const deadlineText = (iso) => (iso ? shortDateTime(iso) : '—');

/** sharePercent is the share of the limit used, as a whole percentage. */
export const sharePercent = (clock) => (clock && typeof clock.share === 'number' ? Math.round(clock.share * 100) : null);

/**
 * changeText says one change of a history row in words, or null when the
 * key is unknown. ctx: {statusName, phaseName, unit} (unit: the limit's
 * unit, for extensions).
 */
export function changeText(key, ch, ctx = {}) {
  if (!Array.isArray(ch)) return null;
  const [a, b] = ch;
  const dash = (v) => (v === null || v === undefined || v === '' ? '—' : String(v));
  const pair = (label, f = dash) => t('hist.change', { label, from: f(a), to: f(b) });
  switch (key) {
    case 'deadline':
      return a ? t('hist.deadline', { from: deadlineText(a), to: deadlineText(b) }) : t('hist.deadlineSet', { to: deadlineText(b) });
    case 'late':
      return b === null || b === undefined ? null : t(b ? 'hist.late' : 'hist.onTime');
    case 'extended':
      return t('hist.extended', { d: extensionAmount(ctx.unit || 'working_days', Math.abs(Number(b) - Number(a || 0))) });
    case 'suspended':
      return t(b ? 'hist.suspended' : 'hist.resumed');
    case 'extension_requested': case 'suspension_requested':
    case 'extension_approved': case 'extension_refused':
    case 'suspension_approved': case 'suspension_refused':
      return t(`hist.${key}`);
    case 'assignee': return pair(t('details.assignee'));
    case 'due_date': return pair(t('task.due'));
    case 'priority': return pair(t('task.priority'), (v) => (v ? t(`priority.${v}`) : '—'));
    case 'status': return pair(t('details.status'), (v) => (v && ctx.statusName ? ctx.statusName(v) : dash(v)));
    case 'phase': return pair(t('task.phase'), (v) => (v && ctx.phaseName ? ctx.phaseName(v) : dash(v)));
    case 'percent': return pair(t('task.percent'), (v) => (v === null || v === undefined ? '—' : `${v}%`));
    case 'qty_done': return pair(t('task.qtyDone'), (v) => (v === null || v === undefined ? '—' : num(v, 2)));
    case 'qty_planned': return pair(t('hist.qtyPlanned'), (v) => (v === null || v === undefined ? '—' : num(v, 2)));
    case 'qty_unit': return pair(t('hist.qtyUnit'));
    case 'title': return pair(t('task.titleField'));
    case 'description': return t('hist.descriptionEdited');
    case 'crew': return pair(t('admin.crew'));
    case 'subdistrict': return pair(t('admin.subdistrict'));
    case 'estimate_fen': return pair(t('costs.hist.estimate'), fenText);
    case 'actual_fen': return pair(t('costs.hist.actual'), fenText);
    case 'cost_lines': return pair(t('costs.hist.lines'), (v) => num(v ?? 0));
    default: return null;
  }
}

/** fenText writes whole fen as 元 (costs.js's yuanText, kept here so that the pages without costs need not load it). */
function fenText(fen) {
  if (fen === null || fen === undefined) return '—';
  const whole = String(Math.floor(fen / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return t('costs.yuan', { v: `${whole}.${String(fen % 100).padStart(2, '0')}` });
}

// The order a row's changes are said in: what was decided, what it did to
// the clock, then the fields (the service's changes are an unordered object).
const CHANGE_ORDER = ['extension_requested', 'suspension_requested', 'extension_approved', 'extension_refused',
  'suspension_approved', 'suspension_refused', 'extended', 'suspended', 'late', 'deadline'];
const rank = (k) => (CHANGE_ORDER.includes(k) ? CHANGE_ORDER.indexOf(k) : CHANGE_ORDER.length);

/** changesText lists a history row's changes in words; keys it does not know are left out. */
export function changesText(changes, ctx) {
  if (!changes || typeof changes !== 'object') return [];
  return Object.entries(changes).sort(([a], [b]) => rank(a) - rank(b))
    .map(([k, ch]) => changeText(k, ch, ctx)).filter(Boolean);
}
