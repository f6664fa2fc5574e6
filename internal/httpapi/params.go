package httpapi

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"inframap/gis"
	"inframap/internal/maint"
)

// params reads a request's query parameters, rejecting unknown and repeated
// ones so that a typo is an error rather than a silently ignored filter.
type params struct {
	v url.Values
}

func readParams(r *http.Request, allowed ...string) (params, error) {
	v := r.URL.Query()
	for k, vals := range v {
		if !slices.Contains(allowed, k) {
			return params{}, maint.Invalid(k, "unknown parameter %q; this endpoint takes: %s", k, strings.Join(allowed, ", "))
		}
		if len(vals) > 1 {
			return params{}, maint.Invalid(k, "parameter %q is given %d times", k, len(vals))
		}
	}
	return params{v: v}, nil
}

func (p params) str(name string) string { return strings.TrimSpace(p.v.Get(name)) }

func (p params) has(name string) bool { return p.v.Has(name) }

// limit parses the page size: def when absent, an error outside 1…max.
func (p params) limit(def, max int) (int, error) {
	s := p.str("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		return 0, maint.Invalid("limit", "limit must be an integer from 1 to %d, got %q", max, s)
	}
	return n, nil
}

func (p params) bbox() (*gis.BBox, error) {
	s := p.str("bbox")
	if s == "" {
		return nil, nil
	}
	b, err := gis.ParseBBox(s)
	if err != nil {
		return nil, invalidParam("bbox", err)
	}
	return &b, nil
}

// cursor decodes the opaque keyset cursor of list endpoints.
func (p params) cursor() (int64, error) {
	s := p.str("cursor")
	if s == "" {
		return 0, nil
	}
	id, err := decodeCursor(s)
	if err != nil {
		return 0, maint.Invalid("cursor", "cursor is not one this service issued; start again from the first page")
	}
	return id, nil
}

const cursorPrefix = "k1:"

func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(id, 10)))
}

// cursorChars is the base64url alphabet: the decoder skips line breaks,
// which a cursor never has.
func cursorChars(s string) bool {
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return s != ""
}

func decodeCursor(s string) (int64, error) {
	if !cursorChars(s) {
		return 0, errors.New("bad cursor")
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || !strings.HasPrefix(string(b), cursorPrefix) {
		return 0, errors.New("bad cursor")
	}
	id, err := strconv.ParseInt(string(b[len(cursorPrefix):]), 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != string(b[len(cursorPrefix):]) {
		return 0, errors.New("bad cursor")
	}
	return id, nil
}

// pageURL is the absolute URL of r with the cursor replaced.
func (s *Server) pageURL(r *http.Request, cursor string) string {
	q := r.URL.Query()
	q.Del("cursor")
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	u := s.baseURL(r)
	u.Path = r.URL.Path
	u.RawQuery = q.Encode()
	return u.String()
}

// baseURL is the service's external root: PublicURL when configured, else
// the scheme and host the client used.
func (s *Server) baseURL(r *http.Request) url.URL {
	if s.cfg.PublicURL != nil {
		return *s.cfg.PublicURL
	}
	sch := "http"
	if r.TLS != nil {
		sch = "https"
	}
	return url.URL{Scheme: sch, Host: r.Host}
}

// Audit cursors carry the (time, source, id) position of the last event.
func encodeAuditCursor(e maint.AuditEvent) string {
	s := "a1:" + strconv.FormatInt(e.At.UnixMicro(), 10) + ":" + e.Source + ":" + strconv.FormatInt(e.ID, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func decodeAuditCursor(c string) (*maint.AuditCursor, error) {
	if !cursorChars(c) {
		return nil, errors.New("bad cursor")
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(c)
	if err != nil {
		return nil, err
	}
	parts := strings.Split(string(b), ":")
	if len(parts) != 4 || parts[0] != "a1" || (parts[2] != "task" && parts[2] != "audit") {
		return nil, errors.New("bad cursor")
	}
	us, err1 := strconv.ParseInt(parts[1], 10, 64)
	id, err2 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil {
		return nil, errors.New("bad cursor")
	}
	return &maint.AuditCursor{At: time.UnixMicro(us), Source: parts[2], ID: id}, nil
}

// kindList names the asset kinds, for messages that list what is allowed.
func kindList() string { return strings.Join(assetKinds(), ", ") }
