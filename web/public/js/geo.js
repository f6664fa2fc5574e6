// geo.js: the device's position and small distances, in WGS84 as the
// service wants them.

const R = 6371008.8;
const rad = (d) => (d * Math.PI) / 180;

/** distance in metres between two [lon, lat] positions (haversine). */
export function distance([lon1, lat1], [lon2, lat2]) {
  const a = Math.sin(rad(lat2 - lat1) / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(rad(lon2 - lon1) / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(a));
}

/** bboxAround is the box "minLon,minLat,maxLon,maxLat" reaching metres from [lon, lat] each way. */
export function bboxAround([lon, lat], metres) {
  const dLat = metres / 111320;
  const dLon = metres / (111320 * Math.cos(rad(lat)));
  return [lon - dLon, lat - dLat, lon + dLon, lat + dLat].map((v) => v.toFixed(6)).join(',');
}

/**
 * locate asks the device where it is: {lon, lat, accuracy} (metres).
 * Rejects with the GeolocationPositionError (code 1 denied, 2 unavailable, 3 timeout).
 */
export function locate({ timeout = 15000, maximumAge = 30000 } = {}) {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) {
      reject(Object.assign(new Error('no geolocation'), { code: 2 }));
      return;
    }
    // The API's own timeout starts only once permission is given: a prompt
    // left unanswered would wait for ever, so the page keeps its own clock.
    const timer = setTimeout(() => reject(Object.assign(new Error('no answer'), { code: 3 })), timeout + 1000);
    navigator.geolocation.getCurrentPosition(
      (p) => { clearTimeout(timer); resolve({ lon: p.coords.longitude, lat: p.coords.latitude, accuracy: p.coords.accuracy }); },
      (err) => { clearTimeout(timer); reject(err); }, { enableHighAccuracy: true, timeout, maximumAge });
  });
}

/**
 * nearestDistance is how far [lon, lat] is from a GeoJSON geometry, in
 * metres: 0 inside a polygon, else the nearest point of its lines (in a local
 * flat frame around p, exact enough at street scale).
 */
export function nearestDistance(geometry, p) {
  if (!geometry || !geometry.coordinates) return Infinity;
  const kx = 111320 * Math.cos(rad(p[1]));
  const ky = 110540;
  const xy = (c) => [(c[0] - p[0]) * kx, (c[1] - p[1]) * ky];
  const seg = (a, b) => {
    const [ax, ay] = xy(a);
    const [bx, by] = xy(b);
    const dx = bx - ax, dy = by - ay;
    const len = dx * dx + dy * dy;
    const u = len ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len)) : 0;
    return Math.hypot(ax + u * dx, ay + u * dy);
  };
  const line = (cs) => (cs.length === 1 ? Math.hypot(...xy(cs[0])) : Math.min(...cs.slice(1).map((c, i) => seg(cs[i], c))));
  const inside = (ring) => {
    let inn = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i], [xj, yj] = ring[j];
      if ((yi > p[1]) !== (yj > p[1]) && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inn = !inn;
    }
    return inn;
  };
  const polygon = (rings) => (inside(rings[0]) && !rings.slice(1).some(inside) ? 0 : Math.min(...rings.map(line)));
  const c = geometry.coordinates;
  switch (geometry.type) {
    case 'Point': return line([c]);
    case 'MultiPoint': case 'LineString': return line(c);
    case 'MultiLineString': return Math.min(...c.map(line));
    case 'Polygon': return polygon(c);
    case 'MultiPolygon': return Math.min(...c.map(polygon));
    default: return Infinity;
  }
}

/** centre of a GeoJSON geometry: the middle of its vertices' extent. */
export function centreOf(geometry) {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      minX = Math.min(minX, c[0]); maxX = Math.max(maxX, c[0]);
      minY = Math.min(minY, c[1]); maxY = Math.max(maxY, c[1]);
    } else for (const x of c) walk(x);
  };
  walk(geometry.coordinates);
  return [(minX + maxX) / 2, (minY + maxY) / 2];
}
