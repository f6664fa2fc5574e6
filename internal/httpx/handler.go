package httpx

import "net/http"

// HandlerFunc is a handler that returns its error instead of writing it, so
// that a handler's every failure leaves through the one problem writer and
// reads as a plain `return err`.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// ServeHTTP runs f and answers its error, if any, as a problem.
func (f HandlerFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := f(w, r); err != nil {
		WriteError(w, r, err)
	}
}

// OpenData marks a response as public data that any web page may read: the
// standards endpoints serve map clients on other origins (city platforms,
// web GIS), and carry nothing private.
func OpenData(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Expose-Headers", "ETag, Content-Crs, Content-Disposition, X-Request-ID")
		h.Set("Cross-Origin-Resource-Policy", "cross-origin")
		next.ServeHTTP(w, r)
	})
}
