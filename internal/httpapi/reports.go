package httpapi

import (
	"crypto/sha256"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"inframap/internal/httpx"
	"inframap/internal/maint"
	"inframap/internal/open311"
	"inframap/internal/privacy"
)

// reportJSON is a resident's report as the map shows it.
type reportJSON struct {
	Ref         string     `json:"ref"`
	Status      string     `json:"status"`
	StatusName  string     `json:"status_name"`
	Open        bool       `json:"open"`
	ServiceCode string     `json:"service_code"`
	ServiceName string     `json:"service_name"`
	Description string     `json:"description"`
	StatusNotes string     `json:"status_notes"`
	RequestedAt time.Time  `json:"requested_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	DuplicateOf string     `json:"duplicate_of,omitempty"`
	Location    [2]float64 `json:"location"`
	AssetID     *int64     `json:"asset_id"`
	Photo       *photoJSON `json:"photo,omitempty"`
	// Photos are every photo of the case the public may see: the report's
	// and the crew's before and after.
	Photos    []photoJSON `json:"photos,omitempty"`
	FollowURL string      `json:"follow_url"`
	// Answered says the reporter has said, after the latest 结案, whether
	// it is fixed (POST …/feedback).
	Answered bool `json:"answered"`
	// Moderated says staff changed what the reporter wrote, why and when.
	Moderated *moderatedJSON `json:"moderated,omitempty"`
	// HiddenPhotos are the reasons photos of the case are not shown.
	HiddenPhotos []string `json:"hidden_photos,omitempty"`
	// Key is given once, to the reporter, in the answer to their report:
	// it lets them say after 结案 whether it is fixed.
	Key string `json:"key,omitempty"`
}

type moderatedJSON struct {
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// reportView is a report as anyone holding its case number sees it: the
// personal data in its text masked (internal/privacy).
func reportView(q *maint.ServiceRequest, p *maint.Photo) reportJSON {
	svc, _ := maint.LookupService(q.ServiceCode)
	j := reportJSON{Ref: q.Ref, Status: string(q.Status), StatusName: q.Status.Name(), Open: q.Status.Open(), ServiceCode: q.ServiceCode,
		ServiceName: svc.Name, Description: privacy.Mask(q.Description), StatusNotes: privacy.Mask(q.StatusNotes), RequestedAt: q.RequestedAt, UpdatedAt: q.UpdatedAt,
		DuplicateOf: q.DuplicateOf, Location: [2]float64{q.Lon, q.Lat}, AssetID: q.AssetID,
		FollowURL: "/api/v1/reports/" + url.PathEscape(q.Ref), Answered: q.Answered}
	if q.Moderated != "" && q.ModeratedAt != nil {
		j.Moderated = &moderatedJSON{Reason: privacy.Mask(q.Moderated), At: *q.ModeratedAt}
	}
	for _, r := range q.HiddenPhotos {
		j.HiddenPhotos = append(j.HiddenPhotos, privacy.Mask(r))
	}
	if p != nil {
		pv := photoView(p, maint.Viewer{})
		j.Photo = &pv
	}
	return j
}

// createReport serves POST /api/v1/reports: a resident's report from the
// map — what (service_code), where (lat, lon, accuracy_m), a description,
// optional contact details (kept private) and one optional photo (hidden
// until an engineer files the report). Rate-limited per address; retried
// safely with an Idempotency-Key.
func (s *Server) createReport() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if ok, wait := s.residentPosts.Allow("ip:" + s.clientIP(r)); !ok {
			return httpx.RateLimited("too many reports from this address", wait)
		}
		u, err := s.readUpload(w, r, false)
		if err != nil {
			return err
		}
		defer u.res.Close()
		svc, in, err := reportOf(u)
		if err != nil {
			return err
		}
		in.Lang, in.IP = readerLang(r, u.fields["lang"]), s.clientIP(r)
		var np *maint.NewPhoto
		sha := ""
		if u.res != nil {
			if np, err = s.newPhoto(r.Context(), u, maint.StageReport); err != nil {
				return err
			}
			sha = u.res.SHA256
		}
		idem, err := idempotency(r, "ip:"+s.clientIP(r), svc.Code, u.fields["lat"], u.fields["lon"], u.fields["description"], sha)
		if err != nil {
			return err
		}
		q, p, replayed, err := s.store.CreateReport(r.Context(), maint.Viewer{}, svc, in, np, idem)
		if err != nil {
			return err
		}
		w.Header().Set("Location", "/api/v1/reports/"+url.PathEscape(q.Ref))
		j := reportView(q, p)
		j.Key = q.Token
		writeCreated(w, r, http.StatusCreated, j, replayed)
		return nil
	})
}

// reportOf checks the fields of a report from the map.
func reportOf(u *upload) (maint.Service, maint.NewRequest, error) {
	svc, ok := maint.LookupService(u.fields["service_code"])
	if !ok {
		return svc, maint.NewRequest{}, maint.InvalidAs("service_code", "service_required", nil, "say what is wrong: service_code is one of the services at /open311/v2/services.json")
	}
	lon, _, _, _, err := u.position()
	if err == nil && lon == nil {
		err = maint.InvalidAs("lat", "location_required", nil, "say where: lat and lon (pick the place on the map or use the device's location)")
	}
	if err == nil {
		err = httpx.CheckText("description", u.fields["description"], false, 4000)
	}
	if err == nil {
		// Checked here too, so that the problem names this form's
		// field, not Open311's first_name.
		err = httpx.CheckText("name", u.fields["name"], false, 100)
	}
	if err != nil {
		return svc, maint.NewRequest{}, err
	}
	// Open311's form rules check the contact details.
	in, _, err := open311.ParseRequest(url.Values{"service_code": {svc.Code}, "lat": {u.fields["lat"]}, "long": {u.fields["lon"]},
		"description": {u.fields["description"]}, "email": {u.fields["email"]}, "phone": {u.fields["phone"]}, "first_name": {u.fields["name"]}})
	return svc, in, err
}

// getReport serves GET /api/v1/reports/{ref}: where a report stands, for
// the resident who quotes its case number.
func (s *Server) getReport() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		ref := strings.TrimSpace(mux.Vars(r)["ref"])
		reqs, err := s.store.ServiceRequests(r.Context(), maint.RequestFilter{Refs: []string{ref}})
		if err == nil && len(reqs) == 0 {
			err = maint.Errorf(maint.CodeNotFound, "no report %q", ref)
		}
		if err != nil {
			return err
		}
		j := reportView(&reqs[0], nil)
		ps, err := s.store.Photos(r.Context(), &reqs[0].ID, nil, maint.Viewer{})
		if err != nil {
			return err
		}
		for i := range ps {
			j.Photos = append(j.Photos, photoView(&ps[i], maint.Viewer{}))
		}
		if len(j.Photos) > 0 {
			j.Photo = &j.Photos[0]
		}
		w.Header().Set("Cache-Control", "no-cache")
		httpx.WriteJSON(w, r, http.StatusOK, j)
		return nil
	})
}

// reportFeature is one open, filed report on the public map: where it was
// given, what, where it stands and how many share it; never who sent it.
type reportFeature struct {
	Type       string       `json:"type"`
	ID         int64        `json:"id"`
	Geometry   pointJSON    `json:"geometry"`
	Properties reportPublic `json:"properties"`
}

type pointJSON struct {
	Type        string     `json:"type"`
	Coordinates [2]float64 `json:"coordinates"`
}

type reportPublic struct {
	Ref         string    `json:"ref"`
	Status      string    `json:"status"`
	StatusName  string    `json:"status_name"`
	ServiceCode string    `json:"service_code"`
	ServiceName string    `json:"service_name"`
	Description string    `json:"description"`
	RequestedAt time.Time `json:"requested_at"`
	Supports    int       `json:"supports"`
	Thumb       string    `json:"thumb,omitempty"`
	FollowURL   string    `json:"follow_url"`
}

// listReports serves GET /api/v1/reports: the open reports an engineer has
// filed, as GeoJSON points at the place the reporter gave (or their asset's),
// for the public map. Text is masked as everywhere public; contact details
// are never part of it.
func (s *Server) listReports() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		p, err := httpx.ReadParams(r, "bbox", "limit")
		if err != nil {
			return err
		}
		f := maint.RequestFilter{Status: "open", Filed: true}
		if f.BBox, err = p.BBox(); err != nil {
			return err
		}
		if f.Limit, err = p.Limit(maint.MaxLimit, maint.MaxLimit); err != nil {
			return err
		}
		reqs, err := s.store.ServiceRequests(r.Context(), f)
		if err != nil {
			return err
		}
		out := struct {
			Type     string          `json:"type"`
			Features []reportFeature `json:"features"`
		}{Type: "FeatureCollection", Features: make([]reportFeature, 0, len(reqs))}
		for i := range reqs {
			q := &reqs[i]
			svc, _ := maint.LookupService(q.ServiceCode)
			pr := reportPublic{Ref: q.Ref, Status: string(q.Status), StatusName: q.Status.Name(), ServiceCode: q.ServiceCode,
				ServiceName: svc.Name, Description: privacy.Mask(q.Description), RequestedAt: q.RequestedAt, Supports: q.Supports,
				FollowURL: "/api/v1/reports/" + url.PathEscape(q.Ref)}
			if q.PhotoID != nil {
				pr.Thumb = "/api/v1/photos/" + strconv.FormatInt(*q.PhotoID, 10) + "/thumb"
			}
			out.Features = append(out.Features, reportFeature{Type: "Feature", ID: q.ID,
				Geometry: pointJSON{Type: "Point", Coordinates: [2]float64{q.Lon, q.Lat}}, Properties: pr})
		}
		w.Header().Set("Cache-Control", "no-cache")
		httpx.WriteJSON(w, r, http.StatusOK, out)
		return nil
	})
}

// supportTask serves POST /api/v1/tasks/{id}/support: a resident says the
// open case affects them too (我也遇到). {"device": "…"} is the random id
// the page keeps; only its hash is stored, and each device counts once.
func (s *Server) supportTask() http.Handler {
	type in struct {
		Device string `json:"device"`
	}
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		id, err := httpx.PathID(r)
		if err != nil {
			return err
		}
		if ok, wait := s.supportPosts.Allow("ip:" + s.clientIP(r)); !ok {
			return httpx.RateLimited("too many 我也遇到 from this address", wait)
		}
		body, err := httpx.Decode[in](r)
		if err != nil {
			return err
		}
		d := strings.TrimSpace(body.Device)
		if len(d) < 16 || len(d) > 128 {
			return maint.Invalid("device", "device is the page's random id of 16 to 128 characters")
		}
		sum := sha256.Sum256([]byte("inframap-support:" + d))
		n, counted, err := s.store.Support(r.Context(), id, sum[:])
		if err != nil {
			return err
		}
		httpx.WriteJSON(w, r, http.StatusOK, map[string]any{"supports": n, "counted": counted})
		return nil
	})
}

// reportFeedback serves POST /api/v1/reports/{ref}/feedback: after 结案 the
// reporter (holding the key their report was answered with) says whether it
// is fixed (fixed=true|false), how satisfied they are (satisfaction), with a
// note and, when not fixed, a photo. "Not fixed" returns the case to 核查.
func (s *Server) reportFeedback() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if ok, wait := s.residentPosts.Allow("ip:" + s.clientIP(r)); !ok {
			return httpx.RateLimited("too many answers from this address", wait)
		}
		ref := strings.TrimSpace(mux.Vars(r)["ref"])
		u, err := s.readUpload(w, r, false)
		if err != nil {
			return err
		}
		defer u.res.Close()
		fb, err := feedbackOf(u.fields)
		if err != nil {
			return err
		}
		key := u.fields["key"]
		if key == "" {
			return maint.InvalidAs("key", "feedback_key_required", nil, "key is the key the report was answered with")
		}
		var np *maint.NewPhoto
		sha := ""
		if u.res != nil {
			if np, err = s.newPhoto(r.Context(), u, maint.StageReport); err != nil {
				return err
			}
			sha = u.res.SHA256
		}
		idem, err := idempotency(r, "report:"+ref, u.fields["fixed"], u.fields["satisfaction"], fb.Note, sha)
		if err != nil {
			return err
		}
		q, replayed, err := s.store.ReportFeedback(r.Context(), ref, key, fb, np, idem)
		if err != nil {
			return err
		}
		markReplayed(w, replayed)
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, r, http.StatusOK, reportView(q, nil))
		return nil
	})
}

// feedbackOf checks the fields of an answer.
func feedbackOf(f map[string]string) (maint.Feedback, error) {
	var fb maint.Feedback
	switch f["fixed"] {
	case "true":
		fb.Fixed = true
	case "false":
	default:
		return fb, maint.InvalidAs("fixed", "feedback_fixed_required", nil, "fixed is true or false, got %q", f["fixed"])
	}
	fb.Satisfaction = maint.Satisfaction(f["satisfaction"])
	if fb.Satisfaction != "" && !fb.Satisfaction.Valid() {
		return fb, maint.InvalidAs("satisfaction", "satisfaction_unknown", maint.Params{"value": f["satisfaction"]},
			"satisfaction is satisfied, basically_satisfied or dissatisfied, got %q", f["satisfaction"])
	}
	if err := httpx.CheckText("note", f["note"], false, 2000); err != nil {
		return fb, err
	}
	fb.Note = strings.TrimSpace(f["note"])
	return fb, nil
}

// readerLang is the language a resident reads messages in: the page's
// choice (a lang field), else the browser's first language; zh by default.
func readerLang(r *http.Request, field string) string {
	if field == "en" || field == "zh" {
		return field
	}
	if strings.HasPrefix(strings.ToLower(r.Header.Get("Accept-Language")), "en") {
		return "en"
	}
	return "zh"
}
