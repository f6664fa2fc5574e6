package httpx

import (
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"inframap/internal/maint"
)

// What every handler reads of a request besides its body and query: who
// asks and whether they may, which resource, and from which address. They
// live here rather than in one API package because the accounts API and the
// rest of the service ask the same questions and must answer them alike.

// ViewerOf is who is asking r; residents are the zero Viewer.
func ViewerOf(r *http.Request) maint.Viewer { return ViewerFrom(r.Context()) }

// A Check says whether a viewer may go on: Can(perm), Staff or Admin.
type Check func(maint.Viewer) error

// Can admits the viewers whose role holds p.
func Can(p maint.Permission) Check {
	return func(v maint.Viewer) error { return maint.Require(v, p) }
}

// Staff admits anyone signed in; the domain decides the rest (the workflow
// knows who may move a task where).
func Staff(v maint.Viewer) error {
	if !v.Staff() {
		return maint.Errorf(maint.CodeUnauthorized, "sign in first")
	}
	return nil
}

// Admin admits admins only.
func Admin(v maint.Viewer) error { return maint.Require(v, maint.PermAdmin) }

// Allowed returns the viewer of r if may admits them.
func Allowed(r *http.Request, may Check) (maint.Viewer, error) {
	v := ViewerOf(r)
	return v, may(v)
}

// PathID reads the {id} of the route: a bad one is a 404, as if no such
// resource existed.
func PathID(r *http.Request) (int64, error) {
	s := mux.Vars(r)["id"]
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, maint.Errorf(maint.CodeNotFound, "no resource with id %q", s)
	}
	return id, nil
}

// ClientIP is the client's address: the peer, or, when the peer is one of
// the trusted proxies, the nearest untrusted address of X-Forwarded-For.
// Anyone else could write any address there, so it is believed of proxies
// alone.
func ClientIP(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !trustedProxy(trusted, addr) {
		return host
	}
	hops := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !trustedProxy(trusted, a) {
			return a.String()
		}
	}
	return host
}

func trustedProxy(trusted []netip.Prefix, a netip.Addr) bool {
	for _, p := range trusted {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}
