package ogcapi

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"inframap/gis"
	"inframap/internal/geojson"
	"inframap/internal/httpx"
	"inframap/internal/maint"
	"inframap/internal/privacy"
)

// itemParams are the parameters /items takes besides property filters.
var itemParams = []string{"f", "bbox", "bbox-crs", "crs", "datetime", "limit", "offset", "status", "filter", "filter-lang", "filter-crs"}

// allowedItemParams lists the parameters /items of kind k takes. Parameters
// other than the standard ones are property filters; they must name a
// public property of the collection (its attributes are looked up only when
// one is used).
func (a *API) allowedItemParams(r *http.Request, k maint.Kind) ([]string, error) {
	allowed := append(slices.Clone(itemParams), maint.FeatureProperties...)
	attrsRead := false
	for name := range r.URL.Query() {
		if slices.Contains(allowed, name) {
			continue
		}
		if !attrsRead {
			keys, err := a.features.AttributeKeys(r.Context(), []maint.Kind{k})
			if err != nil {
				return nil, err
			}
			allowed, attrsRead = append(allowed, keys...), true
		}
		if !slices.Contains(allowed, name) {
			return nil, maint.Invalid(name, "unknown parameter %q; items take %s, and the properties %s",
				name, strings.Join(itemParams, ", "), strings.Join(allowed[len(itemParams):], ", "))
		}
	}
	return allowed, nil
}

// featureQuery reads the query of GET /items.
func (a *API) featureQuery(r *http.Request, k maint.Kind) (maint.FeatureQuery, error) {
	q := maint.FeatureQuery{Kind: k}
	allowed, err := a.allowedItemParams(r, k)
	if err != nil {
		return q, err
	}
	p, err := httpx.ReadParams(r, allowed...)
	if err != nil {
		return q, err
	}
	if err := p.Format("json", "geojson"); err != nil {
		return q, err
	}
	if q.CRS, err = gis.ParseCRS(p.Str("crs")); err != nil {
		return q, httpx.InvalidParam("crs", err)
	}
	if err := readPlaceAndTime(p, &q); err != nil {
		return q, err
	}
	if err := readPage(p, &q); err != nil {
		return q, err
	}
	if q.Statuses, err = p.Statuses("status"); err != nil {
		return q, err
	}
	if err := a.readFilter(r, p, &q); err != nil {
		return q, err
	}
	for name, vals := range p.Values() {
		if slices.Contains(itemParams, name) {
			continue
		}
		q.Props = append(q.Props, maint.PropertyFilter{Name: name, Value: vals[0]})
	}
	slices.SortFunc(q.Props, func(a, b maint.PropertyFilter) int { return strings.Compare(a.Name, b.Name) })
	return q, nil
}

// readPlaceAndTime reads bbox (in bbox-crs) and datetime.
func readPlaceAndTime(p httpx.Params, q *maint.FeatureQuery) error {
	bboxCRS, err := gis.ParseCRS(p.Str("bbox-crs"))
	if err != nil {
		return httpx.InvalidParam("bbox-crs", err)
	}
	if s := p.Str("bbox"); s != "" {
		b, err := gis.ParseBBoxIn(s, bboxCRS)
		if err != nil {
			return httpx.InvalidParam("bbox", err)
		}
		q.BBox, q.BBoxSRID = &b, bboxCRS.SRID
	} else if p.Has("bbox-crs") {
		return maint.Invalid("bbox-crs", "bbox-crs is given without a bbox")
	}
	if s := p.Str("datetime"); s != "" {
		if q.From, q.To, err = parseDatetime(s); err != nil {
			return err
		}
		q.HasTime = true
	}
	return nil
}

// readPage reads limit and offset. A limit above the maximum is not an
// error: OGC API Features has the server answer with at most its maximum
// and a next link.
func readPage(p httpx.Params, q *maint.FeatureQuery) error {
	q.Limit = defaultLimit
	if s := p.Str("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return maint.Invalid("limit", "limit must be a positive integer (at most %d are returned), got %q", maxLimit, s)
		}
		q.Limit = min(n, maxLimit)
	}
	if s := p.Str("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return maint.Invalid("offset", "offset must be a non-negative integer, got %q", s)
		}
		q.Offset = n
	}
	return nil
}

// items serves GET /ogc/collections/{collectionId}/items: the matching
// features as a GeoJSON FeatureCollection with numberMatched and links to
// the next and previous pages, streamed row by row.
func (a *API) items() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		k, err := kindOf(r)
		if err != nil {
			return err
		}
		q, err := a.featureQuery(r, k)
		if err != nil {
			return err
		}
		matched, err := a.features.CountFeatures(r.Context(), q)
		if err != nil {
			return err
		}
		stamp := time.Now().UTC().Format(time.RFC3339)
		n := 0
		w.Header().Set("Content-Crs", contentCRS(q.CRS))
		return httpx.StreamCollection(w, mediaGeoJSON, func(emit httpx.Emit) (bool, error) {
			v := httpx.ViewerOf(r)
			return false, a.features.Features(r.Context(), q, func(f *maint.Asset) error {
				if !v.Staff() {
					f = privacy.Public(f) // staff read the register whole
				}
				n++
				return emit(func(b []byte) []byte { return geojson.AppendAssetFeature(b, f) })
			})
		}, func(b []byte, _ bool) []byte {
			return a.appendItemsTail(b, r, k, q, matched, n, stamp)
		})
	})
}

// appendItemsTail closes a page of items: its counts, time and links.
func (a *API) appendItemsTail(b []byte, r *http.Request, k maint.Kind, q maint.FeatureQuery, matched int64, n int, stamp string) []byte {
	b = append(b, `],"numberMatched":`...)
	b = strconv.AppendInt(b, matched, 10)
	b = append(b, `,"numberReturned":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, `,"timeStamp":`...)
	b = geojson.AppendString(b, stamp)
	b = append(b, `,"links":[`...)
	b = appendLink(b, a.itemsURL(r, k, -1), "self", mediaGeoJSON, "This page")
	b = append(b, ',')
	b = appendLink(b, a.url(r, "/collections/"+string(k), nil), "collection", mediaJSON, "The collection")
	if int64(q.Offset+n) < matched && n > 0 {
		b = append(b, ',')
		b = appendLink(b, a.itemsURL(r, k, q.Offset+q.Limit), "next", mediaGeoJSON, "Next page")
	}
	if q.Offset > 0 {
		b = append(b, ',')
		b = appendLink(b, a.itemsURL(r, k, max(0, q.Offset-q.Limit)), "prev", mediaGeoJSON, "Previous page")
	}
	return append(b, "]}\n"...)
}

// itemsURL is the URL of the request with its offset replaced (-1 keeps it).
func (a *API) itemsURL(r *http.Request, k maint.Kind, offset int) string {
	q := r.URL.Query()
	if offset >= 0 {
		q.Del("offset")
		if offset > 0 {
			q.Set("offset", strconv.Itoa(offset))
		}
	}
	return a.url(r, "/collections/"+string(k)+"/items", q)
}

func appendLink(b []byte, href, rel, typ, title string) []byte {
	b = append(b, `{"href":`...)
	b = geojson.AppendString(b, href)
	b = append(b, `,"rel":`...)
	b = geojson.AppendString(b, rel)
	b = append(b, `,"type":`...)
	b = geojson.AppendString(b, typ)
	b = append(b, `,"title":`...)
	b = geojson.AppendString(b, title)
	return append(b, '}')
}

// itemQuery reads what GET /items/{featureId} asks for: which feature, in
// which CRS.
func itemQuery(r *http.Request, k maint.Kind) (int64, gis.CRS, error) {
	fid := mux.Vars(r)["featureId"]
	id, err := strconv.ParseInt(fid, 10, 64)
	if err != nil || id <= 0 {
		return 0, gis.CRS{}, maint.Errorf(maint.CodeNotFound, "no feature %q in %s", fid, k)
	}
	p, err := httpx.ReadParams(r, "f", "crs")
	if err == nil {
		err = p.Format("json", "geojson")
	}
	if err != nil {
		return 0, gis.CRS{}, err
	}
	crs, err := gis.ParseCRS(p.Str("crs"))
	if err != nil {
		return 0, gis.CRS{}, httpx.InvalidParam("crs", err)
	}
	return id, crs, nil
}

// item serves GET /ogc/collections/{collectionId}/items/{featureId}.
func (a *API) item() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		k, err := kindOf(r)
		if err != nil {
			return err
		}
		id, crs, err := itemQuery(r, k)
		if err != nil {
			return err
		}
		f, err := a.features.Feature(r.Context(), k, id, crs)
		if err != nil {
			return err
		}
		if !httpx.ViewerOf(r).Staff() {
			f = privacy.Public(f)
		}
		b := geojson.AppendAssetFeature(nil, f)
		b = append(b[:len(b)-1], `,"links":[`...)
		b = appendLink(b, a.url(r, "/collections/"+string(k)+"/items/"+mux.Vars(r)["featureId"], r.URL.Query()), "self", mediaGeoJSON, "This feature")
		b = append(b, ',')
		b = appendLink(b, a.url(r, "/collections/"+string(k), nil), "collection", mediaJSON, "The collection")
		b = append(b, "]}\n"...)
		h := w.Header()
		h.Set("Content-Type", mediaGeoJSON)
		h.Set("Content-Crs", contentCRS(crs))
		h.Set("Cache-Control", "no-cache")
		// The version, which replace, update and delete take in If-Match.
		h.Set("ETag", etag(f.Version))
		w.Write(b)
		return nil
	})
}
