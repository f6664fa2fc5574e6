package accounts

import (
	"context"
	"net/http"
	"strings"
	"time"

	"inframap/internal/httpx"
	"inframap/internal/maint"
)

// The session cookie. Its value is a random secret; the database keeps only
// its hash. HttpOnly: page scripts never see it.
const sessionCookie = "inframap_session"

type authKey struct{}

// authMethod says how the viewer authenticated: "cookie", "bearer" or "".
func authMethod(ctx context.Context) string {
	m, _ := ctx.Value(authKey{}).(string)
	return m
}

// Authenticate resolves the viewer from a bearer token or the session
// cookie and leaves it in the request context (httpx.ViewerFrom). A bad
// bearer token is refused, since a script should learn at once that its
// token is dead; a stale cookie is dropped and the request goes on as a
// resident's, since the public pages work without signing in.
func (a *API) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if h := r.Header.Get("Authorization"); h != "" {
			scheme, tok, _ := strings.Cut(h, " ")
			if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="inframap"`)
				httpx.WriteError(w, r, maint.Errorf(maint.CodeUnauthorized, "use Authorization: Bearer <token>"))
				return
			}
			v, err := a.store.Authenticate(ctx, strings.TrimSpace(tok))
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="inframap", error="invalid_token"`)
				httpx.WriteError(w, r, err)
				return
			}
			ctx = context.WithValue(httpx.WithViewer(ctx, v), authKey{}, "bearer")
		} else if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
			v, err := a.store.Authenticate(ctx, c.Value)
			switch {
			case err == nil:
				ctx = context.WithValue(httpx.WithViewer(ctx, v), authKey{}, "cookie")
			case maint.ErrorCode(err) == maint.CodeUnauthorized:
				a.clearSession(w, r)
			default:
				httpx.WriteError(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// secureCookies says whether the session cookie may travel over HTTPS only:
// behind a TLS-terminating proxy the request itself is plain HTTP, so the
// configured public URL decides when there is one.
func (a *API) secureCookies(r *http.Request) bool {
	if a.cfg.PublicURL != nil {
		return a.cfg.PublicURL.Scheme == "https"
	}
	return r.TLS != nil
}

// setSession hands the browser its session cookie. SameSite=Lax keeps it
// off other sites' subrequests; links from elsewhere still arrive signed in.
func (a *API) setSession(w http.ResponseWriter, r *http.Request, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", Expires: expires, MaxAge: int(time.Until(expires).Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: a.secureCookies(r),
	})
}

// clearSession tells the browser to forget its session cookie.
func (a *API) clearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: a.secureCookies(r)})
}
