// dom.js: building elements without markup strings (the CSP forbids inline
// styles, and text set as textContent cannot inject anything), plus the
// pieces every form shares: a labelled field with a place for the service's
// error beside it, and the service's problem said in the page's language.
import { t, has, isZh } from './i18n.js';
import { refusalText } from './problem-text.js';

/** el makes an element: attrs (text → textContent, false/null skipped) and children. */
export function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  e.append(...kids.flat().filter(Boolean));
  return e;
}

let uid = 0;
/** field wraps a control with its label and an error slot that the control is described by. */
export function field(labelText, control, { hint, name } = {}) {
  if (!control.id) control.id = `f${++uid}`;
  const err = el('p', { class: 'field-error', id: `${control.id}-err`, 'data-testid': `error-${name || control.name || control.id}`, hidden: true });
  const described = [err.id];
  let hintEl = null;
  if (hint) {
    hintEl = el('p', { class: 'hint', id: `${control.id}-hint`, text: hint });
    described.unshift(hintEl.id);
  }
  control.setAttribute('aria-describedby', described.join(' '));
  const wrap = el('div', { class: 'field', 'data-field': name || control.name || null },
    el('label', { for: control.id, text: labelText }), control, hintEl, err);
  return wrap;
}

/** showFieldErrors puts each message beside its field in form; returns the messages it could not place. */
export function showFieldErrors(form, errors) {
  clearFieldErrors(form);
  const left = {};
  let first = null;
  for (const [name, msg] of Object.entries(errors)) {
    const wrap = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (!wrap) { left[name] = msg; continue; }
    const err = wrap.querySelector('.field-error');
    err.textContent = msg;
    err.hidden = false;
    const control = wrap.querySelector('input, select, textarea');
    if (control) {
      control.setAttribute('aria-invalid', 'true');
      first ||= control;
    }
  }
  if (first) first.focus();
  return left;
}

export function clearFieldErrors(form) {
  for (const e of form.querySelectorAll('.field-error')) { e.hidden = true; e.textContent = ''; }
  for (const c of form.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
}

/** problemText says what went wrong, in the page's language where the kind of failure is known. */
export function problemText(err) {
  if (!err || err.status === undefined) return t('common.failed', { detail: String(err && err.message || err) });
  if (err.status === 0) return t('common.offline');
  if (err.status === 429) return t('common.rateLimited', { wait: waitText(err.retryAfter) });
  if (err.status === 401) return t('common.signInAgain');
  if (err.status === 403) return refusalText(err.problem) || t('common.forbidden');
  const id = err.requestId ? ` (${t('app.requestId', { id: err.requestId })})` : '';
  const said = refusalText(err.problem);
  if (said) return said + id;
  // The service's English detail is for other clients: a Chinese page says the kind of failure.
  const detail = isZh() && !/[\u4e00-\u9fff]/.test(err.message || '') ? t(has(`httpstatus.${err.status}`) ? `httpstatus.${err.status}` : 'httpstatus.other', { status: err.status }) : err.message;
  return t('common.failed', { detail }) + id;
}

/** waitText is a Retry-After in words: "2 分钟" / "2 minutes". */
export function waitText(seconds) {
  const s = Math.max(1, Math.round(seconds || 60));
  if (s < 90) return t('common.seconds', { n: s });
  return t('common.minutes', { n: Math.ceil(s / 60) });
}

/** status fills a live region with a message of a kind (info, ok, error). */
export function say(region, text, kind = 'info') {
  region.textContent = text;
  region.dataset.kind = kind;
  region.hidden = !text;
}

/** option makes an <option>. */
export const option = (value, text, selected) => el('option', { value, text, selected: !!selected });
