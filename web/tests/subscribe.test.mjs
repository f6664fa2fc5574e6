// Subscriptions on the public map, in headless Chromium against `inframap
// serve -demo` sending its mail to an SMTP server of the test: a resident
// subscribes to the area on screen for some problems and confirms from the
// e-mail's link; a new report there reaches them, one of a problem they left
// out does not come first. On a phone in English, a resident follows a case
// from its page, confirms, is told in English when staff file it, and
// unsubscribes from the message's link.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startTiles, startMail, launchBrowser, newPage, waitReady, token, call, getJSON, axeCheck, signIn } from './harness.mjs';

let server, tiles, mail, browser, engineer;
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
const LINK = /\/subscription\/([0-9a-f-]{36})/;

before(async () => {
  mail = await startMail();
  server = await startServer({ env: { INFRAMAP_SMTP_URL: mail.url, INFRAMAP_MAIL_FROM: 'inframap@lvyuan.example' } });
  tiles = await startTiles();
  browser = await launchBrowser();
  engineer = await token(server.url, 'engineer@demo');
});

after(async () => {
  await browser?.close();
  await tiles?.stop();
  await server?.stop();
  await mail?.stop();
});

/** report files a resident's report through the API. */
async function report(service, [lon, lat], description) {
  const fd = new FormData();
  for (const [k, v] of Object.entries({ service_code: service, lon: String(lon), lat: String(lat), description })) fd.append(k, v);
  const r = await fetch(`${server.url}/api/v1/reports`, { method: 'POST', body: fd });
  assert.equal(r.status, 201, await r.clone().text());
  return (await r.json()).ref;
}

test('a resident subscribes to the area on the map by e-mail, confirms, and hears of a new report there', async () => {
  const P = [125.2731, 43.8841];
  const page = await newPage(browser, { bypassCSP: true }); // axe runs in the page
  const q = new URLSearchParams({ tile_origin: tiles.origin, lat: String(P[1]), lon: String(P[0]), z: '16', tab: 'problem' });
  await page.goto(`${server.url}/?${q}`);
  await waitReady(page);
  const sec = page.locator('[data-testid="subscribe-area"]');
  await sec.scrollIntoViewIfNeeded();
  assert.match(await sec.innerText(), /订阅区域动态/);
  // The area on screen (the default), every problem but flooding.
  assert.equal(await sec.locator('[data-testid="subscribe-where"]').inputValue(), '');
  await sec.locator('[data-testid="subscribe-service-flooding"]').uncheck();
  // No address: said in words, nothing sent.
  await sec.locator('[data-testid="subscribe-email-go"]').click();
  await assertText(sec.locator('[data-testid="subscribe-status"]'), /有效的电子邮箱/);
  await sec.locator('[data-testid="subscribe-email"]').fill('zhang.san@example.org');
  const posted = page.waitForResponse((r) => r.url().endsWith('/api/v1/subscriptions') && r.request().method() === 'POST');
  await sec.locator('[data-testid="subscribe-email-go"]').click();
  const res = await posted;
  assert.equal(res.status(), 202);
  const sent = res.request().postDataJSON();
  assert.equal(sent.area.type, 'Polygon');
  assert.ok(!sent.services.includes('flooding') && sent.services.includes('pothole'), JSON.stringify(sent.services));
  await assertText(sec.locator('[data-testid="subscribe-status"]'), /确认邮件已发到 .*@example\.org/);
  assert.doesNotMatch(await sec.locator('[data-testid="subscribe-status"]').innerText(), /zhang\.san/);
  await axeCheck(page, 'the area subscription form', assert);

  // The confirmation's link opens the subscription's page: nothing changes
  // until the button.
  const confirm = await mail.waitFor((m) => m.to.includes('zhang.san@example.org'), 'confirming zhang');
  assert.match(confirm.subject, /请确认订阅/);
  const link = confirm.text.match(LINK);
  assert.ok(link, confirm.text);
  const sub = await newPage(browser, { bypassCSP: true });
  await sub.goto(`${server.url}${link[0]}`);
  await sub.waitForFunction(() => document.body.dataset.ready === 'true');
  assert.match(await sub.locator('[data-testid="sub-state"]').innerText(), /等待确认/);
  assert.match(await sub.locator('[data-testid="sub-what"]').innerText(), /地图上一片区域/);
  await axeCheck(sub, 'the subscription page', assert);
  await sub.click('[data-testid="sub-confirm"]');
  await assertText(sub.locator('[data-testid="sub-state"]'), /生效中/);
  await assertText(sub.locator('[data-testid="sub-status"]'), /已确认/);

  // Two new reports in the area: flooding (left out), then a pothole.
  const flood = await report('flooding', P, '路口积水');
  const hole = await report('pothole', [P[0] + 0.0004, P[1]], '路面有坑');
  const m = await mail.waitFor((x) => x.to.includes('zhang.san@example.org') && x.subject.includes(hole), `about ${hole}`);
  assert.match(m.subject, /上报/);
  assert.match(m.text, /退订（一键）：http/);
  assert.ok(m.listUnsubscribe.includes('/unsubscribe/'), m.listUnsubscribe);
  assert.equal(mail.messages.filter((x) => x.subject.includes(flood)).length, 0, 'a flooding report was sent to a subscriber who left flooding out');

  // A second resident draws an area around the map's centre.
  await page.reload();
  await waitReady(page);
  const sec2 = page.locator('[data-testid="subscribe-area"]');
  await sec2.scrollIntoViewIfNeeded();
  await sec2.locator('[data-testid="subscribe-where"]').selectOption('#draw');
  await assertText(sec2.locator('[data-testid="subscribe-draw-status"]'), /逐个点击/);
  await page.locator('#map[data-drawing="Polygon"]').waitFor();
  const box = await page.locator('#map').boundingBox();
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  const corners = [[-90, -70], [90, -70], [90, 70], [-90, 70]];
  for (const [dx, dy] of corners) await page.mouse.click(cx + dx, cy + dy);
  await page.mouse.click(cx + corners[0][0], cy + corners[0][1]); // the first corner again ends it
  await assertText(sec2.locator('[data-testid="subscribe-draw-status"]'), /已画好区域（4 个顶点）/);
  await sec2.locator('[data-testid="subscribe-email"]').fill('wang.wu@example.org');
  const posted2 = page.waitForResponse((r) => r.url().endsWith('/api/v1/subscriptions') && r.request().method() === 'POST');
  await sec2.locator('[data-testid="subscribe-email-go"]').click();
  assert.equal((await posted2).status(), 202);
  const drawn = (await posted2).request().postDataJSON().area;
  assert.equal(drawn.coordinates[0].length, 5);
  const lons = drawn.coordinates[0].map((c) => c[0]), lats = drawn.coordinates[0].map((c) => c[1]);
  assert.ok(Math.min(...lons) < P[0] && P[0] < Math.max(...lons) && Math.min(...lats) < P[1] && P[1] < Math.max(...lats), JSON.stringify(drawn));
  const ww = await mail.waitFor((m) => m.to.includes('wang.wu@example.org'), 'confirming wang');
  const t2 = ww.text.match(LINK)[1];
  assert.equal((await fetch(`${server.url}/api/v1/subscriptions/${t2}/confirm`, { method: 'POST' })).status, 200);
  const inside = await report('pothole', [P[0] - 0.0002, P[1] + 0.0001], '坑');
  await mail.waitFor((x) => x.to.includes('wang.wu@example.org') && x.subject.includes(inside), `about ${inside} to wang`);
  assert.deepEqual(page.errors || [], []);
});

test('on a phone in English a resident follows a case, hears it was filed, and unsubscribes from the message', async () => {
  const ref = await report('manhole_broken', [125.2655, 43.8790], '井盖裂了');
  const page = await newPage(browser, PHONE);
  await page.addInitScript(() => localStorage.setItem('inframap.lang', 'en'));
  await page.goto(`${server.url}/?${new URLSearchParams({ tile_origin: tiles.origin, tab: 'problem', follow: ref })}`);
  await waitReady(page);
  const box = page.locator('[data-testid="follow-subscribe"]');
  await box.waitFor();
  assert.match(await page.locator('[data-testid="follow-result"]').innerText(), /Tell me when it moves/);
  await box.locator('[data-testid="follow-subscribe-email"]').fill('li.si@example.org');
  await box.locator('[data-testid="follow-subscribe-email-go"]').click();
  await assertText(page.locator('[data-testid="follow-subscribe-status"]'), /A confirmation was sent to .*@example\.org/);

  const confirm = await mail.waitFor((m) => m.to.includes('li.si@example.org'), 'confirming li');
  assert.match(confirm.subject, new RegExp(`Please confirm: updates on case ${ref}`));
  const token = confirm.text.match(LINK)[1];
  const sub = await newPage(browser, PHONE);
  await sub.addInitScript(() => localStorage.setItem('inframap.lang', 'en'));
  await sub.goto(`${server.url}/subscription/${token}`);
  await sub.waitForFunction(() => document.body.dataset.ready === 'true');
  assert.match(await sub.locator('[data-testid="sub-what"]').innerText(), new RegExp(`Progress of case ${ref}`));
  await sub.click('[data-testid="sub-confirm"]');
  await assertText(sub.locator('[data-testid="sub-state"]'), /^On$/);

  // Staff file the case: the follower is told, in English.
  const { tasks } = await getJSON(server.url, `/api/v1/tasks?q=${ref}`);
  const id = tasks.find((k) => k.ref === ref).id;
  const cur = await call(server.url, engineer, 'GET', `/api/v1/tasks/${id}`);
  const moved = await call(server.url, engineer, 'POST', `/api/v1/tasks/${id}/transitions`,
    { json: { to: 'filed', note: '已立案' }, headers: { 'If-Match': `"${cur.body.version}"` } });
  assert.equal(moved.status, 200);
  const told = await mail.waitFor((m) => m.to.includes('li.si@example.org') && m.subject.includes('Filed'), 'filed, to li');
  assert.match(told.subject, new RegExp(`Case ${ref} \\(Broken manhole cover\\): Filed`));
  assert.match(told.text, new RegExp(`follow=${ref}`));

  // The message's unsubscribe link: the page asks, one press ends it.
  const unsub = (told.text.match(/Unsubscribe \(one click\): (\S+)/) || assert.fail(told.text))[1];
  await sub.goto(unsub);
  await sub.waitForFunction(() => document.body.dataset.ready === 'true');
  assert.match(sub.url(), /\/subscription\/.*end=1/);
  assert.match(await sub.locator('main').innerText(), /No longer want these messages/);
  await sub.click('[data-testid="sub-end"]');
  await assertText(sub.locator('[data-testid="sub-state"]'), /Ended on/);
  const after = await getJSON(server.url, `/api/v1/subscriptions/${token}`);
  assert.ok(after.unsubscribed_at, JSON.stringify(after));
  assert.deepEqual([...(page.errors || []), ...(sub.errors || [])], []);
});

/**
 * fakePushManager, run in the page: headless Chromium has no push service,
 * so the browser's side of push is played by the page's PushManager;
 * everything after it is the service's.
 */
function fakePushManager() {
  let sub = null;
  const made = {
    endpoint: 'https://push.example/phone-1',
    toJSON: () => ({ endpoint: made.endpoint, keys: { p256dh: 'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM', auth: 'tBHItJI5svbpez7KI4CCXg' } }),
    unsubscribe: async () => { sub = null; return true; },
  };
  PushManager.prototype.subscribe = async function subscribe(opts) {
    if (!(opts.applicationServerKey instanceof Uint8Array) || opts.applicationServerKey.length !== 65) throw new Error('bad key');
    sub = made;
    return made;
  };
  PushManager.prototype.getSubscription = async function getSubscription() { return sub; };
}

/** assertText waits until the locator's text matches re. */
async function assertText(loc, re, timeout = 20_000) {
  const end = Date.now() + timeout;
  for (;;) {
    const text = await loc.innerText().catch(() => '');
    if (re.test(text)) return;
    if (Date.now() > end) assert.match(text, re);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('an inspector brings their notices to their phone from the field page, and stops them', async () => {
  const page = await newPage(browser, PHONE);
  await page.addInitScript(fakePushManager);
  await page.goto(`${server.url}/field`);
  await signIn(page, 'inspector@demo');
  const toggle = page.locator('[data-testid="device-push-toggle"]');
  await toggle.waitFor();
  assert.equal(await toggle.innerText(), '在这部手机上接收通知');
  const posted = page.waitForResponse((r) => r.url().endsWith('/api/v1/notices/push'));
  await toggle.click();
  assert.equal((await posted).status(), 201);
  await assertText(page.locator('[data-testid="device-push-status"]'), /这部手机会收到派遣/);
  const { token } = await page.evaluate(() => JSON.parse(localStorage.getItem('inframap.devicePush')));
  const sub = await getJSON(server.url, `/api/v1/subscriptions/${token}`);
  assert.equal(sub.source, 'staff');
  assert.equal(sub.address, 'push.example');
  assert.equal(sub.unsubscribed_at, null);
  // Off again: the service ends it.
  await assertText(toggle, /不再在这部手机上接收通知/);
  await toggle.click();
  await assertText(page.locator('[data-testid="device-push-toggle"]'), /^在这部手机上接收通知$/);
  assert.ok((await getJSON(server.url, `/api/v1/subscriptions/${token}`)).unsubscribed_at);
  assert.deepEqual(page.errors || [], []);
});

test('a resident gets the news of a sub-district by push in this browser, and finds it again among this browser\'s subscriptions', async () => {
  const page = await newPage(browser);
  await page.addInitScript(fakePushManager);
  await page.goto(`${server.url}/?${new URLSearchParams({ tile_origin: tiles.origin, tab: 'problem' })}`);
  await waitReady(page);
  const sec = page.locator('[data-testid="subscribe-area"]');
  await sec.scrollIntoViewIfNeeded();
  const zone = await sec.locator('[data-testid="subscribe-where"] option').nth(2).getAttribute('value');
  await sec.locator('[data-testid="subscribe-where"]').selectOption(zone);
  assert.match(await sec.innerText(), /国内网络下的 Chrome/);
  const posted = page.waitForResponse((r) => r.url().endsWith('/api/v1/subscriptions') && r.request().method() === 'POST');
  await sec.locator('[data-testid="subscribe-push"]').click();
  const res = await posted;
  assert.equal(res.status(), 201);
  assert.equal(res.request().postDataJSON().subdistrict, zone);
  await assertText(sec.locator('[data-testid="subscribe-status"]'), /已开启推送/);
  await page.reload();
  await waitReady(page);
  const link = page.locator('[data-testid="my-subscriptions"] a');
  await link.waitFor();
  assert.equal(await link.innerText(), zone);
  await link.click();
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  assert.match(await page.locator('[data-testid="sub-channel"]').innerText(), /浏览器推送（push\.example）/);
  assert.match(await page.locator('[data-testid="sub-state"]').innerText(), /生效中/);
  assert.deepEqual(page.errors || [], []);
});
