// The console's webhooks section (推送接口, docs/notifications.md), in
// headless Chromium against `inframap serve -demo` sending to a real HTTP
// receiver of the test on loopback: an admin gets a bad address's error
// beside its field, registers the receiver for case changes, sees the
// secret once (copied, and gone after a reload); a case is filed, and the
// attempt log shows the receiver's 500 and then its 200, with a valid
// signature; a delivery sent again reaches the receiver under the same id;
// after a rotation both secrets sign; the endpoint is deleted, and the audit
// trail says it all in words. In English, an endpoint paused after 50
// failures in a row is shown paused, with when, and resumed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { startServer, startTiles, launchBrowser, newPage, token, call, signIn, unexpected, axeCheck } from './harness.mjs';

let server, tiles, browser, admin, engineer;
const receivers = [];

/** What a person must never read in the section: codes, keys, ISO timestamps, null. */
const RAW = /\d{4}-\d\d-\d\dT\d\d|\bnull\b|\bundefined\b|\bNaN\b|task\.changed|\bwebhooks\.[a-z]|\bwebhook\.[a-z]|\[object/;

before(async () => {
  server = await startServer();
  tiles = await startTiles();
  browser = await launchBrowser();
  admin = await token(server.url, 'admin@demo');
  engineer = await token(server.url, 'engineer@demo');
});

after(async () => {
  for (const r of receivers) await r.stop();
  await browser?.close();
  await tiles?.stop();
  await server?.stop();
});

/**
 * startReceiver is a webhook receiver on 127.0.0.1: answer(request, its
 * deliveries so far) gives [status, body]. requests keeps every one with
 * its delivery id, event and signature headers and its body.
 */
async function startReceiver(answer) {
  const requests = [];
  const srv = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const r = { delivery: req.headers['inframap-delivery'], event: req.headers['inframap-event'], signature: req.headers['inframap-signature'],
        body: Buffer.concat(chunks).toString('utf8') };
      requests.push(r);
      const [status, text] = answer(r, requests.filter((x) => x.delivery === r.delivery).length);
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(text);
    });
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const rec = {
    url: `http://127.0.0.1:${srv.address().port}/hook`,
    requests,
    stop: () => new Promise((r) => { srv.close(() => r()); srv.closeAllConnections(); }),
  };
  receivers.push(rec);
  return rec;
}

/** until polls cond (every 100 ms) until it gives something truthy, and returns it. */
async function until(cond, what, timeout = 90_000) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > end) throw new Error(`waited ${timeout / 1000} s for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** signedBy checks a delivery's Inframap-Signature against a secret, as a receiver would. */
function signedBy(req, secret) {
  const parts = req.signature.split(',').map((p) => p.split('='));
  const t = parts.find(([k]) => k === 't')[1];
  if (Math.abs(Date.now() / 1000 - Number(t)) > 300) return false;
  const want = createHmac('sha256', secret).update(`${t}.${req.body}`).digest();
  return parts.some(([k, v]) => k === 'v1' && v.length === want.length * 2 && timingSafeEqual(Buffer.from(v, 'hex'), want));
}

/** fileTask files a reported case through the API: one task.changed event. */
async function fileTask() {
  const { body } = await call(server.url, engineer, 'GET', '/api/v1/tasks?status=reported&limit=1');
  const k = body.tasks[0];
  const r = await call(server.url, engineer, 'POST', `/api/v1/tasks/${k.id}/transitions`,
    { json: { to: 'filed', note: '推送测试立案' }, headers: { 'If-Match': `"${k.version}"` } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return k.id;
}

async function adminPage(opts = {}) {
  const page = await newPage(browser, opts);
  await page.goto(`${server.url}/manage?tab=admin&tile_origin=${encodeURIComponent(tiles.origin)}`);
  await signIn(page, 'admin@demo');
  await page.locator('[data-testid="webhooks-section"] h3').waitFor();
  return page;
}

const sectionText = (page) => page.locator('[data-testid="webhooks-section"]').innerText();

test('an admin registers a receiver, sees its secret once, follows its attempts, sends one again, rotates and deletes it', async () => {
  // Every first try of a delivery fails; the next one succeeds.
  const rec = await startReceiver((r, n) => (n === 1 ? [500, '暂时不可用 busy'] : [200, 'ok, stored']));
  const page = await adminPage({ bypassCSP: true, permissions: ['clipboard-read', 'clipboard-write'] });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.locator('[data-testid="webhooks-none"]').waitFor();
  assert.equal(await page.locator('[data-testid="webhooks-section"] h3').innerText(), '推送接口（Webhook）');

  // The form offers the events the API accepts, by name.
  const form = page.locator('[data-testid="webhook-form"]');
  const offered = await form.locator('label.check').allInnerTexts();
  assert.deepEqual(offered.map((s) => s.trim()), ['全部事件（含以后新增的）', '案件变化（流转、进度、备注）']);
  const { body: listed } = await call(server.url, admin, 'GET', '/api/v1/webhooks');
  assert.deepEqual(await form.locator('input[name="events"]').evaluateAll((xs) => xs.map((x) => x.value)), listed.events);

  // A bad address: the service's error beside the field.
  await page.fill('[data-testid="webhook-url"]', 'ftp://127.0.0.1/hook');
  await page.click('[data-testid="webhook-create"]');
  const urlErr = form.locator('[data-testid="error-url"]');
  await urlErr.waitFor();
  assert.equal(await urlErr.innerText(), '请填写以 http:// 或 https:// 开头的地址。');
  assert.equal(await page.getAttribute('[data-testid="webhook-url"]', 'aria-invalid'), 'true');
  assert.equal((await call(server.url, admin, 'GET', '/api/v1/webhooks')).body.webhooks.length, 0, 'nothing registered');

  // Registered for case changes: the secret, once, with a way to copy it.
  await page.fill('[data-testid="webhook-url"]', rec.url);
  await page.fill('[data-testid="webhook-description-input"]', '短信适配服务');
  await page.check('[data-testid="webhook-event-task.changed"]');
  await page.click('[data-testid="webhook-create"]');
  const box = page.locator('[data-testid="webhook-secret-box"]');
  await box.waitFor();
  assert.ok(await urlErr.isHidden(), 'the error is gone');
  const secret = await box.locator('[data-testid="webhook-secret"]').innerText();
  assert.match(secret, /^whsec_\w{20,}$/);
  assert.match(await box.innerText(), /只显示这一次，之后不会再显示/);
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'webhook-secret-copy', 'focus on the copy button');
  await box.locator('[data-testid="webhook-secret-copy"]').click();
  await box.locator('[data-testid="webhook-secret-copied"]').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
  const item = page.locator('[data-testid="webhook-item"]');
  assert.equal(await item.count(), 1);
  assert.equal(await item.locator('.webhook-url').innerText(), rec.url);
  assert.equal(await item.locator('[data-testid="webhook-events"]').innerText(), '案件变化（流转、进度、备注）');
  assert.equal(await item.locator('[data-testid="webhook-state"]').innerText(), '正常推送');
  assert.equal(await item.locator('[data-testid="webhook-last"]').innerText(), '尚无投递');
  assert.equal(await item.locator('[data-testid="webhook-description"]').innerText(), '短信适配服务');
  const [hook] = (await call(server.url, admin, 'GET', '/api/v1/webhooks')).body.webhooks;
  assert.deepEqual(hook.events, ['task.changed']);
  assert.equal(hook.secret, undefined, 'the list never carries the secret');
  await item.locator('[data-testid="webhook-log"] summary').click();
  await item.locator('[data-testid="webhook-attempts"]').waitFor();
  await axeCheck(page, 'the webhooks section with a secret and a log', assert);
  assert.doesNotMatch(await sectionText(page), RAW);

  // After a reload the secret is nowhere on the page.
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  await page.locator('[data-testid="webhook-item"]').waitFor();
  assert.equal(await page.locator('[data-testid="webhook-secret-box"]').count(), 0);
  assert.ok(!(await page.content()).includes(secret), 'the secret is not shown again');

  // A case filed: the receiver answers 500, then 200 to the retry, one delivery id, signed with the secret.
  const taskId = await fileTask();
  const mine = (r) => JSON.parse(r.body).task_id === taskId;
  const [first, second] = await until(() => { const rs = rec.requests.filter(mine); return rs.length >= 2 && rs; }, 'the retry of the delivery');
  assert.equal(first.delivery, second.delivery);
  assert.equal(first.event, 'task.changed');
  assert.equal(JSON.parse(first.body).payload.to, 'filed');
  assert.ok(signedBy(first, secret) && signedBy(second, secret), 'signed with the secret shown');
  const delivery = first.delivery;

  // The log (read again while open) shows both attempts, in words.
  await item.locator('[data-testid="webhook-log"] summary').click();
  const rows = item.locator(`[data-testid="webhook-attempt"][data-delivery="${delivery}"]`);
  await until(async () => (await rows.count()) >= 2, 'both attempts in the log');
  const failed = rows.filter({ has: page.locator('td.bad') });
  const ok = rows.filter({ has: page.locator('td.ok') });
  assert.equal(await failed.count(), 1);
  assert.equal(await ok.count(), 1);
  const failedCells = await failed.locator('td').allInnerTexts();
  assert.equal(failedCells[1], '案件变化（流转、进度、备注）');
  assert.equal(failedCells[2], 'HTTP 500');
  assert.match(failedCells[3], /^\d+ 毫秒$/);
  assert.equal(failedCells[4], '暂时不可用 busy');
  assert.match(failedCells[0], /^\d{4}-\d\d-\d\d \d\d:\d\d$/);
  const okCells = await ok.locator('td').allInnerTexts();
  assert.equal(okCells[2], 'HTTP 200');
  assert.equal(okCells[4], 'ok, stored');
  assert.match(okCells[5], /已送达/);
  await page.waitForFunction(() => /成功（HTTP 200，\d+ 毫秒）/.test(document.querySelector('[data-testid="webhook-last"]').textContent));
  assert.doesNotMatch(await sectionText(page), RAW);

  // Sent again: the receiver gets the same delivery id once more.
  const redo = item.locator(`[data-testid="webhook-redeliver"][data-delivery="${delivery}"]`);
  assert.equal(await redo.count(), 1, 'one button per delivery');
  await redo.click();
  await page.waitForFunction(() => /已安排重新发送/.test(document.querySelector('[data-testid="webhook-log-status"]').textContent));
  const third = await until(() => rec.requests.filter((r) => r.delivery === delivery)[2], 'the delivery sent again');
  assert.ok(signedBy(third, secret));
  await until(async () => (await rows.count()) >= 3, 'the third attempt in the log');

  // Rotated: the button says the old secret keeps signing for a day; a new secret is shown once.
  assert.match(await item.locator('.actions').innerText(), /旧密钥在一天内仍同时签名/);
  await item.locator('[data-testid="webhook-rotate"]').click();
  assert.match(await item.locator('.confirm').innerText(), /旧密钥在一天（24 小时）内仍同时签名/);
  await item.locator('[data-testid="webhook-rotate-yes"]').click();
  await page.locator('[data-testid="webhook-secret-box"]').waitFor();
  const secret2 = await page.locator('[data-testid="webhook-secret"]').innerText();
  assert.match(secret2, /^whsec_/);
  assert.notEqual(secret2, secret);
  assert.match(await page.locator('[data-testid="webhooks-status"]').innerText(), /已为 .* 更换密钥/);
  // Sent again after the rotation: both secrets verify.
  await page.locator(`[data-testid="webhook-redeliver"][data-delivery="${delivery}"]`).click();
  const fourth = await until(() => rec.requests.filter((r) => r.delivery === delivery)[3], 'the delivery after the rotation');
  assert.ok(signedBy(fourth, secret2), 'the new secret signs');
  assert.ok(signedBy(fourth, secret), 'the old secret still signs');
  await page.click('[data-testid="webhook-secret-done"]');
  assert.equal(await page.locator('[data-testid="webhook-secret-box"]').count(), 0);

  // Deleted, after a confirmation naming it; cancelling first changes nothing.
  await page.locator('[data-testid="webhook-delete"]').click();
  assert.match(await page.locator('[data-testid="webhook-item"] .confirm').innerText(), new RegExp(`确定删除 ${rec.url.replace(/[.?]/g, '\\$&')}`));
  await page.click('[data-testid="webhook-cancel"]');
  assert.equal((await call(server.url, admin, 'GET', '/api/v1/webhooks')).body.webhooks.length, 1);
  await page.locator('[data-testid="webhook-delete"]').click();
  await page.click('[data-testid="webhook-delete-yes"]');
  await page.locator('[data-testid="webhooks-none"]').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'webhooks-h', 'focus back on the section');
  assert.equal((await call(server.url, admin, 'GET', '/api/v1/webhooks')).body.webhooks.length, 0);

  // The audit trail says what was done, in words.
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="audit-row"]')].some((r) => r.dataset.action === 'webhook.delete'));
  const trail = await page.locator('[data-testid="audit"]').innerText();
  for (const label of ['登记推送接口', '更换推送密钥', '重新发送推送', '删除推送接口', '案件变化（流转、进度、备注）']) assert.ok(trail.includes(label), `the trail says ${label}`);
  assert.doesNotMatch(trail, /webhook\.|task\.changed|\bevents\b/);
  assert.ok(!(await page.content()).includes(secret2), 'the new secret is not shown again');

  // The one 400 is the bad address's answer, on purpose.
  assert.deepEqual(unexpected(errors).filter((m) => !/status of 400/.test(m)), []);
  await page.context().close();
});

test('in English: an endpoint paused after failing 50 times in a row is shown paused, with when, and resumed', async () => {
  let up = false;
  const rec = await startReceiver(() => (up ? [200, 'ok'] : [503, 'down for maintenance']));
  const made = await call(server.url, admin, 'POST', '/api/v1/webhooks', { json: { url: rec.url, description: 'WeChat adapter', events: ['*'] } });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const id = made.body.id;
  // 50 changes of a case (public notes), each a delivery failing at once.
  const { body: { tasks: [k] } } = await call(server.url, engineer, 'GET', '/api/v1/tasks?status=in_progress&limit=1');
  let version = k.version;
  for (let i = 1; i <= 55; i++) {
    const r = await call(server.url, engineer, 'PATCH', `/api/v1/tasks/${k.id}`, { json: { note: `进度说明 ${i}` }, headers: { 'If-Match': `"${version}"` } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    version = r.body.version;
  }
  const paused = await until(async () => (await call(server.url, admin, 'GET', '/api/v1/webhooks')).body.webhooks.find((w) => w.id === id && w.paused_at),
    'the endpoint paused', 120_000);

  const page = await adminPage();
  await page.click('[data-testid="lang-en"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="webhooks-section"] h3')?.textContent === 'Webhooks');
  const item = page.locator(`[data-testid="webhook-item"][data-id="${id}"]`);
  await item.waitFor();
  assert.equal(await item.locator('[data-testid="webhook-events"]').innerText(), 'All events (including ones added later)');
  const state = await item.locator('[data-testid="webhook-state"]').innerText();
  const when = await page.evaluate((iso) => {
    const p = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
  }, paused.paused_at);
  assert.equal(state, `Paused after repeated failures since ${when}; deliveries wait for it to be resumed`);
  assert.match(await item.locator('[data-testid="webhook-last"]').innerText(), /: failed \(HTTP 503\)$/);
  assert.match(await item.locator('.actions').innerText(), /The old secret keeps signing for a day/);
  const text = await sectionText(page);
  assert.doesNotMatch(text, RAW);
  assert.doesNotMatch(text, /[\u4e00-\u9fff]/, 'nothing left in Chinese');

  // The log, before resuming: the receiver's 503s, in words.
  await item.locator('[data-testid="webhook-log"] summary').click();
  await item.locator('[data-testid="webhook-attempt"]').first().waitFor();
  const log = await item.locator('[data-testid="webhook-attempts"]').innerText();
  assert.match(log, /Time\s+Event\s+HTTP status\s+Latency\s+Response excerpt\s+Delivery/);
  assert.match(log, /Case changes \(moves, progress, notes\)\s+HTTP 503\s+\d+ ms\s+down for maintenance/);
  assert.doesNotMatch(log, RAW);
  assert.doesNotMatch(log, /[\u4e00-\u9fff]/, 'nothing left in Chinese');

  // Resumed: the receiver is back, the deliveries that waited arrive, and the open log shows them.
  up = true;
  const before = rec.requests.length;
  await item.locator('[data-testid="webhook-resume"]').click();
  await page.waitForFunction((id) => document.querySelector(`[data-testid="webhook-item"][data-id="${id}"] [data-testid="webhook-state"]`)?.textContent === 'Active', id);
  assert.match(await page.locator('[data-testid="webhooks-status"]').innerText(), /resumed: the deliveries that waited are sent again/);
  assert.equal(await item.locator('[data-testid="webhook-resume"]').count(), 0);
  await page.waitForFunction(() => document.activeElement?.dataset.testid === 'webhook-rotate', null, { timeout: 10_000 });
  assert.equal((await call(server.url, admin, 'GET', '/api/v1/webhooks')).body.webhooks.find((w) => w.id === id).paused_at, null);
  await until(() => rec.requests.length > before, 'a delivery after the resume');
  await page.waitForFunction((id) => [...document.querySelectorAll(`[data-testid="webhook-item"][data-id="${id}"] [data-testid="webhook-attempt"]`)]
    .some((r) => r.dataset.status === '200' && /delivered/.test(r.textContent)), id, { timeout: 90_000 });
  assert.doesNotMatch(await sectionText(page), RAW);

  // Deleted, in English.
  await item.locator('[data-testid="webhook-delete"]').click();
  assert.match(await item.locator('.confirm').innerText(), /^Delete http:\/\/127\.0\.0\.1:\d+\/hook\? Deliveries not yet made will not be sent\./);
  await page.click('[data-testid="webhook-delete-yes"]');
  await page.locator('[data-testid="webhooks-none"]').waitFor();
  assert.equal(await page.locator('[data-testid="webhooks-none"]').innerText(), 'No webhook endpoints yet.');
  assert.deepEqual(unexpected(page.consoleErrors), []);
  await page.context().close();
});
