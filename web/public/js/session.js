// session.js: signing in and out of the staff pages. The session is an
// HttpOnly cookie the page never sees; GET /api/v1/auth/me says who is in.
import { send, getJSON, ApiError } from './api.js';
import { t, lang, setLang, onLangChange, applyI18n } from './i18n.js';
import { el, field, showFieldErrors, problemText, say } from './dom.js';

/** whoami is {user, permissions} of the signed-in person, or null. */
export async function whoami() {
  try {
    return await getJSON('/api/v1/auth/me');
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

export async function logout() {
  try { await send('POST', '/api/v1/auth/logout'); } catch { /* the cookie is cleared either way when the service answers */ }
}

export const can = (me, perm) => !!me && me.permissions.includes(perm);

/**
 * loginForm draws the sign-in form in root; onSignedIn(me) is called once
 * the service has set the session cookie.
 */
export function loginForm(root, { onSignedIn, heading }) {
  const email = el('input', { name: 'email', type: 'email', autocomplete: 'username', required: true, 'data-testid': 'login-email' });
  const password = el('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'login-password' });
  const status = el('p', { class: 'form-status', role: 'alert', 'data-testid': 'login-status', hidden: true });
  const submit = el('button', { type: 'submit', class: 'btn primary', 'data-testid': 'login-submit', text: t('login.submit') });
  const form = el('form', { class: 'login-form', 'data-testid': 'login-form', novalidate: true, 'aria-labelledby': 'login-h' },
    el('h2', { id: 'login-h', text: heading || t('login.heading') }),
    field(t('login.email'), email, { name: 'email' }),
    field(t('login.password'), password, { name: 'password' }),
    status, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    say(status, '');
    if (!email.value.trim() || !password.value) {
      showFieldErrors(form, { ...(email.value.trim() ? {} : { email: t('login.needEmail') }), ...(password.value ? {} : { password: t('login.needPassword') }) });
      return;
    }
    submit.disabled = true;
    try {
      await send('POST', '/api/v1/auth/login', { json: { email: email.value.trim(), password: password.value } });
      const me = await whoami();
      password.value = '';
      onSignedIn(me);
    } catch (err) {
      const msg = err.status === 401 ? t('login.wrong') : problemText(err);
      say(status, msg, 'error');
      password.focus();
    } finally {
      submit.disabled = false;
    }
  });
  root.replaceChildren(form);
  email.focus();
  return form;
}

/** setupLanguage wires the page's language buttons (remembered) and titles the page. */
export function setupLanguage(titleKey, onChange) {
  const buttons = document.querySelectorAll('[data-lang]');
  const mark = () => buttons.forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.lang === lang())));
  buttons.forEach((b) => b.addEventListener('click', () => setLang(b.dataset.lang)));
  const title = () => { document.title = `${t(titleKey)} · inframap`; };
  mark();
  applyI18n(document);
  title();
  onLangChange(() => { mark(); title(); onChange?.(); });
}
