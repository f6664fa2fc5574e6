// push-sw.js: shows the service's push messages (docs/notifications.md) and
// opens the case when one is tapped. Registered by the public map with
// scope / when a resident asks for push; /field's own worker (sw.js) takes
// it in with importScripts, so the field page shows them too. It handles
// no fetches: the public map is not cached here.
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('push', (event) => {
  let msg = {};
  try { msg = event.data ? event.data.json() : {}; } catch { msg = { title: event.data ? event.data.text() : '' }; }
  const title = msg.title || '绿园区城市维护 · Lüyuan District maintenance';
  event.waitUntil(self.registration.showNotification(title, {
    body: msg.body || '', tag: msg.tag || msg.id || undefined, icon: '/favicon.svg',
    data: { url: msg.url || '/', id: msg.id || '' },
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = new URL(event.notification.data?.url || '/', self.location.origin);
  if (url.origin !== self.location.origin) return; // only our own pages
  event.waitUntil((async () => {
    for (const c of await self.clients.matchAll({ type: 'window', includeUncontrolled: true })) {
      if (new URL(c.url).pathname === url.pathname && 'focus' in c) {
        await c.navigate(url.href).catch(() => {});
        return c.focus();
      }
    }
    return self.clients.openWindow(url.href);
  })());
});
