// Nothing raw on screen: every page and panel, in Chinese and in English, at
// desktop and phone sizes, is walked in headless Chromium against
// `inframap serve -demo`, and the text a person sees is searched for what
// must never reach them: null, undefined, NaN, ISO timestamps, internal
// codes (statuses, kinds, services, sources, units), message keys and
// objects printed as text.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startTiles, launchBrowser, newPage, getJSON, token, call, signIn, waitReady } from './harness.mjs';

let server, tiles, browser, engineer;
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const SIZES = { desktop: {}, phone: PHONE };

// What must never be read: [why, pattern].
const RAW = [
  ['null', /\bnull\b/],
  ['undefined', /\bundefined\b/],
  ['NaN', /\bNaN\b/],
  ['an object printed', /\[object \w+\]/],
  ['an ISO timestamp', /\d{4}-\d\d-\d\dT\d\d:\d\d/],
  ['a status code', /\bin_progress\b/],
  ['a kind code', /\b(road_repair|sewer_separation|parking_lot|parking_space|capital_project)\b/],
  ['a service code', /\b(service_request|manhole_(missing|broken|sunken)|drain_blocked|sewage_overflow|road_surface|parking_damage|open311)\b/],
  ['a field name', /\b(completed_at|created_at|updated_at|due_date|asset_id|qty_done|percent_complete|status_notes|owner_unit|anti_fall_net|last_inspected_on)\b/],
  ['a unit code', /\b(working_days|natural_hours|natural_days)\b/],
  ['a message key', /\b(app|common|details|task|problem|filters|report|clock|clockerr|clockstep|hist|conflict|eval|admin|field|fieldname|console|map|pins|metoo|req|status|priority|unit|service|attr|asset|outbox|audit|auditaction|auditkey|auditsubject|due|tabs|basemap|cluster|cond|costs|dur|err|feedback|gallery|geomtype|handback|httpstatus|insp|kindname|light|list|login|notices|plans|programme|queue|queueMap|reg|road|role|source|stage|step|sub|subscribe|webhooks|work)\.[a-z][A-Za-z_]+\b/],
  ['an inspection item code', /\b(missing_cover|broken_cover|broken_frame|cover_frame_gap|height_difference|rocking_noise|missing_anti_fall_net)\b/],
];

// Codes that are also English words are raw only on a Chinese page.
const RAW_ZH = [
  ['a status code', /\b(reported|filed|dispatched|done|closed|rejected|cancelled)\b/],
  ['a source or role code', /\b(resident|inspector|engineer|admin|viewer|system)\b(?!@)/],
];

/** rawIn lists what a text shows that it must not, with a little context. */
function rawIn(text, lang) {
  const found = [];
  for (const [why, re] of lang === 'zh' ? [...RAW, ...RAW_ZH] : RAW) {
    const m = re.exec(text);
    if (m) found.push(`${why}: …${text.slice(Math.max(0, m.index - 40), m.index + m[0].length + 40).replace(/\s+/g, ' ')}…`);
  }
  return found;
}

/** check reads what the page shows (visible text only) and asserts nothing raw is in it. */
async function check(page, where) {
  const text = await page.evaluate(() => document.body.innerText);
  const lang = await page.evaluate(() => (document.documentElement.lang === 'en' ? 'en' : 'zh'));
  assert.deepEqual(rawIn(text, lang), [], `${where}: raw text on screen`);
}

async function setLang(page, lang) {
  const btn = page.locator(`[data-testid="lang-${lang === 'en' ? 'en' : 'zh'}"]`).first();
  if (await btn.count()) await btn.click();
  await page.waitForFunction((l) => document.documentElement.lang === l, lang === 'en' ? 'en' : 'zh-CN');
}

/** tab opens a page's tab (on a phone the tab strip may need a scroll) and waits for its panel. */
async function tab(page, name) {
  const b = page.locator(`[data-testid="tab-${name}"]`);
  if (!(await b.isVisible())) return false;
  // On a phone the page scrolls as a whole: back to the top, where the tab strip is.
  await page.evaluate(() => window.scrollTo(0, 0));
  await b.click();
  await page.waitForFunction((n) => document.querySelector(`[data-testid="tab-${n}"]`)?.getAttribute('aria-selected') === 'true', name);
  return true;
}

let ids;

before(async () => {
  server = await startServer();
  tiles = await startTiles();
  browser = await launchBrowser();
  engineer = await token(server.url, 'engineer@demo');
  // A resident's report, filed, with a note: it reaches the public map, the follow panel and the console.
  const posted = await fetch(`${server.url}/open311/v2/requests.json`, {
    method: 'POST', body: new URLSearchParams({ service_code: 'manhole_broken', lat: '43.8795', long: '125.2580', description: '井盖破损，请尽快处理', email: 'r@example.org' }),
  });
  const [{ service_request_id: ref }] = await posted.json();
  const { tasks: reported } = await getJSON(server.url, '/api/v1/tasks?status=reported&limit=200');
  const mine = reported.find((k) => k.ref === ref);
  const filed = await call(server.url, engineer, 'POST', `/api/v1/tasks/${mine.id}/transitions`,
    { json: { to: 'filed', note: '已立案' }, headers: { 'If-Match': `"${mine.version}"` } });
  assert.equal(filed.status, 200);
  const first = async (q) => (await getJSON(server.url, `/api/v1/tasks?${q}&limit=1`)).tasks[0];
  const inProgress = await first('status=in_progress');
  // Progress recorded, so the history has field changes to say in words.
  const k = await getJSON(server.url, `/api/v1/tasks/${inProgress.id}`);
  const edited = await call(server.url, engineer, 'PATCH', `/api/v1/tasks/${k.id}`,
    { json: { percent: 50, qty_done: 1, phase: 'backfill', note: '回填过半' }, headers: { 'If-Match': `"${k.version}"` } });
  assert.equal(edited.status, 200, JSON.stringify(edited.body));
  const closed = await first('status=closed');
  const done = await first('status=done');
  const assetOf = async (kind) => (await getJSON(server.url, `/api/v1/assets?kind=${kind}&limit=1`)).features[0].id;
  ids = {
    ref, report: mine.id, inProgress: k.id, closed: closed.id, done: done.id,
    assets: [k.asset_id, closed.asset_id, await assetOf('sewer_separation'), await assetOf('parking_lot'), await assetOf('capital_project')].filter(Boolean),
  };
});

after(async () => {
  await browser?.close();
  await tiles?.stop();
  await server?.stop();
});

for (const lang of ['zh', 'en']) {
  for (const [size, opts] of Object.entries(SIZES)) {
    test(`the public map, ${lang}, ${size}: every tab, details of each kind and a followed report`, async () => {
      const page = await newPage(browser, opts);
      await page.goto(`${server.url}/?tile_origin=${encodeURIComponent(tiles.origin)}`);
      await waitReady(page);
      await setLang(page, lang);
      await page.locator('[data-testid="report-pin"]').first().waitFor({ state: 'attached' });
      await check(page, `map ${lang} ${size}`);
      for (const name of ['layers', 'report', 'list', 'problem']) {
        if (!(await tab(page, name))) continue;
        if (name === 'report') await page.locator('[data-testid="figure-road_repair"]').waitFor();
        if (name === 'list') await page.locator('[data-testid="panel-list"] li, #panel-list li').first().waitFor();
        await check(page, `map tab ${name} ${lang} ${size}`);
      }
      // Following the resident's report.
      await page.fill('[data-testid="follow-ref"]', ids.ref);
      await page.click('[data-testid="follow-submit"]');
      await page.locator('[data-testid="follow-status"]').waitFor();
      await check(page, `follow ${lang} ${size}`);
      // As of a past date.
      await tab(page, 'report');
      await page.fill('[data-testid="as-of"]', '2023-09-30');
      await page.waitForFunction(() => document.querySelector('[data-testid="map"]').dataset.asOf === '2023-09-30');
      await check(page, `report card as of ${lang} ${size}`);
      await page.click('[data-testid="as-of-banner"] button');
      await page.waitForFunction(() => document.querySelector('[data-testid="map"]').dataset.asOf === 'now');
      // The details of an asset of each kind, with its cases' histories.
      for (const id of ids.assets) {
        await page.goto(`${server.url}/?tile_origin=${encodeURIComponent(tiles.origin)}&id=${id}`);
        await waitReady(page);
        await page.locator('[data-testid="details-status"]').waitFor();
        await page.waitForFunction(() => !document.querySelector('[data-testid="details"]')?.textContent.includes('…'));
        await check(page, `details of asset ${id} ${lang} ${size}`);
      }
      assert.deepEqual(page.errors || [], []);
      await page.context().close();
    });

    test(`the console, ${lang}, ${size}: the queue, tasks in each state, assets, evaluation and administration`, async () => {
      const page = await newPage(browser, opts);
      await page.goto(`${server.url}/manage?tile_origin=${encodeURIComponent(tiles.origin)}`);
      await signIn(page, 'admin@demo');
      await setLang(page, lang);
      await page.locator('[data-testid="queue-list"] li').first().waitFor();
      await check(page, `queue ${lang} ${size}`);
      for (const id of [ids.report, ids.inProgress, ids.closed, ids.done]) {
        await page.goto(`${server.url}/manage?tile_origin=${encodeURIComponent(tiles.origin)}&task=${id}`);
        await page.waitForFunction(() => document.body.dataset.ready === 'true');
        await page.locator('[data-testid="task-history"], [data-testid="edit-form"], [data-testid="transition-form"]').first().waitFor();
        await check(page, `task ${id} ${lang} ${size}`);
      }
      await page.goto(`${server.url}/manage?tile_origin=${encodeURIComponent(tiles.origin)}`);
      await page.waitForFunction(() => document.body.dataset.ready === 'true');
      for (const name of ['assets', 'work', 'eval', 'insp', 'admin']) {
        if (!(await tab(page, name))) continue;
        if (name === 'work') {
          await page.locator('[data-testid="work-item"]').first().waitFor();
          await page.locator('[data-testid="work-item"]').first().click();
          await page.locator('[data-testid="work-detail"] *').first().waitFor();
        }
        if (name === 'insp') await page.locator('[data-testid="insp-coverage-row"]').first().waitFor();
        if (name === 'eval') await page.locator('[data-testid="eval-table"] tbody tr, table tbody tr').first().waitFor();
        if (name === 'admin') await page.locator('#panel-admin table tbody tr, #panel-admin li').first().waitFor();
        await check(page, `console tab ${name} ${lang} ${size}`);
      }
      assert.deepEqual(page.errors || [], []);
      await page.context().close();
    });
  }

  test(`the field page, ${lang}, phone: nearby, an asset and tasks`, async () => {
    const { features } = await getJSON(server.url, '/api/v1/assets?kind=manhole&limit=1');
    const [lon, lat] = features[0].geometry.coordinates;
    const page = await newPage(browser, { ...PHONE, geolocation: { latitude: lat, longitude: lon, accuracy: 9 }, permissions: ['geolocation'] });
    await page.goto(`${server.url}/field`);
    await signIn(page, 'inspector@demo');
    await setLang(page, lang);
    await page.click('[data-testid="field-locate"]');
    await page.locator('[data-testid="nearby-asset"]').first().waitFor();
    await check(page, `field nearby ${lang}`);
    await page.locator('[data-testid="nearby-asset"]').first().click();
    await page.locator('[data-testid="asset-title"]').waitFor();
    await check(page, `field asset ${lang}`);
    await page.click('[data-testid="nav-round"]');
    await page.locator('[data-testid="round-count"]:not(:empty)').waitFor();
    await check(page, `field round ${lang}`);
    for (const id of [ids.inProgress, ids.done]) {
      await page.goto(`${server.url}/field?view=task&task=${id}`);
      await page.locator('[data-testid="task-title"]').waitFor();
      await check(page, `field task ${id} ${lang}`);
    }
    assert.deepEqual(page.errors || [], []);
    await page.context().close();
  });
}
