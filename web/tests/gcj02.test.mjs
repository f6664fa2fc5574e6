// The GCJ-02 and BD-09 transforms against DOMAIN.md §3's test vectors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wgsToGcj, gcjToWgs, gcjToBd, outOfChina } from '../public/js/gcj02.js';

const close = (got, want, tol, what) => {
  for (let i = 0; i < 2; i++) {
    assert.ok(Math.abs(got[i] - want[i]) <= tol, `${what}: got [${got}], want [${want}] within ${tol}`);
  }
};

test('WGS84 → GCJ-02 matches the Beijing vector', () => {
  close(wgsToGcj([116.404, 39.915]), [116.41024449916938, 39.91640428150164], 1e-12, 'wgsToGcj(116.404, 39.915)');
});

test('GCJ-02 → BD-09 matches the vector', () => {
  close(gcjToBd([116.404, 39.915]), [116.41036949371029, 39.92133699351021], 1e-12, 'gcjToBd(116.404, 39.915)');
});

test('WGS84 → GCJ-02 in Changchun is about +514 m east, +261 m north', () => {
  const g = wgsToGcj([125.27, 43.88]);
  close(g, [125.27639937, 43.8823372], 1e-8, 'wgsToGcj(125.27, 43.88)');
  const east = (g[0] - 125.27) * 111320 * Math.cos((43.88 * Math.PI) / 180);
  const north = (g[1] - 43.88) * 110950;
  assert.ok(Math.abs(east - 514) < 5 && Math.abs(north - 261) < 5, `offset ${east.toFixed(0)} m E, ${north.toFixed(0)} m N`);
});

test('GCJ-02 → WGS84 inverts the forward transform to 1e-9 degrees', () => {
  for (const p of [[125.27, 43.88], [125.055, 43.766], [125.308, 44.005], [116.404, 39.915]]) {
    close(gcjToWgs(wgsToGcj(p)), p, 1e-9, `gcjToWgs(wgsToGcj(${p}))`);
  }
});

test('outside China nothing moves', () => {
  assert.ok(outOfChina(2.35, 48.85));
  assert.deepEqual(wgsToGcj([2.35, 48.85]), [2.35, 48.85]);
  assert.deepEqual(gcjToWgs([2.35, 48.85]), [2.35, 48.85]);
});
