// Package httpx is what every HTTP package of inframap shares: the one
// problem writer (domain errors to RFC 9457 problem+json), the handler
// adapter that lets handlers return their errors, the request-scoped
// context values (request id, logger, viewer), who asks and whether they
// may (permission checks, the path id, the client's address behind trusted
// proxies), generic query parameter parsing, cursors and page links, and
// JSON and streamed GeoJSON writing with pooled buffers. It knows nothing of
// the service's routes, so httpapi, accounts, ogcapi and open311 can all use
// it without importing each other.
package httpx
