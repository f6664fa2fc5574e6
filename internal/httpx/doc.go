// Package httpx is what every HTTP package of inframap shares: the one
// problem writer (domain errors to RFC 9457 problem+json), the handler
// adapter that lets handlers return their errors, the request-scoped
// context values (request id, logger, viewer), generic query parameter
// parsing and cursors, and JSON and streamed GeoJSON writing with pooled
// buffers. It knows nothing of the service's routes, so httpapi, ogcapi and
// open311 can all use it without importing each other.
package httpx
