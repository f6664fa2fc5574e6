// admin.js: the administrator's part of the console — accounts and their
// roles, the crews tasks are dispatched to, the time limits and the working
// calendar (time-admin.js), the webhooks (webhooks-admin.js), and the audit
// trail.
import { getJSON, send, query } from './api.js';
import { t, dateTime, name, actorName } from './i18n.js';
import { el, field, option, showFieldErrors, clearFieldErrors, problemText, say } from './dom.js';
import { TimeLimitsSection, CalendarSection } from './time-admin.js';
import { WebhooksSection } from './webhooks-admin.js';
import { ACTIONS, actionName, detailsText, subjectText, csvOf } from './audit-text.js';

const ROLES = ['admin', 'engineer', 'inspector'];

export class AdminPanel {
  constructor(root, { me, onCrews }) {
    Object.assign(this, { root, me, onCrews });
    this.users = [];
    this.crews = [];
    this.audit = [];
    this.auditNext = null;
  }

  async load() {
    this.root.replaceChildren(el('p', { class: 'muted', text: t('app.loading') }));
    try {
      const [u, c, meta, areas] = await Promise.all([getJSON('/api/v1/users'), getJSON('/api/v1/crews'), getJSON('/api/v1/meta'), getJSON('/api/v1/areas')]);
      this.users = u.users;
      this.crews = c.crews;
      this.zones = areas.features.filter((f) => f.properties.kind === 'subdistrict').map((f) => f.properties);
      this.statusName = (code) => {
        const st = meta.statuses.find((x) => x.code === code);
        return st ? name(st) : code;
      };
    } catch (err) {
      this.root.replaceChildren(el('p', { class: 'error', role: 'alert', text: problemText(err) }));
      return;
    }
    this.render();
  }

  /** render draws the parts; the limits, the calendar, the webhooks and the audit trail are read again (the change just made is in it). */
  render() {
    this.limits ||= new TimeLimitsSection();
    this.calendar ||= new CalendarSection();
    this.webhooks ||= new WebhooksSection();
    this.root.replaceChildren(this.usersSection(), this.crewsSection(), this.limits.section, this.calendar.section, this.webhooks.section, this.auditSection());
    this.limits.load();
    this.calendar.load();
    this.webhooks.load();
    this.loadAudit(true);
  }

  // ---- users -------------------------------------------------------------

  usersSection() {
    const status = el('p', { class: 'form-status', role: 'status', 'data-testid': 'users-status', hidden: true });
    const table = el('table', { class: 'grid-table', 'data-testid': 'users' },
      el('caption', { class: 'sr-only', text: t('admin.users') }),
      el('thead', {}, el('tr', {}, ['admin.email', 'admin.name', 'admin.role', 'admin.crew', 'admin.subdistrict', 'admin.active', 'admin.password'].map((k) => el('th', { scope: 'col', text: t(k) })))));
    const body = el('tbody');
    for (const u of this.users) {
      const self = u.id === this.me.user.id;
      const role = el('select', { 'data-testid': `user-role-${u.id}`, 'aria-label': t('admin.roleOf', { email: u.email }), disabled: self },
        ROLES.map((r) => option(r, t(`role.${r}`), r === u.role)));
      role.addEventListener('change', () => this.patchUser(u, { role: role.value }, status));
      // The unit and the sub-district whose notices the person gets.
      const crew = el('select', { 'data-testid': `user-crew-${u.id}`, 'aria-label': t('admin.crewOf', { email: u.email }) },
        option('', t('admin.none'), !u.crew), ...this.crews.filter((c) => c.active || c.name === u.crew).map((c) => option(c.name, c.name, c.name === u.crew)));
      crew.addEventListener('change', () => this.patchUser(u, { crew: crew.value }, status));
      const zone = el('select', { 'data-testid': `user-subdistrict-${u.id}`, 'aria-label': t('admin.subdistrictOf', { email: u.email }) },
        option('', t('admin.none'), !u.subdistrict), ...(this.zones || []).map((z) => option(z.name, name(z), z.name === u.subdistrict)));
      zone.addEventListener('change', () => this.patchUser(u, { subdistrict: zone.value }, status));
      const active = el('input', { type: 'checkbox', checked: u.active, disabled: self, 'data-testid': `user-active-${u.id}`, 'aria-label': t('admin.activeOf', { email: u.email }) });
      active.addEventListener('change', () => this.patchUser(u, { active: active.checked }, status));
      const reset = el('button', { type: 'button', class: 'btn link', 'data-testid': `user-reset-${u.id}`, text: t('admin.resetPassword') });
      reset.addEventListener('click', () => this.resetForm(u, reset, status));
      body.append(el('tr', { 'data-id': String(u.id) }, el('td', { text: u.email }), el('td', { text: u.name || '' }),
        el('td', {}, role), el('td', {}, crew), el('td', {}, zone), el('td', {}, active), el('td', {}, reset)));
    }
    table.append(body);

    const form = el('form', { class: 'inline-form', 'data-testid': 'user-form', novalidate: true, 'aria-labelledby': 'nu-h' },
      el('h4', { id: 'nu-h', text: t('admin.newUser') }));
    const email = el('input', { name: 'email', type: 'email', autocomplete: 'off', 'data-testid': 'new-user-email' });
    const nm = el('input', { name: 'name', autocomplete: 'off', 'data-testid': 'new-user-name' });
    const role = el('select', { name: 'role', 'data-testid': 'new-user-role' }, ROLES.map((r) => option(r, t(`role.${r}`), r === 'inspector')));
    const pw = el('input', { name: 'password', type: 'password', autocomplete: 'new-password', 'data-testid': 'new-user-password' });
    const fstatus = el('p', { class: 'form-status', role: 'alert', hidden: true });
    form.append(el('div', { class: 'grid2' }, field(t('admin.email'), email, { name: 'email' }), field(t('admin.name'), nm, { name: 'name' }),
      field(t('admin.role'), role, { name: 'role' }), field(t('admin.password'), pw, { name: 'password', hint: t('admin.passwordHint') })),
    fstatus, el('button', { type: 'submit', class: 'btn', 'data-testid': 'new-user-submit', text: t('admin.add') }));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      try {
        const res = await send('POST', '/api/v1/users', { json: { email: email.value.trim(), name: nm.value.trim(), role: role.value, password: pw.value } });
        this.users.push(res.data);
        this.render();
        say(this.root.querySelector('[data-testid="users-status"]'), t('admin.userAdded', { email: res.data.email }), 'ok');
      } catch (err) {
        const left = showFieldErrors(form, err.fieldErrors ? err.fieldErrors() : {});
        say(fstatus, Object.values(left).join('; ') || (Object.keys(err.fieldErrors?.() || {}).length ? t('task.fixFields') : problemText(err)), 'error');
      }
    });
    return el('section', { class: 'admin-sec', 'aria-labelledby': 'users-h' }, el('h3', { id: 'users-h', text: t('admin.users') }), status, table, form);
  }

  async patchUser(u, body, status) {
    try {
      const res = await send('PATCH', `/api/v1/users/${u.id}`, { json: body });
      Object.assign(u, res.data);
      say(status, t('admin.userSaved', { email: u.email }), 'ok');
    } catch (err) {
      say(status, problemText(err), 'error');
      this.render();
    }
  }

  resetForm(u, button, status) {
    const pw = el('input', { type: 'password', autocomplete: 'new-password', 'data-testid': `user-newpw-${u.id}` });
    const ok = el('button', { type: 'submit', class: 'btn', text: t('admin.setPassword') });
    const form = el('form', { class: 'inline-form', novalidate: true }, field(t('admin.newPassword', { email: u.email }), pw, { name: 'password', hint: t('admin.passwordHint') }), ok);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        await send('PATCH', `/api/v1/users/${u.id}`, { json: { password: pw.value } });
        say(status, t('admin.passwordSet', { email: u.email }), 'ok');
        form.replaceWith(button);
        button.focus();
      } catch (err) {
        const left = showFieldErrors(form, err.fieldErrors ? err.fieldErrors() : {});
        if (Object.keys(left).length || !err.fieldErrors) say(status, problemText(err), 'error');
      }
    });
    button.replaceWith(form);
    pw.focus();
  }

  // ---- crews -------------------------------------------------------------

  crewsSection() {
    const status = el('p', { class: 'form-status', role: 'status', hidden: true });
    const ul = el('ul', { class: 'crews', 'data-testid': 'crews' });
    for (const c of this.crews) {
      const box = el('input', { type: 'checkbox', checked: c.active, id: `crew-${encodeURIComponent(c.name)}`, 'data-testid': 'crew-active' });
      box.addEventListener('change', async () => {
        try {
          await send('PATCH', `/api/v1/crews/${encodeURIComponent(c.name)}`, { json: { active: box.checked } });
          c.active = box.checked;
          this.onCrews?.(this.crews);
          say(status, t('admin.crewSaved', { name: c.name }), 'ok');
        } catch (err) {
          box.checked = c.active;
          say(status, problemText(err), 'error');
        }
      });
      ul.append(el('li', { 'data-name': c.name }, box, el('label', { for: box.id, text: c.name }),
        c.active ? null : el('span', { class: 'muted', text: ` (${t('admin.inactive')})` })));
    }
    const nameIn = el('input', { name: 'name', autocomplete: 'off', maxlength: '100', 'data-testid': 'new-crew-name' });
    const form = el('form', { class: 'inline-form', 'data-testid': 'crew-form', novalidate: true },
      field(t('admin.newCrew'), nameIn, { name: 'name' }), el('button', { type: 'submit', class: 'btn', 'data-testid': 'new-crew-submit', text: t('admin.add') }));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      try {
        const res = await send('POST', '/api/v1/crews', { json: { name: nameIn.value.trim() } });
        this.crews = this.crews.filter((c) => c.name !== res.data.name).concat(res.data);
        this.onCrews?.(this.crews);
        this.render();
        say(this.root.querySelectorAll('.admin-sec')[1].querySelector('.form-status'), t('admin.crewAdded', { name: res.data.name }), 'ok');
      } catch (err) {
        const left = showFieldErrors(form, err.fieldErrors ? err.fieldErrors() : {});
        if (Object.keys(left).length || !err.fieldErrors || !Object.keys(err.fieldErrors()).length) say(status, problemText(err), 'error');
      }
    });
    return el('section', { class: 'admin-sec', 'aria-labelledby': 'crews-h' }, el('h3', { id: 'crews-h', text: t('admin.crews') }),
      el('p', { class: 'hint', text: t('admin.crewsHint') }), status, ul, form);
  }

  // ---- audit -------------------------------------------------------------

  auditSection() {
    const f = this.auditFilter ||= { actor: '', action: '', from: '', to: '' };
    const form = el('form', { class: 'inline-form grid2', 'data-testid': 'audit-filter', novalidate: true });
    const inputs = {};
    for (const [k, type] of [['actor', 'text'], ['action', 'select'], ['from', 'date'], ['to', 'date']]) {
      inputs[k] = type === 'select'
        ? el('select', { name: k, 'data-testid': `audit-${k}` }, option('', t('admin.audit.allActions'), !f[k]), ACTIONS.map((a) => option(a, actionName(a), f[k] === a)))
        : el('input', { name: k, type, value: f[k], 'data-testid': `audit-${k}`, autocomplete: 'off' });
      form.append(field(t(`admin.audit.${k}`), inputs[k], { name: k }));
    }
    inputs.action.addEventListener('change', () => form.requestSubmit());
    form.append(el('button', { type: 'submit', class: 'btn', text: t('admin.audit.apply') }));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      for (const k of Object.keys(inputs)) f[k] = inputs[k].value.trim();
      this.loadAudit(true);
    });
    this.auditTable = el('tbody');
    const table = el('table', { class: 'grid-table', 'data-testid': 'audit' },
      el('caption', { class: 'sr-only', text: t('admin.audit.heading') }),
      el('thead', {}, el('tr', {}, ['admin.audit.at', 'admin.audit.actor', 'admin.audit.action', 'admin.audit.subject', 'admin.audit.details'].map((k) => el('th', { scope: 'col', text: t(k) })))),
      this.auditTable);
    this.auditMore = el('button', { type: 'button', class: 'btn', 'data-testid': 'audit-more', text: t('admin.audit.more'), hidden: true });
    this.auditMore.addEventListener('click', () => this.loadAudit(false));
    const exportBtn = el('button', { type: 'button', class: 'btn link', 'data-testid': 'audit-export', text: t('admin.audit.export') });
    exportBtn.addEventListener('click', () => this.exportAudit(exportBtn));
    this.auditStatus = el('p', { class: 'form-status', role: 'status', hidden: true });
    return el('section', { class: 'admin-sec', 'aria-labelledby': 'audit-h' }, el('h3', { id: 'audit-h', text: t('admin.audit.heading') }),
      form, exportBtn, this.auditStatus, el('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-labelledby': 'audit-h' }, table), this.auditMore);
  }

  /** exportAudit downloads the filtered trail, newest first, as CSV (up to 5,000 events). */
  async exportAudit(button) {
    const MAX = 5000;
    button.disabled = true;
    say(this.auditStatus, t('admin.audit.exporting'));
    try {
      const events = [];
      let url = query('/api/v1/audit', { ...this.auditFilter, order: 'newest', limit: 1000 });
      while (url && events.length < MAX) {
        const page = await getJSON(url);
        events.push(...page.events);
        const next = (page.links || []).find((l) => l.rel === 'next');
        url = next ? next.href : null;
      }
      const blob = new Blob([csvOf(events.slice(0, MAX), this.statusName)], { type: 'text/csv;charset=utf-8' });
      const a = el('a', { href: URL.createObjectURL(blob), download: `audit-${new Date().toISOString().slice(0, 10)}.csv` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      say(this.auditStatus, t(url ? 'admin.audit.exportCapped' : 'admin.audit.exported', { n: Math.min(events.length, MAX) }), 'ok');
    } catch (err) {
      say(this.auditStatus, problemText(err), 'error');
    } finally {
      button.disabled = false;
    }
  }

  async loadAudit(fresh) {
    const f = this.auditFilter;
    const url = fresh ? query('/api/v1/audit', { ...f, order: 'newest', limit: 50 }) : this.auditNext;
    if (!url) return;
    try {
      const page = await getJSON(url);
      if (fresh) this.auditTable.replaceChildren();
      for (const e of page.events) {
        const lines = detailsText(e, this.statusName);
        this.auditTable.append(el('tr', { 'data-testid': 'audit-row', 'data-action': e.action },
          el('td', { text: dateTime(e.at) }), el('td', { text: actorName(e.actor) }), el('td', { text: actionName(e.action) }),
          el('td', { text: subjectText(e) }),
          el('td', { class: 'audit-details' }, ...lines.map((l) => el('div', { text: l })))));
      }
      const next = (page.links || []).find((l) => l.rel === 'next');
      this.auditNext = next ? next.href : null;
      this.auditMore.hidden = !this.auditNext;
      say(this.auditStatus, page.events.length || !fresh ? '' : t('admin.audit.none'));
    } catch (err) {
      say(this.auditStatus, problemText(err), 'error');
    }
  }
}
