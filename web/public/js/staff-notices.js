// staff-notices.js: the console's notices (GET /api/v1/notices): a button in
// the top bar with the number unread, opening the list — what came back to
// this person (a case handed back, failing verification, a resident's "not
// fixed", a paused webhook) in their language, each opening its case and
// marked read.
import { getJSON, send } from './api.js';
import { t, num, dateTime } from './i18n.js';
import { el } from './dom.js';
import { stepName } from './clock.js';

export class StaffNotices {
  /** button: the top bar's button; onTask(id): open a case. */
  constructor(button, { onTask }) {
    this.button = button;
    this.onTask = onTask;
    this.notices = [];
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
    this.panel.replaceChildren(el('h2', { class: 'panel-h', text: t('notices.heading') }), el('ul', { class: 'queue' }, ...items));
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
    this.button.setAttribute('aria-expanded', String(open));
    if (open) { this.load(); this.panel.querySelector('button')?.focus(); }
  }
}
