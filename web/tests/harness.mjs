// harness.mjs: what the browser tests share. It builds inframap, starts
// `inframap serve -demo` on a throwaway data directory at 127.0.0.1:0, waits
// for /healthz, serves basemap tiles itself over HTTPS on loopback (the CSP
// allows https: images only), launches Debian's Chromium headless through
// playwright-core (which downloads nothing), and tears it all down.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, chmodSync, readFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { SMTPServer } from 'smtp-server';

export const WEB = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = resolve(WEB, '..');
/** PASSWORD is the demo accounts' password (admin@demo, engineer@demo, inspector@demo). */
export const PASSWORD = 'web-tests-demo-password';
/** Photo fixtures of internal/photo: gps-ne.jpg has EXIF GPS 43.88 N 125.27 E, taken 2024-06-15 10:30:00.25 +08:00. */
export const PHOTOS = join(ROOT, 'internal', 'photo', 'testdata');

function goBinary() {
  if (process.env.GO) return process.env.GO;
  for (const dir of (process.env.PATH || '').split(':')) {
    if (dir && existsSync(join(dir, 'go'))) return join(dir, 'go');
  }
  return '/usr/local/go/bin/go';
}

/** startServer builds and starts the demo service (env: more environment); stop() ends it and removes its data. */
export async function startServer({ env = {} } = {}) {
  const tmp = mkdtempSync(join(tmpdir(), 'inframap-web-'));
  chmodSync(tmp, 0o755); // the embedded PostgreSQL runs as postgres when we are root
  const bin = join(tmp, 'inframap');
  execFileSync(goBinary(), ['build', '-o', bin, './cmd/inframap'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  const dataDir = join(tmp, 'data');
  const child = spawn(bin, ['serve', '-demo', '-data-dir', dataDir, '-addr', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // A low bcrypt cost keeps the many sign-ins of the tests fast.
    env: { ...process.env, INFRAMAP_DEMO_PASSWORD: PASSWORD, INFRAMAP_BCRYPT_COST: '4', INFRAMAP_LOG_LEVEL: 'warn', INFRAMAP_LOG_FORMAT: 'text', ...env },
  });
  let log = '';
  child.stderr.on('data', (b) => { log += b; });
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  const url = await new Promise((resolveUrl, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`inframap did not start in 120 s:\n${out}\n${log}`)), 120_000);
    child.stdout.on('data', (b) => {
      out += b;
      const m = out.match(/serving on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolveUrl(m[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`inframap exited with ${code}:\n${out}\n${log}`)); });
  });
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(url + '/healthz')).ok) break;
    } catch { /* not yet */ }
    if (i > 100) throw new Error('no /healthz');
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(tmp, { recursive: true, force: true });
  };
  return { url, stop, log: () => log };
}

/** api fetches JSON from the running service. */
export async function getJSON(base, path) {
  const r = await fetch(base + path);
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

/** countAssets counts what the API returns for a query, following every page. */
export async function countAssets(base, params) {
  let path = '/api/v1/assets?' + new URLSearchParams({ limit: '1000', ...params });
  let n = 0;
  while (path) {
    const page = await getJSON(base, path);
    n += page.features.length;
    const next = page.links.find((l) => l.rel === 'next');
    path = next ? next.href.replace(/^https?:\/\/[^/]+/, '') : null;
  }
  return n;
}

// ---- tiles -------------------------------------------------------------

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
/** tilePNG is a 256×256 tile of one colour with a darker grid line, enough to see it is a basemap. */
export function tilePNG([r, g, b]) {
  const row = Buffer.alloc(1 + 256 * 3);
  const raw = [];
  for (let y = 0; y < 256; y++) {
    for (let x = 0; x < 256; x++) {
      const edge = x === 0 || y === 0;
      row[1 + x * 3] = edge ? r - 40 : r; row[2 + x * 3] = edge ? g - 40 : g; row[3 + x * 3] = edge ? b - 40 : b;
    }
    raw.push(Buffer.from(row));
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(256, 0); ihdr.writeUInt32BE(256, 4); ihdr[8] = 8; ihdr[9] = 2;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(raw))), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * startTiles serves tiles on https://127.0.0.1:<port> with a throwaway
 * self-signed certificate. Paths starting /down/ answer 503, as a basemap
 * that is unreachable would. requests lists every path asked for.
 */
export async function startTiles() {
  const dir = mkdtempSync(join(tmpdir(), 'inframap-tiles-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'),
    '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const png = tilePNG([232, 236, 226]);
  const requests = [];
  const server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
    requests.push(req.url);
    if (req.url.startsWith('/down/')) {
      res.writeHead(503, { 'Content-Type': 'text/plain' });
      res.end('unavailable');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'image/png', 'Cache-Control': 'no-store', 'Access-Control-Allow-Origin': '*' });
    res.end(png);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const origin = `https://127.0.0.1:${server.address().port}`;
  return {
    origin,
    requests,
    stop: () => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); rmSync(dir, { recursive: true, force: true }); }),
  };
}

// ---- mail --------------------------------------------------------------

/**
 * startMail runs an SMTP server (nodemailer's smtp-server) on loopback that
 * keeps every message: {url (for INFRAMAP_SMTP_URL), messages, waitFor, stop}.
 * Each message is {to, subject, text} with its text part decoded.
 */
export async function startMail() {
  const messages = [];
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
    onData(stream, session, done) {
      const chunks = [];
      stream.on('data', (c) => chunks.push(c));
      stream.on('end', () => {
        messages.push(parseMail(Buffer.concat(chunks).toString('utf8'), session.envelope.rcptTo.map((r) => r.address)));
        done();
      });
    },
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.server.address();
  return {
    url: `smtp+plain://127.0.0.1:${port}`,
    messages,
    /** waitFor waits until pred holds for some message and returns it. */
    async waitFor(pred, what, timeout = 60_000) {
      const end = Date.now() + timeout;
      for (;;) {
        const m = messages.find(pred);
        if (m) return m;
        if (Date.now() > end) throw new Error(`no mail ${what} in ${timeout / 1000} s; got ${JSON.stringify(messages.map((x) => [x.to, x.subject]))}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop: () => new Promise((r) => server.close(r)),
  };
}

/** parseMail reads the subject (RFC 2047) and the text/plain part (quoted-printable or base64). */
function parseMail(raw, to) {
  const [head] = raw.split(/\r?\n\r?\n/);
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const header = (name) => (unfolded.match(new RegExp(`^${name}:\\s*(.*)$`, 'im')) || [])[1] || '';
  const words = (s) => s.replace(/=\?UTF-8\?([QB])\?([^?]*)\?=\s*/gi, (m, enc, text) => (enc.toUpperCase() === 'B'
    ? Buffer.from(text, 'base64').toString('utf8')
    : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (x, h) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8')));
  let text = '';
  for (const seg of raw.split(/\r?\n--[^\r\n]{8,}\r?\n/)) { // MIME boundaries, not a signature's "--"
    const cut = seg.search(/\r?\n\r?\n/);
    if (cut < 0 || !/Content-Type:\s*text\/plain/i.test(seg.slice(0, cut))) continue;
    const enc = (seg.slice(0, cut).match(/Content-Transfer-Encoding:\s*(\S+)/i) || [])[1] || '';
    text = seg.slice(cut).replace(/^\r?\n\r?\n/, '');
    if (/quoted-printable/i.test(enc)) text = Buffer.from(text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (x, h) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
    else if (/base64/i.test(enc)) text = Buffer.from(text.replace(/\s+/g, ''), 'base64').toString('utf8');
  }
  return { to, subject: words(header('Subject')), listUnsubscribe: header('List-Unsubscribe'), text };
}

// ---- browser -----------------------------------------------------------

/**
 * launchBrowser starts /usr/bin/chromium headless. Playwright gives each
 * launch a fresh temporary --user-data-dir of its own and removes it on close.
 */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** newPage opens a context that trusts the tile server's certificate. */
export async function newPage(browser, opts = {}) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 860 }, ...opts });
  // Every wait waits for its condition; on a busy machine (CI, two cores
  // shared with builds) a photo's upload or a tile's draw can take far
  // longer than Playwright's 30 s default, and a wait that gives up early
  // fails a test that would have passed.
  context.setDefaultTimeout(90_000);
  const page = await context.newPage();
  page.on('pageerror', (err) => { page.errors = (page.errors || []).concat(String(err)); });
  page.on('console', (m) => { if (m.type() === 'error') page.consoleErrors = (page.consoleErrors || []).concat(m.text()); });
  page.on('response', (r) => { if (r.status() >= 400) page.failed = (page.failed || []).concat(`${r.status()} ${r.url()}`); });
  return page;
}

/** token signs in through the API and returns a bearer token, for changes made behind a page's back. */
export async function token(base, email) {
  const r = await fetch(base + '/api/v1/auth/tokens', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD, name: `web test ${Date.now()}` }),
  });
  if (!r.ok) throw new Error(`token for ${email}: ${r.status} ${await r.text()}`);
  return (await r.json()).token;
}

/** call makes an API request with a bearer token: {status, headers, body}. */
export async function call(base, tok, method, path, { json, headers = {} } = {}) {
  const h = { Authorization: `Bearer ${tok}`, ...headers };
  if (json !== undefined) h['Content-Type'] = 'application/json';
  const r = await fetch(base + path, { method, headers: h, body: json === undefined ? undefined : JSON.stringify(json) });
  const text = await r.text();
  let body = text;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, headers: r.headers, body };
}

/** uploadPhoto posts a fixture photo to a task through the API. */
export async function uploadPhoto(base, tok, taskId, file, stage) {
  const fd = new FormData();
  fd.append('stage', stage);
  fd.append('photo', new Blob([readFileSync(join(PHOTOS, file))], { type: 'image/jpeg' }), file);
  const r = await fetch(`${base}/api/v1/tasks/${taskId}/photos`, { method: 'POST', headers: { Authorization: `Bearer ${tok}` }, body: fd });
  if (r.status >= 300) throw new Error(`upload: ${r.status} ${await r.text()}`);
  return r.json();
}

/** signIn fills a staff page's sign-in form as a person would and waits for the page. */
export async function signIn(page, email) {
  await page.locator('[data-testid="login-email"]').waitFor();
  await page.fill('[data-testid="login-email"]', email);
  await page.fill('[data-testid="login-password"]', PASSWORD);
  await page.click('[data-testid="login-submit"]');
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 30_000 });
}

/** expectedErrors drops what a staff page logs before sign-in: GET /auth/me answers 401. */
export const unexpected = (list = []) => list.filter((m) => !/401 \(Unauthorized\)|\/api\/v1\/auth\/me/.test(m));

/** axeCheck runs axe-core on the page and fails on serious or critical violations. */
export async function axeCheck(page, what, assert) {
  if (!(await page.evaluate(() => !!window.axe))) await page.addScriptTag({ path: join(WEB, 'node_modules/axe-core/axe.min.js') });
  const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`), [], what);
}

/** waitReady waits for the page's layers-drawn mark. */
export async function waitReady(page) {
  await page.waitForFunction(() => performance.getEntriesByName('inframap:layers-drawn').length > 0, null, { timeout: 60_000 });
}
