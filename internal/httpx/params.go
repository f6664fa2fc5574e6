package httpx

import (
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"inframap/gis"
	"inframap/internal/maint"
)

// Params reads a request's query parameters, rejecting unknown and repeated
// ones so that a typo is an error rather than a silently ignored filter.
type Params struct {
	v url.Values
}

// ReadParams reads r's query, which may hold only the allowed parameters.
func ReadParams(r *http.Request, allowed ...string) (Params, error) {
	v := r.URL.Query()
	for k, vals := range v {
		if !slices.Contains(allowed, k) {
			return Params{}, maint.Invalid(k, "unknown parameter %q; this endpoint takes: %s", k, strings.Join(allowed, ", "))
		}
		if len(vals) > 1 {
			return Params{}, maint.Invalid(k, "parameter %q is given %d times", k, len(vals))
		}
	}
	return Params{v: v}, nil
}

// Str is a parameter's value, trimmed; "" when absent.
func (p Params) Str(name string) string { return strings.TrimSpace(p.v.Get(name)) }

// Has reports whether the parameter is given.
func (p Params) Has(name string) bool { return p.v.Has(name) }

// Values are the parameters as given.
func (p Params) Values() url.Values { return p.v }

// Limit parses the page size: def when absent, an error outside 1…max.
func (p Params) Limit(def, max int) (int, error) {
	s := p.Str("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		return 0, maint.Invalid("limit", "limit must be an integer from 1 to %d, got %q", max, s)
	}
	return n, nil
}

// BBox parses bbox as WGS84 degrees; nil when absent.
func (p Params) BBox() (*gis.BBox, error) {
	s := p.Str("bbox")
	if s == "" {
		return nil, nil
	}
	b, err := gis.ParseBBox(s)
	if err != nil {
		return nil, InvalidParam("bbox", err)
	}
	return &b, nil
}

// LonLat parses a point given as "lon,lat" in WGS84 degrees; nil when
// absent.
func (p Params) LonLat(name string) (*[2]float64, error) {
	s := p.Str(name)
	if s == "" {
		return nil, nil
	}
	lon, lat, ok := strings.Cut(s, ",")
	x, errX := strconv.ParseFloat(strings.TrimSpace(lon), 64)
	y, errY := strconv.ParseFloat(strings.TrimSpace(lat), 64)
	if !ok || errX != nil || errY != nil || math.IsNaN(x) || math.IsNaN(y) || x < -180 || x > 180 || y < -90 || y > 90 {
		return nil, maint.InvalidAs(name, "bad_lonlat", map[string]any{"value": s}, "%s is lon,lat in degrees, got %q", name, s)
	}
	return &[2]float64{x, y}, nil
}

// Cursor decodes the opaque keyset cursor of list endpoints.
func (p Params) Cursor() (int64, error) {
	s := p.Str("cursor")
	if s == "" {
		return 0, nil
	}
	id, err := DecodeCursor(s)
	if err != nil {
		return 0, maint.Invalid("cursor", "cursor is not one this service issued; start again from the first page")
	}
	return id, nil
}

// Date parses a day (YYYY-MM-DD) in the district's zone; nil when absent.
func (p Params) Date(name string) (*time.Time, error) {
	s := p.Str(name)
	if s == "" {
		return nil, nil
	}
	d, err := maint.ParseDate(name, s)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// Kinds parses a comma-separated list of asset kinds; nil when absent.
func (p Params) Kinds(name string) ([]maint.Kind, error) { return maint.ParseKinds(name, p.Str(name)) }

// Statuses parses a comma-separated list of statuses; nil when absent.
func (p Params) Statuses(name string) ([]maint.Status, error) {
	return maint.ParseStatuses(name, p.Str(name))
}

// ID parses a parameter that names a resource by id; nil when absent.
func (p Params) ID(name, what string) (*int64, error) {
	s := p.Str(name)
	if s == "" {
		return nil, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return nil, maint.Invalid(name, "%s must be %s id, got %q", name, what, s)
	}
	return &id, nil
}

// Format checks the f parameter: JSON is the only encoding offered (GeoJSON
// for features), under the names allowed.
func (p Params) Format(allowed ...string) error {
	f := p.Str("f")
	if f == "" || slices.Contains(allowed, f) {
		return nil
	}
	return maint.Invalid("f", "format %q is not offered here; use f=%s", f, allowed[0])
}

// ParseDay reads a date as YYYY-MM-DD.
func ParseDay(field, s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, maint.InvalidAs(field, "date_format", maint.Params{"field": field}, "%s must be a date as YYYY-MM-DD, got %q", field, s)
	}
	return t, nil
}

// ParseInstant reads a date (YYYY-MM-DD, a day in the district's zone; as
// an end it means the end of that day) or an RFC 3339 time.
func ParseInstant(name, s string, end bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := maint.ParseDate(name, s)
	if err != nil {
		return d, maint.Invalid(name, "%s must be a date (YYYY-MM-DD) or an RFC 3339 time, got %q", name, s)
	}
	if end {
		return maint.EndOfDay(d), nil
	}
	return d, nil
}

// CheckText bounds a free-text field.
func CheckText(field, s string, required bool, max int) error {
	switch {
	case required && strings.TrimSpace(s) == "":
		return maint.InvalidAs(field, "field_required", maint.Params{"field": field}, "%s is required", field)
	case len([]rune(s)) > max:
		return maint.InvalidAs(field, "field_too_long", maint.Params{"field": field, "max": max}, "%s is limited to %d characters", field, max)
	}
	return nil
}

// RateLimited is the 429 of a client that must wait before asking again.
func RateLimited(what string, wait time.Duration) error {
	secs := int(math.Ceil(wait.Seconds()))
	e := maint.Errorf(maint.CodeRateLimited, "%s; try again in %d s", what, secs)
	e.RetryAfter = secs
	return e
}

// BaseURL is the service's external root: public when configured, else the
// scheme and host the client used.
func BaseURL(r *http.Request, public *url.URL) url.URL {
	if public != nil {
		return *public
	}
	sch := "http"
	if r.TLS != nil {
		sch = "https"
	}
	return url.URL{Scheme: sch, Host: r.Host}
}

// PageURL is the absolute URL of r with the cursor replaced.
func PageURL(r *http.Request, public *url.URL, cursor string) string {
	q := r.URL.Query()
	q.Del("cursor")
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	u := BaseURL(r, public)
	u.Path = r.URL.Path
	u.RawQuery = q.Encode()
	return u.String()
}

// PageLinks are the self and (when more follow) next links of a page of a
// list, whose next cursor is next.
func PageLinks(r *http.Request, public *url.URL, cursor string, more bool, next func() string) []map[string]string {
	links := []map[string]string{{"rel": "self", "href": PageURL(r, public, cursor)}}
	if more {
		links = append(links, map[string]string{"rel": "next", "href": PageURL(r, public, next())})
	}
	return links
}
