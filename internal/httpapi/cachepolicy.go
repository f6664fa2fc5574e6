package httpapi

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"inframap/gis"
	"inframap/internal/cache"
	"inframap/internal/httpx"
	"inframap/internal/maint"
	"inframap/internal/respcache"
)

// A route is cached because it is registered so (routes.go), with the
// policy that says how: the policy travels with the route rather than being
// looked up by path template, so a route that moves or is renamed keeps it,
// and the cache never parses a request its handler parses again.

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
	if httpx.ViewerOf(r).Staff() {
		// Staff read assets whole, everyone else with personal data masked
		// (internal/privacy): two answers, kept apart.
		b.WriteString("#staff")
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
func everyAsset(key func(*http.Request) string) respcache.PolicyFunc {
	return func(r *http.Request) (respcache.Policy, bool) {
		return respcache.Policy{Key: key(r), Kinds: maint.KindNames(maint.Kinds), Area: cache.World}, true
	}
}

// assetPages is the policy of a page of assets (the GeoJSON list, OGC
// items, an export): it shows the kinds asked for (a collection is one
// kind) within the bbox asked for in WGS 84, and tasks too when it is
// filtered by dates of work or by a CQL2 filter.
func assetPages(key func(*http.Request) string) respcache.PolicyFunc {
	return func(r *http.Request) (respcache.Policy, bool) {
		q := r.URL.Query()
		p := respcache.Policy{Key: key(r), Kinds: maint.KindNames(maint.Kinds), Area: cache.World, Heavy: true}
		if k := q.Get("kind"); k != "" {
			p.Kinds = strings.Split(k, ",")
		}
		if c := mux.Vars(r)["collectionId"]; c != "" {
			p.Kinds = []string{c}
		}
		if b := q.Get("bbox"); b != "" && q.Get("bbox-crs") == "" {
			if box, err := gis.ParseBBox(b); err == nil {
				p.Area = box
			}
		}
		// A CQL2 filter may read status_at, as datetime does.
		if q.Has("as_of") || q.Has("completed_from") || q.Has("completed_to") || q.Has("datetime") || q.Has("filter") {
			p.Kinds = append(p.Kinds, "tasks")
		}
		return p, true
	}
}

// reportCard is the policy of the report card: every asset and task. Its
// overdue count and lights move with the clock, so an answer is kept a
// minute at most.
func reportCard(r *http.Request) (respcache.Policy, bool) {
	return respcache.Policy{Key: queryKey(r), Kinds: append(maint.KindNames(maint.Kinds), "tasks"), Area: cache.World, Heavy: true,
		MaxAge: clockMaxAge}, true
}

// clockMaxAge is how long an answer that reads the time limits' clocks is
// kept.
const clockMaxAge = time.Minute

// areaList is the policy of the district's areas.
func areaList(r *http.Request) (respcache.Policy, bool) {
	return respcache.Policy{Key: queryKey(r), Kinds: []string{"areas"}, Area: cache.World}, true
}

// caseFeedPolicy caches a feed until a task changes.
func caseFeedPolicy(r *http.Request) (respcache.Policy, bool) {
	return respcache.Policy{Key: queryKey(r), Kinds: []string{"tasks"}, Area: cache.World}, true
}
