package httpapi

import (
	"bufio"
	"net/http"
)

// openData marks a response as public data that any web page may read: the
// standards endpoints serve map clients on other origins (city platforms,
// web GIS), and carry nothing private.
func openData(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Expose-Headers", "ETag, Content-Crs, Content-Disposition, X-Request-ID")
		h.Set("Cross-Origin-Resource-Policy", "cross-origin")
		next.ServeHTTP(w, r)
	})
}

// heldWriter is the body of a streamed file: the first 32 KiB are held back,
// so that an error early on can still become a problem response; once bytes
// have left, the headers (set by header) are sent and writes stream on.
type heldWriter struct {
	w      http.ResponseWriter
	header func(http.Header)
	bp     *[]byte
	bw     *bufio.Writer
	sent   bool
}

func newHeldWriter(w http.ResponseWriter, header func(http.Header)) *heldWriter {
	bp := buffers.Get().(*[]byte)
	*bp = (*bp)[:0]
	return &heldWriter{w: w, header: header, bp: bp}
}

func (h *heldWriter) Write(p []byte) (int, error) {
	if h.sent {
		return h.bw.Write(p)
	}
	*h.bp = append(*h.bp, p...)
	if len(*h.bp) >= 32<<10 {
		if err := h.commit(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (h *heldWriter) commit() error {
	h.sent = true
	h.header(h.w.Header())
	h.w.WriteHeader(http.StatusOK)
	h.bw = getWriter(h.w)
	_, err := h.bw.Write(*h.bp)
	*h.bp = (*h.bp)[:0]
	return err
}

// Close sends what is held back and flushes.
func (h *heldWriter) Close() error {
	if !h.sent {
		if err := h.commit(); err != nil {
			return err
		}
	}
	return h.bw.Flush()
}

// release returns the buffers to their pools.
func (h *heldWriter) release() {
	if h.bw != nil {
		putWriter(h.bw)
		h.bw = nil
	}
	if h.bp != nil {
		buffers.Put(h.bp)
		h.bp = nil
	}
}
