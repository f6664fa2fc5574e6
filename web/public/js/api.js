// api.js: the one place the pages talk to the service. JSON and GeoJSON in,
// RFC 9457 problems turned into ApiError so that callers can show the
// service's own explanation (and the request id to quote) instead of a bare
// status code. Shared by the public map, /manage and /field.

/** ApiError is a failed request, carrying the problem document when there is one. */
export class ApiError extends Error {
  constructor(status, problem, url) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem || null;
    this.url = url;
    this.requestId = problem && problem.request_id;
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
    throw new ApiError(res.status, problem, url);
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

export const api = {
  meta: (opts) => getJSON('/api/v1/meta', opts),
  areas: (opts) => getJSON('/api/v1/areas', opts),
  stats: (asOf, opts) => getJSON(query('/api/v1/stats', { as_of: asOf }), opts),
  asset: (id, opts) => getJSON(`/api/v1/assets/${encodeURIComponent(id)}`, opts),
  /** assets: every feature matching the filters (kind, status, bbox, q, subdistrict, as_of). */
  assets: (params, opts) => getAllFeatures('/api/v1/assets', params, opts),
};
