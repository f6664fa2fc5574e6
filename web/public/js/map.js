// map.js: the Leaflet map itself: initial view (from the address or the
// district's extent), zoom and scale controls, and the view written back to
// the address as it moves.
import { t, onLangChange } from './i18n.js';

/* global L */

// The district's extent (DOMAIN.md §2), used before the boundary has loaded.
export const DISTRICT_BOUNDS = [[43.766, 125.055], [44.005, 125.308]];

/** createMap makes the map in el; view is {lat, lon, z} in WGS84 or nulls. */
export function createMap(el, view, proj) {
  const map = L.map(el, {
    zoomControl: false,
    minZoom: 9,
    maxZoom: 19,
    preferCanvas: false,
    attributionControl: true,
    worldCopyJump: false,
    zoomSnap: 0.5,
  });
  // Sub-district labels crowd each other when the whole district is in view.
  const zoomClass = () => el.classList.toggle('zoom-low', map.getZoom() < 12);
  map.on('zoomend', zoomClass);
  map.attributionControl.setPrefix('<a href="https://leafletjs.com/">Leaflet</a>');
  // Leaflet's own button titles are English: ours come from the message table.
  let zoom;
  const addZoom = () => {
    zoom?.remove();
    zoom = L.control.zoom({ zoomInTitle: t('map.zoomIn'), zoomOutTitle: t('map.zoomOut') }).addTo(map);
  };
  addZoom();
  onLangChange(addZoom);
  L.control.scale({ imperial: false }).addTo(map);
  setView(map, view, proj);
  zoomClass();
  return map;
}

export function setView(map, view, proj) {
  if (view.lat !== null && view.lon !== null && view.z !== null) {
    map.setView(proj.toLatLng([view.lon, view.lat]), view.z, { animate: false });
  } else {
    const b = L.latLngBounds(DISTRICT_BOUNDS.map(([lat, lon]) => proj.toLatLng([lon, lat])));
    map.fitBounds(b, { animate: false, padding: [8, 8] });
  }
}

/** viewOf is the map's centre in WGS84 and its zoom, for the address. */
export function viewOf(map, proj) {
  const [lon, lat] = proj.toLonLat(map.getCenter());
  return { lat, lon, z: map.getZoom() };
}
