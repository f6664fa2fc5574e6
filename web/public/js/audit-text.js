// audit-text.js: the audit trail in words — an action's label, and its
// details as readable changes (a task row's transition, note and changes; an
// administrative row's facts), never raw JSON or internal codes.
import { t, has, dateTime, actorName } from './i18n.js';
import { changesText } from './clock.js';
import { eventName } from './webhooks-admin.js';

/** ACTIONS are the audited actions, in the order the filter lists them. */
export const ACTIONS = ['task.created', 'task.transition', 'task.updated', 'asset.created', 'asset.updated', 'asset.imported',
  'asset.exported', 'task.exported', 'photo.visibility', 'login.succeeded', 'login.failed', 'logout.succeeded', 'token.created',
  'token.revoked', 'api_key.created', 'user.created', 'user.updated', 'crew.saved', 'time_limit.set', 'time_limit.reset',
  'calendar.set', 'calendar.reset', 'evaluation.weights_set', 'privacy.erased', 'plan.create', 'plan.update', 'cover_owner.save',
  'webhook.create', 'webhook.rotate', 'webhook.resume', 'webhook.delete', 'webhook.redeliver', 'notice_preferences.update'];

/** TABLES: the message table that says the codes under a detail key, where it is not the key itself. */
const TABLES = { muted: 'notices.pref', by_email: 'notices.pref', email_lang: 'notices.langName' };

/** actionName is an action's label ("立案、派遣等流转"), or the action itself when unknown. */
export const actionName = (a) => (has(`auditaction.${a}`) ? t(`auditaction.${a}`) : a);

/** value says one detail value in words; a code under a key the tables know (role, priority…) by its label. */
function value(v, k) {
  if (v === null || v === undefined || v === '') return '—';
  const table = TABLES[k] || k;
  if (k && typeof v === 'string' && has(`${table}.${v}`)) return t(`${table}.${v}`);
  if (typeof v === 'boolean') return t(v ? 'audit.yes' : 'audit.no');
  if (k === 'events' && Array.isArray(v)) return v.map(eventName).join('、'); // a webhook's event kinds
  if (Array.isArray(v)) return v.length ? v.map((x) => value(x, k)).join('、') : '—';
  if (typeof v === 'object') return Object.entries(v).map(([k, x]) => `${keyName(k)} ${value(x)}`).join('，');
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v)) return dateTime(v);
  return String(v);
}

const keyName = (k) => (has(`auditkey.${k}`) ? t(`auditkey.${k}`) : k.replace(/_/g, ' '));

/** detailsText says an event's details in words: one line per fact (statusName names a state). */
export function detailsText(e, statusName = (s) => s) {
  const d = e.details || {};
  if (e.source === 'task') {
    const lines = [];
    if (d.to) lines.push(d.from ? t('audit.transition', { from: statusName(d.from), to: statusName(d.to) }) : t('audit.createdAs', { to: statusName(d.to) }));
    lines.push(...changesText(d.changes, { statusName }));
    if (d.note) lines.push(t(d.internal ? 'audit.internalNote' : 'audit.note', { note: d.note }));
    return lines;
  }
  return Object.entries(d).filter(([, v]) => v !== null && v !== undefined && v !== '').map(([k, v]) => `${keyName(k)}：${value(v, k)}`);
}

/** subjectText names what an event is about: "任务 12", "用户 3". */
export function subjectText(e) {
  if (!e.subject_type) return '';
  const kind = has(`auditsubject.${e.subject_type}`) ? t(`auditsubject.${e.subject_type}`) : e.subject_type;
  return e.subject_id ? `${kind} ${e.subject_id}` : kind;
}

/** csvOf writes events as CSV (with a byte-order mark, for Excel), in the page's language. */
export function csvOf(events, statusName) {
  const cell = (s) => `"${String(s ?? '').replace(/"/g, '""')}"`;
  const head = ['admin.audit.at', 'admin.audit.actor', 'admin.audit.action', 'admin.audit.subject', 'admin.audit.details'].map((k) => cell(t(k)));
  const rows = events.map((e) => [dateTime(e.at), e.actor ? actorName(e.actor) : '', actionName(e.action), subjectText(e), detailsText(e, statusName).join('；')].map(cell).join(','));
  return '\ufeff' + [head.join(','), ...rows].join('\r\n') + '\r\n';
}
