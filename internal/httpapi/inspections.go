package httpapi

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"inframap/internal/httpx"
	"inframap/internal/inspection"
	"inframap/internal/maint"
)

// Inspection rounds and the cover register (docs/inspections.md): plans,
// the inspections they make, today's round as a walk, results with their
// defect cases, the missed queue, coverage and what is not yet inspected.

// mountInspections adds the routes of inspection rounds.
func (s *Server) mountInspections(api *mux.Router) {
	api.Handle("/inspection-plans", s.listPlans()).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/inspection-plans", s.createPlan()).Methods(http.MethodPost)
	api.Handle("/inspections", s.listInspections()).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/inspections/round", s.inspectionRound()).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/inspections/coverage", s.inspectionCoverage()).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/inspections/uninspected", s.uninspected()).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/inspections/{id:[0-9]+}", s.getInspection()).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/inspections/{id:[0-9]+}/result", s.recordInspection()).Methods(http.MethodPost)
	api.Handle("/cover-owners", s.listCoverOwners()).Methods(http.MethodGet, http.MethodHead)
	api.Handle("/cover-owners/{category:[0-9]{4}}", s.saveCoverOwner()).Methods(http.MethodPut)
	api.Handle("/assets/{id:[0-9]+}/register", s.coverRegister()).Methods(http.MethodGet, http.MethodHead)
}

func noStoreJSON(w http.ResponseWriter, r *http.Request, v any) {
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, r, http.StatusOK, v)
}

// planJSON is a plan as the API reads and writes it.
type planJSON struct {
	ID        int64             `json:"id,omitempty"`
	Name      string            `json:"name"`
	NameEn    string            `json:"name_en"`
	Kind      string            `json:"kind"`
	Filter    inspection.Filter `json:"filter"`
	Area      json.RawMessage   `json:"area,omitempty"`
	Frequency string            `json:"frequency"`
	EveryDays int               `json:"every_days,omitempty"`
	StartsOn  string            `json:"starts_on"`
	Active    *bool             `json:"active,omitempty"`
	Version   int               `json:"version,omitempty"`
}

func planView(p inspection.Plan) planJSON {
	active := p.Active
	return planJSON{ID: p.ID, Name: p.Name, NameEn: p.NameEn, Kind: string(p.Kind), Filter: p.Filter, Area: p.Area,
		Frequency: string(p.Frequency), EveryDays: p.EveryDays, StartsOn: p.StartsOn.Format(time.DateOnly), Active: &active, Version: p.Version}
}

func (s *Server) listPlans() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := httpx.Allowed(r, httpx.Staff); err != nil {
			return err
		}
		plans, err := s.store.Plans(r.Context())
		if err != nil {
			return err
		}
		out := []planJSON{}
		for _, p := range plans {
			out = append(out, planView(p))
		}
		noStoreJSON(w, r, map[string]any{"plans": out})
		return nil
	})
}

// createPlan serves POST /api/v1/inspection-plans (engineers and admins).
func (s *Server) createPlan() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, err := httpx.Allowed(r, httpx.Can(maint.PermEditAsset))
		if err != nil {
			return err
		}
		in, err := httpx.Decode[planJSON](r)
		if err != nil {
			return err
		}
		p := inspection.Plan{Name: strings.TrimSpace(in.Name), NameEn: strings.TrimSpace(in.NameEn), Kind: maint.Kind(in.Kind),
			Filter: in.Filter, Frequency: inspection.Frequency(in.Frequency), EveryDays: in.EveryDays, Active: in.Active == nil || *in.Active}
		if len(in.Area) > 0 && string(in.Area) != "null" {
			p.Area = in.Area
		}
		if in.StartsOn != "" {
			if p.StartsOn, err = httpx.ParseDay("starts_on", in.StartsOn); err != nil {
				return err
			}
		}
		out, err := s.store.CreatePlan(r.Context(), v, p)
		if err != nil {
			return err
		}
		writeCreated(w, r, http.StatusCreated, planView(*out), false)
		return nil
	})
}

// inspectionJSON is an inspection as the API shows it.
type inspectionJSON struct {
	inspection.Inspection
	StatusName string  `json:"status_name"`
	DistanceM  float64 `json:"distance_m,omitempty"`
}

var inspectionStatusNames = map[inspection.Status]string{inspection.Due: "待巡查", inspection.Done: "已巡查", inspection.Missed: "漏巡"}

func inspectionView(in inspection.Inspection) inspectionJSON {
	return inspectionJSON{Inspection: in, StatusName: inspectionStatusNames[in.Status]}
}

// listInspections serves GET /api/v1/inspections (staff): by status (the
// missed queue is status=missed), inspector, plan, kind, sub-district and
// the day a period contains, in id order, a page at a time (after=id).
func (s *Server) listInspections() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, err := httpx.Allowed(r, httpx.Staff)
		if err != nil {
			return err
		}
		p, err := httpx.ReadParams(r, "status", "inspector", "plan", "kind", "subdistrict", "on", "limit", "after")
		if err != nil {
			return err
		}
		var q inspection.Query
		switch st := inspection.Status(p.Str("status")); st {
		case "", inspection.Due, inspection.Done, inspection.Missed:
			q.Status = st
		default:
			return maint.InvalidAs("status", "inspection_status", nil, "status is due, done or missed")
		}
		switch ins := p.Str("inspector"); ins {
		case "":
		case "me":
			q.InspectorID = &v.UserID
		default:
			if q.InspectorID, err = p.ID("inspector", "inspector"); err != nil {
				return err
			}
		}
		if q.PlanID, err = p.ID("plan", "plan"); err != nil {
			return err
		}
		switch k := maint.Kind(p.Str("kind")); k {
		case "", maint.KindManhole, maint.KindRoadRepair:
			q.Kind = k
		default:
			return maint.InvalidAs("kind", "plan_kind", maint.Params{"kind": string(k)}, "plans inspect manhole or road_repair assets, not %q", k)
		}
		q.Subdistrict = p.Str("subdistrict")
		if on := p.Str("on"); on != "" {
			d, err := httpx.ParseDay("on", on)
			if err != nil {
				return err
			}
			q.On = &d
		}
		if q.Limit, err = p.Limit(100, maint.MaxLimit); err != nil {
			return err
		}
		if after, err := p.ID("after", "an inspection"); err != nil {
			return err
		} else if after != nil {
			q.After = *after
		}
		list, err := s.store.Inspections(r.Context(), q, inspection.Today(time.Now()))
		if err != nil {
			return err
		}
		out := make([]inspectionJSON, 0, len(list))
		for _, in := range list {
			out = append(out, inspectionView(in))
		}
		body := map[string]any{"inspections": out}
		if len(list) == q.Limit {
			body["next"] = strconv.FormatInt(list[len(list)-1].ID, 10)
		}
		noStoreJSON(w, r, body)
		return nil
	})
}

// inspectionRound serves GET /api/v1/inspections/round?near=lon,lat: the
// caller's inspections still due whose period contains today, ordered as a
// walk from near (greedy nearest neighbour: each next the nearest not yet
// visited), or by id without a position.
func (s *Server) inspectionRound() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, err := httpx.Allowed(r, httpx.Staff)
		if err != nil {
			return err
		}
		p, err := httpx.ReadParams(r, "near")
		if err != nil {
			return err
		}
		near, err := p.LonLat("near")
		if err != nil {
			return err
		}
		today := inspection.Today(time.Now())
		list, err := s.store.Inspections(r.Context(), inspection.Query{Status: inspection.Due, InspectorID: &v.UserID, On: &today, Limit: maint.MaxLimit}, today)
		if err != nil {
			return err
		}
		out := make([]inspectionJSON, 0, len(list))
		if near != nil {
			pts := make([][2]float64, len(list))
			for i, in := range list {
				pts[i] = [2]float64{in.Lon, in.Lat}
			}
			at := *near
			for _, i := range inspection.Walk(*near, pts) {
				j := inspectionView(list[i])
				j.DistanceM = metres(at, pts[i])
				at = pts[i]
				out = append(out, j)
			}
		} else {
			for _, in := range list {
				out = append(out, inspectionView(in))
			}
		}
		noStoreJSON(w, r, map[string]any{"day": today.Format(time.DateOnly), "inspections": out})
		return nil
	})
}

// metres is the distance between two lon/lat points (equirectangular,
// exact enough within a district), to the metre.
func metres(a, b [2]float64) float64 {
	k := math.Cos((a[1] + b[1]) / 2 * math.Pi / 180)
	dx, dy := (b[0]-a[0])*k*111320, (b[1]-a[1])*110540
	return math.Round(math.Hypot(dx, dy))
}

func (s *Server) getInspection() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := httpx.Allowed(r, httpx.Staff); err != nil {
			return err
		}
		id, err := httpx.PathID(r)
		if err != nil {
			return err
		}
		in, err := s.store.Inspection(r.Context(), id)
		if err != nil {
			return err
		}
		noStoreJSON(w, r, inspectionView(*in))
		return nil
	})
}

// recordInspection serves POST /api/v1/inspections/{id}/result (staff,
// Idempotency-Key): the checklist, recorded once; the answer lists the
// defect case each failed item opened, so photos can follow to them.
func (s *Server) recordInspection() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, err := httpx.Allowed(r, httpx.Staff)
		if err != nil {
			return err
		}
		id, err := httpx.PathID(r)
		if err != nil {
			return err
		}
		in, err := httpx.Decode[inspection.Result](r)
		if err != nil {
			return err
		}
		raw, _ := json.Marshal(in)
		idem, err := idempotency(r, userScope(v), string(raw))
		if err != nil {
			return err
		}
		out, replayed, err := s.store.RecordResult(r.Context(), v, id, in, idem)
		if err != nil {
			return err
		}
		writeCreated(w, r, http.StatusOK, inspectionView(*out), replayed)
		return nil
	})
}

// periodWindow reads period: a month (YYYY-MM) or a day (YYYY-MM-DD: the
// periods starting from the first of its month to it); default this month.
func periodWindow(p httpx.Params) (from, to time.Time, err error) {
	s := p.Str("period")
	today := inspection.Today(time.Now())
	switch {
	case s == "":
		from = time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
		return from, from.AddDate(0, 1, -1), nil
	case len(s) == 7:
		m, err := time.Parse("2006-01", s)
		if err != nil {
			break
		}
		return m, m.AddDate(0, 1, -1), nil
	default:
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			break
		}
		return time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC), d, nil
	}
	return from, to, maint.InvalidAs("period", "inspection_period", nil, "period is a month (YYYY-MM) or a day (YYYY-MM-DD)")
}

// inspectionCoverage serves GET /api/v1/inspections/coverage?period=…
// (staff): per sub-district and kind, the inspections done of those
// scheduled in periods starting in the window, and the totals per kind.
func (s *Server) inspectionCoverage() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := httpx.Allowed(r, httpx.Staff); err != nil {
			return err
		}
		p, err := httpx.ReadParams(r, "period")
		if err != nil {
			return err
		}
		from, to, err := periodWindow(p)
		if err != nil {
			return err
		}
		rows, err := s.store.Coverage(r.Context(), from, to)
		if err != nil {
			return err
		}
		totals := map[maint.Kind]*inspection.Coverage{}
		var kinds []maint.Kind
		for _, c := range rows {
			t := totals[c.Kind]
			if t == nil {
				t = &inspection.Coverage{Kind: c.Kind}
				totals[c.Kind] = t
				kinds = append(kinds, c.Kind)
			}
			t.Inspected += c.Inspected
			t.Scheduled += c.Scheduled
		}
		tot := []inspection.Coverage{}
		for _, k := range kinds {
			t := totals[k]
			t.Share = inspection.ShareOf(t.Inspected, t.Scheduled)
			tot = append(tot, *t)
		}
		noStoreJSON(w, r, map[string]any{"from": from.Format(time.DateOnly), "to": to.Format(time.DateOnly),
			"coverage": rows, "totals": tot})
		return nil
	})
}

// uninspected serves GET /api/v1/inspections/uninspected?period=…&kind=…
// (staff): the assets not yet inspected in the window, as GeoJSON points.
func (s *Server) uninspected() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := httpx.Allowed(r, httpx.Staff); err != nil {
			return err
		}
		p, err := httpx.ReadParams(r, "period", "kind", "limit")
		if err != nil {
			return err
		}
		from, to, err := periodWindow(p)
		if err != nil {
			return err
		}
		kind := maint.Kind(p.Str("kind"))
		if kind != "" && kind != maint.KindManhole && kind != maint.KindRoadRepair {
			return maint.InvalidAs("kind", "plan_kind", maint.Params{"kind": string(kind)}, "plans inspect manhole or road_repair assets, not %q", kind)
		}
		limit, err := p.Limit(5000, 50000)
		if err != nil {
			return err
		}
		b, err := s.store.Uninspected(r.Context(), from, to, kind, limit)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/geo+json")
		w.Header().Set("Cache-Control", "no-store")
		_, err = w.Write(b)
		return err
	})
}

func (s *Server) listCoverOwners() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := httpx.Allowed(r, httpx.Staff); err != nil {
			return err
		}
		owners, err := s.store.CoverOwners(r.Context())
		if err != nil {
			return err
		}
		noStoreJSON(w, r, map[string]any{"owners": owners})
		return nil
	})
}

// saveCoverOwner serves PUT /api/v1/cover-owners/{category} (admins).
func (s *Server) saveCoverOwner() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		v, err := httpx.Allowed(r, httpx.Admin)
		if err != nil {
			return err
		}
		in, err := httpx.Decode[inspection.CoverOwner](r)
		if err != nil {
			return err
		}
		in.Category = mux.Vars(r)["category"]
		if err := s.store.SaveCoverOwner(r.Context(), v, in); err != nil {
			return err
		}
		noStoreJSON(w, r, in)
		return nil
	})
}

// coverRegister serves GET /api/v1/assets/{id}/register (staff): a
// cover's file.
func (s *Server) coverRegister() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := httpx.Allowed(r, httpx.Staff); err != nil {
			return err
		}
		id, err := httpx.PathID(r)
		if err != nil {
			return err
		}
		g, err := s.store.CoverRegister(r.Context(), id)
		if err != nil {
			return err
		}
		noStoreJSON(w, r, g)
		return nil
	})
}
