// Measures the public map on loopback: time from navigation to the
// 'inframap:layers-drawn' mark, and bytes transferred (gzip where the server
// compresses) for the page, its scripts, styles and the API calls.
// Usage: node scripts/measure.mjs [runs]   (default 5 cold loads)
//        node scripts/measure.mjs --base http://127.0.0.1:8080 [--json] [runs]
// With --base it measures a server already running (the bench's city-scale
// one) with no basemap, and --json prints one line the bench reads.
import { startServer, startTiles, launchBrowser, newPage, waitReady } from '../tests/harness.mjs';

const args = process.argv.slice(2);
const flag = (name) => { const i = args.indexOf(name); return i < 0 ? null : args.splice(i, 2)[1]; };
const base = flag('--base');
const json = args.includes('--json') && args.splice(args.indexOf('--json'), 1);
const runs = Number(args[0] || 5);
const server = base ? { url: base, stop: async () => {} } : await startServer();
const tiles = base ? { stop: async () => {} } : await startTiles();
const query = base ? '?basemap=none' : `?tile_origin=${encodeURIComponent(tiles.origin)}`;
const browser = await launchBrowser();
try {
  const times = [];
  const stageTimes = {};
  let bytes;
  let last;
  for (let i = 0; i < runs; i++) {
    const page = await newPage(browser); // a new context: empty cache every time
    await page.goto(`${server.url}/${query}`);
    await waitReady(page);
    const r = await page.evaluate(() => {
      const mark = performance.getEntriesByName('inframap:layers-drawn')[0].startTime;
      const stages = {};
      for (const m of performance.getEntriesByType('mark')) stages[m.name] = m.startTime;
      stages.domContentLoaded = performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd;
      const nav = performance.getEntriesByType('navigation')[0];
      const groups = {};
      const add = (g, e) => {
        groups[g] ||= { files: 0, transfer: 0, body: 0, decoded: 0 };
        groups[g].files++;
        groups[g].transfer += e.transferSize;
        groups[g].body += e.encodedBodySize;
        groups[g].decoded += e.decodedBodySize;
      };
      add('page (html)', nav);
      for (const e of performance.getEntriesByType('resource')) {
        const u = new URL(e.name);
        if (u.origin !== location.origin) continue; // basemap tiles
        const g = u.pathname.startsWith('/api/') ? 'api (json)' : /\.js$/.test(u.pathname) ? 'scripts' : /\.css$/.test(u.pathname) ? 'styles' : 'other';
        add(g, e);
      }
      const tiled = document.getElementById('map').dataset.tiled || '';
      const drawn = document.querySelectorAll('[data-testid="feature"], .mh-cluster').length;
      return { mark, groups, stages, tiled, drawn };
    });
    times.push(r.mark);
    last = r;
    for (const [k, v] of Object.entries(r.stages)) (stageTimes[k] ||= []).push(v);
    bytes = r.groups;
    await page.context().close();
  }
  const first = times[0];
  times.sort((a, b) => a - b);
  if (json) {
    const api = bytes['api (json)'] || { files: 0, body: 0 };
    console.log(JSON.stringify({
      runs, first_ms: Math.round(first), median_ms: Math.round(times[Math.floor(times.length / 2)]), max_ms: Math.round(times.at(-1)),
      tiled: last.tiled, drawn: last.drawn, api_requests: api.files, api_bytes: api.body,
      requests: Object.values(bytes).reduce((n, g) => n + g.files, 0), bytes: Object.values(bytes).reduce((n, g) => n + g.body, 0),
    }));
  } else {
    console.log(`navigation → inframap:layers-drawn over ${runs} cold loads: median ${times[Math.floor(times.length / 2)].toFixed(0)} ms, min ${times[0].toFixed(0)} ms, max ${times.at(-1).toFixed(0)} ms`);
    const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    console.log('median time of each stage since navigation: ' + Object.entries(stageTimes)
      .sort((a, b) => median(a[1]) - median(b[1])).map(([k, v]) => `${k.replace('inframap:', '')} ${median(v).toFixed(0)} ms`).join(', '));
    console.log('bytes (last load; body as sent, gzip where compressed / decoded):');
    for (const [g, b] of Object.entries(bytes)) {
      console.log(`  ${g.padEnd(12)} ${String(b.files).padStart(2)} files  ${String(b.body).padStart(8)} B sent  ${String(b.decoded).padStart(8)} B decoded`);
    }
  }
} finally {
  await browser.close();
  await tiles.stop();
  await server.stop();
}
