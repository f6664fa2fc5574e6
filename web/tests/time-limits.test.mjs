// Time limits in the pages (docs/time-limits.md) in headless Chromium against
// `inframap serve -demo`, whose routine cases start shortly before the load
// time with green, yellow and red lights: the console's queue sorted by time
// left, a task's clock moved by an approved extension, a hand-back, and the
// public map's on time / late filter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startTiles, launchBrowser, newPage, waitReady, getJSON, signIn, unexpected, token, call } from './harness.mjs';

let server, tiles, browser;

before(async () => {
  server = await startServer();
  tiles = await startTiles();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await tiles?.stop();
  await server?.stop();
});

const OPEN = 'reported,filed,dispatched,in_progress,done';
const PROGRAMME_KINDS = ['road_repair', 'sewer_separation', 'parking_lot', 'manhole', 'capital_project'];
const used = new Set();

async function consolePage(email, params = '') {
  const page = await newPage(browser);
  await page.goto(`${server.url}/manage?tile_origin=${encodeURIComponent(tiles.origin)}${params}`);
  await signIn(page, email);
  return page;
}

/** allTasks lists every task of a query, following the pages. */
async function allTasks(params) {
  let path = '/api/v1/tasks?' + new URLSearchParams({ limit: '1000', ...params });
  const out = [];
  while (path) {
    const page = await getJSON(server.url, path);
    out.push(...page.tasks);
    const next = page.links.find((l) => l.rel === 'next');
    path = next ? next.href.replace(/^https?:\/\/[^/]+/, '') : null;
  }
  return out;
}

test('the console\'s queue sorts by time left, late first, and shows green, yellow and red lights in words', async () => {
  const page = await consolePage('engineer@demo');
  await page.click('[data-testid="queue-open"]');
  await page.selectOption('[data-testid="queue-sort"]', 'time_left');
  // Wait for the list as sorted by time left: every timed item's deadline no
  // earlier than the one before, the red ones first, and all three lights.
  const sorted = () => {
    const items = [...document.querySelectorAll('[data-testid="queue-item"]')];
    const timed = items.filter((b) => ['red', 'yellow', 'green'].includes(b.dataset.light));
    const lights = new Set(timed.map((b) => b.dataset.light));
    if (!['red', 'yellow', 'green'].every((l) => lights.has(l))) return false;
    const firstNotRed = timed.findIndex((b) => b.dataset.light !== 'red');
    if (timed.slice(firstNotRed).some((b) => b.dataset.light === 'red')) return false;
    // Timed items come before suspended and untimed ones.
    const lastTimed = items.indexOf(timed[timed.length - 1]);
    if (items.slice(0, lastTimed).some((b) => !['red', 'yellow', 'green'].includes(b.dataset.light))) return false;
    return timed.every((b, i) => i === 0 || Date.parse(timed[i - 1].dataset.deadline) <= Date.parse(b.dataset.deadline));
  };
  await page.waitForFunction(sorted, null, { timeout: 30_000 });
  assert.ok(await page.evaluate(sorted));
  assert.match(page.url(), /sort=time_left/, 'the order is kept in the address');

  // The light is said in words beside its dot, and the time left in working time.
  const first = page.locator('[data-testid="queue-item"]').first();
  assert.equal(await first.getAttribute('data-light'), 'red');
  assert.equal(await first.locator('[data-testid="queue-light"]').innerText(), '超时');
  assert.match(await first.locator('[data-testid="queue-left"]').innerText(), /^(超时 \d+ 个工作(日|小时)|已超时)/);
  const green = page.locator('[data-testid="queue-item"][data-light="green"]').first();
  assert.equal(await green.locator('[data-testid="queue-light"]').innerText(), '正常');
  assert.match(await green.locator('[data-testid="queue-left"]').innerText(), /^剩余 \d+ (个工作日|个工作小时|分钟)/);
  assert.equal(await page.locator('[data-testid="queue-item"][data-light="yellow"] [data-testid="queue-light"]').first().innerText(), '临期');
  // The deadline for people, never an ISO timestamp.
  assert.match(await first.innerText(), /截止时间 \d{1,2}月\d{1,2}日 \d\d:\d\d/);
  assert.doesNotMatch(await page.locator('[data-testid="queue-list"]').innerText(), /\d{4}-\d\d-\d\dT|null|undefined/);

  // The open cases counted by light, the late ones on the overdue queue's button.
  const stats = await getJSON(server.url, '/api/v1/stats');
  await page.waitForFunction((n) => document.querySelector('[data-testid="queue-lights"]')?.dataset.red === String(n), stats.tasks.lights.red);
  assert.match(await page.locator('[data-testid="queue-lights"]').innerText(), new RegExp(`超时 ${stats.tasks.lights.red}`));
  assert.match(await page.locator('[data-testid="queue-overdue"]').innerText(), new RegExp(String(stats.tasks.lights.red)));

  // In English too.
  await page.click('[data-testid="lang-en"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="queue-item"] [data-testid="queue-light"]')?.textContent === 'Late');
  assert.match(await page.locator('[data-testid="queue-item"][data-light="green"] [data-testid="queue-left"]').first().innerText(),
    /^(\d+ working (days?|hours?)|\d+ working minutes?|1 working day).* left$/);
  await page.click('[data-testid="lang-zh"]');
  assert.deepEqual(unexpected(page.consoleErrors), []);
  assert.deepEqual(page.errors || [], []);
  await page.context().close();
});

test('an extension asked for by an engineer and approved by an admin moves the deadline shown', async () => {
  const candidates = (await allTasks({ status: 'in_progress', order: 'time_left' })).filter((k) => k.clock
    && k.clock.light === 'green' && k.clock.step === 'handle' && k.clock.limit.unit === 'working_days' && !k.clock.extensions && !k.clock.suspensions);
  assert.ok(candidates.length, 'a green 处置 step on working days');
  const task = candidates[0];
  used.add(task.id);

  const eng = await consolePage('engineer@demo', `&task=${task.id}`);
  const clock = eng.locator('[data-testid="task-clock"]');
  await clock.locator('[data-testid="clock-deadline"]').waitFor();
  const before = await clock.locator('[data-testid="clock-deadline"]').getAttribute('data-deadline');
  assert.equal(before, task.clock.deadline);
  assert.equal(await clock.locator('[data-testid="clock-light"]').innerText(), '正常');
  assert.match(await clock.locator('[data-testid="clock-limit"]').innerText(), /^处置时限 \d+ 个工作日$/);
  assert.match(await clock.locator('[data-testid="clock-deadline"]').innerText(), /^\d{1,2}月\d{1,2}日 17:30$/);
  assert.ok(await clock.locator('[data-testid="clock-share"]').count(), 'a bar of the share used');

  // A reason is needed: said beside the field in Chinese, nothing sent.
  await eng.click('[data-testid="ask-extension"]');
  await eng.fill('[data-testid="extension-n"]', '2');
  await eng.click('[data-testid="extension-submit"]');
  await eng.locator('[data-testid="extension-form"] [data-testid="error-reason"]').waitFor();
  assert.equal(await eng.locator('[data-testid="extension-form"] [data-testid="error-reason"]').innerText(), '请填写理由。');
  await eng.fill('[data-testid="extension-reason"]', '路面冻结，需待气温回升后施工');
  await eng.click('[data-testid="extension-submit"]');
  const pending = clock.locator('[data-testid="clock-request"][data-kind="extension"][data-state="pending"]');
  await pending.waitFor();
  assert.match(await pending.innerText(), /延期 2 个工作日.*待审批.*路面冻结/s);
  // Whoever asked does not decide: no buttons, a word why.
  assert.equal(await pending.locator('[data-testid="request-approve"]').count(), 0);
  assert.match(await pending.locator('[data-testid="own-request"]').innerText(), /另一位工程师或管理员/);
  // One request of a kind at a time: the form to ask again is gone.
  assert.equal(await clock.locator('[data-testid="extension-box"]').count(), 0);
  assert.equal(await getJSON(server.url, `/api/v1/tasks/${task.id}`).then((k) => k.clock.deadline), before, 'a request moves nothing');

  const admin = await consolePage('admin@demo', `&task=${task.id}`);
  const aclock = admin.locator('[data-testid="task-clock"]');
  await aclock.locator('[data-testid="request-approve"]').waitFor();
  await admin.fill('[data-testid="decision-note"]', '同意延期');
  await admin.click('[data-testid="request-approve"]');
  // The deadline shown moves on by the two working days granted.
  await admin.waitForFunction((b) => {
    const d = document.querySelector('[data-testid="clock-deadline"]')?.dataset.deadline;
    return d && Date.parse(d) > Date.parse(b);
  }, before);
  const after = await aclock.locator('[data-testid="clock-deadline"]').getAttribute('data-deadline');
  const now = await getJSON(server.url, `/api/v1/tasks/${task.id}`);
  assert.equal(after, now.clock.deadline);
  assert.equal(now.clock.extensions, 1);
  assert.match(await aclock.locator('[data-testid="clock-limit"]').innerText(), /^处置时限 \d+ 个工作日（含延期 2 个工作日）$/);
  assert.equal(await aclock.locator('[data-testid="clock-request"][data-kind="extension"] [data-testid="request-state"]').innerText(), '已批准');
  assert.match(await aclock.locator('[data-testid="clock-counts"]').innerText(), /延期 1 次/);
  // The history says it in words: the approval, the extension and the deadline moved.
  const history = await admin.locator('[data-testid="task-history"]').innerText();
  assert.match(history, /申请延期/);
  assert.match(history, /批准延期.*延期 2 个工作日.*截止时间：\d{1,2}月\d{1,2}日 17:30 → \d{1,2}月\d{1,2}日 17:30/s);
  assert.doesNotMatch(history, /\d{4}-\d\d-\d\dT|extension_|deadline|null/);
  // The engineer's page, reloaded, shows the new deadline too.
  await eng.reload();
  await signInIfAsked(eng);
  await eng.waitForFunction((a) => document.querySelector('[data-testid="clock-deadline"]')?.dataset.deadline === a, after);
  // In English.
  await admin.click('[data-testid="lang-en"]');
  await admin.waitForFunction(() => /^Handling time limit: \d+ working days \(with 2 working days of extension\)$/.test(
    document.querySelector('[data-testid="clock-limit"]')?.textContent || ''));
  assert.match(await admin.locator('[data-testid="clock-deadline"]').innerText(), /^\d{1,2} [A-Z][a-z]{2}( \d{4})? 17:30$/);
  await admin.click('[data-testid="lang-zh"]');
  for (const p of [eng, admin]) {
    assert.deepEqual(unexpected(p.consoleErrors), []);
    assert.deepEqual(p.errors || [], []);
    await p.context().close();
  }
});

async function signInIfAsked(page) {
  await page.waitForFunction(() => ['true', 'login'].includes(document.body.dataset.ready));
  if (await page.evaluate(() => document.body.dataset.ready === 'login')) await signIn(page, 'engineer@demo');
}

test('a dispatched case is handed back from the console with a reason, and waits for dispatch again', async () => {
  const task = (await allTasks({ status: 'dispatched' })).find((k) => !used.has(k.id) && k.clock && k.clock.light !== 'paused');
  assert.ok(task, 'a dispatched task');
  used.add(task.id);
  const page = await consolePage('engineer@demo', `&task=${task.id}`);
  const form = page.locator('[data-testid="handback-form"]');
  await form.waitFor();
  // Without a reason: said beside the field, nothing sent.
  await page.click('[data-testid="handback-submit"]');
  await form.locator('[data-testid="error-note"]').waitFor();
  assert.equal(await form.locator('[data-testid="error-note"]').innerText(), '请说明回退理由。');
  assert.equal((await getJSON(server.url, `/api/v1/tasks/${task.id}`)).status, 'dispatched');
  await page.fill('[data-testid="handback-reason"]', '经核实属燃气公司产权，非本单位职责');
  await page.click('[data-testid="handback-submit"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="task-status"]')?.textContent === '立案');
  assert.equal(await page.locator('[data-testid="task-saved"]').innerText(), '已回退，等待重新派遣。');
  assert.match(await page.locator('[data-testid="task-history"]').innerText(), /派遣 → 立案.*经核实属燃气公司产权/s);
  // The clock is now the new 派遣 step's.
  assert.match(await page.locator('[data-testid="clock-limit"]').innerText(), /^派遣时限/);
  assert.equal(await page.locator('[data-testid="handback-form"]').count(), 0);
  const now = await getJSON(server.url, `/api/v1/tasks/${task.id}`);
  assert.equal(now.status, 'filed');
  assert.equal(now.clock.step, 'dispatch');
  assert.deepEqual(unexpected(page.consoleErrors), []);
  assert.deepEqual(page.errors || [], []);
  await page.context().close();
});

test('the public map shows late work alone with its filter on, and more with it off', async () => {
  const late = await allTasks({ status: OPEN, overdue: 'true' });
  const lateIds = new Set(late.filter((k) => k.asset_id && PROGRAMME_KINDS.includes(k.asset?.kind)).map((k) => k.asset_id));
  assert.ok(lateIds.size > 0, 'the demo has late work');
  const onTime = await allTasks({ status: OPEN, overdue: 'false' });
  const onTimeIds = new Set(onTime.filter((k) => k.asset_id && PROGRAMME_KINDS.includes(k.asset?.kind)).map((k) => k.asset_id));

  const page = await newPage(browser);
  await page.goto(`${server.url}/?tile_origin=${encodeURIComponent(tiles.origin)}`);
  await waitReady(page);
  await page.waitForFunction(() => document.querySelector('#map').dataset.loading === 'false');
  const total = Number(await page.locator('[data-testid="shown-total"]').getAttribute('data-count'));
  assert.ok(total > lateIds.size, `every feature (${total}) is more than the late ones (${lateIds.size})`);

  const shown = (n) => page.waitForFunction((k) => document.querySelector('#map').dataset.due !== 'loading'
    && document.querySelector('[data-testid="shown-total"]')?.dataset.count === String(k), n, { timeout: 30_000 });
  await page.check('[data-testid="due-late"]');
  await shown(lateIds.size);
  assert.match(page.url(), /due=late/);
  // What is drawn and listed is late work only.
  const drawn = await page.$$eval('[data-testid="feature"]', (els) => els.map((e) => Number(e.dataset.id)));
  assert.ok(drawn.every((id) => lateIds.has(id)), `drawn: ${drawn.filter((id) => !lateIds.has(id))} not late`);
  await page.click('[data-testid="tab-list"]');
  await page.waitForFunction((n) => document.querySelector('[data-testid="list-count"]')?.dataset.count === String(n), lateIds.size);
  const listed = await page.$$eval('[data-testid="list-item"]', (els) => els.map((e) => Number(e.dataset.id)));
  assert.deepEqual(new Set(listed), lateIds);
  // A link keeps the filter.
  const again = await newPage(browser);
  await again.goto(page.url());
  await waitReady(again);
  await again.waitForFunction((n) => document.querySelector('#map').dataset.due === 'late'
    && document.querySelector('[data-testid="list-count"]')?.dataset.count === String(n), lateIds.size, { timeout: 30_000 });
  await again.context().close();

  // A resident sees on time or late on a late feature's details, not who is to blame.
  await page.locator('[data-testid="list-item"]').first().click();
  await page.locator('[data-testid="details-due"]').first().waitFor();
  assert.ok((await page.locator('[data-testid="details-due"]').allInnerTexts()).includes('超期'));

  await page.click('[data-testid="tab-layers"]');
  await page.check('[data-testid="due-on_time"]');
  await shown(onTimeIds.size);
  await page.check('[data-testid="due-all"]');
  await shown(total);
  assert.doesNotMatch(page.url(), /due=/);
  assert.deepEqual(page.consoleErrors || [], []);
  assert.deepEqual(page.errors || [], []);
  await page.context().close();
});

test('an admin changes a time limit and a calendar day, and undoes both; each is in the audit trail', async () => {
  const page = await consolePage('admin@demo', '&tab=admin');
  const row = page.locator('[data-testid="limits"] tr[data-case-type="pothole"][data-step="handle"]');
  await row.waitFor();
  assert.match(await page.locator('[data-testid="limits-hint"]').innerText(), /80%/);
  assert.equal(await row.locator('[data-testid="limit-n"]').inputValue(), '2');
  assert.equal(await row.locator('[data-testid="limit-reset"]').isHidden(), true);
  // A refused amount is said in Chinese, nothing saved.
  await row.locator('[data-testid="limit-n"]').fill('1.5');
  await row.locator('[data-testid="limit-save"]').click();
  await page.waitForFunction(() => /工作日须为整数/.test(document.querySelector('[data-testid="limits-status"]').textContent));
  await row.locator('[data-testid="limit-n"]').fill('4');
  await row.locator('[data-testid="limit-save"]').click();
  await page.waitForFunction(() => /已保存：路面坑槽·处置时限 4 个工作日/.test(document.querySelector('[data-testid="limits-status"]').textContent));
  await page.locator('[data-testid="limits"] tr.changed[data-case-type="pothole"][data-step="handle"]').waitFor();
  let limits = await getJSON(server.url, '/api/v1/time-limits');
  assert.deepEqual(limits.limits.filter((l) => l.case_type === 'pothole' && l.step === 'handle').map((l) => [l.unit, l.n]), [['working_days', 4]]);
  await page.locator('[data-testid="limits"] tr[data-case-type="pothole"][data-step="handle"] [data-testid="limit-reset"]').click();
  await page.waitForFunction(() => /已恢复默认/.test(document.querySelector('[data-testid="limits-status"]').textContent));
  limits = await getJSON(server.url, '/api/v1/time-limits');
  assert.deepEqual(limits.limits.filter((l) => l.case_type === 'pothole' && l.step === 'handle').map((l) => [l.unit, l.n]), [['working_days', 2]]);

  // The calendar: 2025 has its notice; an admin makes 2025-12-31 a day off and undoes it.
  await page.selectOption('[data-testid="calendar-year"]', '2025');
  await page.waitForFunction(() => /2025年共 248 个工作日/.test(document.querySelector('[data-testid="calendar-summary"]').textContent));
  assert.match(await page.locator('[data-testid="calendar-summary"]').innerText(), /国办发明电〔2024〕12号/);
  assert.match(await page.locator('[data-testid="calendar"] tr[data-date="2025-10-11"]').innerText(), /上班/);
  await page.fill('[data-testid="calendar-date"]', '2025-12-31');
  await page.selectOption('[data-testid="calendar-kind"]', 'holiday');
  await page.fill('[data-testid="calendar-reason"]', '区政府通知');
  await page.click('[data-testid="calendar-set"]');
  await page.locator('[data-testid="calendar"] tr.changed[data-date="2025-12-31"]', { hasText: '区政府通知' }).waitFor();
  await page.waitForFunction(() => /2025年共 247 个工作日/.test(document.querySelector('[data-testid="calendar-summary"]').textContent));
  await page.locator('[data-testid="calendar"] tr[data-date="2025-12-31"] [data-testid="calendar-reset"]').click();
  await page.waitForFunction(() => /2025年共 248 个工作日/.test(document.querySelector('[data-testid="calendar-summary"]').textContent));
  assert.equal(await page.locator('[data-testid="calendar"] tr[data-date="2025-12-31"]').count(), 0);

  // Nothing raw on the page, and the four changes in the audit trail.
  const text = await page.locator('[data-testid="limits-section"]').innerText() + await page.locator('[data-testid="calendar-section"]').innerText();
  assert.doesNotMatch(text, /working_days|natural_hours|due_date|null|undefined|\d{4}-\d\d-\d\dT/);
  const tok = await token(server.url, 'admin@demo');
  for (const action of ['time_limit.set', 'time_limit.reset', 'calendar.set', 'calendar.reset']) {
    const res = await call(server.url, tok, 'GET', `/api/v1/audit?action=${action}`);
    assert.equal(res.body.events.length, 1, `${action}: ${JSON.stringify(res.body.events)}`);
  }
  await page.context().close();
});
