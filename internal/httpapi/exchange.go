package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"inframap/internal/exchange"
	"inframap/internal/httpx"
	"inframap/internal/maint"
	"inframap/internal/privacy"
)

// maxImportBytes caps an imported file. The whole district is 1.2 MB of
// GeoJSON; this leaves room for a city's worth of manholes in one file.
const maxImportBytes = 200 << 20

// importTimeout bounds an import request — the file read as it arrives,
// the checks and the write — in place of the short deadline of other
// requests and the server's read and write timeouts.
const importTimeout = 15 * time.Minute

// importAssets serves POST /api/v1/import: a GeoJSON or CSV file as the
// export writes it, as the request body (the format from Content-Type or
// ?format=). Every row is checked; a file with any problem imports nothing
// and the answer lists them all (problem+json, errors with line or feature
// and column). ?dry_run=true checks and counts without writing.
func (s *Server) importAssets() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.importFile(w, r); err != nil {
			writeImportError(w, r, err)
		}
	})
}

// importFile checks and imports the file a request carries.
func (s *Server) importFile(w http.ResponseWriter, r *http.Request) error {
	v, err := httpx.Allowed(r, httpx.Can(maint.PermEditAsset))
	if err != nil {
		return err
	}
	format, dryRun, err := importParams(r)
	if err != nil {
		return err
	}
	mapping, err := importMapping(r)
	if err != nil {
		return err
	}
	if r.ContentLength > maxImportBytes {
		return maint.Errorf(maint.CodeTooLarge, "an imported file may have at most %d MB; split it (by kind, say)", maxImportBytes>>20)
	}
	// A large file takes longer than the server's timeouts allow other
	// requests; the middleware leaves imports their own (isUpload).
	deadline := time.Now().Add(importTimeout)
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(deadline)
	rc.SetWriteDeadline(deadline)
	ctx, cancel := context.WithDeadline(r.Context(), deadline)
	defer cancel()

	crs, err := exchange.ParseSourceCRS("crs", r.URL.Query().Get("crs"))
	if err != nil {
		return err
	}
	body := http.MaxBytesReader(w, r.Body, maxImportBytes)
	var read maint.RowSource
	if exchange.IsGDALFormat(format) {
		// Shapefiles, geodatabases, GeoPackages, KML, DXF and GML are read
		// through GDAL's tools (docs/exchange.md).
		g, err := exchange.NewGDALReader(ctx, format, body, exchange.GDALOptions{Bin: s.cfg.GDALBin, CRS: crs, Mapping: mapping})
		if err != nil {
			return err
		}
		defer g.Close()
		read = g
	} else {
		if !crs.Geographic() {
			return maint.Invalid("crs", "%s coordinates are read through GDAL: send the file as a GeoPackage or zipped shapefile, or in WGS84, CGCS2000, gcj02 or bd09", crs)
		}
		if read, err = exchange.NewMappedReader(format, body, mapping); err != nil {
			return err
		}
	}
	src := exchange.FromOffset(read, crs)
	opt := maint.ImportOptions{DryRun: dryRun, Format: string(format), Name: uploadName(r)}
	res, err := s.store.ImportAssets(ctx, v, s.clientIP(r), src, opt)
	var ie *maint.ImportError
	if errors.As(err, &ie) && ie.Proposal == nil {
		if p, ok := read.(exchange.Proposer); ok {
			if m := p.Proposal(); m != nil {
				ie.Proposal = m
			}
		}
	}
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, r, http.StatusOK, importView{DryRun: res.DryRun, Format: format, Rows: res.Rows, ImportCounts: res.Total, Kinds: res.Kinds, Register: res.Register})
	return nil
}

// importParams reads dry_run and the file's format: ?format= when given,
// else the Content-Type.
func importParams(r *http.Request) (exchange.Format, bool, error) {
	p, err := httpx.ReadParams(r, "dry_run", "format", "mapping", "crs")
	if err != nil {
		return "", false, err
	}
	dryRun := false
	if s := p.Str("dry_run"); s != "" {
		if dryRun, err = strconv.ParseBool(s); err != nil {
			return "", false, maint.Invalid("dry_run", "dry_run is true or false, not %q", s)
		}
	}
	var format exchange.Format
	if p.Has("format") {
		if format, err = exchange.ParseImportFormat("format", p.Str("format")); err != nil {
			return "", false, err
		}
	} else {
		var ok bool
		if format, ok = exchange.FormatOfMediaType(r.Header.Get("Content-Type")); !ok {
			format, ok = exchange.GDALFormatOfMediaType(r.Header.Get("Content-Type"))
		}
		if !ok {
			return "", false, maint.Errorf(maint.CodeUnsupportedMedia,
				"send the file as CSV (Content-Type: text/csv), GeoJSON (application/geo+json) or .xlsx (application/vnd.openxmlformats-officedocument.spreadsheetml.sheet), or name its format: ?format=csv (geojson, xlsx, shp, gdb, gpkg, kml, kmz, dxf, gml, zip), not %q", r.Header.Get("Content-Type"))
		}
	}
	return format, dryRun, nil
}

// importMapping reads ?mapping=, a mapping file's text (JSON or YAML),
// when given.
func importMapping(r *http.Request) (*exchange.Mapping, error) {
	s := r.URL.Query().Get("mapping")
	if s == "" {
		return nil, nil
	}
	return exchange.ParseMapping([]byte(s))
}

// uploadName is the file name a client gives in Content-Disposition, for
// the audit trail.
func uploadName(r *http.Request) string {
	_, p, err := mime.ParseMediaType(r.Header.Get("Content-Disposition"))
	if err != nil {
		return ""
	}
	return filepath.Base(p["filename"])
}

// importView is the answer to an import: what it did (or, dry, would do).
type importView struct {
	DryRun bool            `json:"dry_run"`
	Format exchange.Format `json:"format"`
	Rows   int             `json:"rows"`
	maint.ImportCounts
	Kinds map[maint.Kind]maint.ImportCounts `json:"kinds"`
	// Register counts the covers whose register (anti-fall net, last
	// inspection) the import sets or changes.
	Register int `json:"register"`
}

// importProblem is the problem body of a file with problems: errors carry
// each problem's line (CSV) or feature (GeoJSON), column and asset code
// besides field and message, and error_count counts them all (at most
// maint.MaxImportProblems are listed).
type importProblem struct {
	httpx.Problem
	Errors     []maint.ImportProblem `json:"errors"`
	ErrorCount int                   `json:"error_count"`
	// MappingProposal is a mapping of the file's fields to ours, when they
	// are not ours, for the user to check, save and send as ?mapping=.
	MappingProposal any `json:"mapping_proposal,omitempty"`
}

// writeImportError answers an import's error: its problems in full when
// the file had problems, a 413 when it was too large, else as any error.
func writeImportError(w http.ResponseWriter, r *http.Request, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = maint.Errorf(maint.CodeTooLarge, "an imported file may have at most %d MB; split it (by kind, say)", mbe.Limit>>20)
	}
	var ie *maint.ImportError
	if !errors.As(err, &ie) {
		httpx.WriteError(w, r, err)
		return
	}
	p, _ := httpx.ProblemFor(r, err)
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(importProblem{Problem: p, Errors: ie.Problems, ErrorCount: ie.Total, MappingProposal: ie.Proposal})
}

// export serves GET /api/v1/export?kind=…&format=geojson|csv|kml: the whole
// district (or the kinds asked for) as one file, streamed from a single
// database snapshot. An error before the first 32 KiB have left is a
// problem response; after that the connection is aborted, so that no one
// keeps a cut file for a whole one.
func (s *Server) export() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		p, err := httpx.ReadParams(r, "kind", "format", "crs", "encoding")
		if err != nil {
			return err
		}
		kinds, err := p.Kinds("kind")
		if err != nil {
			return err
		}
		format, err := exchange.ParseFormat("format", p.Str("format"))
		if err != nil {
			return err
		}
		crs, err := exchange.ParseCRS("crs", p.Str("crs"))
		if err != nil {
			return err
		}
		if !format.AllowsCRS(crs) {
			return maint.Invalid("crs", "%s files are written in WGS84 (EPSG:4326) only; ask for gpkg, shp or xlsx in %s", format, crs)
		}
		opt := exchange.ExportOptions{CRS: crs, Encoding: p.Str("encoding")}
		if opt.Encoding != "" && format != exchange.Shapefile {
			return maint.Invalid("encoding", "encoding is for shapefiles (format=shp)")
		}
		name := exchange.FileName(format, kinds, time.Now())
		hw := httpx.NewHeldWriter(w, func(h http.Header) {
			h.Set("Content-Type", format.ContentType())
			h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
			h.Set("Cache-Control", "no-store")
		})
		defer hw.Release()
		ew := exchange.NewWriterOptions(r.Context(), format, hw, opt)
		defer exchange.Discard(ew)
		write := ew.Write
		if !httpx.ViewerOf(r).Staff() {
			// Anyone's export masks personal data in names and attributes;
			// staff export the register whole (to edit and import back).
			write = func(x *maint.ExportedAsset) error {
				c := *x
				c.Asset = *privacy.Public(&x.Asset)
				return ew.Write(&c)
			}
		}
		err = s.store.ExportAssets(r.Context(), maint.ExportFilter{Kinds: kinds, Geometry: format.Geometry(), SRID: crs.SRID()}, ew.Begin, write)
		if err == nil {
			err = ew.End()
		}
		if err == nil {
			err = hw.Close()
		}
		if err != nil && hw.Sent() {
			panic(http.ErrAbortHandler)
		}
		return err
	})
}
