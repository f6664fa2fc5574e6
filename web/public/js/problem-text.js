// problem-text.js: what the service says is wrong, in the reader's
// language. The service sends a stable code and parameters with each bad
// field (and a reason with a refusal); the message table says them as
// err.<code>. Parameters that are codes (a kind, a geometry type, a field,
// a unit) are said by their labels. A test (web/messages_test.go) fails
// when a code the service can send has no translation here.
import { t, has, isZh } from './i18n.js';

/** fieldLabel names a field or attribute as the forms do. */
export function fieldLabel(f) {
  const k = String(f || '').replace(/^properties\./, '');
  if (has(`attr.${k}`)) return t(`attr.${k}`);
  if (has(`fieldname.${k}`)) return t(`fieldname.${k}`);
  return k;
}

const label = (prefix, v) => (has(`${prefix}.${v}`) ? t(`${prefix}.${v}`) : String(v));

/** paramsText turns a problem's parameters into words for its message. */
function paramsText(p = {}) {
  const out = {};
  for (const [k, v] of Object.entries(p)) {
    if (k === 'kind') out[k] = label('kindname', v);
    else if (k === 'types') out[k] = (Array.isArray(v) ? v : [v]).map((x) => label('geomtype', x)).join(isZh() ? '或' : ' or ');
    else if (k === 'got' && has(`geomtype.${v}`)) out[k] = t(`geomtype.${v}`);
    else if (k === 'field' || k === 'key') out[k] = fieldLabel(v);
    else if (k === 'unit') out[k] = label('unit', v);
    else if (k === 'integer') out.number = t(v ? 'err.integer' : 'err.number');
    else out[k] = v === null || v === undefined ? '—' : String(v);
  }
  return out;
}

/** fieldMessage says one bad field ({field, message, code, params}) in the page's language. */
export function fieldMessage(e) {
  if (e.code && has(`err.${e.code}`)) return t(`err.${e.code}`, paramsText(e.params));
  // A message without a code is the service's English, for other clients:
  // a Chinese page names the field instead.
  return isZh() ? t('err.generic', { field: fieldLabel(e.field) }) : (e.message || e.detail || '');
}

/**
 * refusalText says a refusal that is not about one field, or null when the
 * problem has nothing the table can say: its reason, or its first coded field.
 */
export function refusalText(problem) {
  if (!problem) return null;
  if (problem.reason && has(`err.${problem.reason}`)) return t(`err.${problem.reason}`);
  const coded = (problem.errors || []).find((e) => e.code && has(`err.${e.code}`));
  if (coded) return fieldMessage(coded);
  return null;
}
