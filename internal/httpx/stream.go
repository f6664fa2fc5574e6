package httpx

import (
	"bufio"
	"net/http"
	"sync"
)

// Streamed bodies are written through pooled buffers: a large collection
// or export costs no allocation per response.

// heldBytes is how much of a streamed body is held back before the headers
// leave: an error before then can still become a problem response.
const heldBytes = 32 << 10

var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

var writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 32<<10) }}

func getWriter(w http.ResponseWriter) *bufio.Writer {
	bw := writers.Get().(*bufio.Writer)
	bw.Reset(w)
	return bw
}

func putWriter(bw *bufio.Writer) {
	bw.Reset(nil)
	writers.Put(bw)
}

// Emit appends one item of a collection; the item appends itself to b.
type Emit = func(item func(b []byte) []byte) error

// StreamCollection writes a GeoJSON FeatureCollection whose items come from
// fill and whose members after the features come from tail. The first bytes
// are held back until 32 KiB are ready, so an error early on still becomes
// a proper problem response (it is returned); an error after bytes have
// left aborts the connection, so that no client mistakes a cut-off body for
// a complete one.
func StreamCollection(w http.ResponseWriter, contentType string,
	fill func(emit Emit) (more bool, err error), tail func(b []byte, more bool) []byte) error {
	bw := getWriter(w)
	defer putWriter(bw)
	started := false
	head := func() {
		if !started {
			started = true
			w.Header().Set("Content-Type", contentType)
			w.Header().Set("Cache-Control", "no-cache")
			w.WriteHeader(http.StatusOK)
		}
	}
	bp := buffers.Get().(*[]byte)
	defer func() { buffers.Put(bp) }()
	buf := (*bp)[:0]
	sent := false
	first := true
	emit := func(item func([]byte) []byte) error {
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = item(buf)
		if len(buf) >= heldBytes {
			head()
			sent = true
			if _, err := bw.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
		*bp = buf
		return nil
	}
	buf = append(buf, `{"type":"FeatureCollection","features":[`...)
	more, err := fill(emit)
	if err != nil {
		if sent {
			panic(http.ErrAbortHandler)
		}
		return err
	}
	buf = tail(buf, more)
	*bp = buf
	head()
	bw.Write(buf)
	return bw.Flush()
}

// HeldWriter is the body of a streamed file: the first 32 KiB are held
// back, so that an error early on can still become a problem response; once
// bytes have left, the headers (set by header) are sent and writes stream
// on. Release returns its buffers.
type HeldWriter struct {
	w      http.ResponseWriter
	header func(http.Header)
	bp     *[]byte
	bw     *bufio.Writer
	sent   bool
}

// NewHeldWriter holds back the start of a body for w.
func NewHeldWriter(w http.ResponseWriter, header func(http.Header)) *HeldWriter {
	bp := buffers.Get().(*[]byte)
	*bp = (*bp)[:0]
	return &HeldWriter{w: w, header: header, bp: bp}
}

func (h *HeldWriter) Write(p []byte) (int, error) {
	if h.sent {
		return h.bw.Write(p)
	}
	*h.bp = append(*h.bp, p...)
	if len(*h.bp) >= heldBytes {
		if err := h.commit(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (h *HeldWriter) commit() error {
	h.sent = true
	h.header(h.w.Header())
	h.w.WriteHeader(http.StatusOK)
	h.bw = getWriter(h.w)
	_, err := h.bw.Write(*h.bp)
	*h.bp = (*h.bp)[:0]
	return err
}

// Sent reports whether bytes have left, after which an error can only
// abort the connection.
func (h *HeldWriter) Sent() bool { return h.sent }

// Close sends what is held back and flushes.
func (h *HeldWriter) Close() error {
	if !h.sent {
		if err := h.commit(); err != nil {
			return err
		}
	}
	return h.bw.Flush()
}

// Release returns the buffers to their pools.
func (h *HeldWriter) Release() {
	if h.bw != nil {
		putWriter(h.bw)
		h.bw = nil
	}
	if h.bp != nil {
		buffers.Put(h.bp)
		h.bp = nil
	}
}
