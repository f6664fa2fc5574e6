// sw.js: the field page's service worker (registered by /field with scope
// /field, so it controls that page only). It keeps the page's shell for when
// there is no signal, and the last answers the page read (tasks, assets, the
// vocabulary, who is signed in) to fall back on. Writes are never handled
// here: the page's outbox (IndexedDB) owns them, with their idempotency keys.
// Served with Cache-Control: no-cache, so a new version is seen at once.
// Push messages are shown as the public map's worker shows them.
importScripts('/push-sw.js');

const VERSION = 'field-v5';
const SHELL = `inframap-shell-${VERSION}`;
const API = 'inframap-api';
const FILES = [
  '/field', '/favicon.svg', '/css/app.css', '/css/staff.css',
  '/js/app-field.js', '/js/api.js', '/js/i18n.js', '/js/messages.js', '/js/dom.js', '/js/session.js', '/js/geo.js',
  '/js/photo.js', '/js/outbox.js', '/js/gallery.js', '/js/conflict.js', '/js/symbols.js', '/js/clock.js',
  '/js/field-map.js', '/js/field-round.js', '/js/labels.js', '/js/projection.js', '/js/gcj02.js', '/js/subscribe.js', '/push-sw.js',
  '/vendor/idb/index.js', '/vendor/exifr/lite.esm.js', '/vendor/leaflet/leaflet.js', '/vendor/leaflet/leaflet.css',
];

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    // One missing file must not leave the page without the rest.
    await Promise.all(FILES.map((f) => cache.add(new Request(f, { cache: 'reload' })).catch(() => {})));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const k of await caches.keys()) if (k.startsWith('inframap-shell-') && k !== SHELL) await caches.delete(k);
    await self.clients.claim();
  })());
});

/** networkFirst answers from the network and keeps a copy; without network, the copy. */
async function networkFirst(req, cacheName, key = req) {
  const cache = await caches.open(cacheName);
  try {
    const res = await fetch(req);
    if (res.ok) await cache.put(key, res.clone());
    return res;
  } catch (err) {
    const hit = await cache.match(key, { ignoreVary: true });
    if (hit) return hit;
    throw err;
  }
}

/** fresh answers from the cache at once and refreshes it behind (the shell's scripts and styles). */
async function fresh(event, req) {
  const cache = await caches.open(SHELL);
  const hit = await cache.match(req, { ignoreVary: true });
  const update = fetch(req).then((res) => {
    if (res.ok) return cache.put(req, res.clone()).then(() => res);
    return res;
  });
  if (hit) {
    event.waitUntil(update.catch(() => {}));
    return hit;
  }
  return update;
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== location.origin) return;
  const p = url.pathname;
  if (req.mode === 'navigate') {
    event.respondWith(networkFirst(req, SHELL, '/field'));
  } else if (/^\/api\/v1\/photos\/\d+\/(thumb|display)$/.test(p)) {
    event.respondWith(caches.open(API).then(async (c) => (await c.match(req)) || fetch(req).then((res) => {
      if (res.ok) c.put(req, res.clone());
      return res;
    })));
  } else if (/^\/api\/v1\/(tasks|assets|meta|auth\/me|inspections\/round)/.test(p)) {
    event.respondWith(networkFirst(req, API));
  } else if (/^\/(js|css|vendor)\/|^\/favicon\.svg$/.test(p)) {
    event.respondWith(fresh(event, req));
  }
});
