package open311

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"inframap/internal/httpx"
	"inframap/internal/maint"
	"inframap/internal/privacy"
	"inframap/internal/ratelimit"
)

const changeset = "2026-11-27T00:00:00Z"

// discovery serves GET discovery: where the endpoint is and what it speaks.
func (a *API) discovery() http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		base := httpx.BaseURL(r, a.cfg.PublicURL)
		d := discovery{
			Changeset:  changeset,
			Contact:    "绿园区城市管理 · Lüyuan District city management (inframap)",
			KeyService: "Partner systems ask the district's administrator for an api_key; residents may post without one.",
			Endpoints: []endpoint{{Specification: spec, URL: base.String() + "/open311/v2", Changeset: changeset,
				Type: "production", Formats: []string{"text/xml", "application/json"}}},
		}
		write(w, r, http.StatusOK, d, d)
		return nil
	})
}

// services serves GET services: what residents may report.
func (a *API) services() http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if err := checkJurisdiction(r); err != nil {
			return err
		}
		var out []service
		for _, svc := range maint.Services {
			out = append(out, service{ServiceCode: svc.Code, ServiceName: serviceName(r, svc), Description: svc.Description,
				Metadata: len(svc.Attributes) > 0, Type: "realtime", Keywords: svc.Name + "," + svc.NameEn, Group: svc.Group})
		}
		write(w, r, http.StatusOK, services{Services: out}, out)
		return nil
	})
}

// definition serves GET services/{code}: the attributes a report of that
// service carries.
func (a *API) definition() http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		svc, ok := maint.LookupService(mux.Vars(r)["code"])
		if !ok {
			return maint.Errorf(maint.CodeNotFound, "service_code %q is not offered", mux.Vars(r)["code"])
		}
		d := definition{ServiceCode: svc.Code, Attributes: []attribute{}}
		for i, at := range svc.Attributes {
			oa := attribute{Variable: true, Code: at.Code, Datatype: at.Datatype, Required: at.Required, Order: i + 1, Description: at.Description}
			for _, v := range at.Values {
				name := v.Name
				if english(r) {
					name = v.NameEn
				}
				oa.Values = append(oa.Values, value{Key: v.Code, Name: name})
			}
			d.Attributes = append(d.Attributes, oa)
		}
		write(w, r, http.StatusOK, d, d)
		return nil
	})
}

// post files a service request: POST requests, form-encoded. Residents may
// post without a key, a few times per address; partner systems send their
// api_key.
func (a *API) post() http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if err := r.ParseForm(); err != nil {
			return httpx.JSONError(err)
		}
		if err := checkJurisdiction(r); err != nil {
			return err
		}
		in, svc, err := ParseRequest(r.PostForm)
		if err != nil {
			return err
		}
		if err := a.allowPost(r, &in); err != nil {
			return err
		}
		in.Lang, in.IP = "zh", a.cfg.ClientIP(r)
		if english(r) {
			in.Lang = "en"
		}
		req, err := a.requests.CreateRequest(r.Context(), maint.Viewer{}, svc, in)
		if err != nil {
			return err
		}
		c := created{ServiceRequestID: req.Ref, Token: req.Token, AccountID: r.PostForm.Get("account_id"),
			ServiceNotice: "已受理，案件编号 " + req.Ref + " · Received, case " + req.Ref}
		if req.DuplicateOf != "" {
			c.ServiceNotice = "附近30米内已有同类报告 " + req.DuplicateOf + "，本报告已关联为重复 · Linked as a duplicate of the open report " +
				req.DuplicateOf + " of the same problem within 30 m (case " + req.Ref + ")"
		}
		write(w, r, http.StatusCreated, createdList{Requests: []created{c}}, []created{c})
		return nil
	})
}

// allowPost applies the rate limit of the poster: a partner's by its key,
// a resident's by address.
func (a *API) allowPost(r *http.Request, in *maint.NewRequest) error {
	key, limiter := "ip:"+a.cfg.ClientIP(r), a.cfg.Residents
	if k := r.PostForm.Get("api_key"); k != "" {
		name, err := a.requests.CheckAPIKey(r.Context(), k)
		if err != nil {
			return err
		}
		key, limiter = "key:"+name, a.cfg.Partners
		in.Source = maint.SourceResident
	}
	return allow(limiter, key)
}

func allow(l ratelimit.Allower, key string) error {
	if ok, wait := l.Allow(key); !ok {
		return httpx.RateLimited("too many reports from this address", wait)
	}
	return nil
}

func timeString(t time.Time) string { return t.In(maint.Zone).Format(time.RFC3339) }

func (a *API) view(r *http.Request, q maint.ServiceRequest) request {
	svc, _ := maint.LookupService(q.ServiceCode)
	// Open311 answers are public: personal data in the text is masked.
	out := request{ServiceRequestID: q.Ref, Status: q.Status.Open311Status(), StatusNotes: privacy.Mask(q.StatusNotes),
		ServiceName: serviceName(r, svc), ServiceCode: q.ServiceCode, Description: privacy.Mask(q.Description), AgencyResponsible: q.Agency,
		RequestedDatetime: timeString(q.RequestedAt), UpdatedDatetime: timeString(q.UpdatedAt), Address: privacy.Mask(q.Address),
		Lat: math.Round(q.Lat*1e6) / 1e6, Long: math.Round(q.Lon*1e6) / 1e6}
	if q.Agency == "" {
		out.AgencyResponsible = "绿园区城市管理局"
	}
	if q.ExpectedAt != nil {
		out.ExpectedDatetime = time.Date(q.ExpectedAt.Year(), q.ExpectedAt.Month(), q.ExpectedAt.Day(), 23, 59, 59, 0, maint.Zone).Format(time.RFC3339)
	}
	if q.PhotoID != nil {
		// A photo the public may see: once the report is filed, unless hidden.
		base := httpx.BaseURL(r, a.cfg.PublicURL)
		out.MediaURL = base.String() + "/api/v1/photos/" + strconv.FormatInt(*q.PhotoID, 10) + "/display"
	}
	if q.DuplicateOf != "" {
		out.ServiceNotice = "duplicate of " + q.DuplicateOf
	}
	if q.AssetID != nil {
		out.AddressID = "asset:" + strconv.FormatInt(*q.AssetID, 10)
	}
	return out
}

// listFilter reads the filter of GET requests: by ids, or by service,
// status, dates requested (start_date, end_date; the last 90 days by
// default) and dates of the last change (updated_after, updated_before).
func listFilter(r *http.Request) (maint.RequestFilter, error) {
	q := r.URL.Query()
	var f maint.RequestFilter
	if ids := q.Get("service_request_id"); ids != "" {
		for _, id := range strings.Split(ids, ",") {
			f.Refs = append(f.Refs, strings.TrimSpace(id))
		}
	}
	if codes := q.Get("service_code"); codes != "" {
		for _, c := range strings.Split(codes, ",") {
			f.ServiceCode = append(f.ServiceCode, strings.TrimSpace(c))
		}
	}
	for _, d := range []struct {
		name string
		dst  **time.Time
	}{{"start_date", &f.From}, {"end_date", &f.To}, {"updated_after", &f.UpdatedAfter}, {"updated_before", &f.UpdatedBefore}} {
		if v := q.Get(d.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, maint.Invalid(d.name, "%s must be an ISO 8601 date-time such as 2024-06-01T00:00:00+08:00", d.name)
			}
			*d.dst = &t
		}
	}
	switch st := q.Get("status"); st {
	case "", "open", "closed":
		f.Status = st
	default:
		return f, maint.Invalid("status", "status is open or closed")
	}
	// A poll for changes (updated_after) reaches back as far as it asks;
	// otherwise the list is of the last 90 days' requests.
	if len(f.Refs) == 0 && f.From == nil && f.UpdatedAfter == nil {
		from := time.Now().AddDate(0, 0, -defaultDays)
		if f.To != nil {
			from = f.To.AddDate(0, 0, -defaultDays)
		}
		f.From = &from
	}
	return f, nil
}

// list serves GET requests, newest first.
func (a *API) list() http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if err := checkJurisdiction(r); err != nil {
			return err
		}
		f, err := listFilter(r)
		if err != nil {
			return err
		}
		reqs, err := a.requests.ServiceRequests(r.Context(), f)
		if err != nil {
			return err
		}
		out := []request{}
		for _, q := range reqs {
			out = append(out, a.view(r, q))
		}
		write(w, r, http.StatusOK, requests{Requests: out}, out)
		return nil
	})
}

// get serves GET requests/{id}.
func (a *API) get() http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		id := mux.Vars(r)["id"]
		reqs, err := a.requests.ServiceRequests(r.Context(), maint.RequestFilter{Refs: []string{id}})
		if err == nil && len(reqs) == 0 {
			err = maint.Errorf(maint.CodeNotFound, "service_request_id %q not found", id)
		}
		if err != nil {
			return err
		}
		out := []request{a.view(r, reqs[0])}
		write(w, r, http.StatusOK, requests{Requests: out}, out)
		return nil
	})
}

// token serves GET tokens/{token}: the request a token stands for.
func (a *API) token() http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		tok := mux.Vars(r)["token"]
		ref, err := a.requests.RequestByToken(r.Context(), tok)
		if err != nil {
			return err
		}
		out := []token{{ServiceRequestID: ref, Token: tok}}
		write(w, r, http.StatusOK, tokens{Requests: out}, out)
		return nil
	})
}
