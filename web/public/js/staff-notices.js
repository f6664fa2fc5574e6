// staff-notices.js: the console's notices (GET /api/v1/notices): a button in
// the top bar with the number unread, opening the list — what came back to
// this person (a case handed back, failing verification, a resident's "not
// fixed", a paused webhook) in their language, each opening its case and
// marked read. Its "通知设置 / Notice settings" part (GET and PUT
// /api/v1/notices/preferences) chooses, per kind, whether to get it at all
// and whether by e-mail too.
import { getJSON, send } from './api.js';
import { t, num, dateTime, lang } from './i18n.js';
import { el, option, problemText, say } from './dom.js';
import { stepName } from './clock.js';

export class StaffNotices {
  /** button: the top bar's button; onTask(id): open a case. */
  constructor(button, { onTask }) {
    this.button = button;
    this.onTask = onTask;
    this.notices = [];
    this.settingsOpen = false;
    this.panel = el('div', { class: 'notices-panel', id: 'notices-panel', role: 'region', 'data-testid': 'notices-panel', 'aria-label': t('notices.heading'), hidden: true });
    button.after(this.panel);
    button.setAttribute('aria-controls', 'notices-panel');
    button.setAttribute('aria-expanded', 'false');
    button.addEventListener('click', () => this.toggle());
    this.panel.addEventListener('keydown', (e) => { if (e.key === 'Escape') { this.toggle(false); button.focus(); } });
  }

  /** load reads the notices and shows the count. */
  async load() {
    try {
      this.notices = (await getJSON('/api/v1/notices')).notices;
    } catch { return; }
    this.render();
  }

  unread() { return this.notices.filter((n) => !n.read_at).length; }

  render() {
    const n = this.unread();
    this.button.hidden = false;
    this.button.textContent = n ? t('notices.buttonN', { n: num(n) }) : t('notices.button');
    this.button.dataset.unread = String(n);
    this.button.classList.toggle('has-unread', n > 0);
    const items = this.notices.map((x) => {
      const p = x.params || {};
      const text = t(`notices.kind.${x.kind}`, { ref: p.ref || '', title: p.title || '', note: p.note || '—', url: p.url || '', failures: p.failures || '',
        assignee: p.assignee || '', step: p.step ? stepName(p.step) : '', deadline: p.deadline ? dateTime(p.deadline) : '' });
      const open = el('button', { type: 'button', class: 'item', 'data-testid': 'notice-item', 'data-id': String(x.id), 'data-kind': x.kind },
        el('span', { class: 'item-name', text }), el('span', { class: 'item-meta', text: dateTime(x.created_at) + (x.read_at ? '' : ` · ${t('notices.unread')}`) }));
      if (!x.read_at) open.classList.add('unread');
      open.addEventListener('click', async () => {
        await this.read(x);
        if (p.task) { this.toggle(false); this.onTask(p.task); }
      });
      return el('li', {}, open);
    });
    if (!items.length) items.push(el('li', { class: 'muted', text: t('notices.none') }));
    if (this.settingsOpen) return;
    const settings = el('button', { type: 'button', class: 'btn', 'data-testid': 'notice-settings', text: t('notices.settings') });
    settings.addEventListener('click', () => this.openSettings());
    this.panel.replaceChildren(el('h2', { class: 'panel-h', text: t('notices.heading') }), el('ul', { class: 'queue' }, ...items),
      el('p', {}, settings));
  }

  /** openSettings shows the notice settings in the panel: per kind, 接收 and 邮件. */
  async openSettings() {
    this.settingsOpen = true;
    this.panel.hidden = false;
    this.button.setAttribute('aria-expanded', 'true');
    const status = el('p', { class: 'status', role: 'status', 'data-testid': 'notice-settings-status', hidden: true });
    const back = el('button', { type: 'button', class: 'btn', 'data-testid': 'notice-settings-back', text: t('notices.back') });
    back.addEventListener('click', () => { this.settingsOpen = false; this.render(); this.panel.querySelector('button')?.focus(); });
    this.panel.replaceChildren(el('h2', { class: 'panel-h', text: t('notices.settings') }), status, el('p', {}, back));
    let prefs;
    try {
      prefs = await getJSON('/api/v1/notices/preferences');
    } catch (err) {
      say(status, problemText(err), 'error');
      return;
    }
    if (!this.settingsOpen) return;
    const rows = prefs.preferences.map((p) => {
      const receive = el('input', { type: 'checkbox', 'data-testid': 'pref-receive', 'aria-label': `${t(`notices.pref.${p.kind}`)}: ${t('notices.receive')}`, checked: p.receive });
      const email = el('input', { type: 'checkbox', 'data-testid': 'pref-email', 'aria-label': `${t(`notices.pref.${p.kind}`)}: ${t('notices.email')}`, checked: p.email, disabled: !p.receive });
      receive.addEventListener('change', () => { email.disabled = !receive.checked; });
      const row = el('tr', { 'data-testid': 'pref-row', 'data-kind': p.kind },
        el('th', { scope: 'row', text: t(`notices.pref.${p.kind}`) }), el('td', {}, receive), el('td', {}, email));
      row.read = () => ({ kind: p.kind, receive: receive.checked, email: email.checked });
      return row;
    });
    const mine = prefs.lang || (lang() === 'en' ? 'en' : 'zh');
    const langSel = el('select', { id: 'notice-email-lang', 'data-testid': 'pref-lang' },
      option('zh', t('notices.langZh'), mine === 'zh'), option('en', t('notices.langEn'), mine === 'en'));
    const save = el('button', { type: 'submit', class: 'btn primary', 'data-testid': 'notice-settings-save', text: t('notices.save') });
    const form = el('form', { class: 'notice-settings', 'data-testid': 'notice-settings-form' },
      el('p', { class: 'hint', text: t('notices.settingsHint', { email: prefs.email }) }),
      el('table', { class: 'notice-prefs' },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: t('notices.settingsKind') }), el('th', { scope: 'col', text: t('notices.receive') }),
          el('th', { scope: 'col', text: t('notices.email') }))),
        el('tbody', {}, ...rows)),
      el('p', {}, el('label', { for: 'notice-email-lang', text: t('notices.emailLang') }), ' ', langSel),
      el('p', {}, save, ' ', back));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      save.disabled = true;
      say(status, t('notices.saving'));
      try {
        await send('PUT', '/api/v1/notices/preferences', { json: { lang: langSel.value, preferences: rows.map((r) => r.read()) } });
        say(status, t('notices.saved'), 'ok');
      } catch (err) {
        say(status, problemText(err), 'error');
      } finally {
        save.disabled = false;
      }
    });
    this.panel.replaceChildren(el('h2', { class: 'panel-h', text: t('notices.settings') }), form, status);
    rows[0]?.querySelector('input')?.focus();
  }

  async read(x) {
    if (x.read_at) return;
    try {
      await send('POST', `/api/v1/notices/${x.id}/read`);
      x.read_at = new Date().toISOString();
    } catch { /* shown unread still */ }
    this.render();
  }

  toggle(open = this.panel.hidden) {
    this.panel.hidden = !open;
    if (!open && this.settingsOpen) { this.settingsOpen = false; this.render(); }
    this.button.setAttribute('aria-expanded', String(open));
    if (open) { this.load(); this.panel.querySelector('button')?.focus(); }
  }
}
