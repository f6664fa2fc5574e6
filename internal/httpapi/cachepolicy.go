package httpapi

import (
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/gorilla/mux"

	"inframap/gis"
	"inframap/internal/cache"
	"inframap/internal/httpx"
	"inframap/internal/maint"
)

// A route is cached because it is registered so (routes.go), with the
// policy that says how: the policy travels with the route rather than being
// looked up by path template, so a route that moves or is renamed keeps it,
// and the cache never parses a request its handler parses again.

// cachePolicy says how a response is cached: under which key, which changes
// (kinds of data within an area) make it stale, and whether rendering it is
// heavy enough to wait for a render slot.
type cachePolicy struct {
	key   string
	kinds []string
	area  gis.BBox
	heavy bool
}

// policyFunc gives the cache policy of a request to a route; false means
// the request is served afresh.
type policyFunc func(r *http.Request) (cachePolicy, bool)

// cached answers h's GET and HEAD requests from the response cache under
// the policy that policy gives them. It wraps any handler, for routes whose
// parameters the cache need not know (the handler may live elsewhere).
func (s *Server) cached(policy policyFunc, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := policy(r)
		s.serveCached(w, r, p, ok, h)
	})
}

// cachedRoute is the parse-once form: a request's parameters are parsed
// once, a parse error is answered as a problem (and not cached), and the
// parsed value both gives the policy and is handed to render.
func cachedRoute[P any](s *Server, parse func(*http.Request) (P, error), policy func(*http.Request, P) (cachePolicy, bool),
	render func(http.ResponseWriter, *http.Request, P)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := parse(r)
		if err != nil {
			httpx.WriteError(w, r, err)
			return
		}
		p, ok := policy(r, v)
		s.serveCached(w, r, p, ok, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { render(w, r, v) }))
	})
}

// queryKey is the path and the query in a canonical order.
func queryKey(r *http.Request) string {
	q := r.URL.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(r.URL.Path)
	for i, k := range keys {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(strings.Join(q[k], ",")))
	}
	return b.String()
}

// negotiatedKey adds the Accept header to queryKey, for the routes that
// negotiate their format (OGC API).
func negotiatedKey(r *http.Request) string {
	return queryKey(r) + "|" + r.Header.Get("Accept")
}

// everyAsset is the policy of a light response that shows something of
// every asset anywhere (TileJSON bounds, OGC collection extents).
func everyAsset(key func(*http.Request) string) policyFunc {
	return func(r *http.Request) (cachePolicy, bool) {
		return cachePolicy{key: key(r), kinds: maint.KindNames(maint.Kinds), area: cache.World}, true
	}
}

// assetPages is the policy of a page of assets (the GeoJSON list, OGC
// items, an export): it shows the kinds asked for (a collection is one
// kind) within the bbox asked for in WGS 84, and tasks too when it is
// filtered by dates of work.
func assetPages(key func(*http.Request) string) policyFunc {
	return func(r *http.Request) (cachePolicy, bool) {
		q := r.URL.Query()
		p := cachePolicy{key: key(r), kinds: maint.KindNames(maint.Kinds), area: cache.World, heavy: true}
		if k := q.Get("kind"); k != "" {
			p.kinds = strings.Split(k, ",")
		}
		if c := mux.Vars(r)["collectionId"]; c != "" {
			p.kinds = []string{c}
		}
		if b := q.Get("bbox"); b != "" && q.Get("bbox-crs") == "" {
			if box, err := gis.ParseBBox(b); err == nil {
				p.area = box
			}
		}
		if q.Has("as_of") || q.Has("completed_from") || q.Has("completed_to") || q.Has("datetime") {
			p.kinds = append(p.kinds, "tasks")
		}
		return p, true
	}
}

// reportCard is the policy of the report card: every asset and task.
func reportCard(r *http.Request) (cachePolicy, bool) {
	return cachePolicy{key: queryKey(r), kinds: append(maint.KindNames(maint.Kinds), "tasks"), area: cache.World, heavy: true}, true
}

// areaList is the policy of the district's areas.
func areaList(r *http.Request) (cachePolicy, bool) {
	return cachePolicy{key: queryKey(r), kinds: []string{"areas"}, area: cache.World}, true
}
