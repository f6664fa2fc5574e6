// subscribe.js: residents ask to be told — about one case, or about an area
// (a sub-district, or the part of the map on screen) for chosen problems —
// by e-mail (confirmed by the link sent to the address) or by this
// browser's push (POST /api/v1/subscriptions). Push never stands alone:
// Chrome's push service is not reachable in mainland China, so the page
// says so and offers e-mail beside it. The keys of push subscriptions made
// here are kept in this browser, to list and end them.
import { send, getJSON, ApiError } from './api.js';
import { t, lang } from './i18n.js';
import { el, field, showFieldErrors, clearFieldErrors, problemText, say } from './dom.js';

const KEYS = 'inframap.subscriptions';
const DRAWN = '#draw'; // the where-option of an area drawn on the map (no sub-district is named so)

/** pushSupported: this browser can take push messages (and the page is on https or localhost). */
export const pushSupported = () => 'serviceWorker' in navigator && 'PushManager' in window && window.isSecureContext;

function remember(sub, what) {
  try {
    const all = JSON.parse(localStorage.getItem(KEYS) || '[]').filter((x) => x.token !== sub.token);
    all.unshift({ token: sub.token, what });
    localStorage.setItem(KEYS, JSON.stringify(all.slice(0, 50)));
  } catch { /* not remembered: the messages carry the link to end it */ }
}

/** mySubscriptions lists the push subscriptions made in this browser: {token, what}. */
export function mySubscriptions() {
  try { return JSON.parse(localStorage.getItem(KEYS) || '[]'); } catch { return []; }
}

function keyBytes(b64) {
  const s = atob(b64.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** pushFor asks the worker reg for a push subscription under the service's key. */
export async function pushFor(reg) {
  const { public_key: key } = await getJSON('/api/v1/push/key');
  const ps = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
  return ps.toJSON();
}

/** browserPush asks this browser for a push subscription, through the public map's worker. */
async function browserPush() {
  const reg = await navigator.serviceWorker.register('/push-sw.js', { scope: '/' });
  await navigator.serviceWorker.ready;
  return pushFor(reg);
}

const uiLang = () => (lang() === 'en' ? 'en' : 'zh');

/**
 * subscribeBox is the form: an e-mail address and a button, and a push
 * button where the browser has push. target() returns what to follow
 * ({ref} or {subdistrict, services} or {area, services}) and what to call
 * it; it may throw an Error whose message is shown.
 */
export function subscribeBox(target, { testid = 'subscribe' } = {}) {
  const out = el('p', { class: 'form-status', role: 'status', 'aria-live': 'polite', 'data-testid': `${testid}-status` });
  const email = el('input', { type: 'email', name: 'email', autocomplete: 'email', inputmode: 'email', 'data-testid': `${testid}-email` });
  const form = el('form', { class: 'subscribe-form', novalidate: true, 'data-testid': testid });
  const byMail = el('button', { type: 'submit', class: 'btn primary', 'data-testid': `${testid}-email-go`, text: t('subscribe.byEmail') });
  form.append(field(t('subscribe.email'), email, { name: 'email', hint: t('subscribe.emailHint') }), byMail);
  const post = async (body) => {
    const { what, ...rest } = target();
    const res = await send('POST', '/api/v1/subscriptions', { json: { ...rest, ...body, lang: uiLang() } });
    return { sub: res.data, what };
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    byMail.disabled = true;
    try {
      const { sub } = await post({ channel: 'email', email: email.value.trim() });
      say(out, t('subscribe.confirmSent', { address: sub.address }), 'ok');
      email.value = '';
    } catch (err) {
      if (err instanceof ApiError) showFieldErrors(form, err.fieldErrors());
      say(out, err instanceof ApiError ? problemText(err) : err.message, 'error');
    } finally {
      byMail.disabled = false;
    }
  });
  const parts = [form];
  if (pushSupported()) {
    const byPush = el('button', { type: 'button', class: 'btn', 'data-testid': `${testid}-push`, text: t('subscribe.byPush') });
    byPush.addEventListener('click', async () => {
      byPush.disabled = true;
      try {
        const push = await browserPush();
        const { sub, what } = await post({ channel: 'push', push });
        remember(sub, what);
        say(out, t('subscribe.pushOn'), 'ok');
      } catch (err) {
        const denied = err && err.name === 'NotAllowedError';
        say(out, denied ? t('subscribe.pushDenied') : err instanceof ApiError ? problemText(err) : t('subscribe.pushFailed'), 'error');
      } finally {
        byPush.disabled = false;
      }
    });
    parts.push(el('div', { class: 'subscribe-push' }, byPush, el('p', { class: 'hint', text: t('subscribe.pushHint') })));
  }
  return el('div', { class: 'subscribe' }, ...parts, out);
}

/**
 * areaSubscription is the panel section "get updates for an area": a
 * sub-district or the map as it is on screen, the problems to hear about,
 * then subscribeBox. zones: the sub-districts ({name, name_en}); services:
 * [{service_code, name}]; view(): the map's bounds as [west, south, east, north].
 */
export function areaSubscription({ zones, services, view, draw, serviceName }) {
  const sec = el('section', { class: 'subscribe-area', 'aria-labelledby': 'subscribe-h', 'data-testid': 'subscribe-area' },
    el('h2', { class: 'panel-h', id: 'subscribe-h', text: t('subscribe.heading') }),
    el('p', { class: 'hint', text: t('subscribe.intro') }));
  const where = el('select', { name: 'where', 'data-testid': 'subscribe-where' },
    el('option', { value: '', text: t('subscribe.whereView') }),
    draw ? el('option', { value: DRAWN, text: t('subscribe.whereDraw') }) : null,
    ...zones.map((z) => el('option', { value: z.name, text: lang() === 'en' && z.name_en ? z.name_en : z.name })));
  // A drawn area: the ring in WGS84, drawn on the map when chosen.
  let ring = null;
  const drawOut = el('p', { class: 'hint', role: 'status', 'aria-live': 'polite', 'data-testid': 'subscribe-draw-status', hidden: true });
  const redraw = el('button', { type: 'button', class: 'btn', 'data-testid': 'subscribe-draw', text: t('subscribe.drawAgain'), hidden: true });
  const startDrawing = async () => {
    ring = null;
    drawOut.hidden = false;
    redraw.hidden = true;
    drawOut.textContent = t('subscribe.drawHint');
    try {
      ring = await draw();
      drawOut.textContent = t('subscribe.drawn', { n: ring.length - 1 });
    } catch {
      drawOut.textContent = t('subscribe.drawFailed');
    }
    redraw.hidden = false;
  };
  where.addEventListener('change', () => {
    if (where.value === DRAWN) startDrawing();
    else { drawOut.hidden = true; redraw.hidden = true; draw?.cancel?.(); }
  });
  redraw.addEventListener('click', startDrawing);
  const boxes = services.map((s) => {
    const cb = el('input', { type: 'checkbox', value: s.service_code, checked: true, 'data-testid': `subscribe-service-${s.service_code}` });
    return { cb, label: el('label', { class: 'check' }, cb, ' ', serviceName(s)) };
  });
  const fs = el('fieldset', { class: 'services' }, el('legend', { text: t('subscribe.services') }), ...boxes.map((b) => b.label));
  sec.append(field(t('subscribe.where'), where, { name: 'where', hint: t('subscribe.whereHint') }), drawOut, redraw, fs);
  sec.append(subscribeBox(() => {
    const chosen = boxes.filter((b) => b.cb.checked).map((b) => b.cb.value);
    if (!chosen.length) throw new Error(t('subscribe.noService'));
    const services = chosen.length === boxes.length ? [] : chosen;
    if (where.value === DRAWN) {
      if (!ring) throw new Error(t('subscribe.drawFirst'));
      return { area: { type: 'Polygon', coordinates: [ring] }, services, what: t('subscribe.whereDraw') };
    }
    if (where.value) return { subdistrict: where.value, services, what: where.selectedOptions[0].text };
    const [w, s, e, n] = view();
    return { area: { type: 'Polygon', coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] }, services, what: t('subscribe.whereView') };
  }, { testid: 'subscribe' }));
  // What this browser already gets by push, each with its page (to end it).
  const mine = mySubscriptions();
  if (mine.length) {
    sec.append(el('h3', { class: 'sub-h', text: t('subscribe.mine') }),
      el('ul', { class: 'mine', 'data-testid': 'my-subscriptions' },
        ...mine.map((m) => el('li', {}, el('a', { href: `/subscription/${encodeURIComponent(m.token)}`, text: m.what || m.token })))));
  }
  return sec;
}
