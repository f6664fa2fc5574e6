// list.js: the same features as the map, as a list for people who do not
// use the map (screen readers, keyboard only). One tab stop; the arrow keys,
// Home, End, PageUp and PageDown move through the items, Enter opens one.
import { t, name, num } from './i18n.js';
import { statusColor, PROGRAMME_KINDS } from './symbols.js';
import { el } from './dom.js';

export class ListView {
  constructor(root, { meta, onOpen }) {
    this.root = root;
    this.meta = meta;
    this.onOpen = onOpen;
    this.features = [];
    this.active = 0;
    this.dirty = true;
  }

  /** setFeatures gives the list what the map shows; it renders when visible. */
  setFeatures(features) {
    const order = (f) => PROGRAMME_KINDS.indexOf(f.properties.kind);
    this.features = [...features].sort((a, b) => order(a) - order(b) || (a.properties.code < b.properties.code ? -1 : 1));
    this.dirty = true;
    if (!this.root.closest('[hidden]')) this.render();
  }

  show() {
    if (this.dirty) this.render();
  }

  kindName(code) {
    const k = this.meta.kinds.find((x) => x.code === code);
    return k ? name(k) : code;
  }

  statusName(code) {
    const s = this.meta.statuses.find((x) => x.code === code);
    return s ? name(s) : t('filters.noStatus');
  }

  render() {
    this.dirty = false;
    const n = this.features.length;
    const head = el('p', { class: 'shown', 'data-testid': 'list-count', 'data-count': String(n), text: t('list.count', { n: num(n) }) });
    if (!n) {
      this.root.replaceChildren(head, el('p', { text: t('list.empty') }));
      return;
    }
    this.active = Math.min(this.active, n - 1);
    const ul = el('ul', { class: 'feature-list', 'data-testid': 'feature-list', 'aria-labelledby': 'list-h', 'aria-describedby': 'list-hint' });
    const frag = document.createDocumentFragment();
    this.features.forEach((f, i) => {
      const p = f.properties;
      const dot = el('span', { class: 'dot', 'aria-hidden': 'true' });
      dot.style.background = statusColor(p.status);
      const btn = el('button', {
        type: 'button', class: 'item', tabindex: i === this.active ? '0' : '-1',
        'data-testid': 'list-item', 'data-id': String(f.id), 'data-index': String(i),
      }, dot,
      el('span', { class: 'item-name', text: name(p) }),
      el('span', { class: 'item-meta', text: `${this.kindName(p.kind)} · ${p.code} · ${this.statusName(p.status)}` }));
      frag.append(el('li', {}, btn));
    });
    ul.append(frag);
    ul.addEventListener('keydown', (e) => this.key(e));
    ul.addEventListener('click', (e) => {
      const b = e.target.closest('button.item');
      if (b) this.openAt(Number(b.dataset.index), b);
    });
    ul.addEventListener('focusin', (e) => {
      const b = e.target.closest('button.item');
      if (b) this.move(Number(b.dataset.index), false);
    });
    this.root.replaceChildren(
      el('h2', { id: 'list-h', class: 'panel-h', text: t('list.heading') }),
      head,
      el('p', { id: 'list-hint', class: 'hint', text: t('list.hint') }),
      ul);
    this.ul = ul;
  }

  items() {
    return this.ul ? this.ul.querySelectorAll('button.item') : [];
  }

  move(i, focus = true) {
    const items = this.items();
    if (!items.length) return;
    i = Math.max(0, Math.min(items.length - 1, i));
    if (items[this.active]) items[this.active].tabIndex = -1;
    this.active = i;
    items[i].tabIndex = 0;
    if (focus) items[i].focus();
  }

  key(e) {
    const page = 10;
    const moves = {
      ArrowDown: this.active + 1, ArrowUp: this.active - 1, Home: 0, End: Infinity,
      PageDown: this.active + page, PageUp: this.active - page,
    };
    if (e.key in moves) {
      e.preventDefault();
      this.move(moves[e.key] === Infinity ? this.features.length - 1 : moves[e.key]);
    }
  }

  openAt(i, btn) {
    const f = this.features[i];
    if (f) this.onOpen(f, btn);
  }

  /** focusActive puts the focus on the current item (after the skip link). */
  focusActive() {
    if (this.dirty) this.render();
    const items = this.items();
    if (items.length) items[this.active].focus();
    else this.root.querySelector('h2, p')?.focus();
  }
}
