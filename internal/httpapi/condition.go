package httpapi

import (
	"context"
	"net/http"
	"slices"
	"strconv"

	"github.com/gorilla/mux"

	"inframap/internal/condition"
	"inframap/internal/httpx"
	"inframap/internal/maint"
)

// Condition routes (docs/condition.md): the distresses of a road section,
// an asset's condition and history, and the ranked work list.
func (s *Server) mountCondition(api *mux.Router) {
	api.Handle("/assets/{id:[0-9]+}/distresses", s.listDistresses()).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/assets/{id:[0-9]+}/distresses", s.addDistresses()).Methods(http.MethodPost)
	api.Handle("/assets/{id:[0-9]+}/distresses/{distress:[0-9]+}", s.patchDistress()).Methods(http.MethodPatch)
	api.Handle("/assets/{id:[0-9]+}/condition", s.getCondition()).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/worklist", s.getWorkList()).Methods(http.MethodGet, http.MethodHead)
}

// recordCondition is who may record distresses: engineers and inspectors.
var recordCondition = httpx.Can(maint.PermCreateTask)

// assetRead serves a public read of one asset's record (GET, no
// parameters): what read gives for the asset of the path, revalidated on
// every use.
func assetRead(read func(ctx context.Context, id int64) (any, error)) http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		id, err := httpx.PathID(r)
		if err != nil {
			return err
		}
		if _, err := httpx.ReadParams(r); err != nil {
			return err
		}
		out, err := read(r.Context(), id)
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-cache")
		httpx.WriteJSON(w, r, http.StatusOK, out)
		return nil
	})
}

func (s *Server) listDistresses() http.Handler {
	return assetRead(func(ctx context.Context, id int64) (any, error) {
		ds, err := s.store.Distresses(ctx, id)
		if err != nil {
			return nil, err
		}
		return map[string]any{"distresses": ds}, nil
	})
}

// addDistresses takes {"distresses": [{kind, severity, extent_m2, observed_at?, note?}, …]}
// or one distress as the body.
func (s *Server) addDistresses() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, id, err := target(r, recordCondition)
		if err != nil {
			return err
		}
		var body struct {
			Distresses []maint.DistressInput `json:"distresses"`
			maint.DistressInput
		}
		if err := httpx.DecodeJSON(r, &body); err != nil {
			return err
		}
		ds := body.Distresses
		if ds == nil && body.Kind != "" {
			ds = []maint.DistressInput{body.DistressInput}
		}
		if len(ds) > 50 {
			return maint.InvalidAs("distresses", "distress_too_many", maint.Params{"max": 50}, "at most 50 distresses at once")
		}
		out, err := s.store.AddDistresses(r.Context(), v, s.clientIP(r), id, ds)
		if err != nil {
			return err
		}
		httpx.WriteJSON(w, r, http.StatusCreated, map[string]any{"distresses": out})
		return nil
	})
}

func (s *Server) patchDistress() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		e, p, err := editWith(r, recordCondition, httpx.Decode[maint.DistressPatch])
		if err != nil {
			return err
		}
		did, err := strconv.ParseInt(mux.Vars(r)["distress"], 10, 64)
		if err != nil || did <= 0 {
			return maint.Errorf(maint.CodeNotFound, "no distress %q", mux.Vars(r)["distress"])
		}
		if p.Severity != nil && !slices.Contains(condition.Severities, condition.Severity(*p.Severity)) {
			return maint.InvalidAs("severity", "distress_severity", maint.Params{"severity": *p.Severity}, "severity %q unknown (light, moderate or heavy)", *p.Severity)
		}
		d, err := s.store.PatchDistress(r.Context(), e.v, s.clientIP(r), e.id, did, e.version, p)
		if err != nil {
			return err
		}
		w.Header().Set("ETag", etag(d.Version))
		httpx.WriteJSON(w, r, http.StatusOK, d)
		return nil
	})
}

func (s *Server) getCondition() http.Handler {
	return assetRead(func(ctx context.Context, id int64) (any, error) { return s.store.AssetCondition(ctx, id) })
}

// getWorkList serves the ranked work list to staff: worst first, filtered
// by kind, subdistrict and grade, paged by limit and cursor (the number of
// items before the page).
func (s *Server) getWorkList() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := httpx.Allowed(r, httpx.Staff); err != nil {
			return err
		}
		p, err := httpx.ReadParams(r, "kind", "subdistrict", "grade", "limit", "cursor")
		if err != nil {
			return err
		}
		var f maint.WorkListFilter
		if k := p.Str("kind"); k != "" {
			f.Kind = maint.Kind(k)
			if !f.Kind.Valid() {
				return maint.Invalid("kind", "unknown kind %q", k)
			}
		}
		if f.Subdistrict = p.Str("subdistrict"); len(f.Subdistrict) > 100 {
			return maint.Invalid("subdistrict", "subdistrict is limited to 100 characters")
		}
		if f.Grade = p.Str("grade"); f.Grade != "" && !condition.ValidGrade(f.Grade) {
			return maint.InvalidAs("grade", "condition_grade", maint.Params{"grade": f.Grade}, "grade %q is not one of A, B, C, D", f.Grade)
		}
		if f.Limit, err = p.Limit(maint.DefaultLimit, maint.MaxLimit); err != nil {
			return err
		}
		after, err := p.Cursor()
		if err != nil {
			return err
		}
		f.Offset = int(after)
		items, more, err := s.store.WorkList(r.Context(), f)
		if err != nil {
			return err
		}
		var next *string
		if more {
			n := httpx.EncodeCursor(int64(f.Offset + len(items)))
			next = &n
		}
		w.Header().Set("Cache-Control", "no-cache")
		httpx.WriteJSON(w, r, http.StatusOK, map[string]any{"items": items, "next_cursor": next})
		return nil
	})
}
