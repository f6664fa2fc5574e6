// i18n.js: the page language (zh-CN first, English second), remembered in
// localStorage; t() for the message table, name() for the service's bilingual
// vocabulary, and number and time formats of the district (times in
// Asia/Shanghai whatever the browser's zone).
import { messages } from './messages.js';

export const LANGS = ['zh-CN', 'en'];
const STORE_KEY = 'inframap.lang';
const ZONE = 'Asia/Shanghai';
const listeners = new Set();

let current = initialLang();

function initialLang() {
  try {
    const saved = localStorage.getItem(STORE_KEY);
    if (LANGS.includes(saved)) return saved;
  } catch { /* storage may be disabled: fall back to the default */ }
  return 'zh-CN';
}

export const lang = () => current;
export const isZh = () => current === 'zh-CN';

/** setLang switches the language, remembers it and tells every listener. */
export function setLang(l) {
  if (!LANGS.includes(l) || l === current) return;
  current = l;
  try { localStorage.setItem(STORE_KEY, l); } catch { /* not remembered, still switched */ }
  document.documentElement.lang = l;
  applyI18n(document);
  for (const fn of listeners) fn(l);
}

export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** t looks a key up in the current table and fills {name} placeholders. */
export function t(key, vars) {
  let s = messages[current][key];
  if (s === undefined) s = messages['zh-CN'][key];
  if (s === undefined) return key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] === undefined ? m : String(vars[k])));
  return s;
}

/** has reports whether the table has key (for codes translated when known). */
export const has = (key) => key in messages[current];

/** name picks the Chinese or English name of a service vocabulary entry or asset. */
export function name(o) {
  if (!o) return '';
  return (isZh() ? o.name : o.name_en || o.name) || o.code || '';
}

/**
 * applyI18n fills elements marked data-i18n="key" (text) and
 * data-i18n-attr="attr:key,attr:key" (attributes) below root.
 */
export function applyI18n(root) {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(',')) {
      const [attr, key] = pair.split(':');
      el.setAttribute(attr.trim(), t(key.trim()));
    }
  }
}

const numberFormats = {};
export function num(n, digits = 0) {
  const k = current + digits;
  numberFormats[k] ||= new Intl.NumberFormat(current, { maximumFractionDigits: digits });
  return numberFormats[k].format(n);
}

/** wan writes a quantity the way the district publishes it: 511200 → "51.12万" (English: "511,200"). */
export function wan(n) {
  if (isZh() && Math.abs(n) >= 10000) return num(n / 10000, 2) + '万';
  return num(n);
}

/** yuan writes an investment: 92487800 → "9,248.78万元" / "CNY 92.49 million". */
export function yuan(n) {
  if (isZh()) return t('report.yuanWan', { n: num(n / 10000, 2) });
  return t('report.yuanWan', { n: num(n / 1e6, 2) });
}

const partsFmt = new Intl.DateTimeFormat('en-GB', {
  timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});

function parts(iso) {
  const o = {};
  for (const p of partsFmt.formatToParts(new Date(iso))) o[p.type] = p.value;
  return o;
}

/** dateTime shows an instant as "2024-08-14 12:56" in Asia/Shanghai. */
export function dateTime(iso) {
  if (!iso) return '';
  const p = parts(iso);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** day is the calendar day of an instant in Asia/Shanghai, "2024-08-14". */
export function day(iso) {
  if (!iso) return '';
  const p = parts(iso);
  return `${p.year}-${p.month}-${p.day}`;
}

/** today is the current calendar day in Asia/Shanghai. */
export const today = () => day(new Date().toISOString());

const MONTHS_EN = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * shortDateTime shows an instant for people, in Asia/Shanghai: "12月8日 17:30"
 * / "8 Dec 17:30", with the year when it is not this year's.
 */
export function shortDateTime(iso) {
  if (!iso) return '';
  const p = parts(iso);
  const thisYear = parts(new Date().toISOString()).year === p.year;
  const m = Number(p.month);
  const d = Number(p.day);
  if (isZh()) return `${thisYear ? '' : `${p.year}年`}${m}月${d}日 ${p.hour}:${p.minute}`;
  return `${d} ${MONTHS_EN[m - 1]}${thisYear ? '' : ` ${p.year}`} ${p.hour}:${p.minute}`;
}

// Who did something when it was not a person signed in: the service's own
// names for them, said in words.
const ACTORS = ['resident', 'import', 'inframap', 'system', 'open311', 'engineer', 'inspector', 'admin'];

/** actorName is who made a change, for people: an account as it is, the service's own actors in words. */
export function actorName(a) {
  if (!a) return '—';
  return ACTORS.includes(a) ? t(`actor.${a}`) : a;
}

/** workTypeName is a case's type for people: a work type, or the resident service it came from. */
export function workTypeName(code) {
  if (!code) return '—';
  if (has(`work_type.${code}`)) return t(`work_type.${code}`);
  if (has(`service.${code}`)) return t(`service.${code}`);
  return code;
}

/** plural picks key.one for one in the current language when the table has it. */
export function plural(key, n, vars = {}) {
  const k = n === 1 && has(`${key}.one`) ? `${key}.one` : key;
  return t(k, { n: num(n, 1), ...vars });
}
