// state.js: the view and the filters live in the address, so a link opens
// the same view. Coordinates in the address are always WGS84, whatever the
// basemap draws in.

const LIST = (s) => (s ? s.split(',').filter(Boolean) : null);

/** readState parses the query string of the page. */
export function readState(search = location.search) {
  const p = new URLSearchParams(search);
  const f = (k) => {
    const v = parseFloat(p.get(k));
    return Number.isFinite(v) ? v : null;
  };
  const dateOf = (k) => (/^\d{4}-\d{2}-\d{2}$/.test(p.get(k) || '') ? p.get(k) : '');
  return {
    lat: f('lat'), lon: f('lon'), z: f('z'),
    kinds: LIST(p.get('kinds')),      // null: every programme
    statuses: LIST(p.get('status')),  // null: every status
    subdistrict: p.get('sd') || '',
    from: dateOf('from'), to: dateOf('to'),
    q: p.get('q') || '',
    asOf: dateOf('as_of'),
    // Open work by its time limit: '' (all), 'on_time' or 'late'.
    due: ['on_time', 'late'].includes(p.get('due')) ? p.get('due') : '',
    id: p.get('id') || '',
    // A case to open in the follow panel (the links in messages).
    follow: /^[A-Za-z]{2}-\d{4}-\d{6,}$/.test(p.get('follow') || '') ? p.get('follow') : '',
    tab: p.get('tab') || '',
    // Basemap configuration (see basemap.js): which provider, its key, and
    // an origin or template that replaces the provider's (mirrors, tests).
    basemap: p.get('basemap') || '',
    tk: p.get('tk') || '',
    tileOrigin: p.get('tile_origin') || '',
    tiles: p.get('tiles') || '',
    // Draw a programme tile by tile past this many assets (see app-public.js).
    tiled: /^\d+$/.test(p.get('tiled') || '') ? p.get('tiled') : '',
  };
}

/** writeState puts the state back in the address without a new history entry. */
export function writeState(s) {
  const p = new URLSearchParams();
  const set = (k, v) => { if (v !== null && v !== undefined && v !== '') p.set(k, v); };
  if (s.lat !== null && s.lon !== null && s.z !== null) {
    set('lat', s.lat.toFixed(5));
    set('lon', s.lon.toFixed(5));
    set('z', String(s.z));
  }
  if (s.kinds) set('kinds', s.kinds.join(',') || '-');
  if (s.statuses) set('status', s.statuses.join(',') || '-');
  set('sd', s.subdistrict);
  set('from', s.from);
  set('to', s.to);
  set('q', s.q);
  set('as_of', s.asOf);
  set('due', s.due);
  set('id', s.id);
  set('tab', s.tab);
  set('basemap', s.basemap);
  set('tk', s.tk);
  set('tile_origin', s.tileOrigin);
  set('tiles', s.tiles);
  set('tiled', s.tiled);
  const qs = p.toString();
  const url = location.pathname + (qs ? '?' + qs : '') + location.hash;
  if (url !== location.pathname + location.search + location.hash) history.replaceState(null, '', url);
}
