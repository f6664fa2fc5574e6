package httpapi

import (
	"errors"
	"net/http"

	"inframap/internal/httpx"
	"inframap/internal/maint"
)

// healthz says the process is up.
func (s *Server) healthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, r, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// readyz says whether the database is reachable and migrated, and which
// databases (the primary, each read replica) answer. A replica down does not
// make the service unready: the primary serves its reads.
func (s *Server) readyz() http.Handler {
	return httpx.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if s.cfg.Replicas != nil && s.cfg.Replicas.HasReplicas() {
			dbs := s.cfg.Replicas.Databases(r.Context())
			if dbs[0].Reachable {
				w.Header().Set("Cache-Control", "no-store")
				httpx.WriteJSON(w, r, http.StatusOK, map[string]any{"status": "ready", "databases": dbs})
				return nil
			}
		}
		if err := s.store.Ready(r.Context()); err != nil {
			e, ok := maint.AsError(err)
			if !ok || e.Code != maint.CodeUnavailable {
				e = maint.Errorf(maint.CodeUnavailable, "the database is not ready")
				e.RetryAfter = 5
				err = errors.Join(e, err)
			}
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.WriteJSON(w, r, http.StatusOK, map[string]string{"status": "ready"})
		return nil
	})
}
