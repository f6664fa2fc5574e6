package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"

	"inframap/internal/httpx"
	"inframap/internal/maint"
)

// What handlers read of a request besides its body, beyond what httpx
// shares with the accounts API (viewer, permission checks, path id, client
// address): the prologues of reads and writes of one resource, the version
// a write is based on, the retry key of a write, and the URLs of pages.

// target is the prologue of a request on one resource: which one (a bad id
// is a 404 before anything else), who asks and whether they may.
func target(r *http.Request, may httpx.Check) (maint.Viewer, int64, error) {
	v := httpx.ViewerOf(r)
	id, err := httpx.PathID(r)
	if err == nil {
		err = may(v)
	}
	return v, id, err
}

// byID is the whole of a plain GET of one resource: its id (a 404 first),
// no query parameters, and get's answer for the viewer.
func byID[T any](r *http.Request, get func(context.Context, int64, maint.Viewer) (T, error)) (T, error) {
	id, err := httpx.PathID(r)
	if err == nil {
		_, err = httpx.ReadParams(r)
	}
	if err != nil {
		var zero T
		return zero, err
	}
	return get(r.Context(), id, httpx.ViewerOf(r))
}

// edit is a write to a versioned resource: who, which, and the version the
// writer read.
type edit struct {
	v       maint.Viewer
	id      int64
	version int
}

// editOf is the prologue of such a write: target, then If-Match.
func editOf(r *http.Request, may httpx.Check) (edit, error) {
	v, id, err := target(r, may)
	if err != nil {
		return edit{}, err
	}
	version, err := ifMatch(r)
	return edit{v, id, version}, err
}

// editWith is editOf followed by the body parsed.
func editWith[T any](r *http.Request, may httpx.Check, parse func(*http.Request) (T, error)) (edit, T, error) {
	e, err := editOf(r, may)
	if err != nil {
		var zero T
		return e, zero, err
	}
	body, err := parse(r)
	return e, body, err
}

// etag is the entity tag of a versioned resource.
func etag(version int) string { return `"` + strconv.Itoa(version) + `"` }

// ifMatch reads the version a write is based on. Writes to versioned
// resources require it: without it two offices could overwrite each other.
func ifMatch(r *http.Request) (int, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" {
		return 0, maint.Errorf(maint.CodePreconditionRequired, "send If-Match with the ETag you read, so that no one's change is silently overwritten")
	}
	h = strings.TrimPrefix(h, "W/")
	v, err := strconv.Atoi(strings.Trim(h, `"`))
	if err != nil || v <= 0 || strings.Contains(h, ",") {
		return 0, maint.Errorf(maint.CodePreconditionRequired, "If-Match must be the single ETag of the version you read (e.g. \"3\"), not %q", r.Header.Get("If-Match"))
	}
	return v, nil
}

// userScope is the idempotency scope of a signed-in caller.
func userScope(v maint.Viewer) string { return "user:" + strconv.FormatInt(v.UserID, 10) }

// idempotency reads the Idempotency-Key of a write: scoped to the caller
// and the endpoint, with a hash of what was sent.
func idempotency(r *http.Request, caller string, parts ...string) (*maint.Idempotency, error) {
	key := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if key == "" {
		return nil, nil
	}
	if len(key) > 255 || strings.ContainsAny(key, "\x00\r\n") {
		return nil, maint.Invalid("Idempotency-Key", "Idempotency-Key is at most 255 printable characters")
	}
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return &maint.Idempotency{Scope: caller + " " + r.Method + " " + r.URL.Path, Key: key, RequestHash: hex.EncodeToString(h.Sum(nil))}, nil
}

// markReplayed says that an answer is a retried write's first outcome.
func markReplayed(w http.ResponseWriter, replayed bool) {
	if replayed {
		w.Header().Set("Idempotency-Replayed", "true")
	}
}

// writeCreated answers a write that made something (or, replayed, made it
// on the first try) with its JSON view.
func writeCreated(w http.ResponseWriter, r *http.Request, status int, view any, replayed bool) {
	w.Header().Set("Cache-Control", "no-store")
	markReplayed(w, replayed)
	httpx.WriteJSON(w, r, status, view)
}

// clientIP is the address of the client. X-Forwarded-For is believed only
// when the direct peer is a configured trusted proxy.
func (s *Server) clientIP(r *http.Request) string {
	return httpx.ClientIP(r, s.cfg.TrustedProxies)
}

// pageURL is the absolute URL of r with the cursor replaced.
func (s *Server) pageURL(r *http.Request, cursor string) string {
	return httpx.PageURL(r, s.cfg.PublicURL, cursor)
}
