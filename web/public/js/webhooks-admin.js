// webhooks-admin.js: the administrator's part of the webhooks
// (docs/notifications.md) — the registered endpoints with the events they
// get, whether they are paused and how their last delivery went; a form to
// register one; its secret shown once (after registering and after a
// rotation); resume, delete, and each endpoint's log of attempts with a
// button to send a delivery again.
import { getJSON, send, query } from './api.js';
import { t, has, num, dateTime } from './i18n.js';
import { el, field, showFieldErrors, clearFieldErrors, problemText, say } from './dom.js';

/** eventName is an event kind for people ("*": every event; a kind the tables do not know: "another event"). */
export function eventName(code) {
  const key = `webhooks.event.${code === '*' ? 'all' : code}`;
  return has(key) ? t(key) : t('webhooks.event.other');
}

/** How often an open log is read again (ms). */
const REFRESH = 4000;

/** attemptResult says how an attempt went: "HTTP 500", "no answer". */
const statusText = (a) => (a.status ? t('webhooks.http', { status: a.status }) : t('webhooks.noAnswer'));
const succeeded = (a) => a.status >= 200 && a.status < 300;

/** WebhooksSection draws the endpoints, the form and the logs into its section. */
export class WebhooksSection {
  constructor() {
    this.hooks = [];
    this.events = [];
    this.last = new Map(); // endpoint id → its newest attempt
    this.secret = null; // {id, url, value}: shown until dismissed, never again
    this.open = new Set(); // endpoints whose log is open
    this.section = el('section', { class: 'admin-sec', 'aria-labelledby': 'webhooks-h', 'data-testid': 'webhooks-section' });
    this.status = el('p', { class: 'form-status', role: 'status', 'data-testid': 'webhooks-status', hidden: true });
  }

  /** load reads the endpoints and each one's last attempt, then draws. */
  async load() {
    try {
      const data = await getJSON('/api/v1/webhooks');
      this.hooks = data.webhooks;
      this.events = data.events;
      const lasts = await Promise.all(this.hooks.map((h) => getJSON(query(`/api/v1/webhooks/${h.id}/attempts`, { limit: 1 })).then((r) => r.attempts[0], () => undefined)));
      this.last = new Map(this.hooks.map((h, i) => [h.id, lasts[i]]));
    } catch (err) {
      this.draw();
      say(this.status, problemText(err), 'error');
      return this.section;
    }
    this.draw();
    return this.section;
  }

  draw() {
    const keep = this.status.hidden ? null : [this.status.textContent, this.status.dataset.kind];
    this.status = el('p', { class: 'form-status', role: 'status', 'data-testid': 'webhooks-status', hidden: true });
    if (keep) say(this.status, ...keep);
    const list = el('ul', { class: 'webhooks', 'data-testid': 'webhooks' }, this.hooks.map((h) => this.item(h)));
    if (!this.hooks.length) list.append(el('li', { class: 'muted', 'data-testid': 'webhooks-none', text: t('webhooks.none') }));
    this.section.replaceChildren(...[el('h3', { id: 'webhooks-h', tabindex: '-1', text: t('webhooks.heading') }),
      el('p', { class: 'hint', text: t('webhooks.hint') }), this.status, this.secretBox(), list, this.form()].filter(Boolean));
  }

  // ---- the secret, once ------------------------------------------------

  secretBox() {
    const s = this.secret;
    if (!s) return null;
    const code = el('code', { class: 'secret', 'data-testid': 'webhook-secret', text: s.value });
    const done = el('p', { class: 'form-status', role: 'status', hidden: true, 'data-testid': 'webhook-secret-copied' });
    const copy = el('button', { type: 'button', class: 'btn', 'data-testid': 'webhook-secret-copy', text: t('webhooks.copy') });
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(s.value);
        say(done, t('webhooks.copied'), 'ok');
      } catch {
        getSelection().selectAllChildren(code);
        say(done, t('webhooks.copyFailed'), 'error');
      }
    });
    const close = el('button', { type: 'button', class: 'btn link', 'data-testid': 'webhook-secret-done', text: t('webhooks.secretDone') });
    close.addEventListener('click', () => { this.secret = null; this.draw(); });
    return el('div', { class: 'secret-box', role: 'region', 'aria-labelledby': 'webhook-secret-h', 'data-testid': 'webhook-secret-box', 'data-id': String(s.id) },
      el('h4', { id: 'webhook-secret-h', text: t('webhooks.secretFor', { url: s.url }) }),
      el('p', { class: 'hint warn', text: t('webhooks.secretOnce') }),
      el('p', {}, code), el('div', { class: 'actions' }, copy, close), done);
  }

  showSecret(h) {
    this.secret = { id: h.id, url: h.url, value: h.secret };
    this.draw();
    this.section.querySelector('[data-testid="webhook-secret-copy"]')?.focus();
  }

  // ---- an endpoint -----------------------------------------------------

  item(h) {
    const paused = !!h.paused_at;
    const events = h.events.map(eventName).join('、');
    const state = paused ? t('webhooks.paused', { at: dateTime(h.paused_at) })
      : h.failures ? t('webhooks.failing', { n: num(h.failures) }) : t('webhooks.active');
    const facts = el('dl', { class: 'facts' },
      el('dt', { text: t('webhooks.events') }), el('dd', { 'data-testid': 'webhook-events', text: events }),
      el('dt', { text: t('webhooks.state') }), el('dd', { 'data-testid': 'webhook-state', 'data-paused': String(paused), class: paused ? 'warn' : '', text: state }),
      el('dt', { text: t('webhooks.last') }), el('dd', { 'data-testid': 'webhook-last', text: this.lastText(this.last.get(h.id)) }),
      el('dt', { text: t('webhooks.registered') }), el('dd', { text: dateTime(h.created_at) }));
    const actions = el('div', { class: 'actions' });
    if (paused) {
      const resume = el('button', { type: 'button', class: 'btn primary', 'data-testid': 'webhook-resume', text: t('webhooks.resume') });
      resume.addEventListener('click', async () => {
        if (!(await this.act(resume, 'POST', `/api/v1/webhooks/${h.id}/resume`, () => t('webhooks.resumed', { url: h.url })))) return;
        this.section.querySelector(`[data-testid="webhook-item"][data-id="${h.id}"] [data-testid="webhook-rotate"]`)?.focus();
      });
      actions.append(resume);
    }
    const rotate = el('button', { type: 'button', class: 'btn', 'data-testid': 'webhook-rotate', text: t('webhooks.rotate') });
    rotate.addEventListener('click', () => this.confirm(actions, t('webhooks.rotateHint'), t('webhooks.rotateYes'), 'webhook-rotate-yes', async () => {
      const res = await send('POST', `/api/v1/webhooks/${h.id}/rotate`);
      say(this.status, t('webhooks.rotated', { url: h.url }), 'ok');
      await this.load();
      this.showSecret(res.data);
    }));
    const del = el('button', { type: 'button', class: 'btn link', 'data-testid': 'webhook-delete', text: t('webhooks.delete') });
    del.addEventListener('click', () => this.confirm(actions, t('webhooks.deleteConfirm', { url: h.url }), t('webhooks.deleteYes'), 'webhook-delete-yes', async () => {
      await send('DELETE', `/api/v1/webhooks/${h.id}`);
      this.open.delete(h.id);
      if (this.secret?.id === h.id) this.secret = null;
      say(this.status, t('webhooks.deleted', { url: h.url }), 'ok');
      await this.load();
      this.section.querySelector('h3').focus(); // what had focus is gone
    }));
    actions.append(rotate, el('span', { class: 'hint', id: `wh-rotate-${h.id}`, text: t('webhooks.rotateNote') }), del);
    rotate.setAttribute('aria-describedby', `wh-rotate-${h.id}`);
    return el('li', { class: 'webhook', 'data-testid': 'webhook-item', 'data-id': String(h.id), 'data-url': h.url },
      el('h4', { class: 'webhook-url', text: h.url }),
      h.description ? el('p', { class: 'hint', 'data-testid': 'webhook-description', text: h.description }) : null,
      facts, actions, this.log(h));
  }

  lastText(a) {
    if (!a) return t('webhooks.lastNone');
    const at = dateTime(a.at);
    if (succeeded(a)) return t('webhooks.lastOk', { at, status: a.status, ms: num(a.latency_ms) });
    return t('webhooks.lastFailed', { at, result: statusText(a) });
  }

  /** confirm puts a question with its yes and cancel buttons in place of an endpoint's actions. */
  confirm(actions, question, yesText, testid, run) {
    const yes = el('button', { type: 'button', class: 'btn primary', 'data-testid': testid, text: yesText });
    const no = el('button', { type: 'button', class: 'btn link', 'data-testid': 'webhook-cancel', text: t('webhooks.cancel') });
    const box = el('div', { class: 'confirm', role: 'group', 'aria-label': question }, el('p', { text: question }), yes, no);
    const back = () => { box.replaceWith(actions); actions.querySelector('button')?.focus(); };
    no.addEventListener('click', back);
    yes.addEventListener('click', async () => {
      yes.disabled = true;
      try {
        await run();
      } catch (err) {
        back();
        say(this.status, problemText(err), 'error');
      }
    });
    actions.replaceWith(box);
    yes.focus();
  }

  /** act makes a change from a button; true when it was made. */
  async act(button, method, url, done) {
    button.disabled = true;
    try {
      await send(method, url);
      say(this.status, done(), 'ok');
      await this.load();
      return true;
    } catch (err) {
      button.disabled = false;
      say(this.status, problemText(err), 'error');
      return false;
    }
  }

  // ---- the attempt log -------------------------------------------------

  log(h) {
    const body = el('tbody');
    const note = el('p', { class: 'form-status', role: 'status', hidden: true, 'data-testid': 'webhook-log-status' });
    const refresh = el('button', { type: 'button', class: 'btn link', 'data-testid': 'webhook-log-refresh', text: t('webhooks.refresh') });
    const capId = `wh-log-${h.id}`;
    const details = el('details', { class: 'webhook-log', 'data-testid': 'webhook-log', open: this.open.has(h.id) },
      el('summary', { text: t('webhooks.log') }), refresh, note,
      el('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-labelledby': capId },
        el('table', { class: 'grid-table', 'data-testid': 'webhook-attempts' },
          el('caption', { class: 'sr-only', id: capId, text: t('webhooks.logOf', { url: h.url }) }),
          el('thead', {}, el('tr', {}, ['webhooks.at', 'webhooks.event', 'webhooks.status', 'webhooks.latency', 'webhooks.response', 'webhooks.delivery']
            .map((k) => el('th', { scope: 'col', text: t(k) })))),
          body)));
    let seen = '';
    let timer = 0;
    const read = async () => {
      clearTimeout(timer);
      if (!details.isConnected || !details.open) return;
      // Out of sight (another tab, a hidden page): asked again later, not now.
      if (document.hidden || !details.getClientRects().length) {
        timer = setTimeout(read, REFRESH);
        return;
      }
      try {
        const { attempts } = await getJSON(query(`/api/v1/webhooks/${h.id}/attempts`, { limit: 50 }));
        const key = attempts.map((a) => `${a.id}:${a.delivery_status}`).join(',');
        if (key !== seen) {
          seen = key;
          this.drawAttempts(h, attempts, body, note);
          if (attempts[0]) {
            this.last.set(h.id, attempts[0]);
            const last = details.closest('li')?.querySelector('[data-testid="webhook-last"]');
            if (last) last.textContent = this.lastText(attempts[0]);
          }
        }
        if (note.dataset.kind === 'error') say(note, '');
      } catch (err) {
        say(note, problemText(err), 'error');
      }
      if (details.isConnected && details.open) timer = setTimeout(read, REFRESH);
    };
    details.addEventListener('toggle', () => {
      if (details.open) { this.open.add(h.id); read(); } else { this.open.delete(h.id); clearTimeout(timer); }
    });
    refresh.addEventListener('click', () => { seen = ''; read(); });
    if (details.open) queueMicrotask(read);
    return details;
  }

  drawAttempts(h, attempts, body, note) {
    // One button per delivery, on its newest attempt (the list is newest first).
    const offered = new Set();
    body.replaceChildren(...attempts.map((a) => {
      const ok = succeeded(a);
      let redo = null;
      if (!offered.has(a.delivery_id)) {
        offered.add(a.delivery_id);
        redo = el('button', { type: 'button', class: 'btn link', 'data-testid': 'webhook-redeliver', 'data-delivery': a.delivery_id, text: t('webhooks.redeliver') });
        redo.addEventListener('click', async () => {
          redo.disabled = true;
          try {
            await send('POST', `/api/v1/webhooks/${h.id}/deliveries/${encodeURIComponent(a.delivery_id)}/redeliver`);
            say(note, t('webhooks.redelivered'), 'ok');
          } catch (err) {
            say(note, problemText(err), 'error');
          } finally {
            redo.disabled = false;
          }
        });
      }
      const excerpt = a.status ? (a.excerpt ? el('code', { class: 'excerpt', text: a.excerpt.length > 200 ? `${a.excerpt.slice(0, 200)}…` : a.excerpt }) : '—')
        : el('span', { class: 'muted', title: a.error || null, text: t('webhooks.noAnswerDetail') });
      return el('tr', { 'data-testid': 'webhook-attempt', 'data-delivery': a.delivery_id, 'data-status': String(a.status ?? 0), 'data-ok': String(ok) },
        el('td', { text: dateTime(a.at) }), el('td', { text: eventName(a.kind) }),
        el('td', { class: ok ? 'ok' : 'bad', text: statusText(a) }), el('td', { class: 'num', text: t('webhooks.ms', { n: num(a.latency_ms) }) }),
        el('td', {}, excerpt),
        el('td', {}, el('span', { text: t(`webhooks.delivery.${a.delivery_status}`) }), redo ? ' ' : null, redo));
    }));
    if (!attempts.length) body.append(el('tr', {}, el('td', { colspan: '6', class: 'muted', text: t('webhooks.logNone') })));
  }

  // ---- the form --------------------------------------------------------

  form() {
    const url = el('input', { name: 'url', type: 'url', inputmode: 'url', autocomplete: 'off', placeholder: 'https://', 'data-testid': 'webhook-url' });
    const desc = el('input', { name: 'description', maxlength: '200', autocomplete: 'off', 'data-testid': 'webhook-description-input' });
    const boxes = el('fieldset', { class: 'field', 'data-field': 'events', 'aria-describedby': 'wh-events-hint wh-events-err' },
      el('legend', { text: t('webhooks.events') }),
      el('p', { class: 'hint', id: 'wh-events-hint', text: t('webhooks.eventsHint') }),
      this.events.map((code) => el('label', { class: 'check' },
        el('input', { type: 'checkbox', name: 'events', value: code, 'data-testid': `webhook-event-${code === '*' ? 'all' : code}` }), ` ${eventName(code)}`)),
      el('p', { class: 'field-error', id: 'wh-events-err', 'data-testid': 'error-events', hidden: true }));
    const fstatus = el('p', { class: 'form-status', role: 'alert', hidden: true, 'data-testid': 'webhook-form-status' });
    const form = el('form', { class: 'webhook-form', 'data-testid': 'webhook-form', novalidate: true, 'aria-labelledby': 'wh-new-h' },
      el('h4', { id: 'wh-new-h', text: t('webhooks.new') }),
      field(t('webhooks.url'), url, { name: 'url', hint: t('webhooks.urlHint') }),
      field(t('webhooks.description'), desc, { name: 'description', hint: t('webhooks.descriptionHint') }),
      boxes, fstatus, el('button', { type: 'submit', class: 'btn primary', 'data-testid': 'webhook-create', text: t('webhooks.create') }));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      say(fstatus, '');
      const events = [...form.querySelectorAll('input[name="events"]:checked')].map((x) => x.value);
      try {
        const res = await send('POST', '/api/v1/webhooks', { json: { url: url.value.trim(), description: desc.value.trim(), events } });
        say(this.status, t('webhooks.createdOk', { url: res.data.url }), 'ok');
        await this.load();
        this.showSecret(res.data);
      } catch (err) {
        const named = err.fieldErrors ? err.fieldErrors() : {};
        const left = showFieldErrors(form, named);
        say(fstatus, Object.values(left).join('; ') || (Object.keys(named).length ? t('task.fixFields') : problemText(err)), 'error');
      }
    });
    return form;
  }
}
