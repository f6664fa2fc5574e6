// outbox.js: the field page's offline queue. Every write an inspector makes
// — a photo (the exact resized bytes and its fields), a transition (with the
// version they saw), a new defect — is stored in IndexedDB first, with an
// Idempotency-Key made once for it, and sent from there: at once when the
// connection allows, again when it returns (the online event) or after a
// growing pause. A retry carries the same key, so the service keeps one
// photo however often the answer was lost. Items leave the queue only when
// the service has them; a refusal (a 412 above all) stays, shown, until the
// inspector decides.
import { openDB } from '/vendor/idb/index.js';
import { upload, send, newKey, ApiError } from './api.js';

const DB = 'inframap-field';
const STORE = 'outbox';
const MAX_PAUSE = 60_000;

let dbp;
function db() {
  dbp ||= openDB(DB, 1, {
    upgrade(d) { d.createObjectStore(STORE, { keyPath: 'id', autoIncrement: true }); },
  });
  return dbp;
}

export class Outbox extends EventTarget {
  constructor({ me }) {
    super();
    this.me = me;            // who is signed in: a 412 on our own landed change is recognised
    this.progress = new Map(); // id → fraction sent
    this.landed = new Map();   // id of a report sent → its task, for photos queued while it was sent
    this.running = null;
    this.pause = 2000;
    this.timer = null;
    addEventListener('online', () => { this.pause = 2000; this.sync(); });
  }

  changed() { this.dispatchEvent(new Event('change')); }

  async all() { return (await db()).getAll(STORE); }

  /** add stores an item (its key made now, once) and starts sending. */
  async add(item, { sync = true } = {}) {
    const rec = { ...item, key: newKey(), state: 'pending', attempts: 0, error: null, createdAt: new Date().toISOString() };
    rec.id = await (await db()).add(STORE, rec);
    this.changed();
    if (sync) this.sync();
    return rec;
  }

  async put(rec) { await (await db()).put(STORE, rec); this.changed(); }

  async remove(id) { await (await db()).delete(STORE, id); this.progress.delete(id); this.changed(); }

  /** retry sends a failed or conflicting item again (for a transition, on the version given). */
  async retry(id, { version } = {}) {
    const rec = await (await db()).get(STORE, id);
    if (!rec) return;
    rec.state = 'pending';
    rec.error = null;
    if (version) rec.version = version;
    await this.put(rec);
    this.pause = 2000;
    this.sync();
  }

  /** sync sends what is pending, oldest first; one run at a time. */
  sync() {
    if (this.running) { this.again = true; return this.running; }
    clearTimeout(this.timer);
    this.running = this.run().finally(() => {
      this.running = null;
      if (this.again) { this.again = false; this.sync(); }
    });
    return this.running;
  }

  async run() {
    const items = (await this.all()).sort((a, b) => a.id - b.id);
    for (const rec of items) {
      if (rec.state !== 'pending') continue;
      if (rec.after && items.some((x) => x.id === rec.after)) continue; // waits for the task it belongs to
      if (rec.after && this.landed.has(rec.after)) {
        // Queued while its task was being sent: the task's answer came first.
        const landed = this.landed.get(rec.after);
        if (landed.cases) {
          // A photo of a failed checklist item goes to the case it opened.
          const c = landed.cases[rec.item];
          if (!c) { await this.remove(rec.id); continue; }
          Object.assign(rec, { taskId: c.id, taskRef: c.ref });
        } else Object.assign(rec, landed);
        delete rec.after;
        await this.put(rec);
      }
      let outcome;
      try {
        outcome = await this.sendOne(rec);
      } catch (err) {
        if (err instanceof ApiError && err.offline) {
          // No answer: keep everything, try again later (a lost answer is
          // harmless: the same key comes with the retry).
          this.schedule();
          return;
        }
        if (err instanceof ApiError && (err.status === 429 || err.status === 503 || err.status >= 500)) {
          this.schedule(err.retryAfter ? err.retryAfter * 1000 : null);
          return;
        }
        outcome = await this.refused(rec, err);
      }
      if (outcome === 'done') {
        await this.remove(rec.id);
        if (rec.kind === 'task' || rec.kind === 'inspection') this.again = true; // its photos can go now
      }
    }
    this.pause = 2000;
  }

  schedule(ms) {
    clearTimeout(this.timer);
    const wait = ms || this.pause;
    this.pause = Math.min(this.pause * 2, MAX_PAUSE);
    this.nextAt = Date.now() + wait;
    this.changed();
    this.timer = setTimeout(() => this.sync(), wait);
  }

  async sendOne(rec) {
    rec.attempts++;
    rec.state = 'pending';
    await this.put(rec);
    const headers = { 'Idempotency-Key': rec.key };
    if (rec.kind === 'photo') {
      const fd = new FormData();
      for (const [k, v] of Object.entries(rec.fields)) if (v !== null && v !== undefined && v !== '') fd.append(k, String(v));
      fd.append('photo', rec.blob, 'photo.jpg');
      this.progress.set(rec.id, 0);
      this.changed();
      const res = await upload(`/api/v1/tasks/${rec.taskId}/photos`, fd, {
        headers,
        onProgress: (f) => { this.progress.set(rec.id, f); this.dispatchEvent(new CustomEvent('progress', { detail: { id: rec.id, f } })); },
      });
      this.dispatchEvent(new CustomEvent('sent', { detail: { rec, data: res.data } }));
      return 'done';
    }
    if (rec.kind === 'transition') {
      const body = { to: rec.to, note: rec.note || '' };
      const res = await send('POST', `/api/v1/tasks/${rec.taskId}/transitions`, { json: body, headers: { ...headers, 'If-Match': `"${rec.version}"` } });
      this.dispatchEvent(new CustomEvent('sent', { detail: { rec, data: res.data } }));
      return 'done';
    }
    if (rec.kind === 'inspection') {
      // A checklist, recorded once however often it is sent; its photos
      // follow to the case each failed item opened.
      const res = await send('POST', `/api/v1/inspections/${rec.inspectionId}/result`, { json: rec.body, headers });
      const cases = res.data.cases || {};
      this.landed.set(rec.id, { cases });
      for (const other of await this.all()) {
        if (other.after !== rec.id) continue;
        const c = cases[other.item];
        if (!c) { await (await db()).delete(STORE, other.id); continue; }
        other.taskId = c.id;
        other.taskRef = c.ref;
        delete other.after;
        await (await db()).put(STORE, other);
      }
      this.dispatchEvent(new CustomEvent('sent', { detail: { rec, data: res.data } }));
      return 'done';
    }
    if (rec.kind === 'task') {
      const res = await send('POST', '/api/v1/tasks', { json: rec.body, headers });
      this.landed.set(rec.id, { taskId: res.data.id, taskRef: res.data.ref });
      // Photos taken with the report wait for its id.
      for (const other of await this.all()) {
        if (other.after === rec.id) {
          other.taskId = res.data.id;
          other.taskRef = res.data.ref;
          delete other.after;
          await (await db()).put(STORE, other);
        }
      }
      this.dispatchEvent(new CustomEvent('sent', { detail: { rec, data: res.data } }));
      return 'done';
    }
    return 'done';
  }

  /** refused decides what a refusal means: our own change already landed, a conflict, or a failure to show. */
  async refused(rec, err) {
    if (rec.kind === 'transition' && err.status === 412) {
      // The answer to an earlier try may have been lost: if the task's last
      // step is ours, the transition is in.
      try {
        const now = (await send('GET', `/api/v1/tasks/${rec.taskId}`)).data;
        const last = now.history.at(-1);
        if (last && last.to === rec.to && now.status === rec.to && last.actor === this.me.user.email && (last.note || '') === (rec.note || '')) return 'done';
        rec.current = { version: now.version, status: now.status, status_name: now.status_name, last: last ? { actor: last.actor, at: last.at, to: last.to, note: last.note } : null };
      } catch { /* shown without the details */ }
      rec.state = 'conflict';
    } else {
      rec.state = 'failed';
    }
    rec.error = { status: err.status, detail: err.message, code: err.problem?.code || null, fields: err.problem?.errors || null };
    await this.put(rec);
    this.dispatchEvent(new CustomEvent('refused', { detail: { rec } }));
    return 'kept';
  }
}
