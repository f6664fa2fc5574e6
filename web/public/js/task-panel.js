// task-panel.js: one task in the engineers' console — its state and
// history, the next steps the service allows this person (with a note, and
// a crew and due date when dispatching), progress edits, and its photos.
// Every write carries If-Match with the version read; a 412 shows what the
// other person changed and a way to reload.
import { getJSON, send, upload, newKey, ApiError } from './api.js';
import { t, has, name, num, dateTime, shortDateTime, actorName } from './i18n.js';
import { el, field, option, showFieldErrors, clearFieldErrors, problemText, say } from './dom.js';
import { conflictBox, mergeRows, eventText } from './conflict.js';
import { pair, strip } from './gallery.js';
import { lightBadge, leftText, limitText, deadlineText, sharePercent, extensionAmount, changesText } from './clock.js';
import { CostsSection } from './costs.js';

const PRIORITIES = ['low', 'normal', 'high', 'urgent'];

export class TaskPanel {
  /** root: the panel element; meta: the vocabulary; crews(): the crews; onChanged(task), onAsset(id), onClose(). */
  constructor(root, { meta, crews, me, onChanged, onAsset, onClose, onShow, focusAfterClose }) {
    Object.assign(this, { root, meta, crews, me, onChanged, onAsset, onClose, onShow, focusAfterClose });
    this.task = null;
    root.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !e.target.closest('dialog')) { e.preventDefault(); this.close(); }
    });
  }

  statusName(code) {
    const s = this.meta.statuses.find((x) => x.code === code);
    return s ? name(s) : code;
  }

  phaseName(code) {
    const p = this.meta.phases.find((x) => x.code === code);
    return p ? name(p) : code;
  }

  /** inspectionText says which round's inspection opened the case, what failed in it and when. */
  inspectionText(x) {
    const distress = (this.meta.road_distresses || []).find((d) => d.code === x.item);
    const item = distress ? name(distress) : has(`insp.item.${x.item}`) ? t(`insp.item.${x.item}`) : x.item;
    const plan = name({ name: x.plan_name, name_en: x.plan_name_en });
    return t('task.inspectionText', { id: x.id, plan, item, at: x.done_at ? dateTime(x.done_at) : '' });
  }

  /** open loads task id and shows it; returnFocus gets focus back on close. */
  async open(id, { returnFocus, keep } = {}) {
    if (returnFocus) this.returnFocus = returnFocus;
    this.root.hidden = false;
    if (!keep) this.root.replaceChildren(el('p', { class: 'muted', text: t('app.loading') }));
    let res;
    try {
      res = await send('GET', `/api/v1/tasks/${id}`);
    } catch (err) {
      this.root.replaceChildren(this.header(null), el('p', { class: 'error', role: 'alert', text: problemText(err) }));
      return;
    }
    this.task = res.data;
    this.etag = res.etag;
    this.photos = [];
    this.photosRead = false;
    this.render();
    this.onShow?.(this.task);
    this.root.querySelector('h2').focus();
    this.loadPhotos();
    if (this.task.asset_id) {
      getJSON(`/api/v1/assets/${this.task.asset_id}`).then((a) => {
        if (this.task && a.id === this.task.asset_id) {
          this.asset = a;
          const s = this.root.querySelector('[data-testid="task-asset"]');
          if (s) s.textContent = `${name(a.properties)} · ${a.properties.code}`;
        }
      }).catch(() => {});
    }
  }

  async loadPhotos() {
    const id = this.task.id;
    try {
      const { photos } = await getJSON(`/api/v1/tasks/${id}/photos`);
      if (!this.task || this.task.id !== id) return;
      this.photos = photos;
      this.photosRead = true;
      this.drawGallery();
    } catch { /* the rest of the task is still useful */ }
  }

  header(task) {
    const close = el('button', { type: 'button', class: 'icon-btn', 'data-testid': 'task-close', 'aria-label': t('task.close'), title: t('task.close'), text: '×' });
    close.addEventListener('click', () => this.close());
    return el('header', { class: 'details-head' },
      el('h2', { tabindex: '-1', id: 'task-title', 'data-testid': 'task-title', text: task ? `${task.title}` : t('app.loading') }), close);
  }

  render() {
    const k = this.task;
    const dl = el('dl', { class: 'attrs', 'data-testid': 'task-attrs' });
    const row = (label, v, id) => { if (v !== null && v !== undefined && v !== '') dl.append(el('div', {}, el('dt', { text: label }), el('dd', { text: String(v), 'data-testid': id || null }))); };
    row(t('task.ref'), k.ref, 'task-ref');
    row(t('details.status'), this.statusName(k.status), 'task-status');
    row(t('task.priority'), t(`priority.${k.priority}`), 'task-priority');
    row(t('details.assignee'), k.assignee, 'task-assignee');
    row(t('details.dueDate'), k.due_date, 'task-due');
    if (k.asset_id) row(t('task.asset'), `#${k.asset_id}`, 'task-asset');
    else if (k.location) row(t('task.location'), k.location.coordinates.map((c) => c.toFixed(6)).reverse().join(', '), 'task-location');
    row(t('task.source'), t(`source.${k.source}`));
    if (k.inspection) row(t('task.inspection'), this.inspectionText(k.inspection), 'task-inspection');
    if (k.quantity) row(t('details.quantity'), `${k.quantity.done ?? '–'} / ${k.quantity.planned ?? '–'} ${k.quantity.unit || ''}`, 'task-qty');
    if (k.phase) row(t('task.phase'), this.phaseName(k.phase), 'task-phase');
    if (k.percent !== undefined && k.percent !== null) row(t('task.percent'), `${k.percent}%`, 'task-percent');
    if (k.reporter) row(t('task.reporter'), [k.reporter.name, k.reporter.contact].filter(Boolean).join(' · '));
    row(t('task.version'), k.version, 'task-version');
    const parts = [this.header(k), el('div', { class: 'conflict-slot' }), dl];
    if (k.description) parts.push(el('p', { class: 'task-desc', text: k.description }));
    if (k.asset_id) {
      const b = el('button', { type: 'button', class: 'btn', 'data-testid': 'task-edit-asset', text: t('task.editAsset') });
      b.addEventListener('click', () => this.onAsset(k.asset_id));
      parts.push(b);
    }
    parts.push(this.clockSection(), this.transitionForm(), this.handBackForm(), this.editForm(), new CostsSection(this).root, this.photoSection(), this.historySection());
    this.root.replaceChildren(...parts);
  }

  transitionForm() {
    const k = this.task;
    const allowed = k.allowed_transitions || [];
    const form = el('form', { class: 'task-form', 'data-testid': 'transition-form', novalidate: true, 'aria-labelledby': 'tr-h' },
      el('h3', { id: 'tr-h', text: t('task.nextStep') }));
    if (!allowed.length) {
      form.append(el('p', { class: 'muted', 'data-testid': 'no-transitions', text: t('task.noSteps') }));
      return form;
    }
    const to = el('select', { name: 'to', 'data-testid': 'transition-to' }, allowed.map((s) => option(s, t(`step.${k.status}.${s}`) !== `step.${k.status}.${s}` ? t(`step.${k.status}.${s}`) : this.statusName(s))));
    const note = el('textarea', { name: 'note', rows: '2', maxlength: '4000', 'data-testid': 'transition-note' });
    const crew = el('select', { name: 'assignee', 'data-testid': 'transition-crew' }, option('', t('task.chooseCrew')),
      this.crews().filter((c) => c.active).map((c) => option(c.name, c.name, c.name === k.assignee)));
    if (!k.assignee && k.asset_id && k.asset?.kind === 'manhole') {
      // A cover's case goes to the cover's owner unit by default (the cover
      // register, docs/inspections.md): chosen here unless someone picks another.
      getJSON(`/api/v1/assets/${k.asset_id}/register`).then((r) => {
        if (!crew.value && r.crew && [...crew.options].some((o) => o.value === r.crew)) crew.value = r.crew;
      }).catch(() => {});
    }
    const due = el('input', { type: 'date', name: 'due_date', 'data-testid': 'transition-due', value: k.due_date || '' });
    const dispatchBox = el('div', { class: 'dispatch' }, field(t('task.crew'), crew, { name: 'assignee' }), field(t('task.due'), due, { name: 'due_date' }));
    const closeHint = el('p', { class: 'hint warn', 'data-testid': 'close-hint', text: t('task.closeNeedsPhoto') });
    const noteHint = el('p', { class: 'hint', 'data-testid': 'note-hint' });
    const status = el('p', { class: 'form-status', role: 'alert', 'data-testid': 'transition-status', hidden: true });
    const submit = el('button', { type: 'submit', class: 'btn primary', 'data-testid': 'transition-submit', text: t('task.apply') });
    const sync = () => {
      dispatchBox.hidden = to.value !== 'dispatched';
      closeHint.hidden = to.value !== 'closed';
      const needsNote = ['rejected', 'cancelled'].includes(to.value) || (k.status === 'done' && to.value === 'in_progress')
        || (k.status === 'dispatched' && to.value === 'filed');
      noteHint.textContent = needsNote ? t('task.noteRequired') : t('task.noteOptional');
    };
    to.addEventListener('change', sync);
    sync();
    form.append(field(t('task.to'), to, { name: 'to' }), dispatchBox, closeHint,
      field(t('task.note'), note, { name: 'note' }), noteHint, status, submit);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      say(status, '');
      const body = { to: to.value, note: note.value.trim() };
      if (to.value === 'dispatched') {
        if (crew.value) body.assignee = crew.value;
        if (due.value) body.due_date = due.value;
      }
      submit.disabled = true;
      try {
        const res = await send('POST', `/api/v1/tasks/${k.id}/transitions`, { json: body, headers: { 'If-Match': this.etag } });
        this.applied(res, t('task.moved', { to: this.statusName(body.to) }));
      } catch (err) {
        this.failed(err, form, status, { transition: body });
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  }

  editForm() {
    const k = this.task;
    if (!this.meta.canEdit) return el('div');
    const form = el('form', { class: 'task-form', 'data-testid': 'edit-form', novalidate: true, 'aria-labelledby': 'ed-h' },
      el('h3', { id: 'ed-h', text: t('task.progress') }));
    const pr = el('select', { name: 'priority', 'data-testid': 'edit-priority' }, PRIORITIES.map((p) => option(p, t(`priority.${p}`), p === k.priority)));
    const crew = el('select', { name: 'assignee', 'data-testid': 'edit-assignee' }, option('', t('task.noCrew')),
      this.crews().filter((c) => c.active || c.name === k.assignee).map((c) => option(c.name, c.name, c.name === k.assignee)));
    const due = el('input', { type: 'date', name: 'due_date', value: k.due_date || '', 'data-testid': 'edit-due' });
    const qty = el('input', { type: 'number', name: 'qty_done', min: '0', step: 'any', inputmode: 'decimal', value: k.quantity?.done ?? '', 'data-testid': 'edit-qty' });
    const phase = el('select', { name: 'phase', 'data-testid': 'edit-phase' }, option('', t('task.noPhase')),
      this.meta.phases.map((p) => option(p.code, name(p), p.code === k.phase)));
    const pct = el('input', { type: 'number', name: 'percent', min: '0', max: '100', step: '1', inputmode: 'numeric', value: k.percent ?? '', 'data-testid': 'edit-percent' });
    const note = el('textarea', { name: 'note', rows: '2', maxlength: '4000', 'data-testid': 'edit-note' });
    const status = el('p', { class: 'form-status', role: 'alert', 'data-testid': 'edit-status', hidden: true });
    const submit = el('button', { type: 'submit', class: 'btn', 'data-testid': 'edit-submit', text: t('task.save') });
    const unit = k.quantity?.unit ? ` (${k.quantity.unit})` : '';
    form.append(el('div', { class: 'grid2' },
      field(t('task.priority'), pr, { name: 'priority' }), field(t('details.assignee'), crew, { name: 'assignee' }),
      field(t('task.due'), due, { name: 'due_date' }), field(t('task.qtyDone') + unit, qty, { name: 'qty_done' }),
      field(t('task.phase'), phase, { name: 'phase' }), field(t('task.percent'), pct, { name: 'percent' })),
    field(t('task.note'), note, { name: 'note' }), status, submit);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      say(status, '');
      // Only what changed is sent: a PATCH names the fields it means to change.
      const body = {};
      if (pr.value !== k.priority) body.priority = pr.value;
      if (crew.value !== (k.assignee || '')) body.assignee = crew.value || null;
      if (due.value !== (k.due_date || '')) body.due_date = due.value || null;
      const q = qty.value === '' ? null : Number(qty.value);
      if (q !== (k.quantity?.done ?? null)) body.qty_done = q;
      if (phase.value !== (k.phase || '')) body.phase = phase.value || null;
      const p = pct.value === '' ? null : Number(pct.value);
      if (p !== (k.percent ?? null)) body.percent = p;
      if (note.value.trim()) body.note = note.value.trim();
      if (!Object.keys(body).length) {
        say(status, t('task.nothingChanged'), 'error');
        return;
      }
      submit.disabled = true;
      try {
        const res = await send('PATCH', `/api/v1/tasks/${k.id}`, { json: body, headers: { 'If-Match': this.etag } });
        this.applied(res, t('task.saved'));
      } catch (err) {
        this.failed(err, form, status, { patch: body });
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  }

  /**
   * photoSection is the task's photos and the form that adds some. The
   * photos are drawn again (drawGallery) when they arrive or change; the
   * form stays, so files chosen meanwhile and an upload under way are kept.
   */
  photoSection() {
    const gallery = el('div', { 'data-testid': 'task-gallery' });
    const sec = el('section', { class: 'photos', 'data-testid': 'task-photos', 'aria-labelledby': 'tp-h' },
      el('h3', { id: 'tp-h', text: t('details.photos') }), gallery);
    this.drawGallery(gallery);
    if (this.meta.canEdit && !['closed', 'rejected', 'cancelled'].includes(this.task.status)) sec.append(this.uploadForm());
    return sec;
  }

  /** drawGallery draws the before/after pair and the strip of the photos read. */
  drawGallery(gallery = this.root.querySelector('[data-testid="task-gallery"]')) {
    if (!gallery) return;
    gallery.dataset.read = String(Boolean(this.photosRead)); // the photos drawn are those read, not the empty start
    gallery.replaceChildren(pair(this.photos || []),
      this.photos?.length ? strip(this.photos) : el('p', { class: 'muted', text: t('task.noPhotos') }));
  }

  /**
   * uploadForm adds photos from the desk: the files as taken (the service
   * reads their EXIF position and time and strips it from what it shows),
   * each with the stage it proves, a progress bar while they go.
   */
  uploadForm() {
    const id = this.task.id;
    const input = el('input', { type: 'file', id: 'tp-file', accept: 'image/jpeg,image/png,image/webp', multiple: true, required: true, 'data-testid': 'desk-photo-input' });
    const stage = el('select', { id: 'tp-stage', 'data-testid': 'desk-photo-stage' },
      ['before', 'during', 'after'].map((s) => option(s, t(`stage.${s}`), s === (this.task.status === 'in_progress' || this.task.status === 'done' ? 'after' : 'before'))));
    const bar = el('progress', { max: '1', value: '0', hidden: true, 'data-testid': 'desk-photo-progress', 'aria-label': t('task.uploading') });
    const status = el('p', { class: 'form-status', role: 'status', 'data-testid': 'desk-photo-status' });
    const submit = el('button', { type: 'submit', class: 'btn', text: t('task.uploadPhotos') });
    const form = el('form', { class: 'inline-form desk-upload', 'data-testid': 'desk-photo-form' },
      el('div', { class: 'field' }, el('label', { for: 'tp-file', text: t('task.photoFiles') }), input),
      el('div', { class: 'field' }, el('label', { for: 'tp-stage', text: t('task.photoStage') }), stage),
      submit, bar, status);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const files = [...input.files];
      if (!files.length) return;
      submit.disabled = true;
      bar.hidden = false;
      let done = 0;
      try {
        for (const f of files) {
          say(status, t('task.uploadingN', { i: done + 1, n: files.length }));
          const fd = new FormData();
          fd.append('stage', stage.value);
          fd.append('photo', f, f.name);
          await upload(`/api/v1/tasks/${id}/photos`, fd, {
            headers: { 'Idempotency-Key': newKey() },
            onProgress: (x) => { bar.value = (done + x) / files.length; },
          });
          done++;
        }
        say(status, t('task.uploaded', { n: files.length }), 'ok');
        status.dataset.done = String(done);
        input.value = '';
        if (this.task?.id === id) {
          const { photos } = await getJSON(`/api/v1/tasks/${id}/photos`);
          if (this.task?.id === id) {
            this.photos = photos;
            this.drawGallery();
          }
        }
      } catch (err) {
        say(status, t('task.uploadFailed', { done, n: files.length, detail: problemText(err) }), 'error');
      } finally {
        submit.disabled = false;
        bar.hidden = true;
      }
    });
    return form;
  }

  historySection() {
    const ol = el('ol', { class: 'events', 'data-testid': 'task-history' });
    const ctx = { statusName: (c) => this.statusName(c), phaseName: (c) => this.phaseName(c), unit: this.task.clock?.limit.unit };
    for (const e of this.task.history) {
      const step = e.to ? (e.from ? `${this.statusName(e.from)} → ${this.statusName(e.to)}` : `→ ${this.statusName(e.to)}`) : '';
      const changes = changesText(e.changes, ctx);
      ol.append(el('li', { 'data-testid': 'history-event' },
        el('time', { datetime: e.at, text: dateTime(e.at) }), el('span', { text: actorName(e.actor) }),
        step || !changes.length ? el('span', { class: 'step', text: step || t('conflict.edited') }) : null,
        changes.length ? el('span', { class: 'changes', 'data-testid': 'history-changes', text: changes.join(' · ') }) : null,
        e.note ? el('span', { class: 'note', text: e.note }) : null));
    }
    return el('section', { class: 'history', 'aria-labelledby': 'th-h' }, el('h3', { id: 'th-h', text: t('details.history') }),
      el('p', { class: 'muted', text: t('details.timesNote') }), ol);
  }

  // ---- the clock ----------------------------------------------------------

  /** clockSection shows the running step's time limit, its requests, and what this person may do about it. */
  clockSection() {
    const c = this.task.clock;
    const sec = el('section', { class: 'clock', 'data-testid': 'task-clock', 'aria-labelledby': 'tc-h' },
      el('h3', { id: 'tc-h', text: t('clock.heading') }));
    if (!c) {
      sec.append(el('p', { class: 'muted', 'data-testid': 'clock-none', text: t('clock.noClock') }));
      return sec;
    }
    sec.dataset.light = c.light;
    const left = c.light === 'paused' && c.paused_since ? t('clock.paused', { since: shortDateTime(c.paused_since) }) : leftText(c);
    sec.append(el('p', { class: 'clock-now' }, lightBadge(c.light, { testid: 'clock-light' }),
      el('span', { class: 'left-text' + (c.light === 'red' ? ' late' : ''), 'data-testid': 'clock-left', text: left })));
    const dl = el('dl', { class: 'attrs' });
    const row = (label, v, id, extra = {}) => dl.append(el('div', {}, el('dt', { text: label }), el('dd', { text: v, 'data-testid': id, ...extra })));
    row(t('clock.heading'), limitText(c), 'clock-limit');
    row(t('clock.deadline'), deadlineText(c.deadline), 'clock-deadline', { 'data-deadline': c.deadline || '' });
    row(t('clock.started'), shortDateTime(c.started_at), 'clock-started');
    sec.append(dl);
    const p = sharePercent(c);
    if (p !== null) {
      sec.append(el('progress', { class: `l-${c.light}`, max: '100', value: String(Math.min(100, p)), 'data-testid': 'clock-share',
        'aria-label': t('clock.shareLabel'), 'aria-valuetext': t('clock.share', { p }) }),
      el('p', { class: 'muted', text: t('clock.share', { p: num(p) }) }));
    }
    sec.append(el('p', { class: 'muted', 'data-testid': 'clock-counts', text: t('clock.counts', { e: num(c.extensions), s: num(c.suspensions) }) }));
    if (c.rework) sec.append(el('p', { class: 'rework', 'data-testid': 'clock-rework', text: t('clock.rework') }));
    if (c.requests?.length) {
      sec.append(el('h4', { text: t('clock.requests') }),
        el('ul', { class: 'requests', 'data-testid': 'clock-requests' }, [...c.requests].reverse().map((r) => this.requestItem(r))));
    }
    if (this.canDecide() && c.light === 'paused') sec.append(this.resumeForm());
    const pending = (kind) => (c.requests || []).some((r) => r.kind === kind && !r.decision);
    if (c.light !== 'none' && c.light !== 'paused' && !pending('extension')) sec.append(this.extensionForm());
    if (c.light !== 'none' && c.light !== 'paused' && !pending('suspension')) sec.append(this.suspensionForm());
    return sec;
  }

  canDecide() {
    return !!this.me && this.me.permissions.includes('edit_task');
  }

  /** requestItem is one extension or suspension request, with its decision or the buttons to decide it. */
  requestItem(r) {
    const c = this.task.clock;
    const state = r.decision || 'pending';
    const what = r.kind === 'extension' ? t('req.extension', { d: extensionAmount(c.limit.unit, r.n) }) : t('req.suspension');
    const li = el('li', { 'data-testid': 'clock-request', 'data-kind': r.kind, 'data-state': state, 'data-id': String(r.id) },
      el('p', {}, el('strong', { text: what }), ' · ', el('span', { 'data-testid': 'request-state', text: t(`req.${state}`) })),
      el('p', { text: r.reason }),
      el('p', { class: 'muted', text: t('req.asked', { who: r.requested_by || '—', at: shortDateTime(r.requested_at) }) }));
    if (r.decision) {
      li.append(el('p', { class: 'muted', text: t('req.decided', { who: r.decided_by || '—', at: shortDateTime(r.decided_at), decision: t(`req.${r.decision}`) }) }));
      if (r.note) li.append(el('p', { text: r.note }));
      if (r.ended_at) li.append(el('p', { class: 'muted', text: t('req.ended', { at: shortDateTime(r.ended_at) }) }));
      return li;
    }
    if (!this.canDecide()) return li;
    const own = r.requested_by === this.me.user.email && !this.me.permissions.includes('admin');
    if (own) {
      li.append(el('p', { class: 'hint', 'data-testid': 'own-request', text: t('clock.ownRequest') }));
      return li;
    }
    const note = el('textarea', { name: 'note', rows: '2', maxlength: '1000', 'data-testid': 'decision-note' });
    const form = el('form', { class: 'decide', novalidate: true }, field(t('clock.decisionNote'), note, { name: 'note' }));
    const status = el('p', { class: 'form-status', role: 'alert', hidden: true });
    const approve = el('button', { type: 'button', class: 'btn primary', 'data-testid': 'request-approve', text: t('clock.approve') });
    const refuse = el('button', { type: 'button', class: 'btn', 'data-testid': 'request-refuse', text: t('clock.refuse') });
    const decide = (action) => this.clockAction({ action, request: r.id, note: note.value.trim() }, form, status,
      t(action === 'approve' ? 'clock.approved' : 'clock.refused'), [approve, refuse]);
    approve.addEventListener('click', () => decide('approve'));
    refuse.addEventListener('click', () => decide('refuse'));
    form.append(status, el('div', { class: 'btn-row' }, approve, refuse));
    li.append(form);
    return li;
  }

  extensionForm() {
    const c = this.task.clock;
    const unit = c.limit.unit === 'due_date' ? 'working_days' : c.limit.unit;
    const n = el('input', { type: 'number', name: 'n', min: unit === 'working_days' ? '1' : '0.5', step: unit === 'working_days' ? '1' : '0.5',
      inputmode: 'decimal', required: true, 'data-testid': 'extension-n' });
    const reason = el('textarea', { name: 'reason', rows: '2', maxlength: '1000', required: true, 'data-testid': 'extension-reason' });
    const status = el('p', { class: 'form-status', role: 'alert', 'data-testid': 'extension-status', hidden: true });
    const submit = el('button', { type: 'submit', class: 'btn', 'data-testid': 'extension-submit', text: t('clock.send') });
    const form = el('form', { class: 'task-form', 'data-testid': 'extension-form', novalidate: true },
      field(t('clock.extensionN', { unit: t(`unit.${unit}`) }), n, { name: 'n' }), field(t('clock.reason'), reason, { name: 'reason' }), status, submit);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const errors = {};
      const v = Number(n.value);
      if (!(n.value !== '' && v > 0) || (unit === 'working_days' && !Number.isInteger(v))) errors.n = t('clockerr.n');
      if (!reason.value.trim()) errors.reason = t('clockerr.reason');
      if (Object.keys(errors).length) { showFieldErrors(form, errors); return; }
      this.clockAction({ action: 'request_extension', n: v, reason: reason.value.trim() }, form, status, t('clock.requested'), [submit]);
    });
    return el('details', { 'data-testid': 'extension-box' }, el('summary', { 'data-testid': 'ask-extension', text: t('clock.askExtension') }), form);
  }

  suspensionForm() {
    const reason = el('textarea', { name: 'reason', rows: '2', maxlength: '1000', required: true, 'data-testid': 'suspension-reason' });
    const status = el('p', { class: 'form-status', role: 'alert', 'data-testid': 'suspension-status', hidden: true });
    const submit = el('button', { type: 'submit', class: 'btn', 'data-testid': 'suspension-submit', text: t('clock.send') });
    const form = el('form', { class: 'task-form', 'data-testid': 'suspension-form', novalidate: true },
      el('p', { class: 'hint', text: t('clock.suspensionHint') }), field(t('clock.reason'), reason, { name: 'reason' }), status, submit);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (!reason.value.trim()) { showFieldErrors(form, { reason: t('clockerr.reason') }); return; }
      this.clockAction({ action: 'request_suspension', reason: reason.value.trim() }, form, status, t('clock.requested'), [submit]);
    });
    return el('details', { 'data-testid': 'suspension-box' }, el('summary', { 'data-testid': 'ask-suspension', text: t('clock.askSuspension') }), form);
  }

  resumeForm() {
    const note = el('textarea', { name: 'note', rows: '2', maxlength: '1000', 'data-testid': 'resume-note' });
    const status = el('p', { class: 'form-status', role: 'alert', 'data-testid': 'resume-status', hidden: true });
    const submit = el('button', { type: 'submit', class: 'btn primary', 'data-testid': 'clock-resume', text: t('clock.resume') });
    const form = el('form', { class: 'task-form', 'data-testid': 'resume-form', novalidate: true },
      field(t('clock.resumeNote'), note, { name: 'note' }), status, submit);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.clockAction({ action: 'resume', note: note.value.trim() }, form, status, t('clock.resumed'), [submit]);
    });
    return form;
  }

  /** clockAction sends one action on the clock (POST …/clock with If-Match) and shows the task it returns. */
  async clockAction(body, form, status, message, buttons) {
    clearFieldErrors(form);
    say(status, '');
    for (const b of buttons) b.disabled = true;
    try {
      const res = await send('POST', `/api/v1/tasks/${this.task.id}/clock`, { json: body, headers: { 'If-Match': this.etag } });
      this.applied(res, message);
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) { await this.conflict(err); return; }
      const fe = err instanceof ApiError ? err.fieldErrors() : {};
      const known = { n: 'clockerr.n', reason: 'clockerr.reason', note: 'clockerr.note', request: 'clockerr.request' };
      const mine = {};
      for (const f of Object.keys(fe)) if (known[f]) mine[f] = t(known[f]);
      const left = Object.keys(mine).length ? showFieldErrors(form, mine) : {};
      const placed = Object.keys(mine).length && !Object.keys(left).length;
      say(status, placed ? t('task.fixFields') : Object.values(left)[0] || clockProblem(err), 'error');
    } finally {
      for (const b of buttons) if (b.isConnected) b.disabled = false;
    }
  }

  /** handBackForm: 回退 of a dispatched task, back to filed with the unit's reason. */
  handBackForm() {
    const k = this.task;
    if (k.status !== 'dispatched' || !(k.allowed_transitions || []).includes('filed')) return el('div');
    const reason = el('textarea', { name: 'note', rows: '2', maxlength: '4000', required: true, 'data-testid': 'handback-reason' });
    const status = el('p', { class: 'form-status', role: 'alert', 'data-testid': 'handback-status', hidden: true });
    const submit = el('button', { type: 'submit', class: 'btn', 'data-testid': 'handback-submit', text: t('handback.button') });
    const form = el('form', { class: 'handback', 'data-testid': 'handback-form', novalidate: true, 'aria-labelledby': 'hb-h' },
      el('h3', { id: 'hb-h', text: t('handback.heading') }), el('p', { class: 'hint', text: t('handback.hint') }),
      field(t('handback.reason'), reason, { name: 'note' }), status, submit);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      say(status, '');
      if (!reason.value.trim()) { showFieldErrors(form, { note: t('handback.needReason') }); return; }
      submit.disabled = true;
      try {
        const res = await send('POST', `/api/v1/tasks/${k.id}/transitions`, { json: { to: 'filed', note: reason.value.trim() }, headers: { 'If-Match': this.etag } });
        this.applied(res, t('handback.done'));
      } catch (err) {
        if (err instanceof ApiError && err.status === 422 && err.fieldErrors().note !== undefined) {
          showFieldErrors(form, { note: t('handback.needReason') });
          return;
        }
        this.failed(err, form, status);
      } finally {
        if (submit.isConnected) submit.disabled = false;
      }
    });
    return form;
  }

  /** applied shows the task as the service returned it after a write. */
  applied(res, message) {
    this.task = res.data;
    this.etag = res.etag;
    this.render();
    const s = el('p', { class: 'form-status ok', role: 'status', 'data-testid': 'task-saved', text: message });
    this.root.querySelector('.conflict-slot').replaceWith(s);
    this.loadPhotos();
    this.onChanged(this.task);
    this.root.querySelector('h2').focus();
  }

  async failed(err, form, status, mine = {}) {
    if (err instanceof ApiError && err.status === 412) {
      await this.conflict(err, mine);
      return;
    }
    if (err instanceof ApiError && err.status === 422 && (err.problem?.errors || []).some((e) => e.field === 'photos')) {
      say(status, t('task.needAfterPhoto'), 'error');
      status.dataset.code = 'needs-after-photo';
      return;
    }
    if (err instanceof ApiError && err.status === 409 && err.problem?.allowed) {
      say(status, t('task.notAllowedNow', { allowed: err.problem.allowed.map((s) => this.statusName(s)).join(', ') || '—' }), 'error');
      return;
    }
    const fe = err instanceof ApiError ? err.fieldErrors() : {};
    const left = Object.keys(fe).length ? showFieldErrors(form, fe) : {};
    const rest = Object.values(left);
    say(status, Object.keys(fe).length && !rest.length ? t('task.fixFields') : (rest.join('; ') || problemText(err)), 'error');
  }

  /**
   * conflict fetches the task as it is now and shows what the other person
   * changed beside what this page had; mine is what this page meant to
   * write: a PATCH body (laid on top of their change, asked field by field
   * where both touched the same one) or a transition (sent again on the
   * latest version when it is still allowed).
   */
  async conflict(err, { patch, transition } = {}) {
    const base = this.task;
    let now = null;
    let nowEtag = null;
    try {
      const res = await send('GET', `/api/v1/tasks/${base.id}`);
      now = res.data;
      nowEtag = res.etag;
    } catch (e) {
      now = null;
    }
    const fmtStatus = (v) => (v ? this.statusName(v) : '—');
    const fields = [
      { key: 'status', label: t('details.status'), fmt: fmtStatus },
      { key: 'priority', label: t('task.priority'), fmt: (v) => (v ? t(`priority.${v}`) : '—'), patch: 'priority' },
      { key: 'assignee', label: t('details.assignee'), patch: 'assignee' },
      { key: 'due_date', label: t('details.dueDate'), patch: 'due_date' },
      { key: 'quantity.done', label: t('task.qtyDone'), fmt: (v) => (v === null || v === undefined ? '—' : num(v)), patch: 'qty_done' },
      { key: 'phase', label: t('task.phase'), fmt: (v) => (v ? this.phaseName(v) : '—'), patch: 'phase' },
      { key: 'percent', label: t('task.percent'), fmt: (v) => (v === null || v === undefined ? '—' : `${num(v)} %`), patch: 'percent' },
      { key: 'title', label: t('task.titleField') },
      { key: 'description', label: t('task.description') },
    ];
    const mine = {};
    for (const f of fields) if (patch && f.patch && Object.hasOwn(patch, f.patch)) mine[f.key] = patch[f.patch];
    const rows = now ? mergeRows(base, now, mine, fields) : [];
    const seen = new Set(base.history.map((e) => e.id));
    const events = now ? now.history.filter((e) => !seen.has(e.id)).map((e) => eventText(e, (s) => this.statusName(s))) : [];
    const onMerge = now && patch ? async (values) => {
      // Mine on top of theirs: only what still differs from the stored task, and my note.
      const body = {};
      for (const f of fields) {
        if (f.patch && Object.hasOwn(values, f.key) && JSON.stringify(values[f.key] ?? null) !== JSON.stringify(pickPath(now, f.key) ?? null)) {
          body[f.patch] = values[f.key];
        }
      }
      if (patch.note) body.note = patch.note;
      this.task = now;
      this.etag = nowEtag;
      if (!Object.keys(body).length) { this.applied({ data: now, etag: nowEtag }, t('conflict.keptTheirs')); return; }
      try {
        const res = await send('PATCH', `/api/v1/tasks/${now.id}`, { json: body, headers: { 'If-Match': nowEtag } });
        this.applied(res, t('conflict.merged'));
      } catch (e) {
        if (e instanceof ApiError && e.status === 412) { await this.conflict(e, { patch: body }); return; }
        throw e;
      }
    } : null;
    const again = now && transition && (now.allowed_transitions || []).includes(transition.to) ? {
      label: t('conflict.retryStep', { to: this.statusName(transition.to) }),
      run: async () => {
        this.task = now;
        this.etag = nowEtag;
        try {
          const res = await send('POST', `/api/v1/tasks/${now.id}/transitions`, { json: transition, headers: { 'If-Match': nowEtag } });
          this.applied(res, t('task.moved', { to: this.statusName(transition.to) }));
        } catch (e) {
          if (e instanceof ApiError && e.status === 412) { await this.conflict(e, { transition }); return; }
          throw e;
        }
      },
    } : null;
    const box = conflictBox({
      what: t('conflict.task', { ref: base.ref }), fromVersion: base.version, toVersion: now ? now.version : err.problem?.current_version,
      rows, events, onMerge, retry: again,
      onReload: () => this.open(base.id, { keep: true }),
    });
    const slot = this.root.querySelector('.conflict-slot, [data-testid="conflict"], [data-testid="task-saved"]');
    if (slot) slot.replaceWith(box); else this.root.prepend(box);
    box.focusFirst();
  }

  close() {
    if (this.root.hidden) return;
    const id = this.task?.id;
    this.root.hidden = true;
    this.task = null;
    this.onClose?.();
    // The element it was opened from may have been redrawn (the queue refreshes after a change).
    let back = this.returnFocus;
    this.returnFocus = null;
    if (!back || !document.contains(back)) back = this.focusAfterClose?.(id);
    back?.focus();
  }
}

/**
 * clockProblem says why a clock action was refused, in the page's language:
 * the service explains in English, so its stable reason (problem.reason) and
 * status are mapped to the message table instead of showing its words.
 */
export function clockProblem(err) {
  if (!(err instanceof ApiError) || err.status === 0 || err.status === 401 || err.status === 429) return problemText(err);
  const reason = err.problem?.reason || '';
  const id = err.requestId ? ` (${t('app.requestId', { id: err.requestId })})` : '';
  if (reason && has(`err.${reason}`)) return t(`err.${reason}`);
  if (err.status === 403) return t('clockerr.forbidden');
  if (err.status === 404) return t('clockerr.request');
  return t('clockerr.other', { status: err.status }) + id;
}

function pickPath(o, path) {
  return path.split('.').reduce((x, k) => (x === null || x === undefined ? undefined : x[k]), o);
}
