// api.js: the one place the pages talk to the service. JSON and GeoJSON in,
// RFC 9457 problems turned into ApiError so that callers can show the
// service's own explanation (and the request id to quote) instead of a bare
// status code. Shared by the public map, /manage and /field.

import { fieldMessage } from './problem-text.js';

/** ApiError is a failed request, carrying the problem document when there is one. */
export class ApiError extends Error {
  constructor(status, problem, url, headers) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status; // 0: no answer (offline, connection lost)
    this.problem = problem || null;
    this.url = url;
    this.requestId = problem && problem.request_id;
    const ra = headers && Number(headers.get ? headers.get('Retry-After') : headers['retry-after']);
    this.retryAfter = Number.isFinite(ra) && ra > 0 ? ra : null; // seconds
  }

  /** offline: the request got no answer at all, and may be sent again. */
  get offline() { return this.status === 0; }

  /** fieldErrors maps each field the service named to its message, in the page's language. */
  fieldErrors() {
    const out = {};
    for (const e of (this.problem && this.problem.errors) || []) {
      const f = String(e.field || '').replace(/^properties\./, '');
      const msg = fieldMessage(e);
      out[f] = out[f] ? `${out[f]}; ${msg}` : msg;
    }
    return out;
  }
}

const ACCEPT = 'application/geo+json, application/json;q=0.9, application/problem+json;q=0.8';

/** getJSON fetches a JSON document; a non-2xx answer throws ApiError. */
export async function getJSON(url, { signal } = {}) {
  let res;
  try {
    res = await fetch(url, { headers: { Accept: ACCEPT }, credentials: 'same-origin', signal });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, null, url);
  }
  const type = res.headers.get('Content-Type') || '';
  if (!res.ok) {
    let problem = null;
    if (type.includes('json')) {
      try { problem = await res.json(); } catch { /* a body that is not JSON says nothing more */ }
    }
    throw new ApiError(res.status, problem, url, res.headers);
  }
  return res.json();
}

/** query builds a URL under the API from a path and the non-empty params. */
export function query(path, params = {}) {
  const u = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    u.searchParams.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  return u.pathname + u.search;
}

/**
 * getAllFeatures reads every page of a GeoJSON list endpoint, following
 * links[rel=next], and returns the features. onPage sees each page as it
 * arrives, so a caller can draw while the rest loads.
 */
export async function getAllFeatures(path, params = {}, { signal, onPage } = {}) {
  let url = query(path, { limit: 1000, ...params });
  const out = [];
  for (let guard = 0; url && guard < 1000; guard++) {
    const page = await getJSON(url, { signal });
    out.push(...page.features);
    if (onPage) onPage(page.features);
    const next = (page.links || []).find((l) => l.rel === 'next');
    url = next ? next.href : null;
  }
  return out;
}

async function problemOf(res) {
  const type = res.headers.get('Content-Type') || '';
  if (!type.includes('json')) return null;
  try { return await res.json(); } catch { return null; }
}

/**
 * send makes a request with a JSON body (json) or any other body (body) and
 * returns {status, data, etag, headers}; a non-2xx answer throws ApiError.
 */
export async function send(method, url, { json, body, headers = {}, signal } = {}) {
  const h = { Accept: 'application/json, application/problem+json;q=0.8', ...headers };
  if (json !== undefined) {
    h['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  }
  let res;
  try {
    res = await fetch(url, { method, headers: h, body, credentials: 'same-origin', signal, cache: 'no-store' });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, null, url);
  }
  if (!res.ok) throw new ApiError(res.status, await problemOf(res), url, res.headers);
  const type = res.headers.get('Content-Type') || '';
  const data = res.status === 204 ? null : type.includes('json') ? await res.json() : await res.text();
  return { status: res.status, data, etag: res.headers.get('ETag'), headers: res.headers };
}

/**
 * upload posts a FormData with XMLHttpRequest, whose upload events give a
 * progress bar (fetch has none): onProgress(fraction) as bytes leave.
 * Resolves {status, data, headers}; rejects with ApiError (status 0 when no
 * answer came).
 */
export function upload(url, form, { headers = {}, onProgress, signal } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('Accept', 'application/json, application/problem+json;q=0.8');
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.responseType = 'text';
    if (onProgress) {
      xhr.upload.addEventListener('progress', (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); });
    }
    const header = (k) => xhr.getResponseHeader(k);
    xhr.addEventListener('load', () => {
      let data = null;
      try { data = xhr.responseText ? JSON.parse(xhr.responseText) : null; } catch { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300) {
        if (onProgress) onProgress(1);
        resolve({ status: xhr.status, data, headers: { get: header } });
      } else {
        reject(new ApiError(xhr.status, data, url, { get: header }));
      }
    });
    const fail = () => reject(new ApiError(0, null, url));
    xhr.addEventListener('error', fail);
    xhr.addEventListener('timeout', fail);
    xhr.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
    if (signal) signal.addEventListener('abort', () => xhr.abort());
    xhr.send(form);
  });
}

/** newKey is an Idempotency-Key: made once per write and kept with it, so a retry is recognised. */
export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

/** getList reads every page of a JSON list endpoint whose items are under key. */
export async function getList(path, key, params = {}, { signal, max = 5000 } = {}) {
  let url = query(path, { limit: 1000, ...params });
  const out = [];
  while (url && out.length < max) {
    const page = await getJSON(url, { signal });
    out.push(...page[key]);
    const next = (page.links || []).find((l) => l.rel === 'next');
    url = next ? next.href : null;
  }
  return out;
}

export const api = {
  meta: (opts) => getJSON('/api/v1/meta', opts),
  areas: (opts) => getJSON('/api/v1/areas', opts),
  stats: (asOf, opts) => getJSON(query('/api/v1/stats', { as_of: asOf }), opts),
  /** count: how many assets of a kind there are (the OGC collection's numberMatched). */
  count: async (kind, opts) => (await getJSON(`/ogc/collections/${encodeURIComponent(kind)}/items?limit=1`, opts)).numberMatched,
  asset: (id, opts) => getJSON(`/api/v1/assets/${encodeURIComponent(id)}`, opts),
  /** assets: every feature matching the filters (kind, status, bbox, q, subdistrict, as_of). */
  assets: (params, opts) => getAllFeatures('/api/v1/assets', params, opts),
  assetPhotos: (id, opts) => getJSON(`/api/v1/assets/${encodeURIComponent(id)}/photos`, opts),
  services: (opts) => getJSON('/open311/v2/services.json', opts),
  report: (ref, opts) => getJSON(`/api/v1/reports/${encodeURIComponent(ref)}`, opts),
  /** tasks: one page of tasks matching params (status, bbox, overdue, asset, …). */
  tasks: (params, opts) => getJSON(query('/api/v1/tasks', params), opts),
};
