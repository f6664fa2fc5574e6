// The engineers' console (/manage) in headless Chromium against
// `inframap serve -demo`: triage and dispatch seen on the public map, stale
// edits shown as conflicts with the other change, asset geometry drawn and
// edited with the service's validation beside the field, the keyboard, axe.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, startTiles, launchBrowser, newPage, waitReady, getJSON, token, call, signIn, unexpected, axeCheck } from './harness.mjs';

let server, tiles, browser, engineer;

before(async () => {
  server = await startServer();
  tiles = await startTiles();
  browser = await launchBrowser();
  engineer = await token(server.url, 'engineer@demo');
});

after(async () => {
  await browser?.close();
  await tiles?.stop();
  await server?.stop();
});

async function consolePage(email = 'engineer@demo', params = '', opts = {}) {
  const page = await newPage(browser, opts);
  await page.goto(`${server.url}/manage?tile_origin=${encodeURIComponent(tiles.origin)}${params}`);
  await signIn(page, email);
  return page;
}

/** a task whose asset takes its status from it (the asset's latest task), in a status. */
async function taskOnAsset(status, skip = new Set()) {
  const { tasks } = await getJSON(server.url, `/api/v1/tasks?status=${status}&limit=200`);
  for (const k of tasks) {
    if (!k.asset_id || skip.has(k.id)) continue;
    const a = await getJSON(server.url, `/api/v1/assets/${k.asset_id}`);
    // Not a cover: a cover's case is dispatched to its owner unit by default.
    if (a.properties.status === status && a.properties.kind !== 'parking_space' && a.properties.kind !== 'manhole') return { task: k, asset: a };
  }
  throw new Error(`no ${status} task on an asset`);
}

const used = new Set();

test('an engineer files and dispatches a reported task, and the public map shows it after a reload', async () => {
  const { task, asset } = await taskOnAsset('reported');
  used.add(task.id);
  const pub = await newPage(browser);
  await pub.goto(`${server.url}/?tile_origin=${encodeURIComponent(tiles.origin)}&id=${asset.id}`);
  await waitReady(pub);
  await pub.locator('[data-testid="details-status"]').waitFor();
  assert.equal(await pub.locator('[data-testid="details-status"]').innerText(), '上报');

  const page = await consolePage();
  assert.match(await page.locator('[data-testid="whoami"]').innerText(), /工程师/);
  const item = page.locator(`[data-testid="queue-item"][data-id="${task.id}"]`);
  await item.click();
  const panel = page.locator('[data-testid="task-panel"]');
  await panel.locator('[data-testid="transition-form"]').waitFor();
  assert.equal(await panel.locator('[data-testid="task-ref"]').innerText(), task.ref);
  // 立案
  await page.selectOption('[data-testid="transition-to"]', 'filed');
  await page.fill('[data-testid="transition-note"]', '现场核实属实，立案');
  await page.click('[data-testid="transition-submit"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="task-status"]')?.textContent === '立案');
  // Dispatching without a crew: the service's reason appears beside the crew.
  await page.selectOption('[data-testid="transition-to"]', 'dispatched');
  await page.click('[data-testid="transition-submit"]');
  const crewErr = panel.locator('[data-testid="transition-form"] [data-testid="error-assignee"]');
  await crewErr.waitFor();
  assert.equal(await crewErr.innerText(), '派遣需要选择处置单位或班组。', 'the service\'s code, said in Chinese');
  // 派遣 to a crew with a due date
  const crews = (await call(server.url, engineer, 'GET', '/api/v1/crews')).body.crews;
  await page.selectOption('[data-testid="transition-crew"]', crews[0].name);
  await page.fill('[data-testid="transition-due"]', '2030-06-30');
  await page.click('[data-testid="transition-submit"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="task-status"]')?.textContent === '派遣');
  assert.equal(await panel.locator('[data-testid="task-assignee"]').innerText(), crews[0].name);
  assert.match(await panel.locator('[data-testid="task-history"]').innerText(), /上报 → 立案.*现场核实属实，立案/s);
  const now = await getJSON(server.url, `/api/v1/tasks/${task.id}`);
  assert.equal(now.status, 'dispatched');
  assert.equal(now.due_date, '2030-06-30');
  // The queue of reports no longer has it.
  await page.waitForFunction((id) => !document.querySelector(`[data-testid="queue-item"][data-id="${id}"]`), task.id);

  await pub.reload();
  await waitReady(pub);
  await pub.waitForFunction(() => document.querySelector('[data-testid="details-status"]')?.textContent === '派遣');
  const drawn = pub.locator(`[data-testid="feature"][data-id="${asset.id}"]`);
  if (await drawn.count()) assert.equal(await drawn.first().getAttribute('data-status'), 'dispatched');
  // The one failed request is the dispatch without a crew, refused on purpose above.
  assert.deepEqual(unexpected(page.consoleErrors).filter((m) => !m.includes('400 (Bad Request)')), [], 'no console error on the console page');
  assert.deepEqual(page.errors || [], []);
  await pub.context().close();
  await page.context().close();
});

test('a stale edit keeps both changes: mine on top of theirs, asked field by field when both touched one', async () => {
  const { task } = await taskOnAsset('in_progress', used);
  used.add(task.id);
  const a = await consolePage('engineer@demo', `&task=${task.id}`);
  const b = await consolePage('admin@demo', `&task=${task.id}`);
  for (const p of [a, b]) await p.locator('[data-testid="edit-form"]').waitFor();
  // A raises the priority first.
  await a.selectOption('[data-testid="edit-priority"]', 'urgent');
  await a.click('[data-testid="edit-submit"]');
  await a.locator('[data-testid="task-saved"]').waitFor();
  // B, still on the old version, records progress: 412, and sees A's change beside B's own.
  await b.fill('[data-testid="edit-percent"]', '60');
  await b.click('[data-testid="edit-submit"]');
  const conflict = b.locator('[data-testid="conflict"]');
  await conflict.locator('[data-testid="conflict-merge"]').waitFor();
  const theirs = conflict.locator('tr[data-field="priority"]');
  assert.equal(await theirs.getAttribute('data-side'), 'theirs');
  assert.match(await theirs.innerText(), /紧急/);
  const mine = conflict.locator('tr[data-field="percent"]');
  assert.equal(await mine.getAttribute('data-side'), 'mine', 'B\'s edit is kept, not dropped');
  assert.match(await mine.innerText(), /60 %/);
  assert.match(await conflict.innerText(), /engineer@demo/, 'who changed it');
  assert.equal(await b.evaluate(() => document.activeElement.dataset.testid), 'conflict-merge');
  assert.equal((await getJSON(server.url, `/api/v1/tasks/${task.id}`)).percent ?? null, task.percent ?? null, 'nothing of B\'s written before B says so');
  await b.click('[data-testid="conflict-merge"]');
  await b.locator('[data-testid="task-saved"]').waitFor();
  let stored = await getJSON(server.url, `/api/v1/tasks/${task.id}`);
  assert.equal(stored.priority, 'urgent', 'A\'s change stays');
  assert.equal(stored.percent, 60, 'B\'s change laid on top');
  await b.waitForFunction(() => document.querySelector('[data-testid="task-priority"]')?.textContent === '紧急');

  // Both change the priority: B saves high, A (stale again) low: A is asked.
  await b.selectOption('[data-testid="edit-priority"]', 'high');
  await b.click('[data-testid="edit-submit"]');
  await b.waitForFunction(() => document.querySelector('[data-testid="task-priority"]')?.textContent === '高');
  await a.selectOption('[data-testid="edit-priority"]', 'low');
  await a.click('[data-testid="edit-submit"]');
  const both = a.locator('[data-testid="conflict"] tr[data-field="priority"]');
  await both.waitFor();
  assert.equal(await both.getAttribute('data-side'), 'both');
  assert.match(await both.innerText(), /紧急.*高.*低/s, 'what A had, what B set, what A meant');
  assert.equal(await a.locator('[data-testid="conflict"] tr[data-field="percent"]').getAttribute('data-side'), 'theirs');
  await a.click('[data-testid="conflict-merge"]');
  await a.waitForFunction(() => /优先级/.test(document.querySelector('[data-testid="conflict-status"]')?.textContent || ''));
  assert.equal((await getJSON(server.url, `/api/v1/tasks/${task.id}`)).priority, 'high', 'nothing saved before the choice');
  await both.locator('[data-testid="pick-mine"]').check();
  await a.click('[data-testid="conflict-merge"]');
  await a.locator('[data-testid="task-saved"]').waitFor();
  stored = await getJSON(server.url, `/api/v1/tasks/${task.id}`);
  assert.equal(stored.priority, 'low', 'A chose A\'s');
  assert.equal(stored.percent, 60, 'B\'s progress stays');

  // A change through the API behind the page's back: A's page is stale too.
  const cur = await getJSON(server.url, `/api/v1/tasks/${task.id}`);
  const patched = await call(server.url, engineer, 'PATCH', `/api/v1/tasks/${task.id}`, { json: { phase: 'backfill', note: '回填完成（接口）' }, headers: { 'If-Match': `"${cur.version}"` } });
  assert.equal(patched.status, 200);
  await a.selectOption('[data-testid="transition-to"]', 'done');
  await a.click('[data-testid="transition-submit"]');
  await a.locator('[data-testid="conflict"]').waitFor();
  const text = await a.locator('[data-testid="conflict"]').innerText();
  assert.match(text, /回填/, 'the phase the other change set');
  assert.match(text, /回填完成（接口）/, 'with its note');
  assert.equal((await getJSON(server.url, `/api/v1/tasks/${task.id}`)).status, 'in_progress', 'the stale transition was refused');
  assert.equal(await a.locator('[data-testid="conflict-retry"]').count(), 1, 'the step can be sent again on the latest version');
  await a.click('[data-testid="conflict-reload"]');
  await a.waitForFunction(() => document.querySelector('[data-testid="task-phase"]')?.textContent === '回填');
  await a.context().close();
  await b.context().close();
});

test('closing without an after photo is explained', async () => {
  const { tasks } = await getJSON(server.url, '/api/v1/tasks?status=done&limit=50');
  const k = tasks.find((x) => !used.has(x.id));
  used.add(k.id);
  const page = await consolePage('admin@demo', `&task=${k.id}`);
  await page.locator('[data-testid="transition-form"]').waitFor();
  await page.selectOption('[data-testid="transition-to"]', 'closed');
  assert.ok(await page.locator('[data-testid="close-hint"]').isVisible(), 'the need is said before trying');
  await page.click('[data-testid="transition-submit"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="transition-status"]')?.dataset.code === 'needs-after-photo');
  assert.match(await page.locator('[data-testid="transition-status"]').innerText(), /施工后/);
  await page.context().close();
});

test('drawing a new asset and editing its geometry, with the service\'s validation beside the field', async () => {
  const page = await consolePage('engineer@demo', '&tab=assets');
  await page.selectOption('[data-testid="new-asset-kind"]', 'manhole');
  await page.click('[data-testid="new-asset"]');
  const form = page.locator('[data-testid="asset-form"]');
  await form.waitFor();
  await page.fill('[data-testid="asset-code"]', '2201060103990001');
  await page.fill('[data-testid="asset-name"]', '测试雨水井');
  await page.selectOption('[data-testid="asset-attr-cover_category"]', '0103');
  // Draw with Geoman: a point in the corner of the district's extent, outside its boundary.
  await page.click('[data-testid="asset-draw"]');
  const map = await page.locator('#map').boundingBox();
  await page.mouse.move(map.x + map.width - 60, map.y + 50);
  await page.mouse.click(map.x + map.width - 40, map.y + 40);
  await page.waitForFunction(() => document.querySelector('[data-testid="asset-geometry"]').value.includes('Point'));
  await page.click('[data-testid="asset-save"]');
  const err = page.locator('[data-testid="error-geometry"]');
  await err.waitFor();
  assert.equal(await err.innerText(), '图形超出了辖区边界。');
  assert.equal(await page.locator('[data-testid="asset-geometry"]').getAttribute('aria-invalid'), 'true');
  const errBox = await err.boundingBox();
  const geomBox = await page.locator('[data-testid="asset-geometry"]').boundingBox();
  assert.ok(errBox.y >= geomBox.y && errBox.y - (geomBox.y + geomBox.height) < 60, 'the error is beside the geometry field');

  // Typed GeoJSON (the keyboard's way) inside the district: created.
  const inside = { type: 'Point', coordinates: [125.2062, 43.8741] };
  await page.fill('[data-testid="asset-geometry"]', JSON.stringify(inside));
  await page.locator('[data-testid="asset-geometry"]').dispatchEvent('change');
  await page.click('[data-testid="asset-save"]');
  await page.locator('[data-testid="asset-saved"]').waitFor();
  const id = Number((await page.locator('[data-testid="asset-saved"]').innerText()).match(/#(\d+)/)[1]);
  const created = await getJSON(server.url, `/api/v1/assets/${id}`);
  assert.deepEqual(created.geometry.coordinates, inside.coordinates);
  assert.equal(created.properties.code, '2201060103990001');

  // Edit on the map: drag the pin a little, save: a new version.
  await page.click('[data-testid="asset-draw"]');
  const pin = page.locator('.edit-pin').first();
  const box = await pin.boundingBox();
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  await page.mouse.move(cx + 20, cy + 10, { steps: 8 });
  await page.mouse.up();
  await page.waitForFunction((c) => !document.querySelector('[data-testid="asset-geometry"]').value.includes(String(c)), inside.coordinates[0]);
  const patched = page.waitForResponse((r) => r.url().endsWith(`/api/v1/assets/${id}`) && r.request().method() === 'PATCH');
  await page.click('[data-testid="asset-save"]');
  assert.equal((await patched).status(), 200);
  await page.locator('[data-testid="asset-saved"]').waitFor();
  const moved = await getJSON(server.url, `/api/v1/assets/${id}`);
  assert.equal(moved.properties.version, 2);
  assert.notDeepEqual(moved.geometry.coordinates, inside.coordinates);
  assert.ok(Math.abs(moved.geometry.coordinates[0] - inside.coordinates[0]) < 0.01, 'moved by a few metres');

  // An edit that takes it outside the district: refused, said beside the field, nothing changed.
  await page.fill('[data-testid="asset-geometry"]', JSON.stringify({ type: 'Point', coordinates: [126.5, 45.1] }));
  await page.locator('[data-testid="asset-geometry"]').dispatchEvent('change');
  await page.click('[data-testid="asset-save"]');
  await page.locator('[data-testid="error-geometry"]').waitFor();
  assert.equal(await page.locator('[data-testid="error-geometry"]').innerText(), '图形超出了辖区边界。');
  assert.equal((await getJSON(server.url, `/api/v1/assets/${id}`)).properties.version, 2);
  // A wrong code is said beside the code.
  await page.fill('[data-testid="asset-code"]', 'X1');
  await page.fill('[data-testid="asset-geometry"]', JSON.stringify(moved.geometry));
  await page.locator('[data-testid="asset-geometry"]').dispatchEvent('change');
  await page.click('[data-testid="asset-save"]');
  await page.locator('[data-testid="error-code"]').waitFor();
  assert.match(await page.locator('[data-testid="error-code"]').innerText(), /^窨井编号应为 16 位部件编码.*现为 /);
  await page.context().close();
});

test('an asset edited behind the page\'s back: the conflict names what moved and saves mine on top', async () => {
  const page = await consolePage('engineer@demo', '&tab=assets');
  const { features } = await getJSON(server.url, '/api/v1/assets?kind=parking_lot&limit=1');
  const lot = features[0];
  await page.fill('[data-testid="asset-search"]', lot.properties.code);
  await page.press('[data-testid="asset-search"]', 'Enter');
  await page.locator(`[data-testid="asset-result"][data-id="${lot.id}"]`).click();
  await page.locator('[data-testid="asset-form"]').waitFor();
  const cur = await call(server.url, engineer, 'GET', `/api/v1/assets/${lot.id}`);
  const r = await call(server.url, engineer, 'PATCH', `/api/v1/assets/${lot.id}`, { json: { type: 'Feature', properties: { spaces: lot.properties.spaces + 1 } }, headers: { 'If-Match': cur.headers.get('ETag') } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await page.fill('[data-testid="asset-name-en"]', 'Renamed car park');
  await page.click('[data-testid="asset-save"]');
  const conflict = page.locator('[data-testid="conflict"]');
  await conflict.waitFor();
  assert.match(await conflict.locator('tr[data-field="properties.spaces"]').innerText(), new RegExp(`${lot.properties.spaces}.*${lot.properties.spaces + 1}`, 's'));
  assert.equal(await conflict.locator('tr[data-field="properties.name_en"]').getAttribute('data-side'), 'mine', 'my rename is kept');
  await page.click('[data-testid="conflict-merge"]');
  await page.locator('[data-testid="asset-saved"]').waitFor();
  const stored = await getJSON(server.url, `/api/v1/assets/${lot.id}`);
  assert.equal(stored.properties.spaces, lot.properties.spaces + 1, 'their change stays');
  assert.equal(stored.properties.name_en, 'Renamed car park', 'mine laid on top');
  await page.waitForFunction((n) => document.querySelector('[data-testid="asset-attr-spaces"]')?.value === String(n), lot.properties.spaces + 1);
  await page.context().close();
});

test('an admin manages users and crews and reads the audit trail', async () => {
  const page = await consolePage('admin@demo', '&tab=admin');
  await page.locator('[data-testid="users"]').waitFor();
  assert.equal(await page.locator('[data-testid="users"] tbody tr').count(), (await call(server.url, await token(server.url, 'admin@demo'), 'GET', '/api/v1/users')).body.users.length);
  await page.fill('[data-testid="new-crew-name"]', '测试养护三队');
  await page.click('[data-testid="new-crew-submit"]');
  await page.locator('[data-testid="crews"] li[data-name="测试养护三队"]').waitFor();
  await page.fill('[data-testid="new-user-email"]', 'zhang@example.org');
  await page.fill('[data-testid="new-user-name"]', '张工');
  await page.fill('[data-testid="new-user-password"]', 'short');
  await page.click('[data-testid="new-user-submit"]');
  await page.locator('[data-testid="user-form"] [data-testid="error-password"]').waitFor();
  assert.match(await page.locator('[data-testid="user-form"] [data-testid="error-password"]').innerText(), /^密码至少需要 \d+ 个字符。$/);
  await page.fill('[data-testid="new-user-password"]', 'a-long-enough-password');
  await page.click('[data-testid="new-user-submit"]');
  await page.locator('[data-testid="users"] tbody tr', { hasText: 'zhang@example.org' }).waitFor();
  await page.locator('[data-testid="audit-row"]').first().waitFor();
  // Newest first: the user just added heads the trail, its details in words.
  await page.waitForFunction(() => {
    const first = document.querySelector('[data-testid="audit-row"]');
    return first && first.dataset.action === 'user.created' && first.textContent.includes('zhang@example.org');
  });
  // Filtered by the action's label; the crew added is there, said in words, no JSON.
  await page.selectOption('[data-testid="audit-action"]', 'crew.saved');
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('[data-testid="audit-row"]')];
    return rows.length > 0 && rows.every((r) => r.dataset.action === 'crew.saved' && r.textContent.includes('保存承办单位'));
  });
  const trail = await page.locator('[data-testid="audit"]').innerText();
  assert.match(trail, /测试养护三队/);
  assert.doesNotMatch(trail, /[{}]|crew\.saved|"name"/);
  // Exported as CSV (a byte-order mark for Excel, the labels in Chinese).
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="audit-export"]')]);
  const csv = readFileSync(await download.path(), 'utf8');
  assert.ok(csv.startsWith('\ufeff'), 'a byte-order mark');
  assert.match(csv, /保存承办单位/);
  assert.match(csv, /测试养护三队/);
  await page.context().close();
});

test('keyboard only: sign in, open a report from the queue and file it', async () => {
  const { task } = await taskOnAsset('reported', used);
  used.add(task.id);
  const page = await newPage(browser);
  await page.goto(`${server.url}/manage?tile_origin=${encodeURIComponent(tiles.origin)}`);
  await page.locator('[data-testid="login-email"]').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'login-email');
  await page.keyboard.type('engineer@demo');
  await page.keyboard.press('Tab');
  await page.keyboard.type((await import('./harness.mjs')).PASSWORD);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  await page.locator('[data-testid="queue-item"]').first().waitFor();
  const tabTo = async (testid, max = 60) => {
    for (let i = 0; i < max; i++) {
      await page.keyboard.press('Tab');
      const at = await page.evaluate(() => document.activeElement.dataset.testid + ':' + (document.activeElement.dataset.id || ''));
      if (at.startsWith(testid)) return;
    }
    throw new Error(`Tab never reached ${testid}`);
  };
  // The skip link leads to the queue.
  await page.keyboard.press('Shift+Tab');
  await page.evaluate(() => document.querySelector('[data-testid="skip-to-queue"]').focus());
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'queue-item');
  await page.evaluate((id) => { window.target = String(id); }, task.id);
  await tabTo(`queue-item:${task.id}`, 200);
  await page.keyboard.press('Enter');
  await page.locator('[data-testid="transition-form"]').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'task-title', 'focus moves to the task');
  await tabTo('transition-to');
  assert.equal(await page.inputValue('[data-testid="transition-to"]'), 'filed');
  await tabTo('transition-note');
  await page.keyboard.type('键盘立案');
  await tabTo('transition-submit');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('[data-testid="task-status"]')?.textContent === '立案');
  assert.equal((await getJSON(server.url, `/api/v1/tasks/${task.id}`)).status, 'filed');
  // Escape closes the task and focus returns to the queue.
  await page.keyboard.press('Escape');
  await page.locator('[data-testid="task-panel"]').waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'queue-item');
  // The tabs answer the arrow keys.
  await page.focus('[data-testid="tab-queue"]');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'tab-assets');
  assert.ok(await page.locator('[data-testid="panel-assets"]').isVisible());
  await page.context().close();
});

test('axe-core finds no serious or critical violation on /manage', async () => {
  const page = await newPage(browser, { bypassCSP: true });
  await page.goto(`${server.url}/manage?tile_origin=${encodeURIComponent(tiles.origin)}`);
  await page.locator('[data-testid="login-form"]').waitFor();
  await axeCheck(page, 'sign-in', assert);
  await signIn(page, 'admin@demo');
  await page.locator('[data-testid="queue-item"]').first().click();
  await page.locator('[data-testid="transition-form"]').waitFor();
  await axeCheck(page, 'queue and task', assert);
  await page.click('[data-testid="task-close"]');
  await page.click('[data-testid="tab-assets"]');
  await page.click('[data-testid="new-asset"]');
  await page.locator('[data-testid="asset-form"]').waitFor();
  await axeCheck(page, 'asset editor', assert);
  await page.click('[data-testid="tab-admin"]');
  await page.locator('[data-testid="audit-row"]').first().waitFor();
  await axeCheck(page, 'administration', assert);
  await page.context().close();
});

test('the console\'s map reads without a basemap: the roads and their names from our data', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.url}/manage?tile_origin=${encodeURIComponent(tiles.origin + '/down')}`);
  await signIn(page, 'engineer@demo');
  await page.waitForFunction(() => document.querySelector('#map')?.dataset.labels === 'ready');
  await page.locator('.map--plain').waitFor();
  assert.ok(await page.locator('path.base-road').count() >= 100, 'the road network');
  for (let i = 0; i < 3; i++) {
    const z0 = await page.evaluate(() => document.querySelectorAll('.road-label').length);
    if (z0) break;
    await page.click('.leaflet-control-zoom-in');
    await page.waitForTimeout(400); // the zoom animation, then the labels' check of it
  }
  await page.locator('.road-label').first().waitFor();
  assert.ok(await page.locator('.road-label').count() >= 5);
  await page.context().close();
});
