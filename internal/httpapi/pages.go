package httpapi

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"inframap/internal/httpx"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

// staticFile is an embedded file ready to serve: its bytes, a gzipped copy
// when that is smaller, and a content hash for its ETag.
type staticFile struct {
	body, gz []byte
	ctype    string
	etag     string
}

// pageRoutes maps the pages' paths to their files.
var pageRoutes = map[string]string{
	"/":       "index.html",
	"/manage": "manage.html",
	"/field":  "field.html",
}

// loadStatic reads every embedded file once, at start.
func loadStatic(fsys fs.FS) (map[string]*staticFile, error) {
	files := map[string]*staticFile{}
	if fsys == nil {
		return files, nil
	}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		f := &staticFile{body: b, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}
		f.ctype = mime.TypeByExtension(path.Ext(p))
		if f.ctype == "" {
			f.ctype = "application/octet-stream"
		}
		if httpx.Compressible(f.ctype) && len(b) > 512 {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			zw.Write(b)
			zw.Close()
			if buf.Len() < len(b) {
				f.gz = buf.Bytes()
			}
		}
		files["/"+p] = f
		return nil
	})
	return files, err
}

// pages serves the embedded front end. Pages are revalidated on every load;
// other files are cached for an hour and revalidated by ETag.
func (s *Server) pages() http.Handler {
	files, err := loadStatic(s.web)
	if err != nil {
		s.log.Error("load web files", "err", err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if page, ok := pageRoutes[p]; ok {
			p = "/" + page
		} else if strings.HasPrefix(p, "/subscription/") && !strings.Contains(p[len("/subscription/"):], "/") {
			// A subscription's page: its key is in the path.
			p = "/subscription.html"
		}
		f := files[p]
		if f == nil {
			httpx.WriteError(w, r, httpx.NotFound(r))
			return
		}
		h := w.Header()
		h.Set("Content-Type", f.ctype)
		h.Set("ETag", f.etag)
		h.Add("Vary", "Accept-Encoding")
		if strings.HasSuffix(p, ".html") || strings.HasSuffix(p, "sw.js") {
			h.Set("Cache-Control", "no-cache")
		} else {
			h.Set("Cache-Control", "public, max-age=3600")
		}
		if httpx.ETagMatch(r.Header.Get("If-None-Match"), f.etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		body := f.body
		if f.gz != nil && httpx.AcceptsGzip(r) {
			h.Set("Content-Encoding", "gzip")
			body = f.gz
		}
		w.Write(body)
	})
}
