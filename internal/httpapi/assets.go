package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"

	"inframap/internal/geojson"
	"inframap/internal/httpx"
	"inframap/internal/maint"
	"inframap/internal/privacy"
)

// listAssets serves GET /api/v1/assets: a GeoJSON FeatureCollection,
// filtered, paged by an opaque keyset cursor and streamed row by row.
func (s *Server) listAssets() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		f, err := assetFilter(r)
		if err != nil {
			return err
		}
		var last int64
		n := 0
		v := httpx.ViewerOf(r)
		return httpx.StreamCollection(w, "application/geo+json", func(emit httpx.Emit) (bool, error) {
			return s.store.ListAssets(r.Context(), f, func(a *maint.Asset) error {
				if !v.Staff() {
					a = privacy.Public(a)
				}
				last = a.ID
				n++
				return emit(func(b []byte) []byte { return geojson.AppendAssetFeature(b, a) })
			})
		}, func(b []byte, more bool) []byte {
			b = append(b, `],"numberReturned":`...)
			b = strconv.AppendInt(b, int64(n), 10)
			b = append(b, `,"links":[{"rel":"self","type":"application/geo+json","href":`...)
			b = geojson.AppendString(b, s.pageURL(r, r.URL.Query().Get("cursor")))
			b = append(b, '}')
			if more {
				b = append(b, `,{"rel":"next","type":"application/geo+json","href":`...)
				b = geojson.AppendString(b, s.pageURL(r, httpx.EncodeCursor(last)))
				b = append(b, '}')
			}
			return append(b, "]}\n"...)
		})
	})
}

// assetFilter reads the query of GET /api/v1/assets.
func assetFilter(r *http.Request) (maint.AssetFilter, error) {
	var f maint.AssetFilter
	p, err := httpx.ReadParams(r, "kind", "status", "bbox", "q", "subdistrict", "limit", "cursor", "as_of", "parent", "completed_from", "completed_to")
	if err != nil {
		return f, err
	}
	if f.Kinds, err = p.Kinds("kind"); err != nil {
		return f, err
	}
	if f.Statuses, err = p.Statuses("status"); err != nil {
		return f, err
	}
	if f.BBox, err = p.BBox(); err != nil {
		return f, err
	}
	if f.Q = p.Str("q"); len(f.Q) > 100 {
		return f, maint.Invalid("q", "q is limited to 100 characters")
	}
	if f.Subdistrict = p.Str("subdistrict"); len(f.Subdistrict) > 100 {
		return f, maint.Invalid("subdistrict", "subdistrict is limited to 100 characters")
	}
	if f.Limit, err = p.Limit(maint.DefaultLimit, maint.MaxLimit); err != nil {
		return f, err
	}
	if f.After, err = p.Cursor(); err != nil {
		return f, err
	}
	if f.AsOf, err = p.Date("as_of"); err != nil {
		return f, err
	}
	if f.CompletedFrom, err = p.Date("completed_from"); err != nil {
		return f, err
	}
	if f.CompletedTo, err = p.Date("completed_to"); err != nil {
		return f, err
	}
	f.ParentID, err = p.ID("parent", "an asset")
	return f, err
}

// getAsset serves GET /api/v1/assets/{id}: one Feature with its tasks and
// their dated history.
func (s *Server) getAsset() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		a, err := byID(r, s.store.Asset)
		if err != nil {
			return err
		}
		s.writeAsset(w, r, http.StatusOK, a)
		return nil
	})
}

// writeAsset answers an asset with its ETag, as GET /assets/{id} does.
func (s *Server) writeAsset(w http.ResponseWriter, r *http.Request, status int, a *maint.Asset) {
	if status == http.StatusCreated {
		w.Header().Set("Location", "/api/v1/assets/"+strconv.FormatInt(a.ID, 10))
	}
	w.Header().Set("ETag", etag(a.Version))
	w.Header().Set("Content-Type", "application/geo+json")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	w.Write(appendAssetDetail(nil, a, httpx.ViewerOf(r)))
}

// appendAssetDetail appends an asset as a Feature whose properties also
// hold its tasks with their history.
func appendAssetDetail(b []byte, a *maint.Asset, v maint.Viewer) []byte {
	if !v.Staff() {
		a = privacy.Public(a)
	}
	b = append(b, `{"type":"Feature","id":`...)
	b = strconv.AppendInt(b, a.ID, 10)
	b = append(b, `,"geometry":`...)
	b = append(b, a.Geometry...)
	props := geojson.AppendAssetProperties(nil, a)
	b = append(b, `,"properties":`...)
	b = append(b, props[:len(props)-1]...)
	tasks := make([]taskJSON, len(a.Tasks))
	for i := range a.Tasks {
		tasks[i] = taskView(&a.Tasks[i], v)
	}
	tj, err := json.Marshal(tasks)
	if err != nil {
		panic(err) // plain values
	}
	b = append(b, `,"tasks":`...)
	b = append(b, tj...)
	return append(b, "}}\n"...)
}
