// WGS84 ⇄ GCJ-02 ⇄ BD-09, the public formulas of DOMAIN.md §3. Amap and
// Tencent tiles are drawn in GCJ-02, so data in WGS84 must be shifted by
// about 500 m in Changchun to sit on them. Pure functions on [lon, lat].

const A = 6378245.0;
const EE = 0.00669342162296594323;
const PI = Math.PI;

export function outOfChina(lon, lat) {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

function tLat(x, y) {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3;
  r += (20 * Math.sin(y * PI) + 40 * Math.sin(y / 3 * PI)) * 2 / 3;
  r += (160 * Math.sin(y / 12 * PI) + 320 * Math.sin(y * PI / 30)) * 2 / 3;
  return r;
}

function tLon(x, y) {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3;
  r += (20 * Math.sin(x * PI) + 40 * Math.sin(x / 3 * PI)) * 2 / 3;
  r += (150 * Math.sin(x / 12 * PI) + 300 * Math.sin(x / 30 * PI)) * 2 / 3;
  return r;
}

/** wgsToGcj shifts a WGS84 [lon, lat] to GCJ-02; outside China it is unchanged. */
export function wgsToGcj([lon, lat]) {
  if (outOfChina(lon, lat)) return [lon, lat];
  const x = lon - 105, y = lat - 35;
  const phi = lat / 180 * PI;
  const m = 1 - EE * Math.sin(phi) ** 2;
  const s = Math.sqrt(m);
  const dLat = (tLat(x, y) * 180) / ((A * (1 - EE)) / (m * s) * PI);
  const dLon = (tLon(x, y) * 180) / (A / s * Math.cos(phi) * PI);
  return [lon + dLon, lat + dLat];
}

/** gcjToWgs inverts wgsToGcj by fixed-point iteration to under 1e-9 degrees. */
export function gcjToWgs([lon, lat]) {
  if (outOfChina(lon, lat)) return [lon, lat];
  let w = [lon, lat];
  for (let i = 0; i < 30; i++) {
    const g = wgsToGcj(w);
    const dx = g[0] - lon, dy = g[1] - lat;
    w = [w[0] - dx, w[1] - dy];
    if (Math.abs(dx) < 1e-9 && Math.abs(dy) < 1e-9) break;
  }
  return w;
}

/** gcjToBd applies Baidu's BD-09 offset on top of GCJ-02. */
export function gcjToBd([x, y]) {
  const z = Math.sqrt(x * x + y * y) + 2e-5 * Math.sin(y * PI * 3000 / 180);
  const t = Math.atan2(y, x) + 3e-6 * Math.cos(x * PI * 3000 / 180);
  return [z * Math.cos(t) + 0.0065, z * Math.sin(t) + 0.006];
}
