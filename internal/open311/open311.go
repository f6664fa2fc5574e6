// Package open311 serves Open311 GeoReport v2
// (http://wiki.open311.org/GeoReport_v2): residents' report apps and city
// platforms file and follow service requests here, in XML (the spec's
// default) or JSON, with the spec's own error bodies. It reads and files
// requests through maint.RequestService alone; the service hands in how
// to find a client's address and the rate limits its posts share with the
// map's own report form.
package open311

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/mux"

	"inframap/internal/httpx"
	"inframap/internal/maint"
	"inframap/internal/ratelimit"
)

const (
	spec         = "http://wiki.open311.org/GeoReport_v2"
	jurisdiction = "220106" // the county code of Lüyuan District
	defaultDays  = 90       // the default window of GET requests
)

// Config is what the API needs besides its data.
type Config struct {
	// PublicURL is the service's external root for links (scheme and host);
	// nil means the scheme and Host of each request.
	PublicURL *url.URL
	// ClientIP is the client's address, as the service's proxies allow.
	ClientIP func(*http.Request) string
	// Residents limits posts without a key, per address; Partners posts
	// with one, per key.
	Residents, Partners ratelimit.Allower
}

// API serves the Open311 resources.
type API struct {
	requests maint.RequestService
	cfg      Config
}

// New returns the API over requests.
func New(requests maint.RequestService, cfg Config) *API {
	return &API{requests: requests, cfg: cfg}
}

// Mount routes the Open311 resources on r, the router of the /open311/v2
// prefix. The format is the path's extension (XML when none is given).
func (a *API) Mount(r *mux.Router) {
	for _, ext := range []string{"", ".{format:xml|json}"} {
		r.Handle("/discovery"+ext, a.discovery()).Methods(http.MethodGet)
		r.Handle("/services"+ext, a.services()).Methods(http.MethodGet)
		r.Handle("/services/{code:[a-z0-9_]+}"+ext, a.definition()).Methods(http.MethodGet)
		r.Handle("/requests"+ext, a.list()).Methods(http.MethodGet)
		r.Handle("/requests"+ext, a.post()).Methods(http.MethodPost)
		r.Handle("/requests/{id:[A-Za-z0-9-]+}"+ext, a.get()).Methods(http.MethodGet)
		r.Handle("/tokens/{token:[A-Za-z0-9]+}"+ext, a.token()).Methods(http.MethodGet)
	}
}

// handlerFunc is a handler that returns its error, which leaves in the
// spec's error format rather than as a problem.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (f handlerFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := f(w, r); err != nil {
		writeError(w, r, err)
	}
}

// format reads the response format from the path's extension.
func format(r *http.Request) string {
	if f := mux.Vars(r)["format"]; f == "json" {
		return "json"
	}
	return "xml"
}

// write answers in the requested format: xmlBody for XML (the list
// wrapper), jsonBody for JSON (a bare array or object, as the spec shows).
func write(w http.ResponseWriter, r *http.Request, status int, xmlBody, jsonBody any) {
	w.Header().Set("Cache-Control", "no-cache")
	if format(r) == "json" {
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

// writeError answers err in the spec's error format with the status of its
// domain code.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	p, e := httpx.ProblemFor(r, err)
	if p.Status >= 500 {
		httpx.LoggerFrom(r.Context()).WarnContext(r.Context(), "open311", "err", err.Error())
	}
	httpx.SetRetryAfter(w, e)
	oe := []errorDoc{{Code: p.Status, Description: e.Message}}
	write(w, r, p.Status, errorList{Errors: oe}, oe)
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
	if j := r.FormValue("jurisdiction_id"); j != "" && j != jurisdiction && j != "lvyuan" {
		return maint.Errorf(maint.CodeNotFound, "jurisdiction_id %q is not served here (this is %s, Lüyuan District)", j, jurisdiction)
	}
	return nil
}
