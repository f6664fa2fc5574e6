package httpapi

import (
	"encoding/json"
	"encoding/xml"
	"math"
	"net/http"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"inframap/internal/maint"
)

// Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): residents'
// report apps and city platforms file and follow service requests here, in
// XML (the spec's default) or JSON, with the spec's own error bodies.

const (
	open311Spec         = "http://wiki.open311.org/GeoReport_v2"
	open311Jurisdiction = "220106" // the county code of Lüyuan District
	open311Days         = 90       // the default window of GET requests
)

type o311Error struct {
	XMLName     xml.Name `xml:"error" json:"-"`
	Code        int      `xml:"code" json:"code"`
	Description string   `xml:"description" json:"description"`
}

type o311Errors struct {
	XMLName xml.Name    `xml:"errors"`
	Errors  []o311Error `xml:"error"`
}

type o311Endpoint struct {
	Specification string   `xml:"specification" json:"specification"`
	URL           string   `xml:"url" json:"url"`
	Changeset     string   `xml:"changeset" json:"changeset"`
	Type          string   `xml:"type" json:"type"`
	Formats       []string `xml:"formats>format" json:"formats"`
}

type o311Discovery struct {
	XMLName    xml.Name       `xml:"discovery" json:"-"`
	Changeset  string         `xml:"changeset" json:"changeset"`
	Contact    string         `xml:"contact" json:"contact"`
	KeyService string         `xml:"key_service" json:"key_service"`
	Endpoints  []o311Endpoint `xml:"endpoints>endpoint" json:"endpoints"`
}

type o311Service struct {
	XMLName     xml.Name `xml:"service" json:"-"`
	ServiceCode string   `xml:"service_code" json:"service_code"`
	ServiceName string   `xml:"service_name" json:"service_name"`
	Description string   `xml:"description" json:"description"`
	Metadata    bool     `xml:"metadata" json:"metadata"`
	Type        string   `xml:"type" json:"type"`
	Keywords    string   `xml:"keywords" json:"keywords"`
	Group       string   `xml:"group" json:"group"`
}

type o311Services struct {
	XMLName  xml.Name      `xml:"services"`
	Services []o311Service `xml:"service"`
}

type o311Value struct {
	Key  string `xml:"key" json:"key"`
	Name string `xml:"name" json:"name"`
}

type o311Attribute struct {
	Variable            bool        `xml:"variable" json:"variable"`
	Code                string      `xml:"code" json:"code"`
	Datatype            string      `xml:"datatype" json:"datatype"`
	Required            bool        `xml:"required" json:"required"`
	DatatypeDescription string      `xml:"datatype_description" json:"datatype_description"`
	Order               int         `xml:"order" json:"order"`
	Description         string      `xml:"description" json:"description"`
	Values              []o311Value `xml:"values>value" json:"values,omitempty"`
}

type o311Definition struct {
	XMLName     xml.Name        `xml:"service_definition" json:"-"`
	ServiceCode string          `xml:"service_code" json:"service_code"`
	Attributes  []o311Attribute `xml:"attributes>attribute" json:"attributes"`
}

type o311Request struct {
	XMLName           xml.Name `xml:"request" json:"-"`
	ServiceRequestID  string   `xml:"service_request_id" json:"service_request_id"`
	Status            string   `xml:"status" json:"status"`
	StatusNotes       string   `xml:"status_notes" json:"status_notes"`
	ServiceName       string   `xml:"service_name" json:"service_name"`
	ServiceCode       string   `xml:"service_code" json:"service_code"`
	Description       string   `xml:"description" json:"description"`
	AgencyResponsible string   `xml:"agency_responsible" json:"agency_responsible"`
	ServiceNotice     string   `xml:"service_notice" json:"service_notice"`
	RequestedDatetime string   `xml:"requested_datetime" json:"requested_datetime"`
	UpdatedDatetime   string   `xml:"updated_datetime" json:"updated_datetime"`
	ExpectedDatetime  string   `xml:"expected_datetime" json:"expected_datetime"`
	Address           string   `xml:"address" json:"address"`
	AddressID         string   `xml:"address_id" json:"address_id"`
	Zipcode           string   `xml:"zipcode" json:"zipcode"`
	Lat               float64  `xml:"lat" json:"lat"`
	Long              float64  `xml:"long" json:"long"`
	MediaURL          string   `xml:"media_url" json:"media_url"`
}

type o311Requests struct {
	XMLName  xml.Name      `xml:"service_requests"`
	Requests []o311Request `xml:"request"`
}

type o311Created struct {
	XMLName          xml.Name `xml:"request" json:"-"`
	ServiceRequestID string   `xml:"service_request_id" json:"service_request_id"`
	Token            string   `xml:"token,omitempty" json:"token,omitempty"`
	ServiceNotice    string   `xml:"service_notice" json:"service_notice"`
	AccountID        string   `xml:"account_id" json:"account_id"`
}

type o311CreatedList struct {
	XMLName  xml.Name      `xml:"service_requests"`
	Requests []o311Created `xml:"request"`
}

type o311Token struct {
	XMLName          xml.Name `xml:"request" json:"-"`
	ServiceRequestID string   `xml:"service_request_id" json:"service_request_id"`
	Token            string   `xml:"token" json:"token"`
}

type o311Tokens struct {
	XMLName  xml.Name    `xml:"service_requests"`
	Requests []o311Token `xml:"request"`
}

// o311Format reads the response format from the path's extension.
func o311Format(r *http.Request) string {
	if f := mux.Vars(r)["format"]; f == "json" {
		return "json"
	}
	return "xml"
}

// writeO311 answers in the requested format: xmlBody for XML (the list
// wrapper), jsonBody for JSON (a bare array or object, as the spec shows).
func writeO311(w http.ResponseWriter, r *http.Request, status int, xmlBody, jsonBody any) {
	w.Header().Set("Cache-Control", "no-cache")
	if o311Format(r) == "json" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(jsonBody)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(xml.Header))
	enc := xml.NewEncoder(w)
	enc.Encode(xmlBody)
	w.Write([]byte("\n"))
}

// writeO311Error answers err in the spec's error format with the status of
// its domain code.
func writeO311Error(w http.ResponseWriter, r *http.Request, err error) {
	p, e := problemFor(r, err)
	if p.Status >= 500 {
		loggerFrom(r.Context()).WarnContext(r.Context(), "open311", "err", err.Error())
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	oe := []o311Error{{Code: p.Status, Description: e.Message}}
	writeO311(w, r, p.Status, o311Errors{Errors: oe}, oe)
}

// english reports whether the client prefers English to Chinese.
func english(r *http.Request) bool {
	al := strings.ToLower(r.Header.Get("Accept-Language"))
	return strings.HasPrefix(al, "en")
}

func serviceName(r *http.Request, s maint.Service) string {
	if english(r) {
		return s.NameEn
	}
	return s.Name
}

// checkJurisdiction accepts requests for this district only.
func checkJurisdiction(r *http.Request) error {
	if j := r.FormValue("jurisdiction_id"); j != "" && j != open311Jurisdiction && j != "lvyuan" {
		return maint.Errorf(maint.CodeNotFound, "jurisdiction_id %q is not served here (this is %s, Lüyuan District)", j, open311Jurisdiction)
	}
	return nil
}

func (s *Server) o311Discovery() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		base := s.baseURL(r)
		d := o311Discovery{
			Changeset:  "2026-11-27T00:00:00Z",
			Contact:    "绿园区城市管理 · Lüyuan District city management (inframap)",
			KeyService: "Partner systems ask the district's administrator for an api_key; residents may post without one.",
			Endpoints: []o311Endpoint{{Specification: open311Spec, URL: base.String() + "/open311/v2", Changeset: "2026-11-27T00:00:00Z",
				Type: "production", Formats: []string{"text/xml", "application/json"}}},
		}
		writeO311(w, r, http.StatusOK, d, d)
	})
}

func (s *Server) o311Services() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkJurisdiction(r); err != nil {
			writeO311Error(w, r, err)
			return
		}
		var out []o311Service
		for _, svc := range maint.Services {
			out = append(out, o311Service{ServiceCode: svc.Code, ServiceName: serviceName(r, svc), Description: svc.Description,
				Metadata: len(svc.Attributes) > 0, Type: "realtime", Keywords: svc.Name + "," + svc.NameEn, Group: svc.Group})
		}
		writeO311(w, r, http.StatusOK, o311Services{Services: out}, out)
	})
}

func (s *Server) o311Definition() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		svc, ok := maint.LookupService(mux.Vars(r)["code"])
		if !ok {
			writeO311Error(w, r, maint.Errorf(maint.CodeNotFound, "service_code %q is not offered", mux.Vars(r)["code"]))
			return
		}
		d := o311Definition{ServiceCode: svc.Code, Attributes: []o311Attribute{}}
		for i, a := range svc.Attributes {
			oa := o311Attribute{Variable: true, Code: a.Code, Datatype: a.Datatype, Required: a.Required, Order: i + 1, Description: a.Description}
			for _, v := range a.Values {
				name := v.Name
				if english(r) {
					name = v.NameEn
				}
				oa.Values = append(oa.Values, o311Value{Key: v.Code, Name: name})
			}
			d.Attributes = append(d.Attributes, oa)
		}
		writeO311(w, r, http.StatusOK, d, d)
	})
}

var phonePattern = regexp.MustCompile(`^\+?[0-9 ()-]{5,20}$`)

// o311Post files a service request: POST requests, form-encoded. Residents
// may post without a key, a few times per address; partner systems send
// their api_key.
func (s *Server) o311Post() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			writeO311Error(w, r, jsonError(err))
			return
		}
		if err := checkJurisdiction(r); err != nil {
			writeO311Error(w, r, err)
			return
		}
		in, svc, err := parseO311Request(r)
		if err != nil {
			writeO311Error(w, r, err)
			return
		}
		key := "ip:" + s.clientIP(r)
		limiter := s.residentPosts
		if k := r.PostForm.Get("api_key"); k != "" {
			name, err := s.store.CheckAPIKey(r.Context(), k)
			if err != nil {
				writeO311Error(w, r, err)
				return
			}
			key, limiter = "key:"+name, s.partnerPosts
			in.Source = maint.SourceResident
		}
		if ok, wait := limiter.Allow(key); !ok {
			e := maint.Errorf(maint.CodeRateLimited, "too many reports from this address; try again in %d s", int(math.Ceil(wait.Seconds())))
			e.RetryAfter = int(math.Ceil(wait.Seconds()))
			writeO311Error(w, r, e)
			return
		}
		req, err := s.store.CreateRequest(r.Context(), maint.Viewer{}, svc, in)
		if err != nil {
			writeO311Error(w, r, err)
			return
		}
		c := o311Created{ServiceRequestID: req.Ref, Token: req.Token, AccountID: r.PostForm.Get("account_id"),
			ServiceNotice: "已受理，案件编号 " + req.Ref + " · Received, case " + req.Ref}
		if req.DuplicateOf != "" {
			c.ServiceNotice = "附近30米内已有同类报告 " + req.DuplicateOf + "，本报告已关联为重复 · Linked as a duplicate of the open report " +
				req.DuplicateOf + " of the same problem within 30 m (case " + req.Ref + ")"
		}
		writeO311(w, r, http.StatusCreated, o311CreatedList{Requests: []o311Created{c}}, []o311Created{c})
	})
}

// parseO311Request checks a posted request against the spec and the
// service's definition.
func parseO311Request(r *http.Request) (maint.NewRequest, maint.Service, error) {
	f := r.PostForm
	var in maint.NewRequest
	code := strings.TrimSpace(f.Get("service_code"))
	if code == "" {
		return in, maint.Service{}, maint.Invalid("service_code", "service_code is required; GET services lists them")
	}
	svc, ok := maint.LookupService(code)
	if !ok {
		return in, svc, maint.Invalid("service_code", "service_code %q is not offered; GET services lists them", code)
	}
	in.ServiceCode = code
	lat, long := strings.TrimSpace(f.Get("lat")), strings.TrimSpace(f.Get("long"))
	if lat == "" || long == "" {
		return in, svc, maint.Invalid("lat", "lat and long are required: this service does not geocode address_string or address_id")
	}
	var err1, err2 error
	in.Lat, err1 = strconv.ParseFloat(lat, 64)
	in.Lon, err2 = strconv.ParseFloat(long, 64)
	if err1 != nil || err2 != nil || math.IsNaN(in.Lat) || math.IsNaN(in.Lon) || math.Abs(in.Lat) > 90 || math.Abs(in.Lon) > 180 {
		return in, svc, maint.Invalid("lat", "lat and long must be WGS84 degrees (lat ±90, long ±180), got %q, %q", lat, long)
	}
	in.Description = strings.TrimSpace(f.Get("description"))
	if len([]rune(in.Description)) > 4000 {
		return in, svc, maint.Invalid("description", "description is limited to 4000 characters")
	}
	in.Address = strings.TrimSpace(f.Get("address_string"))
	if len([]rune(in.Address)) > 500 {
		return in, svc, maint.Invalid("address_string", "address_string is limited to 500 characters")
	}
	var contact []string
	if e := strings.TrimSpace(f.Get("email")); e != "" {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e || len(e) > 254 {
			return in, svc, maint.Invalid("email", "email is not an e-mail address")
		}
		contact = append(contact, e)
	}
	if p := strings.TrimSpace(f.Get("phone")); p != "" {
		if !phonePattern.MatchString(p) {
			return in, svc, maint.Invalid("phone", "phone is not a phone number")
		}
		contact = append(contact, p)
	}
	in.Contact = strings.Join(contact, " ")
	in.Reporter = strings.TrimSpace(f.Get("last_name") + f.Get("first_name"))
	if len([]rune(in.Reporter)) > 100 {
		return in, svc, maint.Invalid("first_name", "names are limited to 100 characters")
	}
	in.Attributes = map[string]string{}
	for k, vals := range f {
		name, ok := strings.CutPrefix(k, "attribute[")
		if !ok {
			continue
		}
		name = strings.TrimSuffix(name, "]")
		var def *maint.ServiceAttribute
		for i := range svc.Attributes {
			if svc.Attributes[i].Code == name {
				def = &svc.Attributes[i]
			}
		}
		if def == nil {
			return in, svc, maint.Invalid(k, "service %s has no attribute %q", code, name)
		}
		v := strings.TrimSpace(vals[0])
		if def.Datatype == "singlevaluelist" {
			if _, ok := maint.Lookup(def.Values, v); !ok {
				return in, svc, maint.Invalid(k, "%q is not one of the values of %s", v, name)
			}
		}
		if len([]rune(v)) > 500 {
			return in, svc, maint.Invalid(k, "attribute values are limited to 500 characters")
		}
		in.Attributes[name] = v
	}
	for _, a := range svc.Attributes {
		if _, ok := in.Attributes[a.Code]; a.Required && !ok {
			return in, svc, maint.Invalid("attribute["+a.Code+"]", "attribute[%s] is required", a.Code)
		}
	}
	in.Source = maint.SourceResident
	return in, svc, nil
}

func o311Time(t time.Time) string { return t.In(maint.Zone).Format(time.RFC3339) }

func (s *Server) o311View(r *http.Request, q maint.ServiceRequest) o311Request {
	svc, _ := maint.LookupService(q.ServiceCode)
	out := o311Request{ServiceRequestID: q.Ref, Status: q.Status.Open311Status(), StatusNotes: q.StatusNotes,
		ServiceName: serviceName(r, svc), ServiceCode: q.ServiceCode, Description: q.Description, AgencyResponsible: q.Agency,
		RequestedDatetime: o311Time(q.RequestedAt), UpdatedDatetime: o311Time(q.UpdatedAt), Address: q.Address,
		Lat: math.Round(q.Lat*1e6) / 1e6, Long: math.Round(q.Lon*1e6) / 1e6}
	if q.Agency == "" {
		out.AgencyResponsible = "绿园区城市管理局"
	}
	if q.ExpectedAt != nil {
		out.ExpectedDatetime = time.Date(q.ExpectedAt.Year(), q.ExpectedAt.Month(), q.ExpectedAt.Day(), 23, 59, 59, 0, maint.Zone).Format(time.RFC3339)
	}
	if q.DuplicateOf != "" {
		out.ServiceNotice = "duplicate of " + q.DuplicateOf
	}
	if q.AssetID != nil {
		out.AddressID = "asset:" + strconv.FormatInt(*q.AssetID, 10)
	}
	return out
}

// o311List serves GET requests: by ids, or by service, status and dates
// (the last 90 days by default), newest first.
func (s *Server) o311List() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkJurisdiction(r); err != nil {
			writeO311Error(w, r, err)
			return
		}
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
		}{{"start_date", &f.From}, {"end_date", &f.To}} {
			if v := q.Get(d.name); v != "" {
				t, err := time.Parse(time.RFC3339, v)
				if err != nil {
					writeO311Error(w, r, maint.Invalid(d.name, "%s must be an ISO 8601 date-time such as 2024-06-01T00:00:00+08:00", d.name))
					return
				}
				*d.dst = &t
			}
		}
		switch st := q.Get("status"); st {
		case "", "open", "closed":
			f.Status = st
		default:
			writeO311Error(w, r, maint.Invalid("status", "status is open or closed"))
			return
		}
		if len(f.Refs) == 0 && f.From == nil {
			from := time.Now().AddDate(0, 0, -open311Days)
			if f.To != nil {
				from = f.To.AddDate(0, 0, -open311Days)
			}
			f.From = &from
		}
		reqs, err := s.store.ServiceRequests(r.Context(), f)
		if err != nil {
			writeO311Error(w, r, err)
			return
		}
		out := []o311Request{}
		for _, q := range reqs {
			out = append(out, s.o311View(r, q))
		}
		writeO311(w, r, http.StatusOK, o311Requests{Requests: out}, out)
	})
}

// o311Get serves GET requests/{id}.
func (s *Server) o311Get() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := mux.Vars(r)["id"]
		reqs, err := s.store.ServiceRequests(r.Context(), maint.RequestFilter{Refs: []string{id}})
		if err == nil && len(reqs) == 0 {
			err = maint.Errorf(maint.CodeNotFound, "service_request_id %q not found", id)
		}
		if err != nil {
			writeO311Error(w, r, err)
			return
		}
		out := []o311Request{s.o311View(r, reqs[0])}
		writeO311(w, r, http.StatusOK, o311Requests{Requests: out}, out)
	})
}

// o311Token serves GET tokens/{token}: the request a token stands for.
func (s *Server) o311Token() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := mux.Vars(r)["token"]
		ref, err := s.store.RequestByToken(r.Context(), tok)
		if err != nil {
			writeO311Error(w, r, err)
			return
		}
		out := []o311Token{{ServiceRequestID: ref, Token: tok}}
		writeO311(w, r, http.StatusOK, o311Tokens{Requests: out}, out)
	})
}
