package httpapi

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"inframap/gis"
	"inframap/internal/maint"
)

// OGC API – Features at /ogc: Part 1 (core, GeoJSON, an OpenAPI 3.0
// description) and Part 2 (coordinate reference systems by reference). Each
// asset kind is a collection; its features carry the asset's public fields
// and attributes, nothing of the tasks but the status they give the asset.

// ogcConformance lists exactly what is implemented. There is no HTML
// encoding, so the html class is not claimed.
var ogcConformance = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
}

// Media types of the OGC resources.
const (
	mediaJSON    = "application/json"
	mediaGeoJSON = "application/geo+json"
	mediaOAS30   = "application/vnd.oai.openapi+json;version=3.0"
)

// Item paging: OGC's default page is small; a whole collection of the
// district fits in one page of the maximum.
const (
	ogcDefaultLimit = 10
	ogcMaxLimit     = 10000
)

type ogcLink struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// ogcURL is the absolute URL of an OGC resource path (below /ogc).
func (s *Server) ogcURL(r *http.Request, path string, q url.Values) string {
	u := s.baseURL(r)
	u.Path = "/ogc" + path
	if len(q) > 0 {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// ogcFormat checks the f parameter: JSON is the only encoding offered
// (GeoJSON for features).
func ogcFormat(p params, allowed ...string) error {
	f := p.str("f")
	if f == "" || slices.Contains(allowed, f) {
		return nil
	}
	return maint.Invalid("f", "format %q is not offered here; use f=%s", f, allowed[0])
}

// ogcLanding serves GET /ogc.
func (s *Server) ogcLanding() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := readParams(r, "f")
		if err == nil {
			err = ogcFormat(p, "json")
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		writeJSON(w, r, http.StatusOK, map[string]any{
			"title":       "绿园区市政设施 Lüyuan District municipal assets",
			"description": "Road repairs, rain/sewage separation, public parking, manhole defects and capital projects of Lüyuan District, Changchun, with the status of their latest case, as OGC API – Features.",
			"links": []ogcLink{
				{s.ogcURL(r, "", nil), "self", mediaJSON, "This document"},
				{s.ogcURL(r, "/api", nil), "service-desc", mediaOAS30, "The API definition (OpenAPI 3.0)"},
				{s.ogcURL(r, "/conformance", nil), "conformance", mediaJSON, "Conformance classes implemented"},
				{s.ogcURL(r, "/collections", nil), "data", mediaJSON, "The feature collections"},
			},
		})
	})
}

// ogcConformancePage serves GET /ogc/conformance.
func (s *Server) ogcConformancePage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := readParams(r, "f")
		if err == nil {
			err = ogcFormat(p, "json")
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=300")
		writeJSON(w, r, http.StatusOK, map[string]any{"conformsTo": ogcConformance})
	})
}

func crsURIs() []string {
	out := make([]string, len(gis.CRSs))
	for i, c := range gis.CRSs {
		out[i] = c.URI
	}
	return out
}

type ogcCollection struct {
	ID          string     `json:"id"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Links       []ogcLink  `json:"links"`
	Extent      *ogcExtent `json:"extent,omitempty"`
	ItemType    string     `json:"itemType"`
	CRS         []string   `json:"crs"`
	StorageCRS  string     `json:"storageCrs"`
}

type ogcExtent struct {
	Spatial *struct {
		BBox [][]float64 `json:"bbox"`
		CRS  string      `json:"crs"`
	} `json:"spatial,omitempty"`
	Temporal *struct {
		Interval [][]*string `json:"interval"`
		TRS      string      `json:"trs"`
	} `json:"temporal,omitempty"`
}

// collection describes the collection of kind k with its extent e (nil when
// it has no features).
func (s *Server) collection(r *http.Request, k maint.Kind, e *maint.Extent) ogcCollection {
	c := ogcCollection{
		ID:          string(k),
		Title:       k.Name() + " " + k.NameEn(),
		Description: k.NameEn() + " assets of Lüyuan District; the temporal extent is that of the status of their latest case (status_at).",
		Links: []ogcLink{
			{s.ogcURL(r, "/collections/"+string(k), nil), "self", mediaJSON, "This collection"},
			{s.ogcURL(r, "/collections/"+string(k)+"/items", nil), "items", mediaGeoJSON, "The features"},
		},
		ItemType:   "feature",
		CRS:        crsURIs(),
		StorageCRS: gis.CRS84.URI,
	}
	if e != nil && e.BBox != nil {
		c.Extent = &ogcExtent{}
		c.Extent.Spatial = &struct {
			BBox [][]float64 `json:"bbox"`
			CRS  string      `json:"crs"`
		}{[][]float64{{round7(e.BBox.MinLon), round7(e.BBox.MinLat), round7(e.BBox.MaxLon), round7(e.BBox.MaxLat)}}, gis.CRS84.URI}
		c.Extent.Temporal = &struct {
			Interval [][]*string `json:"interval"`
			TRS      string      `json:"trs"`
		}{[][]*string{{timeString(e.First), timeString(e.Last)}}, "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
	}
	return c
}

func timeString(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// extentOf finds kind k's extent.
func extentOf(exts []maint.Extent, k maint.Kind) *maint.Extent {
	for i := range exts {
		if exts[i].Kind == k {
			return &exts[i]
		}
	}
	return nil
}

// ogcCollections serves GET /ogc/collections.
func (s *Server) ogcCollections() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := readParams(r, "f")
		if err == nil {
			err = ogcFormat(p, "json")
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		exts, err := s.store.Extents(r.Context())
		if err != nil {
			writeError(w, r, err)
			return
		}
		cs := make([]ogcCollection, 0, len(maint.Kinds))
		for _, k := range maint.Kinds {
			cs = append(cs, s.collection(r, k, extentOf(exts, k)))
		}
		w.Header().Set("Cache-Control", "no-cache")
		writeJSON(w, r, http.StatusOK, map[string]any{
			"links":       []ogcLink{{s.ogcURL(r, "/collections", nil), "self", mediaJSON, "The feature collections"}},
			"collections": cs,
			"crs":         crsURIs(),
		})
	})
}

// ogcKind reads the {collectionId} of the route, or a 404.
func ogcKind(r *http.Request) (maint.Kind, error) {
	id := mux.Vars(r)["collectionId"]
	if k := maint.Kind(id); k.Valid() {
		return k, nil
	}
	return "", maint.Errorf(maint.CodeNotFound, "no collection %q; collections: %s", id, kindList())
}

// ogcCollectionPage serves GET /ogc/collections/{collectionId}.
func (s *Server) ogcCollectionPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k, err := ogcKind(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		p, err := readParams(r, "f")
		if err == nil {
			err = ogcFormat(p, "json")
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		exts, err := s.store.Extents(r.Context())
		if err != nil {
			writeError(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		writeJSON(w, r, http.StatusOK, s.collection(r, k, extentOf(exts, k)))
	})
}

// itemParams are the parameters /items takes besides property filters.
var itemParams = []string{"f", "bbox", "bbox-crs", "crs", "datetime", "limit", "offset", "status"}

// featureQuery reads the query of GET /items. Parameters other than the
// standard ones are property filters; they must name a public property of
// the collection (its attributes are looked up only when one is used).
func (s *Server) featureQuery(r *http.Request, k maint.Kind) (maint.FeatureQuery, error) {
	q := maint.FeatureQuery{Kind: k}
	allowed := append(slices.Clone(itemParams), maint.FeatureProperties...)
	attrsRead := false
	for name := range r.URL.Query() {
		if slices.Contains(allowed, name) {
			continue
		}
		if !attrsRead {
			keys, err := s.store.AttributeKeys(r.Context(), []maint.Kind{k})
			if err != nil {
				return q, err
			}
			allowed, attrsRead = append(allowed, keys...), true
		}
		if !slices.Contains(allowed, name) {
			return q, maint.Invalid(name, "unknown parameter %q; items take %s, and the properties %s",
				name, strings.Join(itemParams, ", "), strings.Join(allowed[len(itemParams):], ", "))
		}
	}
	p, err := readParams(r, allowed...)
	if err != nil {
		return q, err
	}
	if err := ogcFormat(p, "json", "geojson"); err != nil {
		return q, err
	}
	if q.CRS, err = gis.ParseCRS(p.str("crs")); err != nil {
		return q, invalidParam("crs", err)
	}
	bboxCRS, err := gis.ParseCRS(p.str("bbox-crs"))
	if err != nil {
		return q, invalidParam("bbox-crs", err)
	}
	if s := p.str("bbox"); s != "" {
		b, err := gis.ParseBBoxIn(s, bboxCRS)
		if err != nil {
			return q, invalidParam("bbox", err)
		}
		q.BBox, q.BBoxSRID = &b, bboxCRS.SRID
	} else if p.has("bbox-crs") {
		return q, maint.Invalid("bbox-crs", "bbox-crs is given without a bbox")
	}
	if s := p.str("datetime"); s != "" {
		if q.From, q.To, err = parseDatetime(s); err != nil {
			return q, err
		}
		q.HasTime = true
	}
	// A limit above the maximum is not an error: OGC API Features has the
	// server answer with at most its maximum and a next link.
	q.Limit = ogcDefaultLimit
	if s := p.str("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return q, maint.Invalid("limit", "limit must be a positive integer (at most %d are returned), got %q", ogcMaxLimit, s)
		}
		q.Limit = min(n, ogcMaxLimit)
	}
	if s := p.str("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return q, maint.Invalid("offset", "offset must be a non-negative integer, got %q", s)
		}
		q.Offset = n
	}
	if q.Statuses, err = maint.ParseStatuses("status", p.str("status")); err != nil {
		return q, err
	}
	for name, vals := range p.v {
		if slices.Contains(itemParams, name) {
			continue
		}
		q.Props = append(q.Props, maint.PropertyFilter{Name: name, Value: vals[0]})
	}
	slices.SortFunc(q.Props, func(a, b maint.PropertyFilter) int { return strings.Compare(a.Name, b.Name) })
	return q, nil
}

// parseDatetime reads an OGC datetime: an instant or an interval whose open
// ends are ".." (or empty). Instants are RFC 3339 date-times, or dates,
// which mean the whole calendar day in the district's zone. Both ends of an
// interval are included.
func parseDatetime(s string) (from, to *time.Time, err error) {
	bad := func(format string, args ...any) error {
		return maint.Invalid("datetime", "datetime "+format+"; give an RFC 3339 instant (2024-05-01T08:00:00Z or 2024-05-01) or an interval start/end with .. for an open end", args...)
	}
	start, end, interval := strings.Cut(s, "/")
	if !interval {
		a, b, err := ogcInstant(s)
		if err != nil {
			return nil, nil, bad("%q is not a date or date-time", s)
		}
		return &a, &b, nil
	}
	if strings.Contains(end, "/") {
		return nil, nil, bad("%q has more than two ends", s)
	}
	if start != "" && start != ".." {
		a, _, err := ogcInstant(start)
		if err != nil {
			return nil, nil, bad("start %q is not a date or date-time", start)
		}
		from = &a
	}
	if end != "" && end != ".." {
		_, b, err := ogcInstant(end)
		if err != nil {
			return nil, nil, bad("end %q is not a date or date-time", end)
		}
		to = &b
	}
	if from != nil && to != nil && from.After(*to) {
		return nil, nil, bad("interval %q ends before it starts", s)
	}
	return from, to, nil
}

// ogcInstant returns the first and last microsecond an instant covers: a
// date-time covers itself, a date its whole day.
func ogcInstant(s string) (first, last time.Time, err error) {
	// An offset's "+" left unescaped in a URL arrives as a space.
	if n := len(s); n > 6 && s[n-6] == ' ' && s[n-3] == ':' {
		s = s[:n-6] + "+" + s[n-5:]
	}
	if t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s)); err == nil {
		return t, t, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, s, maint.Zone)
	if err != nil {
		return first, last, err
	}
	return d, maint.EndOfDay(d).Add(-time.Microsecond), nil
}

// contentCRS is the Content-Crs header value of crs.
func contentCRS(crs gis.CRS) string { return "<" + crs.URI + ">" }

// ogcItems serves GET /ogc/collections/{collectionId}/items: the matching
// features as a GeoJSON FeatureCollection with numberMatched and links to
// the next and previous pages, streamed row by row.
func (s *Server) ogcItems() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k, err := ogcKind(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		q, err := s.featureQuery(r, k)
		if err != nil {
			writeError(w, r, err)
			return
		}
		matched, err := s.store.CountFeatures(r.Context(), q)
		if err != nil {
			writeError(w, r, err)
			return
		}
		stamp := time.Now().UTC().Format(time.RFC3339)
		n := 0
		w.Header().Set("Content-Crs", contentCRS(q.CRS))
		err = s.streamCollection(w, r, mediaGeoJSON, func(emit func(func([]byte) []byte) error) (bool, error) {
			return false, s.store.Features(r.Context(), q, func(a *maint.Asset) error {
				n++
				return emit(func(b []byte) []byte { return appendAssetFeature(b, a) })
			})
		}, func(b []byte, _ bool) []byte {
			b = append(b, `],"numberMatched":`...)
			b = strconv.AppendInt(b, matched, 10)
			b = append(b, `,"numberReturned":`...)
			b = strconv.AppendInt(b, int64(n), 10)
			b = append(b, `,"timeStamp":`...)
			b = appendString(b, stamp)
			b = append(b, `,"links":[`...)
			b = appendLink(b, s.itemsURL(r, k, -1), "self", mediaGeoJSON, "This page")
			b = append(b, ',')
			b = appendLink(b, s.ogcURL(r, "/collections/"+string(k), nil), "collection", mediaJSON, "The collection")
			if int64(q.Offset+n) < matched && n > 0 {
				b = append(b, ',')
				b = appendLink(b, s.itemsURL(r, k, q.Offset+q.Limit), "next", mediaGeoJSON, "Next page")
			}
			if q.Offset > 0 {
				b = append(b, ',')
				b = appendLink(b, s.itemsURL(r, k, max(0, q.Offset-q.Limit)), "prev", mediaGeoJSON, "Previous page")
			}
			return append(b, "]}\n"...)
		})
		if err != nil {
			writeError(w, r, err)
		}
	})
}

// itemsURL is the URL of the request with its offset replaced (-1 keeps it).
func (s *Server) itemsURL(r *http.Request, k maint.Kind, offset int) string {
	q := r.URL.Query()
	if offset >= 0 {
		q.Del("offset")
		if offset > 0 {
			q.Set("offset", strconv.Itoa(offset))
		}
	}
	return s.ogcURL(r, "/collections/"+string(k)+"/items", q)
}

func appendLink(b []byte, href, rel, typ, title string) []byte {
	b = append(b, `{"href":`...)
	b = appendString(b, href)
	b = append(b, `,"rel":`...)
	b = appendString(b, rel)
	b = append(b, `,"type":`...)
	b = appendString(b, typ)
	b = append(b, `,"title":`...)
	b = appendString(b, title)
	return append(b, '}')
}

// ogcItem serves GET /ogc/collections/{collectionId}/items/{featureId}.
func (s *Server) ogcItem() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k, err := ogcKind(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		fid := mux.Vars(r)["featureId"]
		id, err := strconv.ParseInt(fid, 10, 64)
		if err != nil || id <= 0 {
			writeError(w, r, maint.Errorf(maint.CodeNotFound, "no feature %q in %s", fid, k))
			return
		}
		p, err := readParams(r, "f", "crs")
		if err == nil {
			err = ogcFormat(p, "json", "geojson")
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		crs, err := gis.ParseCRS(p.str("crs"))
		if err != nil {
			writeError(w, r, invalidParam("crs", err))
			return
		}
		a, err := s.store.Feature(r.Context(), k, id, crs)
		if err != nil {
			writeError(w, r, err)
			return
		}
		b := appendAssetFeature(nil, a)
		b = append(b[:len(b)-1], `,"links":[`...)
		b = appendLink(b, s.ogcURL(r, "/collections/"+string(k)+"/items/"+fid, r.URL.Query()), "self", mediaGeoJSON, "This feature")
		b = append(b, ',')
		b = appendLink(b, s.ogcURL(r, "/collections/"+string(k), nil), "collection", mediaJSON, "The collection")
		b = append(b, "]}\n"...)
		h := w.Header()
		h.Set("Content-Type", mediaGeoJSON)
		h.Set("Content-Crs", contentCRS(crs))
		h.Set("Cache-Control", "no-cache")
		w.Write(b)
	})
}
