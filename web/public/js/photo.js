// photo.js: a camera photo made ready to send. The picture is resized in
// the browser (long side 2048 px: a phone's 12 MP original is 3–5 MB, the
// street's signal is poor), and a canvas drops the EXIF, so where and when
// it was taken are read first (exifr) and sent as fields.
import * as exifr from '/vendor/exifr/lite.esm.js';

export const LONG_SIDE = 2048;

/**
 * readExif returns {lat, lon, capturedAt} from the photo's EXIF, each null
 * when absent. A time without OffsetTimeOriginal is the district's
 * (Asia/Shanghai, +08:00), as the service reads it.
 */
export async function readExif(file) {
  const out = { lat: null, lon: null, capturedAt: null };
  let tags;
  try {
    // Picks per block: a global pick would reach the interop block, which
    // the lite build has no dictionary for. Raw values: the time is read
    // here with the district's zone, not the browser's.
    tags = await exifr.parse(file, {
      tiff: true, ifd0: false, ifd1: false, interop: false, xmp: false, icc: false, iptc: false, jfif: false,
      exif: { pick: ['DateTimeOriginal', 'OffsetTimeOriginal', 'SubSecTimeOriginal'] },
      gps: { pick: ['GPSLatitude', 'GPSLatitudeRef', 'GPSLongitude', 'GPSLongitudeRef'] },
      reviveValues: false, translateValues: false,
    });
  } catch {
    return out; // no EXIF, or none exifr can read: the device's position will do
  }
  if (!tags) return out;
  const dms = (v) => (Array.isArray(v) ? v[0] + v[1] / 60 + v[2] / 3600 : Number(v));
  if (tags.GPSLatitude && tags.GPSLongitude) {
    let lat = dms(tags.GPSLatitude);
    let lon = dms(tags.GPSLongitude);
    if (tags.GPSLatitudeRef === 'S') lat = -lat;
    if (tags.GPSLongitudeRef === 'W') lon = -lon;
    // 0,0 is a camera without a fix, as the service also takes it.
    if (Number.isFinite(lat) && Number.isFinite(lon) && !(lat === 0 && lon === 0)) {
      out.lat = Number(lat.toFixed(7));
      out.lon = Number(lon.toFixed(7));
    }
  }
  const m = /^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(String(tags.DateTimeOriginal || ''));
  if (m) {
    const off = /^[+-]\d{2}:\d{2}$/.test(tags.OffsetTimeOriginal || '') ? tags.OffsetTimeOriginal : '+08:00';
    const sub = /^\d+$/.test(String(tags.SubSecTimeOriginal || '')) ? `.${tags.SubSecTimeOriginal}` : '';
    const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${sub}${off}`;
    if (!Number.isNaN(Date.parse(iso))) out.capturedAt = iso;
  }
  return out;
}

/**
 * resize draws the photo upright (EXIF orientation applied) with its long
 * side at most LONG_SIDE and returns a JPEG Blob with its size.
 */
export async function resize(file, longSide = LONG_SIDE) {
  const bmp = await createImageBitmap(file, { imageOrientation: 'from-image' });
  const scale = Math.min(1, longSide / Math.max(bmp.width, bmp.height));
  const w = Math.max(1, Math.round(bmp.width * scale));
  const h = Math.max(1, Math.round(bmp.height * scale));
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff'; // a transparent PNG becomes white, not black
  ctx.fillRect(0, 0, w, h);
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bmp, 0, 0, w, h);
  bmp.close?.();
  const blob = await new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('toBlob'))), 'image/jpeg', 0.85));
  return { blob, width: w, height: h };
}
