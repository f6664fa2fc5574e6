// projection.js: from the data's WGS84 to the coordinates the basemap is
// drawn in, and back. Only Amap needs a shift (GCJ-02); the address, bbox
// queries and everything sent to the service stay in WGS84.
import { wgsToGcj, gcjToWgs } from './gcj02.js';

/* global L */

export class Projection {
  constructor(crs = 'wgs84') { this.crs = crs; }

  /** toLatLng takes a GeoJSON position [lon, lat] to a Leaflet LatLng on the basemap. */
  toLatLng(c) {
    if (this.crs === 'gcj02') {
      const [x, y] = wgsToGcj(c);
      return L.latLng(y, x);
    }
    return L.latLng(c[1], c[0]);
  }

  /** toLonLat takes a point of the map back to WGS84 [lon, lat]. */
  toLonLat(ll) {
    if (this.crs === 'gcj02') return gcjToWgs([ll.lng, ll.lat]);
    return [ll.lng, ll.lat];
  }

  /** bbox is the WGS84 box "minLon,minLat,maxLon,maxLat" around map bounds. */
  bbox(bounds) {
    const sw = this.toLonLat(bounds.getSouthWest());
    const ne = this.toLonLat(bounds.getNorthEast());
    return [sw[0], sw[1], ne[0], ne[1]].map((v) => v.toFixed(6)).join(',');
  }
}
