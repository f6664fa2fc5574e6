// notice.js: polite messages in one live region. Each message is said at
// most once per page, however many times its cause recurs (a basemap that
// fails sends an error per tile; the person needs to hear it once).
import { t } from './i18n.js';

export class Notices {
  constructor(el) {
    this.el = el;
    this.said = new Set();
  }

  /** say shows the message of key once; later calls with the same key do nothing. */
  say(key) {
    if (this.said.has(key)) return;
    this.said.add(key);
    const item = document.createElement('div');
    item.className = 'notice';
    item.setAttribute('data-testid', 'notice');
    item.dataset.key = key;
    const text = document.createElement('p');
    text.dataset.i18n = key;
    text.textContent = t(key);
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'notice-close';
    close.dataset.i18n = 'basemap.dismiss';
    close.textContent = t('basemap.dismiss');
    close.addEventListener('click', () => item.remove());
    item.append(text, close);
    this.el.append(item);
  }
}
