// app-subscription.js: the page every message links to
// (/subscription/{key}): what the subscription is, confirming an e-mail
// address, and ending it. Opening the page changes nothing (mail scanners
// open links); each change is a button.
import { send, getJSON, ApiError } from './api.js';
import { t, lang, setLang, onLangChange, applyI18n, dateTime } from './i18n.js';
import { el, problemText, say } from './dom.js';

const token = decodeURIComponent(location.pathname.split('/').pop() || '');
const wantsEnd = new URLSearchParams(location.search).get('end') === '1';
const main = document.querySelector('#main');
let sub = null;
let flash = '';

function what(s) {
  if (s.ref) return t('sub.case', { ref: s.ref });
  if (s.area_name) return t('sub.area', { name: s.area_name });
  return t('sub.drawn');
}

function render() {
  document.title = `${t('sub.title')} · inframap`;
  if (!sub) return;
  const status = el('p', { class: 'form-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'sub-status' });
  const dl = el('dl', { class: 'attrs' });
  const row = (k, v, id) => dl.append(el('div', {}, el('dt', { text: k }), el('dd', { text: v, 'data-testid': id })));
  row(t('sub.what'), what(sub), 'sub-what');
  if (sub.services?.length) row(t('sub.services'), sub.services.map((c) => t(`service.${c}`)).join(lang() === 'en' ? ', ' : '、'), 'sub-services');
  row(t('sub.channel'), sub.channel === 'push' ? t('sub.byPush', { host: sub.address }) : t('sub.byEmail', { address: sub.address }), 'sub-channel');
  row(t('sub.since'), dateTime(sub.consent_at), 'sub-since');
  const state = sub.unsubscribed_at ? t('sub.ended', { at: dateTime(sub.unsubscribed_at) })
    : sub.confirmed_at ? t('sub.active') : t('sub.unconfirmed');
  row(t('sub.state'), state, 'sub-state');
  const parts = [el('h2', { class: 'panel-h', text: what(sub) }), dl];
  if (!sub.unsubscribed_at) {
    const buttons = el('div', { class: 'btn-row' });
    if (!sub.confirmed_at) {
      const ok = el('button', { type: 'button', class: 'btn primary', 'data-testid': 'sub-confirm', text: t('sub.confirm') });
      ok.addEventListener('click', () => act('POST', '/confirm', 'sub.confirmed', status));
      buttons.append(ok);
    }
    const end = el('button', { type: 'button', class: `btn${wantsEnd ? ' primary' : ''}`, 'data-testid': 'sub-end', text: t('sub.end') });
    end.addEventListener('click', () => act('DELETE', '', 'sub.endedNow', status));
    buttons.append(end);
    if (wantsEnd) parts.push(el('p', { class: 'hint', text: t('sub.endAsk') }));
    parts.push(buttons);
  }
  parts.push(status, el('p', {}, el('a', { href: sub.ref ? `/?tab=problem&follow=${encodeURIComponent(sub.ref)}` : '/', text: t('sub.toMap') })));
  main.replaceChildren(...parts);
  if (flash) say(status, flash, 'ok');
  (main.querySelector('button.primary') || main.querySelector('h2')).focus?.();
}

async function act(method, suffix, done, status) {
  for (const b of main.querySelectorAll('button')) b.disabled = true;
  try {
    sub = (await send(method, `/api/v1/subscriptions/${encodeURIComponent(token)}${suffix}`)).data;
    flash = t(done);
    render();
  } catch (err) {
    say(status, problemText(err), 'error');
    for (const b of main.querySelectorAll('button')) b.disabled = false;
  }
}

async function start() {
  const buttons = document.querySelectorAll('[data-lang]');
  const mark = () => buttons.forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.lang === lang())));
  buttons.forEach((b) => b.addEventListener('click', () => setLang(b.dataset.lang)));
  mark();
  onLangChange(() => { mark(); render(); });
  applyI18n(document);
  try {
    sub = await getJSON(`/api/v1/subscriptions/${encodeURIComponent(token)}`);
  } catch (err) {
    main.replaceChildren(el('p', { class: 'error', role: 'alert', 'data-testid': 'sub-error',
      text: err instanceof ApiError && err.status === 404 ? t('sub.notFound') : problemText(err) }));
    document.body.dataset.ready = 'true';
    return;
  }
  render();
  document.body.dataset.ready = 'true';
}

start();
