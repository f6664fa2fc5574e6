// Measures the public map on loopback: time from navigation to the
// 'inframap:layers-drawn' mark, and bytes transferred (gzip where the server
// compresses) for the page, its scripts, styles and the API calls.
// Usage: node scripts/measure.mjs [runs]   (default 5 cold loads)
import { startServer, startTiles, launchBrowser, newPage, waitReady } from '../tests/harness.mjs';

const runs = Number(process.argv[2] || 5);
const server = await startServer();
const tiles = await startTiles();
const browser = await launchBrowser();
try {
  const times = [];
  const stageTimes = {};
  let bytes;
  for (let i = 0; i < runs; i++) {
    const page = await newPage(browser); // a new context: empty cache every time
    await page.goto(`${server.url}/?tile_origin=${encodeURIComponent(tiles.origin)}`);
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
      return { mark, groups, stages };
    });
    times.push(r.mark);
    for (const [k, v] of Object.entries(r.stages)) (stageTimes[k] ||= []).push(v);
    bytes = r.groups;
    await page.context().close();
  }
  times.sort((a, b) => a - b);
  console.log(`navigation → inframap:layers-drawn over ${runs} cold loads: median ${times[Math.floor(times.length / 2)].toFixed(0)} ms, min ${times[0].toFixed(0)} ms, max ${times.at(-1).toFixed(0)} ms`);
  const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  console.log('median time of each stage since navigation: ' + Object.entries(stageTimes)
    .sort((a, b) => median(a[1]) - median(b[1])).map(([k, v]) => `${k.replace('inframap:', '')} ${median(v).toFixed(0)} ms`).join(', '));
  console.log('bytes (last load; body as sent, gzip where compressed / decoded):');
  for (const [g, b] of Object.entries(bytes)) {
    console.log(`  ${g.padEnd(12)} ${String(b.files).padStart(2)} files  ${String(b.body).padStart(8)} B sent  ${String(b.decoded).padStart(8)} B decoded`);
  }
} finally {
  await browser.close();
  await tiles.stop();
  await server.stop();
}
