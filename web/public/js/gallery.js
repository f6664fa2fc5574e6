// gallery.js: photos as thumbnails that open the display size, with the
// before/after pair side by side. Shared by the public details panel, the
// console and the field page. The service's copies are metadata-free.
import { t, dateTime } from './i18n.js';
import { el } from './dom.js';

export const STAGES = ['before', 'during', 'after', 'report'];

function caption(p) {
  const bits = [t(`stage.${p.stage}`)];
  if (p.taken_at) bits.push(dateTime(p.taken_at));
  else if (p.created_at) bits.push(dateTime(p.created_at));
  return bits.join(' · ');
}

/** thumb is a button showing a photo's thumbnail that opens its display size. */
export function thumb(p) {
  const b = el('button', { type: 'button', class: 'thumb-btn', 'data-testid': 'photo-thumb', 'data-stage': p.stage, 'data-id': String(p.id),
    'aria-label': t('gallery.open', { what: caption(p) }) },
  el('img', { src: p.urls.thumb, alt: '', loading: 'lazy', width: '160', height: '120' }));
  b.addEventListener('click', () => openLightbox(p, b));
  return b;
}

/**
 * pair shows the latest before and after photos side by side (an empty
 * frame says when one is missing).
 */
export function pair(photos) {
  const latest = (stage) => photos.filter((p) => p.stage === stage).at(-1);
  const fig = (stage) => {
    const p = latest(stage);
    return el('figure', { class: 'photo', 'data-stage': stage },
      p ? thumb(p) : el('div', { class: 'photo-empty', text: t('details.noPhotos') }),
      el('figcaption', { text: t(`details.${stage}`) }));
  };
  return el('div', { class: 'pair', 'data-testid': 'photo-pair' }, fig('before'), fig('after'));
}

/** strip lists every photo as a thumbnail, in the order taken. */
export function strip(photos) {
  const ul = el('ul', { class: 'strip', 'data-testid': 'photo-strip' });
  for (const p of photos) ul.append(el('li', {}, thumb(p), el('span', { class: 'cap', text: caption(p) })));
  return ul;
}

let dialog;
/** openLightbox shows the display size in a modal dialog; Escape or the button closes it and focus returns. */
export function openLightbox(p, from) {
  if (!dialog) {
    dialog = el('dialog', { class: 'lightbox', 'data-testid': 'lightbox', 'aria-labelledby': 'lightbox-cap' });
    document.body.append(dialog);
  }
  const close = el('button', { type: 'button', class: 'icon-btn', 'data-testid': 'lightbox-close', 'aria-label': t('gallery.close'), title: t('gallery.close'), text: '×' });
  close.addEventListener('click', () => dialog.close());
  dialog.replaceChildren(
    el('figure', {},
      el('img', { src: p.urls.display, alt: caption(p), 'data-testid': 'lightbox-img' }),
      el('figcaption', { id: 'lightbox-cap', text: caption(p) })),
    close);
  dialog.onclose = () => { if (from && from.isConnected) from.focus(); };
  dialog.showModal();
  close.focus();
}
